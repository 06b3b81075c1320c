"""个人信息: identity and card numbers that validate, persons' contact details, lists of people.

Validate, do not guess.  A number is reported only when its check character, its
structure and (for ID numbers) its date and region code all hold, so that order numbers,
dates and 统一社会信用代码 (GB 32100-2015, published routinely) stay silent.  Names, birth
years, native places and positions alone are never findings: a 任前公示 or 公告 publishes
them by law.  Contact numbers *labelled* as the office's (咨询电话, 联系电话, 监督电话 …)
in a public notice do not raise the verdict; hotlines and landlines are never matched.

Numbers are found in normalized text (full-width digits folded), split into groups where
the source had a space, a dash or a table cell boundary (see :mod:`secscan.detect.gaps`);
a candidate is always a run of whole groups, never part of a longer digit run.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from msgspec import Struct

from secscan.detect.base import DetectFn, DetectorSpec, NormDocument, NormPart, Rule
from secscan.detect.checksums import birth_date, luhn_ok, resident_id_checksum_ok, uscc_ok
from secscan.detect.gaps import Gap, ascii_view, bounded, finditer_at, gaps_inside, glued_after, glued_before
from secscan.lazy import lazy_regex
from secscan.resources import lexicon_dir
from secscan.types import Category, Hit, Severity

if TYPE_CHECKING:
    from secscan.config import Config
    from secscan.lexicon import Lexicon

_PI = Category.PERSONAL_INFO
RULES = (
    Rule(
        "pii.resident_id", _PI, Severity.HIGH, "身份证号",
        "18位公民身份号码(GB 11643-1999校验码、出生日期和地址码均有效{region_note}),属敏感个人信息,不得公开",
        "18 characters with a valid ISO 7064 MOD 11-2 check character (X allowed), a birth date "
        "from 1900 to today and a province + prefecture prefix in lexicons/admin_divisions.csv. "
        "A random 18-digit order number passes all three well under once in 10,000; a wrong check "
        "digit is never reported. Found with spaces or full-width digits; never inside a longer "
        "digit run; an all-digit 统一社会信用代码 labelled as such is skipped.",
    ),
    Rule(
        "pii.resident_id_15", _PI, Severity.MEDIUM, "15位旧身份证号",
        "疑似15位旧版公民身份号码(出生日期和地址码有效,无校验位),属个人信息,须人工核实",
        "The pre-1999 form has no check digit, so it needs a 身份证/证件 cue within 40 characters "
        "or in the table header, a valid 19YYMMDD date and a known region prefix; review only.",
    ),
    Rule(
        "pii.bank_card", _PI, Severity.HIGH, "银行卡号",
        "{scheme}银行卡号(通过Luhn校验),属敏感个人信息,不得公开",
        "16–19 digits passing Luhn with a known issuer prefix (银联 62/60, Visa 4, Mastercard "
        "51–55/2221–2720, JCB 3528–3589, Discover 6011/644–649/65, 工行 9558), also in groups of "
        "four with spaces or dashes. Luhn passes 1 random number in 10, the prefix list cuts that "
        "further; a 4-prefixed 16-digit order number can still pass (about 1 in 100 of those).",
    ),
    Rule(
        "pii.mobile", _PI, Severity.MEDIUM, "个人手机号",
        "疑似个人手机号码({context}),公开前须核实本人同意或删除",
        "11-digit numbers in allocated mobile ranges (13x–19x), with +86/0086, spaces or dashes. "
        "Review, not block. Not reported when labelled as the office's contact number "
        "(咨询电话/联系电话/监督电话/热线…) in a public notice, unless a person cue "
        "(姓名, 信访人, 户主 …) or a list of people says it is a person's. Landlines and "
        "hotlines (010-…, 12345) never match.",
    ),
    Rule(
        "pii.passport", _PI, Severity.HIGH, "护照号码",
        "护照号码(与“护照”字样相邻),属敏感个人信息,不得公开",
        "E/G + 8 digits or E + letter + 7 digits (and D/S/P service forms), only within 80 "
        "characters after 护照 or under a 护照 column: the bare shape is too common in model numbers.",
    ),
    Rule(
        "pii.travel_permit", _PI, Severity.HIGH, "港澳台通行证号码",
        "{permit}号码,属敏感个人信息,不得公开",
        "往来港澳通行证 (C + 8, W + 8), 往来台湾通行证 (T/L + 8), 回乡证 (H/M + 8 or 10) and "
        "台胞证 (8 or 10 digits), each only next to its own name: the shapes alone are not specific.",
    ),
    Rule(
        "pii.email", _PI, Severity.MEDIUM, "个人电子邮箱",
        "疑似个人电子邮箱({context}),公开前须核实本人同意或删除",
        "An address at a personal webmail domain (qq.com, 163.com, gmail.com …) or next to a "
        "person cue or inside a list of people. Office and role mailboxes (gov.cn, 举报邮箱 in a "
        "notice) are not reported.",
    ),
    Rule(
        "pii.person_list", _PI, Severity.HIGH, "人员信息名单",
        "含{columns}等栏目的人员名单({rows}行),属批量个人信息,不得公开",
        "A table (docx rows, or HTML cells one per line) whose header has 姓名 and at least two of "
        "住址/电话/身份证号/银行账号/护照/通行证, with at least two data rows holding an address or a "
        "long number. A 任前公示 table (姓名 性别 出生年月 籍贯 职务) never qualifies.",
    ),
)

# -- data -------------------------------------------------------------------------------
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


class Divisions(Struct, frozen=True):
    """GB/T 2260 codes: full 6-digit codes and the 4-digit prefecture prefixes."""

    codes: frozenset[str]
    prefectures: frozenset[str]

    def plausible(self, number: str) -> bool:
        return number[:2] in _PROVINCES and number[:4] in self.prefectures

    def known(self, number: str) -> bool:
        return number[:6] in self.codes


@functools.cache
def load_divisions() -> Divisions:
    path = lexicon_dir() / "admin_divisions.csv"
    with path.open(encoding="utf-8") as fh:
        rows = csv.reader(line for line in fh if not line.startswith("#"))
        codes = frozenset(row[0] for row in rows if row and row[0].isdigit() and len(row[0]) == 6)
    return Divisions(codes, frozenset(c[:4] for c in codes))


# -- patterns ---------------------------------------------------------------------------
# a run of digits, dashes between digits, and an ID number's final X
_RUN_RE = lazy_regex(r"(?<![0-9])[0-9](?:[0-9]|-(?=[0-9]))*(?:[Xx](?![A-Za-z]))?")
_RUN_CHARS = "0123456789-Xx"
_MIN_RUN = 11
_MOBILE_RE = lazy_regex(r"1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])\d{8}")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ALNUM = "0123456789" + _LETTERS
_PASSPORT_RE = lazy_regex(r"E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8}|[DSP]E?\d{7}")
_PASSPORT_FIRST = "EGDSP"
_PASSPORT_CUE_RE = lazy_regex(r"护照")
_PASSPORT_CUES = frozenset({_PASSPORT_CUE_RE.pattern})  # the same word, found in the lexicon's pass
_NAME_LABEL = frozenset({"姓名"})


class _Permit(Struct, frozen=True, dict=True):
    """A kind of travel permit number, and the words that must be near one to report it."""

    pattern: re.Pattern[str]
    first: str | None  # the ASCII letters a number starts with; None: any Unicode digit
    cues: tuple[str, ...]
    name: str

    @functools.cached_property
    def cue(self) -> re.Pattern[str]:
        return re.compile("|".join(self.cues))

    @functools.cached_property
    def cue_words(self) -> frozenset[str]:
        return frozenset(self.cues)


_PERMITS = (
    _Permit(lazy_regex(r"C[A-HJ-NP-Z0-9]\d{7}|W\d{8}"), "CW", ("港澳通行证", "往来港澳"), "往来港澳通行证"),
    _Permit(lazy_regex(r"[TL]\d{8}"), "TL", ("台湾通行证", "往来台湾"), "往来台湾通行证"),
    _Permit(lazy_regex(r"[HM]\d{8}(?:\d{2})?"), "HM", ("回乡证", "来往内地通行证"), "港澳居民来往内地通行证"),
    _Permit(lazy_regex(r"\d{8}(?:\d{2})?"), None, ("台胞证", "来往大陆通行证"), "台湾居民来往大陆通行证"),
)
_EMAIL_RE = lazy_regex(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_EMAIL_CHARS = _LETTERS + "0123456789._%+-@"
_MIN_EMAIL = 6  # a@b.cn
_WEBMAIL = frozenset(
    "qq.com vip.qq.com foxmail.com 163.com 126.com yeah.net vip.163.com sina.com sina.cn sohu.com "
    "139.com 189.cn wo.cn aliyun.com tom.com 21cn.com gmail.com hotmail.com outlook.com live.com "
    "msn.com yahoo.com icloud.com me.com".split()
)
_ID15_CUE_RE = lazy_regex(r"身份证|身份号码|证件号")
_USCC_CUE_RE = lazy_regex(r"信用代码|社会信用|纳税人识别号|税号")
# a label saying the number is the office's: 咨询电话:, 监督电话:, 联系方式:, 热线 …
_PHONE_LABEL_RE = lazy_regex(
    r"(?:(?:咨询|联系|监督|举报|投诉|服务|受理|报名|办公|值班|预约|求助|救助|公开)?(?:电话|热线|专线)(?:号码)?|联系方式|咨询)[::]?$"
)
# an office hotline earlier on the same line: 监督电话:0376-12380  手机:138…
_OFFICE_LINE_RE = lazy_regex(r"(?:咨询|监督|举报|投诉|服务|受理|值班)(?:电话|热线)")
_EMAIL_LABEL_RE = lazy_regex(r"(?:邮箱|信箱|邮件|e-?mail)(?:地址)?[::]?$", re.I)
# words that make the number a person's even under an office-style label
_PERSON_CUE_RE = lazy_regex(
    r"姓名|本人|户主|家属|亲属|申请人|当事人|信访人|上访人|举报人|投诉人|患者|病人|学生|家长|监护人|"
    r"被执行人|嫌疑人|村民|居民|困难户|低保户|贫困户|受助人|救助对象|老人|个人手机|私人"
)
# documents meant for the public: an office's contact number in them is published on purpose
_PUBLIC_DOC_RE = lazy_regex(r"公告|公示|通告|启事|通知|告知书|须知|指南|简章|主动公开|此件公开发布|公开征求|征求意见")

# -- lists of people --------------------------------------------------------------------
_COLUMN_KINDS = (
    ("住址", lazy_regex(r"住址|地址|居住地|住所")),
    ("电话", lazy_regex(r"电话|手机|联系方式")),
    ("身份证号", lazy_regex(r"身份证|身份号码|证件号")),
    ("银行账号", lazy_regex(r"银行卡|银行账|账号|卡号")),
    ("护照", lazy_regex(r"护照")),
    ("通行证", lazy_regex(r"通行证|回乡证|台胞证")),
)
_HEADER_CELL_RE = lazy_regex(
    r"序号|编号|姓名|性别|年龄|出生年月|出生日期|民族|籍贯|家庭住址|现住址|户籍地址|居住地址|住址|地址|"
    r"联系电话|电话|手机|手机号码|联系方式|身份证号码?|公民身份号码|证件号码|银行卡号|银行账号|开户行|账号|"
    r"护照号码?|通行证号码?|工作单位|单位|职务|备注|所在村|村组|困难类型|诉求|事由|金额|家庭人口|人口数|信访事项"
)
_EVIDENCE_RE = lazy_regex(r"\d{7,}|村|组|路|街|巷|号|栋|室|小区|社区|@")
_MAX_CELL = 60
_MAX_ROW = 200


class PersonTable(Struct, frozen=True):
    """A header with 姓名 and the rows under it, in normalized offsets of one part."""

    start: int
    header_end: int
    end: int
    columns: tuple[str, ...]
    header: str
    rows: int
    evidence: int


def _line_at(text: str, pos: int) -> tuple[int, int]:
    """``[start, end)`` of the line holding ``pos``, without its newline."""
    end = text.find("\n", pos)
    return text.rfind("\n", 0, pos) + 1, len(text) if end == -1 else end


def _columns(header: str) -> tuple[str, ...]:
    return tuple(name for name, rx in _COLUMN_KINDS if rx.search(header))


def person_tables(part: NormPart) -> list[PersonTable]:
    """Tables with a 姓名 column: one row per line (docx, txt) or one cell per line (HTML).

    Only lines holding 姓名 can start a table, so each table is read line by line from an
    occurrence of 姓名 (from the lexicon's pass: cues.tsv); the next starts after its last row.
    """
    text = part.text
    out: list[PersonTable] = []
    resume = 0  # where the next search would start
    for pos in part.term_starts(_NAME_LABEL):
        if pos < resume:
            continue
        lo, hi = _line_at(text, pos)
        if hi - lo > 80:
            resume = hi
            continue
        table = _table(text, lo, hi)
        out.append(table)
        resume = table.end + 1
    return out


def _is_header_cell(text: str, lo: int, hi: int) -> bool:
    return _HEADER_CELL_RE.fullmatch(text[lo:hi]) is not None


def _table(text: str, lo: int, hi: int) -> PersonTable:
    """The table whose header holds the line ``[lo, hi)``: its header lines and the rows under it."""
    first, last = (lo, hi), (lo, hi)
    if _is_header_cell(text, lo, hi):  # one cell per line: gather the header cells
        while first[0] > 0 and _is_header_cell(text, *(above := _line_at(text, first[0] - 1))):
            first = above
        while last[1] < len(text) and _is_header_cell(text, *(below := _line_at(text, last[1] + 1))):
            last = below
        limit = _MAX_CELL
    else:
        limit = _MAX_ROW
    width = text.count("\n", first[0], last[1]) + 1
    lines = evidence = 0
    end = last[1]
    while end < len(text):
        row = _line_at(text, end + 1)
        if not 0 < row[1] - row[0] <= limit:
            break
        evidence += bool(_EVIDENCE_RE.search(text, *row))
        lines += 1
        end = row[1]
    header = text[first[0]:last[1]]
    return PersonTable(first[0], last[1], end, _columns(header), header, lines // width, evidence)


def _table_at(tables: list[PersonTable], pos: int) -> PersonTable | None:
    return next((t for t in tables if t.header_end < pos <= t.end), None)


# -- numbers ----------------------------------------------------------------------------
class _Group(Struct, frozen=True):
    """A run of digits inside a candidate number, and what separated it from the previous run."""

    start: int
    end: int
    gap: Gap  # what separated it from the previous group of the run


def _groups(part: NormPart, start: int, end: int) -> list[_Group]:
    text = part.text
    cuts = [(pos, kind, 0) for pos, kind in gaps_inside(part, start, end)]
    cuts += [(pos, Gap.SOFT, 1) for pos in range(start, end) if text[pos] == "-"]
    cuts.sort()
    groups: list[_Group] = []
    cur, gap = start, Gap.NONE
    for pos, kind, width in cuts:
        if pos > cur:
            groups.append(_Group(cur, pos, gap))
            gap = kind
        else:
            gap = max(gap, kind)
        cur = pos + width
    groups.append(_Group(cur, end, gap))
    return groups


def card_scheme(digits: str) -> str | None:
    """The card scheme of a 16–19 digit number by its issuer prefix, or None."""
    n = len(digits)
    if not 16 <= n <= 19:
        return None
    if digits.startswith("62"):
        return "银联"
    if digits.startswith("6011") or digits.startswith("65") or "644" <= digits[:3] <= "649":
        return "Discover"
    if digits.startswith("60") or digits.startswith("9558"):
        return "银联"
    if digits.startswith("4") and n in (16, 19):
        return "Visa"
    if n == 16 and ("51" <= digits[:2] <= "55" or "2221" <= digits[:4] <= "2720"):
        return "Mastercard"
    if "3528" <= digits[:4] <= "3589":
        return "JCB"
    return None


class _Context(Struct, frozen=True):
    """What the number rules of one part consult: its tables, whether it reads as public, today's date."""

    part: NormPart
    tables: list[PersonTable]
    public: bool
    today: dt.date

    @property
    def divisions(self) -> Divisions:
        """Read on the first 15- or 18-digit candidate: most texts hold none."""
        return load_divisions()

    def before(self, pos: int, width: int) -> str:
        return self.part.text[max(0, pos - width):pos]

    def cue(self, rx: re.Pattern[str], pos: int, width: int = 40) -> bool:
        if rx.search(self.before(pos, width)):
            return True
        table = _table_at(self.tables, pos)
        if table is not None and rx.search(table.header):
            return True
        first_end = self.part.text.find("\n")
        return self.part.part.kind in ("table", "sheet") and bool(rx.search(self.part.text[: first_end if first_end >= 0 else 80]))

    def person(self, pos: int, label_re: re.Pattern[str]) -> str | None:
        """Why a contact detail at ``pos`` is a person's; None when it is the office's."""
        table = _table_at(self.tables, pos)
        if table is not None:
            return "位于人员名单中"
        window = self.before(pos, 30)
        cue = _PERSON_CUE_RE.findall(window)
        if cue:
            return f"附近有“{cue[-1]}”"
        if self.public and label_re.search(self.before(pos, 14)):
            return None
        line_start = self.part.text.rfind("\n", 0, pos) + 1
        if self.public and label_re is _PHONE_LABEL_RE and _OFFICE_LINE_RE.search(self.part.text, line_start, pos):
            return None
        return ""


def _classify(digits: str, start: int, ctx: _Context) -> tuple[str, dict[str, str]] | None:
    n = len(digits)
    if n == 18 and resident_id_checksum_ok(digits) and ctx.divisions.plausible(digits):
        born = birth_date(digits)
        if born is not None and dt.date(1900, 1, 1) <= born <= ctx.today:
            if not (uscc_ok(digits) and _USCC_CUE_RE.search(ctx.before(start, 24))):
                note = "" if ctx.divisions.known(digits) else ";地址码为已调整的旧区划"
                return "pii.resident_id", {"region_note": note}
    if not digits.isdigit():
        return None
    if n == 15 and ctx.divisions.plausible(digits) and birth_date(digits) and ctx.cue(_ID15_CUE_RE, start):
        return "pii.resident_id_15", {}
    if 16 <= n <= 19 and luhn_ok(digits):
        scheme = card_scheme(digits)
        if scheme and not (n == 18 and uscc_ok(digits) and _USCC_CUE_RE.search(ctx.before(start, 24))):
            return "pii.bank_card", {"scheme": scheme}
    mobile = digits[-11:] if n in (13, 15) and digits[:-11] in ("86", "0086") else digits
    if len(mobile) == 11 and _MOBILE_RE.fullmatch(mobile):
        why = ctx.person(start, _PHONE_LABEL_RE)
        if why is None:
            return None
        return "pii.mobile", {"context": why or "未标注为单位公开电话"}
    return None


def _long_runs(text: str) -> Iterator[re.Match[str]]:
    """``_RUN_RE.finditer(text)`` of runs of 11 or more characters.

    Such a run is a stretch of ``_RUN_CHARS``; the runs inside one are those finditer finds
    there (one more character is kept so that the X's look-ahead sees what follows).
    """
    for lo, hi in ascii_view(text).stretches(_RUN_CHARS, _MIN_RUN):
        for run in _RUN_RE.finditer(text, lo, hi + 1):
            if run.end() - run.start() >= _MIN_RUN:
                yield run


def _numbers(ctx: _Context) -> Iterator[Hit]:
    part = ctx.part
    text = part.text
    for run in _long_runs(text):
        groups = _groups(part, run.start(), run.end())
        i = 0
        while i < len(groups):
            found = _longest(groups, i, ctx, run.start(), run.end())
            if found is None:
                i += 1
                continue
            k, rule, facts = found
            start = groups[i].start
            if rule == "pii.mobile" and start > 0 and text[start - 1] == "+":
                start -= 1
            yield Hit(rule, part.index, start, groups[k].end, facts)
            i = k + 1


def _longest(groups: list[_Group], i: int, ctx: _Context, run_start: int, run_end: int) -> tuple[int, str, dict[str, str]] | None:
    text = ctx.part.text
    if i == 0 and glued_before(ctx.part, run_start, _LETTERS):  # SN1101…: a code, not a number
        return None
    spans, size = [], 0
    for k in range(i, len(groups)):
        if k > i and groups[k].gap is Gap.HARD:
            break
        size += groups[k].end - groups[k].start
        if size > 19:
            break
        spans.append(k)
    for k in reversed(spans):
        end = groups[k].end
        if end == run_end and glued_after(ctx.part, end, _ALNUM):  # …X5: a code
            continue
        digits = "".join(text[g.start:g.end] for g in groups[i:k + 1]).upper()
        if len(digits) < 11:
            return None
        found = _classify(digits, groups[i].start, ctx)
        if found is not None:
            return k, found[0], found[1]
    return None


# -- documents, e-mail ------------------------------------------------------------------
def _documents(ctx: _Context) -> Iterator[Hit]:
    part = ctx.part
    text = part.text
    view = ascii_view(text)
    # the shapes start with an ASCII letter: look for those first, the cue words only if any
    starts = view.positions(_PASSPORT_FIRST)
    if starts and (part.term_starts(_PASSPORT_CUES) or ctx.tables):
        for m in finditer_at(_PASSPORT_RE, text, starts):
            if bounded(part, m.start(), m.end(), _ALNUM) and ctx.cue(_PASSPORT_CUE_RE, m.start(), 80):
                yield Hit("pii.passport", part.index, m.start(), m.end())
    for permit in _PERMITS:
        starts = view.positions(permit.first) if permit.first else None
        if starts == [] or not part.term_starts(permit.cue_words):
            continue
        found = permit.pattern.finditer(text) if starts is None else finditer_at(permit.pattern, text, starts)
        for m in found:
            width = 20 if m.group(0).isdigit() else 80
            if bounded(part, m.start(), m.end(), _ALNUM) and ctx.cue(permit.cue, m.start(), width):
                yield Hit("pii.travel_permit", part.index, m.start(), m.end(), {"permit": permit.name})


def _email_matches(text: str) -> Iterator[re.Match[str]]:
    """``_EMAIL_RE.finditer(text)``: an address lies within one stretch of ``_EMAIL_CHARS``."""
    view = ascii_view(text)
    if not view.positions("@"):
        return
    for lo, hi in view.stretches(_EMAIL_CHARS, _MIN_EMAIL):
        yield from _EMAIL_RE.finditer(text, lo, hi)


def _emails(ctx: _Context) -> Iterator[Hit]:
    part = ctx.part
    for m in _email_matches(part.text):
        domain = m.group(0).rsplit("@", 1)[1].lower()
        why = ctx.person(m.start(), _EMAIL_LABEL_RE)
        if why is None or (not why and domain not in _WEBMAIL):
            continue
        yield Hit("pii.email", part.index, m.start(), m.end(), {"context": why or "个人邮箱域名"})


def _lists(ctx: _Context) -> Iterator[Hit]:
    for table in ctx.tables:
        if len(table.columns) >= 2 and table.rows >= 2 and table.evidence >= 2:
            columns = "、".join(("姓名", *table.columns))
            yield Hit("pii.person_list", ctx.part.index, table.start, table.header_end, {"columns": columns, "rows": str(table.rows)})


def build(config: Config, lexicon: Lexicon) -> DetectFn:
    today = dt.date.fromisoformat(config.today) if config.today else dt.date.today()

    def detect(doc: NormDocument) -> Iterator[Hit]:
        public = any(_PUBLIC_DOC_RE.search(p.text) for p in doc.parts if not p.part.kind.hidden)
        for part in doc.parts:
            ctx = _Context(part, person_tables(part), public, today)
            yield from _numbers(ctx)
            yield from _documents(ctx)
            yield from _emails(ctx)
            yield from _lists(ctx)

    return detect


SPEC = DetectorSpec("pii", RULES, build)

"""国家秘密标志: position-aware rules on top of the lexicon's level words.

The automaton finds 绝密/机密/秘密 (and 密级); these rules look at what stands around each
occurrence.  Forms, from GB/T 9704-2012 7.2.2 (密级和保密期限: 密级 and 保密期限 joined by
★, e.g. 机密★1年) and 《国家秘密标志管理规定》:

* ``密级★保密期限``  — 机密★10年, 秘密★6个月, 绝密★长期
* ``密级★解密时间``  — 秘密★2027年12月31日 (a date that has passed: 自行解密, still review)
* ``密级★解密条件``  — 绝密★启用前, 机密★会议开始前, 机密★解密条件:…
* a bare ``机密★``, or a bare 密级 alone on a line in the 版头 (above 发文机关标志)
* a 密级 field: 密级:秘密

Not markings: the same words in running text (国家秘密的密级分为绝密、机密、秘密三级,
秘密武器, 提供2份绝密级资料), and a ★ form quoted as an example inside a sentence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import numpy as np

from secscan.arrays import in_sorted
from secscan.detect.base import DetectorSpec, LexMatch, NormDocument, NormPart, Rule
from secscan.detect.lexicon import MAX_MARKING_LINE, in_head
from secscan.lazy import lazy_regex
from secscan.types import Category, Hit, Severity

_BASIS = "依据GB/T 9704-2012第7.2.2条及《国家秘密标志管理规定》"
RULES = (
    Rule(
        "marking.star_period", Category.CLASSIFICATION_MARKING, Severity.HIGH, "密级★保密期限",
        "密级标志:{level}级,保密期限{period}(" + _BASIS + "),载有国家秘密,不得公开",
        "A 密级 word joined by ★ (or ☆ * ＊, after folding) to a period: 10年, 6个月, 长期. Skipped only when quoted or cued as an example inside a longer sentence.",
    ),
    Rule(
        "marking.star_date", Category.CLASSIFICATION_MARKING, Severity.HIGH, "密级★解密时间",
        "密级标志:{level}级,解密时间{date}(" + _BASIS + "),载有国家秘密,不得公开",
        "密级★ followed by a 解密 date that has not passed yet.",
    ),
    Rule(
        "marking.star_condition", Category.CLASSIFICATION_MARKING, Severity.HIGH, "密级★解密条件",
        "密级标志:{level}级,解密条件“{condition}”(" + _BASIS + "),载有国家秘密,不得公开",
        "密级★ followed by a condition: …前 within 20 characters, or 解密条件:….",
    ),
    Rule(
        "marking.star_bare", Category.CLASSIFICATION_MARKING, Severity.HIGH, "密级★(未标期限)",
        "密级标志:{level}级,未标保密期限(按规定视为{default_period}),载有国家秘密,不得公开",
        "密级★ with nothing after it: the default periods apply (绝密30年, 机密20年, 秘密10年).",
    ),
    Rule(
        "marking.expired", Category.CLASSIFICATION_MARKING, Severity.MEDIUM, "已届满的密级标志",
        "密级标志:{level}级,解密时间{date}已过;到期自行解密不等于可以公开,须经保密审查后方可发布",
        "A marking whose date has passed stays a finding (review), never a pass.",
    ),
    Rule(
        "marking.declassified", Category.CLASSIFICATION_MARKING, Severity.MEDIUM, "已解密或已撤销的标志",
        "“{text}”显示该件曾标密并已解密或撤销标志,须核对解密审批后方可公开",
        "A marking followed by 解密/已解密/已撤销: review, the 解密 approval must be checked.",
    ),
    Rule(
        "marking.bare_head", Category.CLASSIFICATION_MARKING, Severity.HIGH, "版头密级",
        "版头单独成行的密级“{level}”(" + _BASIS + "{copy}),载有国家秘密,不得公开",
        "A bare 绝密/机密/秘密 alone on a line (with 份号, 紧急程度, brackets) among the first head_lines non-empty lines, or in a header/footer.",
    ),
    Rule(
        "marking.bare_line", Category.CLASSIFICATION_MARKING, Severity.MEDIUM, "单独成行的密级",
        "密级“{level}”单独成行(不在版头),可能是段落标密或分节标志,需人工核实",
        "The same bare line outside the head: a paragraph marking or a quiz answer; review, not block.",
    ),
    Rule(
        "marking.level_field", Category.CLASSIFICATION_MARKING, Severity.HIGH, "密级栏",
        "密级栏填写为“{level}”,表明本件定为{level}级国家秘密,不得公开",
        "密级 directly followed by a level (密级:秘密, a form's 密级 cell); 密级分为… in a sentence does not match.",
    ),
    Rule(
        "internal.limited_scope", Category.INTERNAL_MARKING, Severity.HIGH, "限定知悉范围",
        "“{text}”限定了传达或知悉范围,限定范围的文件不得公开",
        "限…范围内传达/知悉/阅读 within 20 characters; ordinary sentences with 限定/限时 do not have the 范围 form.",
    ),
)

DEFAULT_PERIOD = {"绝密": "30年", "机密": "20年", "秘密": "10年"}
_LEVELS = frozenset(DEFAULT_PERIOD)
_QUOTES = "\"'“”‘’「」『』《》〈〉"
_EXAMPLE_CUES = ("例如", "比如", "譬如", "格式", "如标注", "标注为", "标明为", "写作", "标为")

_PERIOD_RE = lazy_regex(r"(长期|\d{1,3}个?年|\d{1,3}个月)")
_DATE_RE = lazy_regex(r"((?:19|20)\d{2})年(\d{1,2})月(?:(\d{1,2})日)?")
_CONDITION_RE = lazy_regex(r"(?:解密条件[::]?)?([^\n,。;,;]{1,20}?前|解密条件[::]?[^\n,。;,;]{1,30})")
_DECLASS_RE = lazy_regex(r"(?:已?解密|已撤销|撤销密级|密级已解除)")
_FIELD_RE = lazy_regex(r"[::\t]*(绝密|机密|秘密)")
_HEAD_FILLER_RE = lazy_regex(r"[\s\W_★]+|特急|加急|特提|平急|急件|份号|密级|\d{5,7}|级")
_SCOPE_RE = lazy_regex(r"限[^\n,。;,;]{1,20}?范围内?(?:传达|知悉|阅读|阅知|使用|传阅|阅)")


def _today(config) -> dt.date:
    return dt.date.fromisoformat(config.today) if config.today else dt.date.today()


def _is_quoted_example(part: NormPart, start: int, end: int) -> bool:
    """A ★ form inside a sentence, quoted or cued as an example, is not a marking."""
    lo, hi = part.line_bounds(start)
    before = part.text[max(lo, start - 8):start]
    after = part.text[end:min(hi, end + 2)]
    line = part.text[lo:hi]
    other = _HEAD_FILLER_RE.sub("", line.replace(part.text[start:end], ""))
    if len(other) <= 2:
        return False
    quoted = (bool(before) and before[-1] in _QUOTES) or (bool(after) and after[0] in _QUOTES)
    return quoted or any(cue in before for cue in _EXAMPLE_CUES)


def _star_hit(part: NormPart, start: int, level: str, today: dt.date) -> Hit:
    text = part.text
    star = start + 2
    after = star + 1
    tail = text[after:after + 40]
    facts = {"level": level}
    rule = "marking.star_bare"
    end = after
    date = _DATE_RE.match(tail)
    period = _PERIOD_RE.match(tail)
    condition = _CONDITION_RE.match(tail)
    if date:
        end = after + date.end()
        year, month, day = int(date.group(1)), int(date.group(2)), int(date.group(3) or 0)
        facts["date"] = date.group(0)
        try:
            expiry = dt.date(year, month, day or 28)
        except ValueError:
            expiry = None
        rule = "marking.expired" if expiry is not None and expiry < today else "marking.star_date"
    elif period:
        end = after + period.end()
        facts["period"] = period.group(1).replace("个年", "年")
        rule = "marking.star_period"
    elif condition:
        end = after + condition.end()
        facts["condition"] = condition.group(0)
        rule = "marking.star_condition"
    else:
        facts["default_period"] = DEFAULT_PERIOD[level]
    declass = _DECLASS_RE.match(text, end, min(len(text), end + 6))
    if declass and rule != "marking.expired":
        return Hit("marking.declassified", part.index, start, declass.end(), facts)
    return Hit(rule, part.index, start, end, facts)


def _candidates(part: NormPart) -> tuple[LexMatch, ...]:
    """The level and field matches the rules below can use, chosen on the match arrays:
    a field always; a level word followed by ★, or on a line short enough to be a marking
    line.  The thousands of 秘密 in running prose never become objects."""
    if part.lexicon is None:
        return ()
    level_rows = part.rows("rule", "marking.level")
    field_rows = part.rows("rule", "marking.field")
    if len(level_rows):
        found = part.found
        starred = in_sorted(found.ends[level_rows], _positions_of(part.text, "★"))
        short = part.line_lengths(found.starts[level_rows]) <= MAX_MARKING_LINE
        level_rows = level_rows[starred | short]
    return part.lex_matches(np.sort(np.concatenate((level_rows, field_rows))))  # different entries: disjoint


def _positions_of(text: str, char: str) -> np.ndarray:
    """Offsets of a rare character, found by str.find in C."""
    out = []
    pos = text.find(char)
    while pos != -1:
        out.append(pos)
        pos = text.find(char, pos + 1)
    return np.array(out, dtype=np.int64)


def build(config, lexicon):
    head_lines = config.head_lines

    def detect(doc: NormDocument) -> Iterator[Hit]:
        today = _today(config)
        for part in doc.parts:
            text = part.text
            for m in _candidates(part):
                rule = m.entry.rule
                if rule == "marking.level":
                    level = m.entry.folded
                    if level not in _LEVELS:
                        continue
                    if text[m.end:m.end + 1] == "★":
                        hit = _star_hit(part, m.start, level, today)
                        if not _is_quoted_example(part, hit.start, hit.end):
                            yield hit
                        continue
                    lo, hi = part.line_bounds(m.start)
                    if hi - lo > MAX_MARKING_LINE:  # running text: decided without copying the line
                        continue
                    if _HEAD_FILLER_RE.sub("", text[lo:hi].replace(level, "", 1)):
                        continue
                    if in_head(doc, part, m.start, head_lines):
                        copy = re.search(r"\d{5,7}", text[max(0, lo - 20):hi + 20])
                        facts = {"level": level, "copy": f";同处版头的份号{copy.group(0)}" if copy else ""}
                        yield Hit("marking.bare_head", part.index, m.start, m.end, facts)
                    else:
                        yield Hit("marking.bare_line", part.index, m.start, m.end, {"level": level})
                elif rule == "marking.field":
                    field = _FIELD_RE.match(text, m.end)
                    if field:
                        yield Hit("marking.level_field", part.index, m.start, field.end(), {"level": field.group(1)})
            for sm in _SCOPE_RE.finditer(text):
                yield Hit("internal.limited_scope", part.index, sm.start(), sm.end())

    return detect


SPEC = DetectorSpec("markings", RULES, build)

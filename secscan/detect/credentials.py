"""凭据与内网信息: passwords with their values, keys, tokens, connection strings, IP plans.

A credential is a *value*: ``密码:Abc@1234`` is one, ``请定期修改密码`` and ``妥善保管
密码,不得告知他人`` are not, and neither is 密码 in the cryptography sense (密码法,
商用密码) — those have no value after a separator.  Placeholders (``******``, ``<密码>``,
``${DB_PASS}``, ``xxxx``) are not values either.  Internal addresses count only as a plan:
private-range addresses listed together (two or more, or a subnet) with words such as
内网, 涉密网, 服务器, 网段 nearby; one ``192.168.1.1`` in a router guide is not a plan.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from secscan.detect.base import DetectFn, DetectorSpec, NormDocument, NormPart, Rule
from secscan.detect.gaps import AsciiView, Gap, ascii_view, bounded, gaps_inside, split_at_gaps
from secscan.lazy import lazy_regex
from secscan.types import Category, Hit, PartKind, Severity

if TYPE_CHECKING:
    from secscan.config import Config
    from secscan.lexicon import Lexicon

_CRED = Category.CREDENTIAL
RULES = (
    Rule(
        "cred.password", _CRED, Severity.HIGH, "密码或口令",
        "“{label}”后写明了具体取值,泄露口令可致系统被非法登录,不得公开",
        "密码/口令/password/pwd directly followed by : = 为 是 and a value of 4–64 printable ASCII "
        "characters, or such a value in the 密码/口令 column under a table header (docx tables, "
        "spreadsheets). Sentences about passwords (修改密码, 妥善保管密码, 密码为8位以上) carry no such "
        "value; placeholders (******, xxxx, <…>, ${…}) and cells holding Chinese (已重置) are skipped.",
    ),
    Rule(
        "cred.account_password", _CRED, Severity.HIGH, "账号和密码",
        "同时写明了账号和密码,可直接登录系统,不得公开",
        "An account (账号/用户名/user) and a password value within one line, or 账号/密码:user/pass.",
    ),
    Rule(
        "cred.private_key", _CRED, Severity.HIGH, "私钥",
        "文中含PEM格式私钥,私钥泄露即失去加密和认证保护,不得公开",
        "The PEM armour line -----BEGIN … PRIVATE KEY-----; certificates and public keys are not reported.",
    ),
    Rule(
        "cred.api_token", _CRED, Severity.HIGH, "访问密钥",
        "文中含{kind},可用于调用云服务或接口,不得公开",
        "Fixed-prefix key shapes (阿里云 LTAI…, AWS AKIA…, 腾讯云 AKID…, sk-…, ghp_…, AIza…, xox…) and "
        "values of 16+ letters and digits after AccessKeySecret/SecretKey/api_key/token labels; a "
        "label with a short or plain-word value is not reported.",
    ),
    Rule(
        "cred.jwt", _CRED, Severity.HIGH, "JWT令牌",
        "文中含JWT访问令牌,可冒用登录身份,不得公开",
        "Three base64url segments whose first decodes to a JSON header with an alg field.",
    ),
    Rule(
        "cred.connection_string", _CRED, Severity.HIGH, "数据库连接串",
        "数据库或服务连接串中含密码,不得公开",
        "scheme://user:password@host URIs (mysql, postgresql, mongodb, redis, jdbc, ftp …), "
        "password= parameters inside a jdbc URL, and Server=…;Password=… strings.",
    ),
    Rule(
        "cred.internal_ip_plan", _CRED, Severity.HIGH, "内网地址规划",
        "内网地址“{text}”与“{cue}”等字样同列(共{count}处),暴露内部网络结构,不得公开",
        "Private IPv4 addresses (10/8, 172.16/12, 192.168/16): at least two, or one subnet in CIDR "
        "form, within 300 characters of each other and a cue (内网, 涉密网, 服务器, 网段, 网关, VLAN …) "
        "within 100 characters. A single address in a how-to is not a plan.",
    ),
)

_PASSWORD_LABELS = ("密码", "口令", "password", "passwd", "pwd", "passcode")
_LABEL = r"(?:密码|口令|(?<![A-Za-z])(?:password|passwd|pwd|passcode))"
_VALUE = r"([!-~]{4,64})"
_SEP = r"\s*(?:[::=]|为|是|\s+is\s+)\s*"
_PASSWORD_RE = lazy_regex(rf"({_LABEL}){_SEP}{_VALUE}", re.I)
_ACCOUNT = r"(?:账号|帐号|账户|帐户|用户名|用户|登录名|(?<![A-Za-z])(?:user(?:name)?|login|account))"
_ACCOUNT_PASSWORD_RE = lazy_regex(rf"{_ACCOUNT}{_SEP}([!-~]{{2,64}}?)[,,;;、/|\s]*{_LABEL}{_SEP}{_VALUE}", re.I)
# what both account-and-password patterns contain: a label with a value after it
_LABEL_VALUE_RE = lazy_regex(rf"{_LABEL}{_SEP}[!-~]", re.I)
_PAIR_LABEL_RE = lazy_regex(rf"{_ACCOUNT}(?:和|及|与|/|、)?{_LABEL}{_SEP}([!-~]{{2,64}})/([!-~]{{4,64}})", re.I)
_PLACEHOLDER_RE = lazy_regex(
    r"^(?:[*xX×●•·.\-_#?]+|[<{\[($%].*|null|none|empty|n/?a|"
    r"your_?password|password|passwd|yourpass\w*|123|todo|changeme)$",
    re.I,
)
_VALUE_TRIM = "。,,;;)）」』\"'”’.、"

_PEM_RE = lazy_regex(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----")
_PEM_END_RE = lazy_regex(r"-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----")
_TOKEN_SHAPES = (
    (lazy_regex(r"LTAI[A-Za-z0-9]{12,20}"), "阿里云AccessKey"),
    (lazy_regex(r"(?:AKIA|ASIA)[0-9A-Z]{16}"), "AWS访问密钥"),
    (lazy_regex(r"AKID[A-Za-z0-9]{32}"), "腾讯云SecretId"),
    (lazy_regex(r"sk-(?:proj-)?[A-Za-z0-9_-]{20,}"), "API密钥(sk-)"),
    (lazy_regex(r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,}"), "GitHub令牌"),
    (lazy_regex(r"AIza[0-9A-Za-z_-]{35}"), "Google API密钥"),
    (lazy_regex(r"xox[abprs]-[A-Za-z0-9-]{10,}"), "Slack令牌"),
)
_SECRET_VALUE_RE = lazy_regex(r"[:=]\s*[\"']?([A-Za-z0-9/+_\-]{16,128})")
_SECRET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+_-"
_MIN_SECRET = 16
_SECRET_LABEL_RE = lazy_regex(
    r"(?<![A-Za-z])(?:access[_ ]?key[_ ]?(?:secret|id)|secret[_ ]?(?:access[_ ]?)?key|secret[_ ]?id|api[_-]?key|"
    r"api[_-]?secret|app[_-]?secret|client[_-]?secret|access[_-]?token|auth[_-]?token|token|ak|sk)[\"']?\s*\Z",
    re.I,
)
_JWT_RE = lazy_regex(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_URI_RE = lazy_regex(
    r"(?<![A-Za-z])(?:mysql|mariadb|postgres(?:ql)?|mongodb(?:\+srv)?|rediss?|mssql|sqlserver|oracle|amqps?|"
    r"s?ftp|smb|ldaps?|jdbc:[a-z0-9]+(?::[a-z0-9]+)?)://([^\s:/@]+):([^\s@/]+)@[^\s/,;,;]+",
    re.I,
)
_JDBC_PARAM_RE = lazy_regex(r"jdbc:[a-z0-9]+:\S*?[?&;](?:password|pwd)=([^&;\s]+)", re.I)
_ADO_RE = lazy_regex(r"(?:Server|Data Source|Host)=[^;\n]+;[^\n]*?(?:Password|Pwd)=([^;\n]+)", re.I)

_IP_RUN_RE = lazy_regex(r"(?<![0-9.])[0-9][0-9./]*[0-9]")
_IP_CHARS = "0123456789./"
_MIN_IP_RUN = 5  # 1...2: the three dots an address needs
_IP_RE = lazy_regex(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:/(\d{1,2}))?")
_IP_CUE_RE = lazy_regex(r"内网|涉密网|涉密|服务器|网段|网关|子网|VLAN|vlan|专网|内部网|核心交换|交换机|防火墙|堡垒机|数据库|主机")
_RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_CLUSTER_GAP = 300
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_CUE_REACH = 100
_MAX_IP_HITS = 50


def _is_value(value: str) -> bool:
    return not _PLACEHOLDER_RE.match(value) and len(set(value)) > 1


def _trim(match: re.Match[str], group: int) -> tuple[str, int]:
    value = match.group(group).rstrip(_VALUE_TRIM)
    return value, match.start(group) + len(value)


def _lower(text: str) -> str:
    """Lower-cased with the same length, so anchor offsets hold (str.lower is fast but may grow İ)."""
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_ASCII_LOWER)


def _find_all(part: NormPart, needles: tuple[str, ...]) -> list[int]:
    """Start of every occurrence of each needle (lower case) in ``_lower(part.text)``.

    ASCII needles are found in the ASCII view: the one other character that str.lower
    turns into ASCII without changing the length is K (Kelvin, → k), and no needle holds
    a k.  The others (密码, 口令) have no case: the lexicon's pass found them (cues.tsv).
    """
    view: AsciiView | None = None
    out = part.term_starts(frozenset(n for n in needles if not n.isascii()))
    for needle in needles:
        if needle.isascii():
            view = view or ascii_view(part.text)
            out += view.find_all(needle)
    return sorted(set(out))


def _windows(part: NormPart, anchors: list[int], before: int, after: int) -> Iterator[tuple[int, int]]:
    """The line-bounded window around each anchor."""
    for pos in anchors:
        lo, hi = part.line_bounds(pos)
        yield max(lo, pos - before), min(hi, pos + after)


def _passwords(part: NormPart) -> Iterator[Hit]:
    text = part.text
    anchors = _find_all(part, _PASSWORD_LABELS)
    seen: set[tuple[int, int]] = set()
    for lo, hi in _windows(part, anchors, 100, 80):
        if not _LABEL_VALUE_RE.search(text, lo, hi):  # 密码 in prose: neither pattern can match
            continue
        for rx in (_PAIR_LABEL_RE, _ACCOUNT_PASSWORD_RE):
            m = rx.search(text, lo, hi)
            if m is None:
                continue
            value, end = _trim(m, m.lastindex or 0)
            if _is_value(value) and (m.start(), end) not in seen:
                seen.add((m.start(), end))
                yield Hit("cred.account_password", part.index, m.start(), end)
    for pos in anchors:
        m = _PASSWORD_RE.match(text, pos)
        if m is None:
            continue
        value, end = _trim(m, 2)
        if _is_value(value) and len(value) >= 4:
            yield Hit("cred.password", part.index, m.start(), end, {"label": m.group(1)})


# A table column of passwords: the header cell names it, the rows below hold the values.
_TABLE_KINDS = frozenset({PartKind.TABLE, PartKind.SHEET, PartKind.HIDDEN_SHEET, PartKind.HIDDEN_CELLS})
_PASSWORD_HEADER_RE = lazy_regex(r"(?:登录|初始|系统|用户|账户|帐户|账号|帐号)?(?:密码|口令)|password|passwd|pwd", re.I)
_CELL_VALUE_RE = lazy_regex(r"[\x21-\x7e]{4,64}")
_MAX_COLUMN_HITS = 20


def _cells(part: NormPart, lo: int, hi: int) -> list[tuple[int, int]]:
    """Cells of one table row: split at tabs, kept (between Latin letters) or deleted."""
    text = part.text
    cuts = [(pos, 0) for pos, kind in gaps_inside(part, lo, hi) if kind is Gap.HARD]
    tab = text.find("\t", lo, hi)
    while tab != -1:
        cuts.append((tab, 1))
        tab = text.find("\t", tab + 1, hi)
    cells, start = [], lo
    for pos, width in sorted(cuts):
        cells.append((start, pos))
        start = pos + width
    cells.append((start, hi))
    return cells


def _password_column(part: NormPart) -> Iterator[Hit]:
    if part.part.kind not in _TABLE_KINDS or not _PASSWORD_HEADER_RE.search(_lower(part.text)):
        return
    text = part.text
    column: tuple[int, str] | None = None
    found = 0
    lo = 0
    while lo <= len(text) and found < _MAX_COLUMN_HITS:
        hi = text.find("\n", lo)
        hi = len(text) if hi == -1 else hi
        cells = _cells(part, lo, hi)
        header = next((j for j, (a, b) in enumerate(cells) if _PASSWORD_HEADER_RE.fullmatch(text[a:b])), None)
        if header is not None and len(cells) >= 2:
            column = (header, text[slice(*cells[header])])
        elif column is not None and len(cells) < 2:
            column = None  # the table ended
        elif column is not None and column[0] < len(cells):
            a, b = cells[column[0]]
            value = text[a:b]
            if _CELL_VALUE_RE.fullmatch(value) and _is_value(value):
                found += 1
                yield Hit("cred.password", part.index, a, b, {"label": column[1]})
        lo = hi + 1


def _secret_values(text: str) -> Iterator[re.Match[str]]:
    """``_SECRET_VALUE_RE.finditer(text)``.

    A value is a whole stretch of ``_SECRET_CHARS`` (what precedes it, a quote, a space or
    : =, is none of them); the match starts at the : or = before it, across spaces and
    one quote.
    """
    for lo, _hi in ascii_view(text).stretches(_SECRET_CHARS, _MIN_SECRET):
        start = lo - 1 if lo > 0 and text[lo - 1] in "\"'" else lo
        while start > 0 and text[start - 1].isspace():
            start -= 1
        if start > 0 and text[start - 1] in ":=":
            m = _SECRET_VALUE_RE.match(text, start - 1)
            if m is not None and m.start(1) == lo:
                yield m


def _keys(part: NormPart) -> Iterator[Hit]:
    text = part.text
    view = ascii_view(text)
    for start, stop in view.spans(_PEM_RE):
        end = _PEM_END_RE.search(text, stop)
        yield Hit("cred.private_key", part.index, start, end.end() if end else stop)
    for rx, kind in _TOKEN_SHAPES:
        for start, end in view.spans(rx):
            if bounded(part, start, end, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"):
                yield Hit("cred.api_token", part.index, start, end, {"kind": kind})
    for m in _secret_values(text):
        value = m.group(1)
        if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value) and _is_value(value)):
            continue
        label = _SECRET_LABEL_RE.search(text, max(0, m.start() - 32), m.start())
        if label:
            yield Hit("cred.api_token", part.index, label.start(), m.end(), {"kind": "访问密钥"})
    for start, end in view.spans(_JWT_RE):
        if _jwt_header(text[start:end].split(".", 1)[0]):
            yield Hit("cred.jwt", part.index, start, end)


def _jwt_header(segment: str) -> bool:
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and "alg" in header


def _connections(part: NormPart) -> Iterator[Hit]:
    text = part.text
    seen: set[tuple[int, int]] = set()
    for lo, hi in _windows(part, _find_all(part, ("://",)), 40, 400):
        m = _URI_RE.search(text, lo, hi)
        if m and _is_value(m.group(2)) and m.span() not in seen:
            seen.add(m.span())
            yield Hit("cred.connection_string", part.index, m.start(), m.end())
    for rx, needles in ((_JDBC_PARAM_RE, ("jdbc:",)), (_ADO_RE, ("server=", "data source=", "host="))):
        for pos in _find_all(part, needles):
            m = rx.match(text, pos)
            if m is None:
                continue
            value, end = _trim(m, 1)
            if _is_value(value) and (m.start(), end) not in seen:
                seen.add((m.start(), end))
                yield Hit("cred.connection_string", part.index, m.start(), end)


def _private_ips(part: NormPart) -> list[tuple[int, int, bool]]:
    """``(start, end, is_subnet)`` of private IPv4 addresses, split where spaces were."""
    text = part.text
    out = []
    # an address run lies in a stretch of these characters, where finditer finds the same runs
    runs = (run for lo, hi in ascii_view(text).stretches(_IP_CHARS, _MIN_IP_RUN) for run in _IP_RUN_RE.finditer(text, lo, hi))
    for run in runs:
        if text.count(".", run.start(), run.end()) < 3:
            continue
        for lo, hi in split_at_gaps(part, run.start(), run.end()):
            m = _IP_RE.fullmatch(text, lo, hi)
            if m is None or any(int(g) > 255 for g in m.groups()[:4]):
                continue
            prefix = m.group(5)
            try:
                net = ipaddress.ip_network(f"{'.'.join(m.groups()[:4])}/{prefix or 32}", strict=False)
            except ValueError:
                continue
            if any(net.subnet_of(block) for block in _RFC1918):
                out.append((lo, hi, prefix is not None))
    return out


def _ip_plans(part: NormPart, caption: str) -> Iterator[Hit]:
    """``caption``: the end of the preceding part (a table's title line), where a cue may stand."""
    text = part.text
    ips = _private_ips(part)
    clusters: list[list[tuple[int, int, bool]]] = []
    for ip in ips:
        if clusters and ip[0] - clusters[-1][-1][1] <= _CLUSTER_GAP:
            clusters[-1].append(ip)
        else:
            clusters.append([ip])
    for cluster in clusters:
        if len(cluster) < 2 and not cluster[0][2]:
            continue
        lo = max(0, cluster[0][0] - _CUE_REACH)
        cue = _IP_CUE_RE.search(text, lo, min(len(text), cluster[-1][1] + _CUE_REACH))
        if cue is None and cluster[0][0] < _CUE_REACH:
            cue = _IP_CUE_RE.search(caption)
        if cue is None:
            continue
        for start, end, _subnet in cluster[:_MAX_IP_HITS]:
            yield Hit("cred.internal_ip_plan", part.index, start, end, {"cue": cue.group(0), "count": str(len(cluster))})


def build(config: Config, lexicon: Lexicon) -> DetectFn:
    def detect(doc: NormDocument) -> Iterator[Hit]:
        previous = ""
        for part in doc.parts:
            yield from _passwords(part)
            yield from _password_column(part)
            yield from _keys(part)
            yield from _connections(part)
            yield from _ip_plans(part, previous[-_CUE_REACH:])
            previous = part.text

    return detect


SPEC = DetectorSpec("credentials", RULES, build)

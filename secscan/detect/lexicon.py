"""Lexicon terms that are findings by themselves (scopes ``anywhere``, ``line``, ``head``).

Precision: ``anywhere`` terms are phrases that only occur as restrictions on the text
itself (请勿外传, 内部资料注意保存); single words that also occur in articles about
secrecy (工作秘密, 内部) count only when they fill a line, the way a marking is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from secscan.detect.base import DetectorSpec, LexMatch, NormDocument, NormPart, Rule
from secscan.types import Category, Hit, PartKind, Severity

GB9704 = "GB/T 9704-2012"

RULES = (
    Rule(
        "marking.contains_secret", Category.CLASSIFICATION_MARKING, Severity.HIGH, "含国家秘密声明",
        "文中声明“{text}”,表明载体含国家秘密(保守国家秘密法),不得公开",
        "Anywhere: a statement that the carrier holds a state secret is never ordinary prose.",
    ),
    Rule(
        "marking.secret_carrier", Category.CLASSIFICATION_MARKING, Severity.HIGH, "涉密载体标识",
        "单独成行的“{text}”标明本件为涉密载体,不得公开",
        "Only when 涉密文件/涉密资料 fills its line (a cover or 发文稿纸 field); in a sentence it is a word.",
    ),
    Rule(
        "internal.work_secret", Category.INTERNAL_MARKING, Severity.HIGH, "工作秘密标识",
        "“{text}”作为标识单独成行,属工作秘密(保守国家秘密法第六十四条),未经审批不得公开",
        "Only when the term fills its line: the word in a sentence is not a marking.",
    ),
    Rule(
        "internal.internal_line", Category.INTERNAL_MARKING, Severity.HIGH, "内部标识",
        "“{text}”作为内部标识单独成行,表明文件限内部知悉,不得公开",
        "内部 alone counts only in the document head; 内部文件/内部事项 on a line of their own.",
    ),
    Rule(
        "internal.keep_internal", Category.INTERNAL_MARKING, Severity.HIGH, "内部资料标识",
        "“{text}”是内部资料的保管标识,不得公开",
        "The combined phrase only (内部资料 注意保存): 内部资料 alone is common in articles about secrecy work.",
    ),
    Rule(
        "internal.no_forward", Category.INTERNAL_MARKING, Severity.HIGH, "禁止外传",
        "“{text}”限制了知悉范围,带此要求的文稿不得公开",
        "Phrases that restrict the text itself (请勿外传, 不得外传, 暂不外传); 不宜公开/暂不公开 only on a line of their own.",
    ),
    Rule(
        "internal.reference_only", Category.INTERNAL_MARKING, Severity.HIGH, "仅供内部参考",
        "“{text}”表明材料仅限内部使用,不得公开",
        "仅供内部参考/使用 anywhere; 内部参阅 only on a line of its own.",
    ),
    Rule(
        "internal.telegram", Category.INTERNAL_MARKING, Severity.HIGH, "内部明电",
        "“{text}”是内部电报的标识,内部明电不得公开",
        "内部明电 anywhere: it names the telegram's own handling class.",
    ),
    Rule(
        "internal.not_public", Category.INTERNAL_MARKING, Severity.HIGH, "不予公开标识",
        "“{text}”作为标识单独成行,表明该件确定为不予公开",
        "Only on a line of its own: 年报 statistics tables have 不予公开 beside numbers.",
    ),
)

# Characters a marking line may carry beside its terms: punctuation, brackets, stars,
# and the fillers of 此件/本件/属/为.
_FILLER_RE = re.compile(r"[\s\W_★此本件属为系]+")
_HEAD_KINDS = frozenset({PartKind.HEADER, PartKind.FOOTER})
_BODY_KINDS = frozenset({PartKind.BODY, PartKind.TITLE, PartKind.SLIDE})


def in_head(doc: NormDocument, part: NormPart, pos: int, head_lines: int) -> bool:
    """The 版头: header/footer parts, and the first non-empty lines of a body part."""
    if part.part.kind in _HEAD_KINDS:
        return True
    if part.part.kind not in _BODY_KINDS:
        return False
    line = part.line_index(pos)
    if line >= head_lines * 3:
        return False
    starts = part.line_starts()
    nonempty = 0
    for i in range(line):
        end = starts[i + 1] - 1
        if part.text[starts[i]:end].strip():
            nonempty += 1
    return nonempty < head_lines


LINE_SCOPES = frozenset({"line", "head", "companion"})
FINDING_SCOPES = frozenset({"anywhere", "line", "head"})
_ANYWHERE = frozenset({"anywhere"})
# A marking line (密级, 份号, 紧急程度, 工作秘密 注意保管, brackets, spaces) is short: a longer
# line is running text, decided without looking at its matches.
MAX_MARKING_LINE = 48


def fills_line(part: NormPart, match: LexMatch) -> bool:
    """The line holds nothing but marking terms, companions and punctuation."""
    lo, hi = part.line_bounds(match.start)
    if hi - lo > MAX_MARKING_LINE:
        return False
    inside = [m for m in part.matches_within(lo, hi) if m.entry.scope in LINE_SCOPES]
    covered = sum(m.end - m.start for m in inside)
    if hi - lo > 4 * covered + 16:  # a sentence, not a marking line: decided without copying it
        return False
    line = list(part.text[lo:hi])
    for m in inside:
        line[m.start - lo:m.end - lo] = " " * (m.end - m.start)
    return not _FILLER_RE.sub("", "".join(line))


def finding_candidates(part: NormPart) -> tuple[LexMatch, ...]:
    """Matches that may be findings: ``anywhere`` terms, and line or head terms on a line
    short enough to be a marking line.  Decided on the match arrays, so a ``line`` word in
    running text (工作秘密 in an article) never becomes an object."""
    rows = part.rows("scope", FINDING_SCOPES)
    if len(rows) and part.lexicon is not None:
        found = part.found
        anywhere = part.lexicon.entry_mask("scope", _ANYWHERE)[found.ids[rows]]
        rows = rows[anywhere | (part.line_lengths(found.starts[rows]) <= MAX_MARKING_LINE)]
    return part.lex_matches(rows)


def build(config, lexicon):
    head_lines = config.head_lines

    def detect(doc: NormDocument) -> Iterator[Hit]:
        for part in doc.parts:
            for m in finding_candidates(part):
                scope = m.entry.scope
                if scope in ("line", "head") and not fills_line(part, m):
                    continue
                if scope == "head" and not in_head(doc, part, m.start, head_lines):
                    continue
                yield Hit(m.entry.rule, part.index, m.start, m.end, {"term": m.entry.term})

    return detect


SPEC = DetectorSpec("lexicon", RULES, build)

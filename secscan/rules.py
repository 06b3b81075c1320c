"""The rule table: rule id → category, severity, title and Chinese reason template.

Detector rules come from their :class:`DetectorSpec`; the pipeline's own rules (hidden
layers, unreadable input) are declared here.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from secscan.detect import DETECTORS
from secscan.detect.base import Rule
from secscan.types import Category, ErrorKind, PartKind, Severity

if TYPE_CHECKING:
    from secscan.pipeline import Scanner

# Hidden parts: the layer itself is a finding (review, as the SPEC says); its text is
# scanned by every detector too.  Data in page scripts is informational: every CMS page
# has some, and what matters in it is found by the other detectors.
_HIDDEN_SEVERITY = {
    PartKind.HTML_SCRIPT: Severity.LOW,
}
# An HTML comment with fewer Chinese characters than this is template scaffolding
# (<!-- header start -->, <!-- 头部 -->), not hidden prose: no layer finding of its own.
MIN_CJK_IN_HTML_COMMENT = 8
# Document properties that name a person or a unit (the SPEC's author, company, last
# modified by), as the extractors label them: these make the properties a layer finding.
METADATA_IDENTITY_FIELDS = frozenset({
    "author", "creator", "last_modified_by", "company", "manager", "comments",
    "作者", "单位", "创建者", "最后修改者", "xmp creator", "xmp author",
})

HIDDEN_RULES: dict[PartKind, Rule] = {
    kind: Rule(
        f"hidden.{kind.value}",
        Category.HIDDEN_CONTENT,
        _HIDDEN_SEVERITY.get(kind, Severity.MEDIUM),
        kind.zh,
        f"文件含{kind.zh},读者看不到但随文件一并发布,发布前须核对并清除",
    )
    for kind in PartKind
    if kind.hidden
}

_UNREADABLE_TITLES = {
    ErrorKind.ENCRYPTED: "文件已加密",
    ErrorKind.CORRUPT: "文件损坏或被截断",
    ErrorKind.UNSUPPORTED: "不支持的格式",
    ErrorKind.IMAGE_ONLY: "只有图像没有文字层",
    ErrorKind.TOO_LARGE: "超过大小上限",
    ErrorKind.TIMEOUT: "超过时间上限",
    ErrorKind.MISSING_TOOL: "缺少读取工具",
    ErrorKind.INTERNAL: "内部错误",
}

# Read errors are reported in a file's ``errors`` (SPEC), not as findings; these rows
# document their kinds in ``secscan rules`` and give SARIF its notification ids.
UNREADABLE_RULES: dict[ErrorKind, Rule] = {
    kind: Rule(
        f"unreadable.{kind.value}",
        Category.UNREADABLE,
        Severity.MEDIUM,
        _UNREADABLE_TITLES[kind],
        "{message};未能完整读取的文件不能判为可公开,须人工审查",
        "Forces at least review: secscan fails closed.",
    )
    for kind in ErrorKind
}


@functools.cache
def rule_table() -> dict[str, Rule]:
    table: dict[str, Rule] = {}
    for spec in DETECTORS:
        for rule in spec.rules:
            if rule.id in table:
                raise ValueError(f"rule id {rule.id} declared twice")
            table[rule.id] = rule
    for rule in [*HIDDEN_RULES.values(), *UNREADABLE_RULES.values()]:
        table[rule.id] = rule
    return table


def custom_rule(rule_id: str, category: Category, severity: Severity) -> Rule:
    """A rule for a user's own lexicon term whose rule id is not in the table."""
    return Rule(rule_id, category, severity, "自定义词表", "命中本单位自定义词表术语“{text}”({category_zh})")


def version_payload(scanner: Scanner) -> dict[str, str]:
    from secscan import __version__

    return {"secscan_version": __version__, "lexicon_version": scanner.lexicon_version,
            "model_version": scanner.model_version}


def rules_payload(scanner: Scanner) -> dict[str, Any]:
    """What ``secscan rules --format json`` and ``GET /v1/rules`` answer."""
    return {
        **version_payload(scanner),
        "rules": [
            {"id": r.id, "category": r.category.value, "severity": r.severity.value, "title": r.title,
             "description": r.description}
            for r in rule_table().values()
        ],
    }

"""Masking personal data and credentials in reports that are themselves shared."""

from __future__ import annotations

from secscan.types import Category, Finding

MASKED_CATEGORIES = frozenset({Category.PERSONAL_INFO, Category.CREDENTIAL})


def mask_value(text: str) -> str:
    """``110101199003071234`` → ``110101********1234``; short values keep less."""
    n = len(text)
    if n <= 4:
        return "*" * n
    keep_head = min(6, n // 3)
    keep_tail = min(4, n // 4)
    return text[:keep_head] + "*" * (n - keep_head - keep_tail) + text[n - keep_tail:]


def shown_text(finding: Finding, mask: bool) -> str:
    return mask_value(finding.text) if mask and finding.category in MASKED_CATEGORIES else finding.text


def shown_context(finding: Finding, mask: bool) -> str:
    if mask and finding.category in MASKED_CATEGORIES and finding.text:
        return finding.context.replace(finding.text, mask_value(finding.text))
    return finding.context

"""Masking personal data and credentials in reports that are themselves shared."""

from __future__ import annotations

import re

from secscan.lazy import lazy_regex
from secscan.types import Category, Finding

MASKED_CATEGORIES = frozenset({Category.PERSONAL_INFO, Category.CREDENTIAL})


_NUMBER_LIKE_RE = lazy_regex(r"\+?[0-9Xx][0-9Xx \-]*")
_LABELLED_RE = lazy_regex(r"(.*?[::=]\s*)(\S.*)", re.S)


def mask_value(text: str) -> str:
    """``110101199003071234`` → ``110101********1234``; short values keep less.

    Numbers keep their first 6 (ID, card) or 3 (mobile) and last 4 digits, with their
    spaces and dashes; e-mail keeps the first letter and the domain; a labelled secret
    (``密码:…``, ``password=…``) keeps only its label.
    """
    n = len(text)
    if _NUMBER_LIKE_RE.fullmatch(text):
        digits = sum(c.isalnum() for c in text)
        head, tail = (6, 4) if digits >= 15 else (3, 4) if digits >= 11 else (0, min(2, digits // 4))
        out, seen = [], 0
        for c in text:
            if c.isalnum():
                seen += 1
                out.append(c if seen <= head or seen > digits - tail else "*")
            else:
                out.append(c)
        return "".join(out)
    labelled = _LABELLED_RE.fullmatch(text)
    if labelled and len(labelled.group(2)) >= 4:
        return labelled.group(1) + "*" * 8
    if "@" in text and "://" not in text and text.count("@") == 1:
        local, domain = text.split("@")
        return local[:1] + "*" * max(3, len(local) - 1) + "@" + domain
    if n <= 4:
        return "*" * n
    keep_head = min(6, n // 3)
    keep_tail = min(4, n // 4)
    return text[:keep_head] + "*" * (n - keep_head - keep_tail) + text[n - keep_tail:]


def shown_text(finding: Finding, mask: bool) -> str:
    return mask_value(finding.text) if mask and finding.category in MASKED_CATEGORIES else finding.text


def shown_context(finding: Finding, mask: bool) -> str:
    if not mask:
        return finding.context
    context = finding.context
    if finding.category in MASKED_CATEGORIES and finding.text:
        context = context.replace(finding.text, mask_value(finding.text))
    return mask_text(context)


# What else a context window may show: a neighbouring finding's number, e-mail or secret.
# Compiled when a report is first masked: most reports are not.
_SCRUB_RE = lazy_regex(
    r"(?<![0-9A-Za-z])\+?[0-9](?:[0-9 \-]*[0-9])?[Xx]?(?![0-9A-Za-z])"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
    r"|(?:密码|口令|password|passwd|pwd)\s*[::=]\s*[!-~]+",
    re.I,
)


def mask_text(text: str) -> str:
    """Mask every long number (7+ digits), e-mail address and labelled secret in ``text``."""

    def repl(m: re.Match[str]) -> str:
        value = m.group(0)
        if value[0] in "+0123456789" and sum(c.isdigit() for c in value) < 7:
            return value
        return mask_value(value)

    return _SCRUB_RE.sub(repl, text)

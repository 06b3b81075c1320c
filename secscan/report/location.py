"""Where a finding is, in the words a reviewer uses (正文 第3段 第3行, 页眉, 批注 …)."""

from __future__ import annotations

from secscan.types import Finding


def where_zh(f: Finding) -> str:
    loc = f.location
    bits = [loc.part.zh]
    if loc.label:
        bits.append(loc.label)
    if loc.page is not None:
        bits.append(f"第{loc.page}页")
    if loc.paragraph is not None:
        bits.append(f"第{loc.paragraph}段")
    if loc.line is not None and loc.line != loc.paragraph:
        bits.append(f"第{loc.line}行")
    return " ".join(bits)

"""Where normalization deleted spaces: token boundaries the normalized text no longer shows.

Normalization removes spaces and tabs between digits and CJK characters, so
``1101 0119 9003 0712 34`` arrives as one run of digits (good: a grouped number) but so
do ``13812345678 110101199003071234`` and two table cells ``13812345678⇥110101…`` (bad:
two numbers).  These helpers read the original text back through the offset map so the
number and credential detectors can tell a grouping space from a separator.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from enum import IntEnum

from secscan.detect.base import NormPart


class Gap(IntEnum):
    NONE = 0  # nothing, or only zero-width characters: the text was joined on purpose
    SOFT = 1  # one space: may group the digits of one number
    HARD = 2  # a tab (table cell) or several spaces (aligned columns): two tokens


def deleted_before(part: NormPart, pos: int) -> str:
    """Original characters deleted just before normalized position ``pos``."""
    offsets = part.offsets
    if offsets.identity:
        return ""
    lo = offsets.to_original(pos - 1) + 1 if pos > 0 else 0
    hi = offsets.to_original(pos) if pos < len(part.text) else len(part.part.text)
    return part.part.text[lo:hi]


def gap_kind(deleted: str) -> Gap:
    visible = [c for c in deleted if c.isspace()]  # zero-width characters are not spaces
    if not visible:
        return Gap.NONE
    if "\t" in visible or len(visible) > 1:
        return Gap.HARD
    return Gap.SOFT


def gaps_inside(part: NormPart, start: int, end: int) -> list[tuple[int, Gap]]:
    """``(position, kind)`` of every deletion strictly inside ``[start, end)``."""
    positions = part.offsets.norm_positions
    if part.offsets.identity or not positions:
        return []
    out = []
    i = bisect.bisect_right(positions, start)
    while i < len(positions) and positions[i] < end:
        kind = gap_kind(deleted_before(part, positions[i]))
        if kind is not Gap.NONE:
            out.append((positions[i], kind))
        i += 1
    return out


def split_at_gaps(part: NormPart, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Sub-spans of ``[start, end)`` separated wherever a space or tab was deleted."""
    prev = start
    for pos, _kind in gaps_inside(part, start, end):
        yield prev, pos
        prev = pos
    yield prev, end


def glued_before(part: NormPart, pos: int, chars: str) -> bool:
    """True when a character of ``chars`` touches ``pos`` from the left with nothing deleted between."""
    return pos > 0 and part.text[pos - 1] in chars and gap_kind(deleted_before(part, pos)) is Gap.NONE


def glued_after(part: NormPart, pos: int, chars: str) -> bool:
    """True when a character of ``chars`` stands at ``pos`` with nothing deleted before it."""
    return pos < len(part.text) and part.text[pos] in chars and gap_kind(deleted_before(part, pos)) is Gap.NONE


def bounded(part: NormPart, start: int, end: int, glued: str) -> bool:
    """True unless a character of ``glued`` touches the span with nothing deleted between.

    ``glued`` lists characters that would make the span part of a longer token (letters
    and digits for a passport number, digits and dots for an IP address).
    """
    return not glued_before(part, start, glued) and not glued_after(part, end, glued)

"""Where normalization deleted spaces: token boundaries the normalized text no longer shows.

Normalization removes spaces and tabs between digits and CJK characters, so
``1101 0119 9003 0712 34`` arrives as one run of digits (good: a grouped number) but so
do ``13812345678 110101199003071234`` and two table cells ``13812345678⇥110101…`` (bad:
two numbers).  These helpers read the original text back through the offset map so the
number and credential detectors can tell a grouping space from a separator.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Iterator
from enum import IntEnum

import numpy as np
from msgspec import Struct

from secscan.arrays import ascii_characters
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


# -- the ASCII characters of a part ------------------------------------------------------
class _Projection(Struct, frozen=True, eq=False):  # an array inside: identity, not value, equality
    """A part's ASCII characters pulled out of its text, with where each came from."""

    chars: str  # the ASCII characters, NUL between characters not adjacent in the text
    lower: str  # ``chars`` with ASCII letters lower-cased
    where: np.ndarray  # text offset of each character of ``chars`` (-1: a separator)


# Below this length a character-class regex over the text beats numpy's fixed costs
# (a 2 KB web page part: ~3 µs against ~40 µs).
SMALL_TEXT = 2048


class AsciiView(Struct, frozen=True, eq=False, dict=True):
    """Where a text's ASCII characters are, and which they are.

    Numbers, addresses, keys and e-mail addresses are ASCII; in Chinese prose they are a
    few percent of the characters.  Selecting them with numpy finds the places worth a
    full check without a regex stepping through every CJK character; in a short text a
    character-class regex over the text finds the same, sooner.
    """

    text: str

    @property
    def where(self) -> np.ndarray:
        """Offsets of the ASCII characters, ascending."""
        return self._ascii[0]

    @property
    def codes(self) -> np.ndarray:
        """Their code points, uint8."""
        return self._ascii[1]

    @property
    def _ascii(self) -> tuple[np.ndarray, np.ndarray]:
        return ascii_characters(self.text)

    def positions(self, chars: str) -> list[int]:
        """Text offsets of every character of ``chars`` (ASCII), in order."""
        if len(self.text) < SMALL_TEXT:
            return [m.start() for m in _char_class(chars, None).finditer(self.text)]
        return self.where[_table(chars)[self.codes]].tolist()

    def stretches(self, chars: str, min_len: int) -> list[tuple[int, int]]:
        """Maximal ``[start, end)`` of the text made only of ``chars`` (ASCII), ``min_len`` or longer."""
        if len(self.text) < SMALL_TEXT:
            return [m.span() for m in _char_class(chars, min_len).finditer(self.text)]
        at = self.where[_table(chars)[self.codes]]
        if not at.size:
            return []
        breaks = np.flatnonzero(np.diff(at) != 1) + 1
        starts = at[np.concatenate(([0], breaks))]
        ends = at[np.concatenate((breaks - 1, [at.size - 1]))] + 1
        keep = ends - starts >= min_len
        return list(zip(starts[keep].tolist(), ends[keep].tolist(), strict=True))

    @functools.cached_property
    def _projection(self) -> _Projection:
        # the i-th ASCII character moves right by one NUL per stretch started before or at it
        breaks = np.diff(self.where, prepend=self.where[:1] - 1) != 1
        index = np.arange(self.where.size) + np.cumsum(breaks)
        size = int(index[-1]) + 1 if index.size else 0
        codes = np.zeros(size, dtype=np.uint8)
        codes[index] = self.codes
        where = np.full(size, -1, dtype=np.int64)
        where[index] = self.where
        chars = codes.tobytes().decode("ascii")
        return _Projection(chars, chars.lower(), where)

    def find_all(self, needle: str) -> list[int]:
        """Text offsets of ``needle`` (ASCII, lower case) matched case-insensitively on ASCII letters."""
        if len(self.text) < SMALL_TEXT:
            first = needle[:1]
            if first and first not in self.text and first.upper() not in self.text:  # the usual case: C, no regex
                return []
            return [m.start() for m in _overlapping(needle).finditer(self.text)]
        proj = self._projection
        out, find = [], proj.lower.find
        pos = find(needle)
        while pos != -1:
            out.append(int(proj.where[pos]))
            pos = find(needle, pos + 1)
        return out

    def spans(self, rx: re.Pattern[str]) -> Iterator[tuple[int, int]]:
        """``rx.finditer(text)`` spans, for a pattern whose matches can only be ASCII other than NUL.

        Such a match lies inside one ASCII stretch, identical here and in the text, so the
        matches are the same provided ``rx`` has no lookaround (it would see a NUL here).
        """
        if len(self.text) < SMALL_TEXT:
            yield from (m.span() for m in rx.finditer(self.text))
            return
        proj = self._projection
        for m in rx.finditer(proj.chars):
            first = int(proj.where[m.start()])
            yield first, first + m.end() - m.start()


def _check_ascii(chars: str) -> None:
    if not chars.isascii() or "\x00" in chars:
        raise ValueError("ASCII characters other than NUL only")


@functools.cache
def _table(chars: str) -> np.ndarray:
    _check_ascii(chars)
    table = np.zeros(128, dtype=bool)
    table[[ord(c) for c in chars]] = True
    return table


@functools.cache
def _overlapping(needle: str) -> re.Pattern[str]:
    """Every start of ``needle``, overlapping ones too; ASCII letters in either case only."""
    _check_ascii(needle)
    return re.compile(f"(?={re.escape(needle)})", re.IGNORECASE | re.ASCII)


@functools.cache
def _char_class(chars: str, min_len: int | None) -> re.Pattern[str]:
    """``[chars]{min_len,}``: its matches are the maximal runs of ``chars`` that long;
    ``[chars]`` (each character on its own) when ``min_len`` is None."""
    _check_ascii(chars)
    return re.compile(f"[{re.escape(chars)}]" + ("" if min_len is None else f"{{{min_len},}}"))


@functools.lru_cache(maxsize=4)  # the part the detectors are looking at, shared between them
def ascii_view(text: str) -> AsciiView:
    return AsciiView(text)


def finditer_at(rx: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """``rx.finditer(text)`` when every match must start at one of ``starts`` (sorted).

    finditer tries each position from the end of its last match on; positions that cannot
    start a match are skipped here without trying them.  ``rx`` must not match "".
    """
    end = 0
    for pos in starts:
        if pos >= end and (m := rx.match(text, pos)) is not None:
            end = m.end()
            yield m

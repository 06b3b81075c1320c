"""The contract every detector keeps.

A detector is declared once (a :class:`DetectorSpec` in ``secscan.detect.DETECTORS``)
with the rules it can fire.  ``build(config, lexicon)`` loads its data once and returns
a pure function from a :class:`NormDocument` to hits in *normalized* offsets; the
pipeline alone maps hits back to original text.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from secscan.types import Category, Document, Hit, Part, Severity

if TYPE_CHECKING:
    from secscan.config import Config
    from secscan.lexicon import LexEntry, Lexicon
    from secscan.normalize import OffsetMap


@dataclass(frozen=True)
class Rule:
    """One row of the rule table: ``secscan rules`` prints these.

    ``reason`` is a ``str.format`` template over the hit's facts; it must read as one
    Chinese sentence a reviewer understands and name its basis where there is one.
    """

    id: str
    category: Category
    severity: Severity
    title: str
    reason: str
    description: str = ""


@dataclass(frozen=True)
class LexMatch:
    start: int
    end: int
    entry: LexEntry


@dataclass(frozen=True)
class NormPart:
    """One part of a document, normalized for matching, with the lexicon's matches."""

    index: int
    part: Part
    text: str
    offsets: OffsetMap
    matches: tuple[LexMatch, ...] = ()
    _line_starts: list[int] = field(default_factory=list, repr=False, compare=False)
    _match_starts: list[int] = field(default_factory=list, repr=False, compare=False)

    def line_starts(self) -> list[int]:
        if not self._line_starts:
            starts = [0]
            find = self.text.find
            pos = find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
            self._line_starts.extend(starts)
        return self._line_starts

    def line_index(self, pos: int) -> int:
        """0-based line number of normalized offset ``pos``."""
        return bisect.bisect_right(self.line_starts(), pos) - 1

    def line_bounds(self, pos: int) -> tuple[int, int]:
        """Normalized ``[start, end)`` of the line holding ``pos`` (without the newline)."""
        starts = self.line_starts()
        i = bisect.bisect_right(starts, pos) - 1
        start = starts[i]
        end = starts[i + 1] - 1 if i + 1 < len(starts) else len(self.text)
        return start, end

    def matches_for(self, prefix: str) -> Iterable[LexMatch]:
        return (m for m in self.matches if m.entry.rule.startswith(prefix))

    def matches_within(self, lo: int, hi: int) -> tuple[LexMatch, ...]:
        """Matches inside normalized ``[lo, hi)`` (e.g. a line), found by bisection.

        ``matches`` is sorted by start; scanning all of them per line is quadratic on a
        long part with many matches.  The starts are kept as plain ints so that the
        bisection runs in C, without a key function called per step.
        """
        starts = self._match_starts
        if len(starts) != len(self.matches):
            starts[:] = [m.start for m in self.matches]
        first = bisect.bisect_left(starts, lo)
        last = bisect.bisect_left(starts, hi, first)
        return tuple(m for m in self.matches[first:last] if m.end <= hi)


_LONG_TEXT = 1 << 16


def newlines_before(text: str, pos: int) -> int:
    """``text.count("\\n", 0, pos)``; in a long text by bisection in its newline offsets.

    A long part with a thousand findings would otherwise be counted over a thousand times.
    """
    if pos < _LONG_TEXT:
        return text.count("\n", 0, pos)
    return bisect.bisect_left(_newline_offsets(text), pos)


@functools.lru_cache(maxsize=2)  # the part whose findings are being placed, and one more
def _newline_offsets(text: str) -> list[int]:
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return np.flatnonzero(codes == 10).tolist()


@dataclass(frozen=True)
class NormDocument:
    document: Document
    parts: tuple[NormPart, ...]

    def text_of(self, kinds: Sequence[str] | None = None) -> str:
        return "\n".join(p.text for p in self.parts if kinds is None or p.part.kind in kinds)


DetectFn = Callable[[NormDocument], Iterable[Hit]]


@dataclass(frozen=True)
class DetectorSpec:
    """A detector as declared: its name (the rule-id prefix), its rules, its builder."""

    name: str
    rules: tuple[Rule, ...]
    build: Callable[[Config, Lexicon], DetectFn]

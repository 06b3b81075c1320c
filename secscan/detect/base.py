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
from typing import TYPE_CHECKING

import numpy as np
from msgspec import Struct, field

from secscan.arrays import ascii_characters, find_code_points
from secscan.matcher import NO_MATCHES, MatchArrays
from secscan.types import Category, Document, Hit, Part, Severity

if TYPE_CHECKING:
    from secscan.config import Config
    from secscan.lexicon import LexEntry, Lexicon
    from secscan.normalize import OffsetMap


class Rule(Struct, frozen=True):
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


class LexMatch(Struct, frozen=True):
    """One lexicon match in a normalized part: its span and the entry it matched."""

    start: int
    end: int
    entry: LexEntry


class NormPart(Struct, frozen=True, eq=False, dict=True):  # arrays inside: identity, not value, equality
    """One part of a document, normalized for matching, with the lexicon's matches.

    The matches are found on first use (a side detector in a second process never asks)
    and kept as the matcher's arrays; :class:`LexMatch` objects are built only for the
    matches a detector asks for (by scope, by rule prefix, within a line), so the many
    trigger matches nobody reads as objects cost no Python object each.
    """

    index: int
    part: Part
    text: str
    offsets: OffsetMap
    lexicon: Lexicon | None = None
    _selected: dict[object, tuple[LexMatch, ...]] = field(default_factory=dict)

    @functools.cached_property
    def found(self) -> MatchArrays:
        """The lexicon's matches in :attr:`text`."""
        return NO_MATCHES if self.lexicon is None else self.lexicon.matcher.find_arrays(self.text)

    def newlines(self) -> np.ndarray:
        """Offsets of the ``\\n`` characters of the normalized text."""
        return self._newlines

    @functools.cached_property
    def _newlines(self) -> np.ndarray:
        # from the text's ASCII characters, which the detectors' ASCII view reads too: one pass for both
        where, codes = ascii_characters(self.text)
        return where[codes == 10]

    def line_starts(self) -> list[int]:
        return self._line_starts

    @functools.cached_property
    def _line_starts(self) -> list[int]:
        return [0, *(self.newlines() + 1).tolist()]

    @functools.cached_property
    def _lists(self) -> tuple[list[int], list[int], list[int]]:
        """The match arrays as lists, for bisection in C."""
        return self.found.starts.tolist(), self.found.ends.tolist(), self.found.ids.tolist()

    def line_lengths(self, positions: np.ndarray) -> np.ndarray:
        """Length of the line holding each offset: :meth:`line_bounds`, vectorized."""
        return self._lengths_of_lines.take(np.searchsorted(self.newlines(), positions, side="left"))

    @functools.cached_property
    def _lengths_of_lines(self) -> np.ndarray:
        # between consecutive newlines, with one before the text and one after it
        bounds = np.concatenate(([-1], self.newlines(), [len(self.text)]))
        return bounds[1:] - bounds[:-1] - 1

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

    def term_starts(self, terms: frozenset[str]) -> list[int]:
        """Sorted starts of every occurrence of the (folded) ``terms`` in :attr:`text`.

        In a long text, taken from the lexicon's matches when it holds every one of them
        (the cue words of ``lexicons/cues.tsv``): the automaton's one pass found them
        already, where a search costs a few milliseconds per word.  Otherwise searched
        (in a short text, faster than selecting them from the matches).
        """
        if not terms:
            return []
        if len(self.text) >= _LONG_TEXT and self.lexicon is not None and terms <= self.lexicon.folded_terms:
            found = self.found
            return sorted(set(found.starts[self.lexicon.entry_mask("term", terms)[found.ids]].tolist()))
        starts: set[int] = set()
        for term in terms:
            pos = self.text.find(term)
            while pos != -1:
                starts.add(pos)
                pos = self.text.find(term, pos + 1)
        return sorted(starts)

    def rows(self, kind: str, value: frozenset[str] | str) -> np.ndarray:
        """Indexes into :attr:`found` of the matches whose entry is selected by
        :meth:`Lexicon.entry_mask` (``scope`` in a set, ``rule_prefix`` or ``rule``)."""
        if self.lexicon is None or not len(self.found):
            return _NO_ROWS
        return np.flatnonzero(self.lexicon.entry_mask(kind, value)[self.found.ids])

    def lex_matches(self, rows: np.ndarray | slice) -> tuple[LexMatch, ...]:
        """The matches at ``rows`` as objects."""
        if self.lexicon is None:
            return ()
        found, entries = self.found, self.lexicon.entries
        return tuple(
            LexMatch(s, e, entries[i])
            for s, e, i in zip(found.starts[rows].tolist(), found.ends[rows].tolist(), found.ids[rows].tolist(), strict=True)
        )

    def _cached(self, key: object, make: Callable[[], tuple[LexMatch, ...]]) -> tuple[LexMatch, ...]:
        chosen = self._selected.get(key)
        if chosen is None:
            chosen = self._selected[key] = make()
        return chosen

    @property
    def matches(self) -> tuple[LexMatch, ...]:
        """Every match, as objects (for explanations and tests; detectors select)."""
        return self._cached("all", lambda: self.lex_matches(slice(None)))

    def matches_in_scopes(self, scopes: frozenset[str]) -> tuple[LexMatch, ...]:
        return self._cached(scopes, lambda: self.lex_matches(self.rows("scope", scopes)))

    def matches_for(self, prefix: str) -> tuple[LexMatch, ...]:
        """Matches of the entries whose rule id starts with ``prefix``."""
        return self._cached(prefix, lambda: self.lex_matches(self.rows("rule_prefix", prefix)))

    def matches_within(self, lo: int, hi: int) -> tuple[LexMatch, ...]:
        """Matches inside normalized ``[lo, hi)`` (e.g. a line), found by bisection.

        Called once per candidate line: plain lists and C bisection beat a handful of
        numpy calls on a few elements.
        """
        if self.lexicon is None or not len(self.found):
            return ()
        starts, ends, ids = self._lists
        first = bisect.bisect_left(starts, lo)
        last = bisect.bisect_left(starts, hi, first)
        entries = self.lexicon.entries
        return tuple(LexMatch(starts[r], ends[r], entries[ids[r]]) for r in range(first, last) if ends[r] <= hi)


_LONG_TEXT = 1 << 16
_NO_ROWS = np.zeros(0, dtype=np.intp)


def newlines_before(text: str, pos: int) -> int:
    """``text.count("\\n", 0, pos)``; in a long text by bisection in its newline offsets.

    A long part with a thousand findings would otherwise be counted over a thousand times.
    """
    if pos < _LONG_TEXT:
        return text.count("\n", 0, pos)
    return bisect.bisect_left(_newline_list(text), pos)  # C bisection on a list: no numpy call per finding


@functools.lru_cache(maxsize=2)  # the parts being placed
def _newline_list(text: str) -> list[int]:
    return find_code_points(text, np.equal, 10)[0].tolist()


class NormDocument(Struct, frozen=True, eq=False, weakref=True):  # arrays inside: identity equality; weakref: the classifier keeps its last score by one
    """A document with each of its parts normalized: what every detector reads."""

    document: Document
    parts: tuple[NormPart, ...]

    def text_of(self, kinds: Sequence[str] | None = None) -> str:
        return "\n".join(p.text for p in self.parts if kinds is None or p.part.kind in kinds)


DetectFn = Callable[[NormDocument], Iterable[Hit]]


class DetectorSpec(Struct, frozen=True):
    """A detector as declared: its name (the rule-id prefix), its rules, its builder.

    ``side`` detectors read the normalized text only, never the lexicon's matches: on a
    long document they run in a second process while the others run in this one (see
    :mod:`secscan.detect.runner`).
    """

    name: str
    rules: tuple[Rule, ...]
    build: Callable[[Config, Lexicon], DetectFn]
    side: bool = False

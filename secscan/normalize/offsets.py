"""Offsets from normalized text back to the original.

Normalization only ever *deletes* characters or replaces one character by one other
(see :mod:`secscan.normalize.fold`), so the map is a sorted list of deletion runs: for
each run, the normalized position where it sits and the total number of original
characters deleted up to and including it.  Nothing is stored when nothing was deleted.
"""

from __future__ import annotations

import bisect

import numpy as np
from msgspec import Struct


class OffsetMap(Struct, frozen=True):
    """Maps offsets in a normalized text back to the original, from the runs normalization deleted."""

    norm_positions: tuple[int, ...] = ()
    deleted_before: tuple[int, ...] = ()
    _identity: bool = True

    @classmethod
    def from_deletions(cls, runs: list[tuple[int, int]]) -> OffsetMap:
        """Build from deletion runs ``[(orig_start, orig_end), ...]`` in order."""
        if not runs:
            return cls()
        positions: list[int] = []
        cumulative: list[int] = []
        total = 0
        last_end = -1
        for start, end in runs:
            total += end - start
            if start == last_end:  # adjacent runs are one deletion: one canonical map
                cumulative[-1] = total
            else:
                positions.append(start - total + end - start)
                cumulative.append(total)
            last_end = end
        return cls(tuple(positions), tuple(cumulative), False)

    @classmethod
    def from_arrays(cls, starts: np.ndarray, ends: np.ndarray) -> OffsetMap:
        """:meth:`from_deletions` for runs given as two numpy arrays (a long text's)."""
        if not len(starts):
            return cls()
        total = np.cumsum(ends - starts)
        return cls(tuple((starts - total + (ends - starts)).tolist()), tuple(total.tolist()), False)

    @property
    def identity(self) -> bool:
        return self._identity

    def to_original(self, pos: int) -> int:
        """Original index of the character at normalized index ``pos``."""
        if self._identity:
            return pos
        i = bisect.bisect_right(self.norm_positions, pos)
        return pos + (self.deleted_before[i - 1] if i else 0)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` of the normalized span ``[start, end)``.

        Noise inside the span is included; noise before or after it is not.
        """
        if self._identity:
            return start, end
        if end <= start:
            o = self.to_original(start)
            return o, o
        return self.to_original(start), self.to_original(end - 1) + 1

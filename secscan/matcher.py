"""The multi-pattern matcher behind a small interface.

``build_matcher(terms)`` gives an object whose ``find(text)`` returns every occurrence
(overlapping ones included) as ``(start, end, term_index)`` in ``text``'s offsets.
pyahocorasick is the portable engine; faster engines plug in here without touching the
detectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Matcher(Protocol):
    engine: str

    def find(self, text: str) -> list[tuple[int, int, int]]: ...


class PyAhoMatcher:
    """pyahocorasick (unicode build) over ``str``."""

    engine = "pyahocorasick"

    def __init__(self, terms: Sequence[str]) -> None:
        import ahocorasick

        self._automaton = ahocorasick.Automaton()
        index: dict[str, list[int]] = {}
        for i, term in enumerate(terms):
            if term:
                index.setdefault(term, []).append(i)
        for term, ids in index.items():
            self._automaton.add_word(term, (len(term), tuple(ids)))
        self._empty = not index
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[tuple[int, int, int]]:
        if self._empty:
            return []
        out: list[tuple[int, int, int]] = []
        for last, (length, ids) in self._automaton.iter(text):
            start = last + 1 - length
            for i in ids:
                out.append((start, last + 1, i))
        out.sort()
        return out


def build_matcher(terms: Sequence[str]) -> Matcher:
    return PyAhoMatcher(terms)

"""The multi-pattern matcher behind a small interface.

``build_matcher(terms)`` gives an object whose ``find(text)`` returns every occurrence
(overlapping ones included) as ``(start, end, term_index)`` in ``text``'s offsets, sorted.
Every engine returns exactly the same list; only the speed differs.  The engine is chosen
once, when the automaton is built:

* ``hyperscan`` (x86-64 with SSSE3; ``pip install hyperscan``) — fastest;
* ``ahocorasick_rs`` (``pip install ahocorasick-rs``, wheels for most platforms);
* ``pyahocorasick`` — the portable engine, a required dependency that builds everywhere
  (ARM, LoongArch); several times slower on a large CJK lexicon, whose thousands of
  distinct first characters it searches one by one.

``SECSCAN_MATCHER=<engine>`` forces one (tests compare them; operators can pin one).

The fast engines scan the text as UTF-32-LE bytes: one code point is four bytes, so a
byte offset divided by four is a ``str`` offset, with no decoding to map offsets back.
A match that does not start on a four-byte boundary straddles two code points and is
dropped.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

ENGINES = ("hyperscan", "ahocorasick_rs", "pyahocorasick")
ENV_ENGINE = "SECSCAN_MATCHER"
_SENTINEL = "\x00"  # pyahocorasick 2.x can drop a match ending at the very end (issue #133)


class Matcher(Protocol):
    engine: str

    def find(self, text: str) -> list[tuple[int, int, int]]: ...


class _Terms:
    """Distinct non-empty terms, each with the indexes of the entries that share it."""

    def __init__(self, terms: Sequence[str]) -> None:
        index: dict[str, list[int]] = {}
        for i, term in enumerate(terms):
            if term:
                index.setdefault(term, []).append(i)
        self.words = list(index)
        self.ids = [tuple(ids) for ids in index.values()]
        self.lengths = [len(w) for w in self.words]

    def expand(self, found: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
        """``(start, distinct_term)`` pairs → sorted ``(start, end, entry_index)``."""
        lengths, ids = self.lengths, self.ids
        out = [(s, s + lengths[k], i) for s, k in found for i in ids[k]]
        out.sort()
        return out


class PyAhoMatcher:
    """pyahocorasick (unicode build) over ``str``: the portable engine."""

    engine = "pyahocorasick"

    def __init__(self, terms: Sequence[str]) -> None:
        import ahocorasick

        self._terms = _Terms(terms)
        self._automaton = ahocorasick.Automaton()
        for k, word in enumerate(self._terms.words):
            self._automaton.add_word(word, k)
        self._empty = not self._terms.words
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[tuple[int, int, int]]:
        if self._empty or not text:
            return []
        lengths = self._terms.lengths
        found = [(last + 1 - lengths[k], k) for last, k in self._automaton.iter(text + _SENTINEL)]
        return self._terms.expand(found)


class AhoRsMatcher:
    """ahocorasick_rs (Rust) over the UTF-32-LE bytes of the text."""

    engine = "ahocorasick_rs"

    def __init__(self, terms: Sequence[str]) -> None:
        import ahocorasick_rs

        self._terms = _Terms(terms)
        self._empty = not self._terms.words
        if not self._empty:
            patterns = [w.encode("utf-32-le", "surrogatepass") for w in self._terms.words]
            self._automaton = ahocorasick_rs.BytesAhoCorasick(patterns)

    def find(self, text: str) -> list[tuple[int, int, int]]:
        if self._empty or not text:
            return []
        data = text.encode("utf-32-le", "surrogatepass")
        raw = self._automaton.find_matches_as_indexes(data, overlapping=True)
        return self._terms.expand([(s >> 2, k) for k, s, _e in raw if not s & 3])


class HyperscanMatcher:
    """Hyperscan (Intel, SIMD) over the UTF-32-LE bytes of the text.

    The Python binding passes patterns as C strings, and UTF-32 is full of NUL bytes, so
    each literal is written as ``\\xHH`` escapes.  A scratch space is per thread: the
    HTTP hook scans from several threads with one database.
    """

    engine = "hyperscan"

    def __init__(self, terms: Sequence[str]) -> None:
        import hyperscan

        self._terms = _Terms(terms)
        self._empty = not self._terms.words
        self._local = threading.local()
        if self._empty:
            return
        self._hs = hyperscan
        self._byte_lengths = [4 * n for n in self._terms.lengths]
        expressions = [
            "".join(f"\\x{b:02x}" for b in w.encode("utf-32-le", "surrogatepass")).encode("ascii")
            for w in self._terms.words
        ]
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(expressions=expressions, ids=list(range(len(expressions))), flags=0)

    def _scratch(self) -> object:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        return scratch

    def find(self, text: str) -> list[tuple[int, int, int]]:
        if self._empty or not text:
            return []
        found: list[tuple[int, int]] = []
        append = found.append
        byte_lengths = self._byte_lengths

        def on_match(k: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            start = to - byte_lengths[k]
            if not start & 3:
                append((start >> 2, k))

        self._db.scan(text.encode("utf-32-le", "surrogatepass"), match_event_handler=on_match, scratch=self._scratch())
        return self._terms.expand(found)


_BUILDERS: dict[str, Callable[[Sequence[str]], Matcher]] = {
    "hyperscan": HyperscanMatcher,
    "ahocorasick_rs": AhoRsMatcher,
    "pyahocorasick": PyAhoMatcher,
}


def available_engines() -> list[str]:
    """Engines that import and build on this machine, fastest first."""
    out = []
    for name in ENGINES:
        try:
            _BUILDERS[name](["测试"]).find("测试")
        except Exception:  # ImportError, or hyperscan on a CPU without SSSE3
            continue
        out.append(name)
    return out


def build_matcher(terms: Sequence[str], engine: str | None = None) -> Matcher:
    """The fastest engine that builds here (or ``engine``/``$SECSCAN_MATCHER`` if given)."""
    wanted = engine or os.environ.get(ENV_ENGINE) or ""
    if wanted:
        if wanted not in _BUILDERS:
            raise ValueError(f"unknown matcher engine {wanted!r}; one of {', '.join(ENGINES)}")
        return _BUILDERS[wanted](terms)
    for name in ENGINES[:-1]:
        try:
            return _BUILDERS[name](terms)
        except Exception:  # not installed, or not supported by this CPU
            continue
    return PyAhoMatcher(terms)

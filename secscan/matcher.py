"""The multi-pattern matcher behind a small interface.

``build_matcher(terms)`` gives an object whose ``find_arrays(text)`` returns every
occurrence (overlapping ones included) as three numpy arrays — start, end (``text``'s
``str`` offsets) and the index of the term's entry — sorted by start, end and index;
``find(text)`` gives the same as a list of ``(start, end, index)`` tuples.  Every engine
returns exactly the same matches; only the speed differs.  The engine is chosen once,
when the automaton is built:

* ``hyperscan`` (x86-64 with SSSE3; ``pip install hyperscan``) — fastest;
* ``ahocorasick_rs`` (``pip install ahocorasick-rs``, wheels for most platforms);
* ``pyahocorasick`` — the portable engine, a required dependency that builds everywhere
  (ARM, LoongArch); several times slower on a large CJK lexicon, whose thousands of
  distinct first characters it searches one by one.

``SECSCAN_MATCHER=<engine>`` forces one (tests compare them; operators can pin one).

The fast engines scan the text as UTF-16-LE bytes.  A Chinese character is two bytes
there (three in UTF-8, four in UTF-32, whose zero bytes also defeat the engines' literal
prefilters), and a byte offset divided by two is a ``str`` offset as long as the text
has no character beyond the BMP; when it has, offsets are corrected by the count of such
characters before them.  A match that starts on an odd byte straddles two code units and
is dropped.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from msgspec import Struct

from secscan.arrays import find_code_points, in_sorted

ENGINES = ("hyperscan", "ahocorasick_rs", "pyahocorasick")
ENV_ENGINE = "SECSCAN_MATCHER"
_SENTINEL = "\x00"  # pyahocorasick 2.x can drop a match ending at the very end (issue #133)
_EMPTY = np.zeros(0, dtype=np.int64)


class MatchArrays(Struct, frozen=True, eq=False):  # arrays inside: identity, not value, equality
    """Matches as parallel arrays, sorted by (start, end, index): no object per match."""

    starts: np.ndarray
    ends: np.ndarray
    ids: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    def tuples(self) -> list[tuple[int, int, int]]:
        return list(zip(self.starts.tolist(), self.ends.tolist(), self.ids.tolist(), strict=True))


NO_MATCHES = MatchArrays(_EMPTY, _EMPTY, _EMPTY)


class Matcher(Protocol):
    engine: str

    def find_arrays(self, text: str) -> MatchArrays: ...

    def find(self, text: str) -> list[tuple[int, int, int]]: ...


class _Terms:
    """Distinct non-empty terms, each with the indexes of the entries that share it."""

    def __init__(self, terms: Sequence[str]) -> None:
        index: dict[str, list[int]] = {}
        for i, term in enumerate(terms):
            if term:
                index.setdefault(term, []).append(i)
        self.words = list(index)
        self.lengths = np.array([len(w) for w in self.words], dtype=np.int64)
        counts = np.array([len(ids) for ids in index.values()], dtype=np.int64)
        self._unique = bool((counts == 1).all())
        self._counts = counts
        self._first = np.cumsum(counts) - counts
        self._flat = np.array([i for ids in index.values() for i in ids], dtype=np.int64)

    def expand(self, starts: np.ndarray, words: np.ndarray) -> MatchArrays:
        """Starts and distinct-term numbers → sorted matches, one per entry of the term."""
        if not len(starts):
            return NO_MATCHES
        if self._unique:
            ids = self._flat[words]
        else:
            reps = self._counts[words]
            starts, words = np.repeat(starts, reps), np.repeat(words, reps)
            within = np.arange(len(words)) - np.repeat(np.cumsum(reps) - reps, reps)
            ids = self._flat[self._first[words] + within]
        ends = starts + self.lengths[words]
        order = np.lexsort((ids, ends, starts))
        return MatchArrays(starts[order], ends[order], ids[order])


class _Engine:
    engine = ""

    def __init__(self, terms: Sequence[str]) -> None:
        self._terms = _Terms(terms)
        self._empty = not self._terms.words

    def find_arrays(self, text: str) -> MatchArrays:
        if self._empty or not text:
            return NO_MATCHES
        starts, words = self._scan(text)
        return self._terms.expand(starts, words)

    def find(self, text: str) -> list[tuple[int, int, int]]:
        return self.find_arrays(text).tuples()

    def _scan(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """``str`` start offsets and distinct-term numbers of every occurrence, any order."""
        raise NotImplementedError


class _Utf16Engine(_Engine):
    """An engine over the UTF-16-LE bytes of the text; ``_scan_bytes`` gives byte starts."""

    @staticmethod
    def _encode_terms(words: Sequence[str]) -> list[bytes]:
        return [w.encode("utf-16-le", "surrogatepass") for w in words]

    def _scan(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        data = text.encode("utf-16-le", "surrogatepass")
        byte_starts, words = self._scan_bytes(data)
        aligned = (byte_starts & 1) == 0
        if not aligned.all():
            byte_starts, words = byte_starts[aligned], words[aligned]
        units = byte_starts >> 1
        if len(data) == 2 * len(text):  # no character beyond the BMP: a unit is a character
            return units, words
        return _units_to_chars(text, units, words)

    def _scan_bytes(self, data: bytes) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


def _units_to_chars(text: str, units: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UTF-16 unit offsets → ``str`` offsets in a text with characters beyond the BMP.

    Each such character takes two units; a match starting on its second unit would start
    inside the character and is dropped.
    """
    astral = find_code_points(text, np.greater, 0xFFFF)[0]
    astral_units = astral + np.arange(len(astral))  # unit offset of each such character
    inside = in_sorted(units, astral_units + 1)
    units, words = units[~inside], words[~inside]
    return units - np.searchsorted(astral_units, units, side="left"), words


class PyAhoMatcher(_Engine):
    """pyahocorasick (unicode build) over ``str``: the portable engine."""

    engine = "pyahocorasick"

    def __init__(self, terms: Sequence[str]) -> None:
        import ahocorasick

        super().__init__(terms)
        self._automaton = ahocorasick.Automaton()
        for k, word in enumerate(self._terms.words):
            self._automaton.add_word(word, k)
        if not self._empty:
            self._automaton.make_automaton()

    def _scan(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        found = list(self._automaton.iter(text + _SENTINEL))
        if not found:
            return _EMPTY, _EMPTY
        last, words = np.array(found, dtype=np.int64).T
        return last + 1 - self._terms.lengths[words], words


class AhoRsMatcher(_Utf16Engine):
    """ahocorasick_rs (Rust) over the UTF-16-LE bytes of the text."""

    engine = "ahocorasick_rs"

    def __init__(self, terms: Sequence[str]) -> None:
        import ahocorasick_rs

        super().__init__(terms)
        if not self._empty:
            self._automaton = ahocorasick_rs.BytesAhoCorasick(self._encode_terms(self._terms.words))

    def _scan_bytes(self, data: bytes) -> tuple[np.ndarray, np.ndarray]:
        found = self._automaton.find_matches_as_indexes(data, overlapping=True)
        if not found:
            return _EMPTY, _EMPTY
        words, starts, _ends = np.array(found, dtype=np.int64).T
        return starts, words


class HyperscanMatcher(_Utf16Engine):
    """Hyperscan (Intel, SIMD) over the UTF-16-LE bytes of the text.

    The Python binding passes patterns as C strings, and UTF-16 has NUL bytes (any ASCII
    character), so each literal is written as ``\\xHH`` escapes.  A scratch space is per
    thread: the HTTP hook scans from several threads with one database.
    """

    engine = "hyperscan"

    def __init__(self, terms: Sequence[str]) -> None:
        import hyperscan

        super().__init__(terms)
        self._local = threading.local()
        if self._empty:
            return
        self._hs = hyperscan
        encoded = self._encode_terms(self._terms.words)
        self._byte_lengths = np.array([len(b) for b in encoded], dtype=np.int64)
        expressions = ["".join(f"\\x{b:02x}" for b in word).encode("ascii") for word in encoded]
        path = _cache_path(expressions)
        db = self._cached_database(path)
        self._db = db if db is not None else self._compile(expressions, path)

    def _compile(self, expressions: list[bytes], path: Path | None) -> object:
        db = self._hs.Database(mode=self._hs.HS_MODE_BLOCK)
        db.compile(expressions=expressions, ids=list(range(len(expressions))), flags=0)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(self._hs.dumpb(db))
                tmp.replace(path)  # atomic: a concurrent reader sees the old file or the new
            except OSError:
                pass  # a read-only home: compile every time, nothing else changes
        return db

    def _cached_database(self, path: Path | None) -> object | None:
        """A database compiled earlier for exactly these patterns, if it still scans right.

        Compiling thousands of patterns takes a tenth of a second, loading one a tenth of a
        millisecond.  A file that fails to load, or that does not find every term in a text
        made of the terms (or finds a pattern that is not ours), is compiled afresh.
        """
        if path is None:
            return None
        try:
            db = self._hs.loadb(path.read_bytes(), mode=self._hs.HS_MODE_BLOCK)
        except (OSError, ValueError, TypeError, self._hs.error):
            return None
        data = "\n".join(self._terms.words).encode("utf-16-le", "surrogatepass")
        _starts, words = self._scan_with(db, self._hs.Scratch(db), data)
        counts = np.bincount(words, minlength=len(self._terms.words))
        if len(counts) != len(self._terms.words) or not counts.all():  # a pattern not ours, or one missing
            return None
        return db

    def _scratch(self) -> object:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        return scratch

    def _scan_bytes(self, data: bytes) -> tuple[np.ndarray, np.ndarray]:
        return self._scan_with(self._db, self._scratch(), data)

    def _scan_with(self, db: object, scratch: object, data: bytes) -> tuple[np.ndarray, np.ndarray]:
        ends: list[int] = []
        words: list[int] = []
        add_end, add_word = ends.append, words.append

        def on_match(k: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            add_end(to)  # two appends per match: cheaper than building a tuple
            add_word(k)

        db.scan(data, match_event_handler=on_match, scratch=scratch)
        if not ends:
            return _EMPTY, _EMPTY
        word_array = np.array(words, dtype=np.int64)
        return np.array(ends, dtype=np.int64) - self._byte_lengths[word_array], word_array


ENV_CACHE = "SECSCAN_CACHE_DIR"


def _cache_path(expressions: list[bytes]) -> Path | None:
    """Where the compiled database of these patterns is kept (``$SECSCAN_CACHE_DIR``, or
    ``$XDG_CACHE_HOME/secscan``, or ``~/.cache/secscan``); None when the variable is set
    empty, which turns the cache off."""
    import hyperscan

    configured = os.environ.get(ENV_CACHE)
    if configured == "":
        return None
    if configured:
        base = Path(configured)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "secscan"
    digest = hashlib.sha256()
    machine = os.uname().machine if hasattr(os, "uname") else sys.platform  # `platform` costs ~10 ms to import
    digest.update(f"{hyperscan.__version__}\0{machine}\0".encode())
    for expression in expressions:
        digest.update(expression + b"\0")
    return base / f"hyperscan-{digest.hexdigest()[:32]}.db"


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

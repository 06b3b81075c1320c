"""Sensitive matter by proximity and co-occurrence: rules declared as data.

``lexicons/context_rules.toml`` declares each rule: anchor terms, groups of required
signals (terms or named patterns) within a window of *characters* around the anchor —
Chinese has no spaces, so word windows do not apply — terms whose presence in the
document cancels the rule (a 公示 publishes a cadre appointment), and the signals that
raise (internal, draft) or lower (meant for publication) its weight.

When the classifier is on, its probability nudges a rule's weight (an article-like text
lowers, an internal-like one raises), but only between ``review`` and below ``block``:
the model never silences a rule, and never makes one block.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from re import _compiler as _sre_compiler
from re import _constants as _sc
from re import _parser as _sre_parser

import numpy as np
from msgspec import Struct

from secscan.arrays import in_sorted, unique_inverse
from secscan.config import Config
from secscan.detect import classifier
from secscan.detect.base import DetectFn, DetectorSpec, NormDocument, NormPart, Rule
from secscan.lazy import lazy_compiled, lazy_regex
from secscan.lexicon import Lexicon
from secscan.matcher import NO_MATCHES, MatchArrays, Matcher, build_matcher
from secscan.normalize import fold_term
from secscan.resources import lexicon_dir
from secscan.types import Category, Hit, Severity

RULES_FILE = "context_rules.toml"
# The rule file as parsed, written beside it by :func:`write_parsed_twin`: a scan
# reads that (json is C) rather than importing tomllib and parsing TOML (~9 ms of start-up,
# before the side process can start).  It is used only while it was made from exactly the
# TOML's bytes; an edited TOML is parsed as it is.
PARSED_SUFFIX = ".parsed.json"
FUTURE_DATE = "@future_date"
MAX_HITS_PER_RULE = 20
# Weights (0–100) against the default thresholds review 40 / block 80, moved with them.
_RAISED, _LOWERED = 85, 25
_MODEL_HIGH, _MODEL_LOW = 0.8, 0.1

_DATE_RE = re.compile(r"((?:19|20)\d{2})(?:年|-|/|\.)(\d{1,2})(?:月|-|/|\.)(\d{1,2})日?")


class RuleFileError(ValueError):
    """The context-rule file cannot be used; the message names the rule and key."""


class Alternative(Struct, frozen=True):
    """One branch of a group's alternation (a named pattern, or the group's plain terms)."""

    regex: re.Pattern[str]
    # Regexes of which one matches inside every match of ``regex`` (see _prefilter); None: no test.
    prefilter: tuple[re.Pattern[str], ...] | None = None
    keys: tuple[str, ...] | None = None  # strings of which one occurs inside every match; None: unknown


class Group(Struct, frozen=True, dict=True):
    """One required signal: any of its terms or patterns, near the anchor or in the document.

    The alternatives are kept apart, in declared order, rather than joined into one regex:
    each named pattern is compiled once for the whole rule set (its CJK ranges cost re
    milliseconds each), and a window tries only the alternatives its prefilter leaves.
    """

    alternatives: tuple[Alternative, ...]
    future_date: bool
    document_scope: bool
    literals: tuple[str, ...] = ()  # folded plain terms, when the group has nothing else

    @functools.cached_property
    def regex(self) -> re.Pattern[str] | None:
        """The group as the one alternation it stands for (for tests and diagnostics)."""
        if len(self.alternatives) <= 1:
            return self.alternatives[0].regex if self.alternatives else None
        return re.compile("|".join(f"(?:{a.regex.pattern})" for a in self.alternatives))


def _is_cjk(code: int) -> bool:
    """A CJK unified ideograph (the basic block or extension A)."""
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF


def _char_weight(op: object, av: object) -> float:
    """A rough chance that one character of the text matches the item (CJK ideographs are many, so each is rare)."""
    if op is _sc.LITERAL:
        return 0.003 if _is_cjk(av) else 0.02  # type: ignore[arg-type]
    if op is _sc.IN and av and av[0][0] is not _sc.NEGATE:  # type: ignore[index]
        total = 0.0
        for o, a in av:  # type: ignore[attr-defined]
            if o is _sc.LITERAL:
                total += 0.003 if _is_cjk(a) else 0.02
            elif o is _sc.RANGE:
                total += (a[1] - a[0] + 1) * 0.003
            elif o is _sc.CATEGORY:
                total += 0.1
            else:
                return 1.0
        return min(1.0, total)
    return 1.0


_ONE_CHAR = (_sc.LITERAL, _sc.NOT_LITERAL, _sc.IN, _sc.ANY)
_Item = tuple[object, object]  # a single-character parse item (LITERAL, IN …)
_Alt = tuple[_Item, ...]  # single-character parse items, in a row


def _item(op: object, av: object) -> _Item:
    return (op, tuple(av) if op is _sc.IN else av)  # type: ignore[arg-type]


def _ends(items: list) -> tuple[_Item | None, _Item | None]:
    """The single-character items that every match of ``items`` starts and ends with (None: unknown)."""
    consuming = [(op, av) for op, av in items if op not in (_sc.ASSERT, _sc.ASSERT_NOT, _sc.AT)]

    def edge(op: object, av: object, last: bool) -> _Item | None:
        if op in _ONE_CHAR:
            return _item(op, av)
        if op in (_sc.MAX_REPEAT, _sc.MIN_REPEAT, _sc.POSSESSIVE_REPEAT) and av[0] >= 1:  # type: ignore[index]
            return _ends(list(av[2]))[last]  # type: ignore[index]
        return None

    if not consuming:
        return None, None
    return edge(*consuming[0], last=False), edge(*consuming[-1], last=True)


def _required(items: list) -> tuple[float, tuple[_Alt, ...]] | None:
    """Runs of characters of which one occurs inside every match of the parsed sequence ``items``.

    A run is a few adjacent single-character items (a repeat of at least one character may
    end a run on either side; assertions consume nothing, so they do not break one); an
    alternation requires one of its branches' runs.  The rarest choice wins (by weight).
    """
    best: tuple[float, tuple[_Alt, ...]] | None = None

    def offer(weight: float, alts: tuple[_Alt, ...]) -> None:
        nonlocal best
        if best is None or weight < best[0]:
            best = (weight, alts)

    # per consuming item: (its first character, its last character, consumes exactly one), or None
    units: list[tuple[_Item | None, _Item | None, bool] | None] = []
    for op, av in items:
        if op in (_sc.ASSERT, _sc.ASSERT_NOT, _sc.AT):
            continue
        if op in _ONE_CHAR:
            units.append((_item(op, av),) * 2 + (True,))
            continue
        if op in (_sc.MAX_REPEAT, _sc.MIN_REPEAT, _sc.POSSESSIVE_REPEAT) and av[0] >= 1:
            body = list(av[2])
            if (inner := _required(body)) is not None:
                offer(*inner)
            units.append((*_ends(body), False))
            continue
        if op is _sc.SUBPATTERN and not av[1] and not av[2]:  # no local flags
            if (inner := _required(list(av[3]))) is not None:
                offer(*inner)
        elif op is _sc.ATOMIC_GROUP:
            if (inner := _required(list(av))) is not None:
                offer(*inner)
        elif op is _sc.BRANCH:
            branches = [_required(list(b)) for b in av[1]]
            if all(b is not None for b in branches):
                offer(sum(b[0] for b in branches), tuple(dict.fromkeys(a for b in branches for a in b[1])))
        units.append(None)
    for i, first in enumerate(units):
        if first is None or first[1] is None:
            continue
        run = [first[1]]  # the last character of the run's first item
        if first[2]:
            offer(_char_weight(*run[0]), (tuple(run),))
        for unit in units[i + 1:i + 4]:
            if unit is None or unit[0] is None:
                break
            run.append(unit[0])
            if trimmed := _trimmed(run):
                offer(math.prod(_char_weight(*c) for c in trimmed), (trimmed,))
            if not unit[2]:
                break  # only its first character is known to follow the run
    return best


def _trimmed(run: list[_Item]) -> _Alt:
    """``run`` without the items at its ends that are as common as any character (a CJK range, ``.``).

    They make the run no rarer, and a part of a run is still consumed by every match; but a
    CJK range costs ``re`` ~1.5 ms to compile, and a leading class hides the literal that
    lets ``re`` skip ahead to candidates (``村\\d`` rather than ``[一-鿿]村\\d``).
    """
    lo, hi = 0, len(run)
    while lo < hi and _char_weight(*run[lo]) >= 1.0:
        lo += 1
    while hi > lo and _char_weight(*run[hi - 1]) >= 1.0:
        hi -= 1
    return tuple(run[lo:hi])


class ContextRule(Struct, frozen=True):
    """One rule of ``context_rules.toml``: an anchor term and the groups that must be found near it."""

    id: str
    title: str
    reason: str
    window: int
    groups: tuple[Group, ...]
    absent: tuple[str, ...]
    raise_with: tuple[str, ...]
    anchor_terms: tuple[str, ...] = ()  # folded


class RuleSet(Struct, frozen=True):
    """The context rules, with the publication terms and the named signal lists they share."""

    rules: tuple[ContextRule, ...]
    publish: tuple[str, ...]
    signals: dict[str, tuple[str, ...]]


def _prefilter(pattern: str) -> Alternative:
    """``pattern`` with cheap tests, one of which finds something in any text where it matches.

    The prefilter regexes each match a run of characters that every match of ``pattern``
    consumes, with no assertion around it, so one matches in any slice that holds the
    match: a window where none of them matches cannot hold a signal.  The keys are a
    literal string of each such run (when every run has a rare one, of two characters or
    more): a window that holds no key holds no run either.  None for what is not known.

    The regexes compile on first use: a CJK range costs ``re`` ~2 ms to compile, and a
    text with no anchor of a rule never needs that rule's patterns.
    """
    regex = lazy_regex(pattern)
    tree = _parsed(pattern)  # a syntax error is the rule file's: re.error, at build
    try:
        found = _required(list(tree))
        if found is None or found[0] >= 1.0:
            return Alternative(regex)
        state, alts = tree.state, tuple(tuple(map(_spelled_out, a)) for a in found[1])
        led = [data for a in alts for data in _led_by_rarest(state, a)]
        literal_first = [_sre_parser.SubPattern(state, data) for data in led if data[0][0] is _sc.LITERAL]
        sequences = [data for data in led if data[0][0] is not _sc.LITERAL]
        if literal_first:  # one alternation: re skips ahead to the first characters in C
            sequences.append([(_sc.BRANCH, (None, literal_first))])
        prefilter = tuple(lazy_compiled(functools.partial(_sre_compiler.compile, _sre_parser.SubPattern(state, data)))
                          for data in sequences)
        keys = None if state.flags & re.IGNORECASE else tuple(dict.fromkeys(_key(a) for a in alts))
        # A one-character key (室, 号) occurs thousands of times in a long text, each reported to
        # Python by the automaton, which costs more than it saves: the prefilter alone decides.
        return Alternative(regex, prefilter, None if keys is None or min(map(len, keys)) < 2 else keys)
    except Exception:  # re's internals changed: no prefilter, the exact regex still runs
        return Alternative(regex)


_EXPANDED_CLASS = 8  # a class of at most this many characters leads its run as that many literals


def _led_by_rarest(state: _sre_parser.State, run: _Alt) -> list[list[_Item]]:
    """``run`` as sequences led by its rarest character, the characters before it checked behind it.

    ``[一二…\\d]楼`` becomes ``楼(?<=[一二…\\d]楼)`` and ``\\d[栋幢]`` becomes ``栋(?<=\\d栋)``
    and ``幢(?<=\\d幢)``: they match where the run does, found from a rare character.  ``re``
    skips ahead to a literal in C but stops at every character of a common class (every
    digit), and the sequences led by literals join one alternation (a room pattern's eight
    runs over a 10 MB text's windows: 12 ms as eight regexes, ~1 as one).  A match now
    starts at that character: the window test (``_overlapped``) still sees every run
    inside a window, since the character is inside too.
    """
    weights = [_char_weight(*item) for item in run]
    at = weights.index(min(weights))
    op, av = run[at]
    if op is _sc.IN and 1 < len(av) <= _EXPANDED_CLASS and all(o is _sc.LITERAL for o, _ in av):  # type: ignore[arg-type]
        leads: list[_Item] = list(av)  # type: ignore[arg-type]
    else:
        leads = [run[at]]
    out = []
    for lead in leads:
        if not at:
            out.append([lead, *run[1:]])
            continue
        behind = _sre_parser.SubPattern(state, [*run[:at], lead])
        out.append([lead, (_sc.ASSERT, (-1, behind)), *run[at + 1:]])
    return out


# What ``\s`` matches in a str pattern (``str.isspace``) in this version of Unicode.  In a
# prefilter's class they are spelled out: ``re`` tests a class of literals against a bitmap,
# several times faster than a category (the name list's ``[、,;\s][王李…]`` over the windows of
# a long text: 15 ms against 8).  Another Unicode version may differ: the category stays.
_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACES_UNICODE = "14.0.0"


def _spelled_out(item: _Item) -> _Item:
    """A class item with ``\\s`` in it as the same class of literal characters."""
    op, av = item
    if op is not _sc.IN or (_sc.CATEGORY, _sc.CATEGORY_SPACE) not in av or unicodedata.unidata_version != _SPACES_UNICODE:
        return item
    rest = tuple(x for x in av if x != (_sc.CATEGORY, _sc.CATEGORY_SPACE))  # type: ignore[attr-defined]
    return op, rest + tuple((_sc.LITERAL, ord(c)) for c in _SPACES)


def _key(run: _Alt) -> str:
    """The longest string of literal characters in ``run`` if rare enough to look for ("" if none)."""
    best, current = "", ""
    for op, av in (*run, (None, None)):
        if op is _sc.LITERAL:
            current += chr(av)  # type: ignore[arg-type]
            continue
        if len(current) > len(best):
            best = current
        current = ""
    rare = any(_is_cjk(ord(c)) for c in best) or len(best) >= 3
    return best if rare else ""


def _folded(terms: Sequence[str]) -> list[str]:
    return sorted({fold_term(t) for t in terms if fold_term(t)}, key=lambda t: (-len(t), t))


def _alternation(terms: Sequence[str]) -> str:
    return "|".join(re.escape(t) for t in _folded(terms))


@functools.lru_cache(maxsize=256)  # a pattern is parsed once for its prefilter and its width
def _parsed(pattern: str) -> _sre_parser.SubPattern:
    return _sre_parser.parse(pattern)


def _group(raw: dict, patterns: dict[str, Alternative], where: str) -> Group:
    terms = raw.get("terms")
    if not isinstance(terms, list) or not terms:
        raise RuleFileError(f"{where}: require.terms must be a non-empty list")
    plain = [t for t in terms if not t.startswith("@")]
    named = [t[1:] for t in terms if t.startswith("@") and t != FUTURE_DATE]
    unknown = [n for n in named if n not in patterns]
    if unknown:
        raise RuleFileError(f"{where}: unknown pattern(s) {', '.join(unknown)}")
    scope = raw.get("scope", "window")
    if scope not in ("window", "document"):
        raise RuleFileError(f"{where}: scope must be window or document")
    literal = bool(plain) and len(plain) == len(terms)
    alternatives = [patterns[n] for n in named]
    if plain:
        pattern = _alternation(plain)
        alternatives.append(Alternative(lazy_regex(pattern)) if literal else _prefilter(pattern))
    if not all(_never_empty(a.regex.pattern) for a in alternatives):
        # Apart, the alternatives are tried as the alternation would only for non-empty
        # matches (see _alternation_spans): keep the one regex otherwise.
        alternatives = [_prefilter("|".join(f"(?:{a.regex.pattern})" for a in alternatives))]
    return Group(tuple(alternatives), FUTURE_DATE in terms, scope == "document", tuple(_folded(plain)) if literal else ())


def _never_empty(pattern: str) -> bool:
    try:
        return _parsed(pattern).getwidth()[0] > 0
    except Exception:  # re's internals changed: assume the worst
        return False


def parse_rules(data: dict, source: str = RULES_FILE) -> RuleSet:
    signals = {k: tuple(fold_term(t) for t in v) for k, v in data.get("signals", {}).items()}
    patterns = data.get("patterns", {})
    compiled: dict[str, Alternative] = {}
    for name, pattern in patterns.items():
        try:
            compiled[name] = _prefilter(pattern)  # built once, shared by every group that names it
        except re.error as exc:
            raise RuleFileError(f"{source}: pattern {name}: {exc}") from exc
    rules = []
    for raw in data.get("rule", []):
        rid = raw.get("id", "?")
        where = f"{source}: rule {rid}"
        if not rid.startswith("context."):
            raise RuleFileError(f"{where}: ids start with 'context.'")
        try:
            unknown = [s for s in raw.get("raise_with", []) if s not in signals]
            if unknown:
                raise RuleFileError(f"{where}: unknown signal(s) {', '.join(unknown)}")
            rules.append(ContextRule(
                rid, raw["title"], raw["reason"], int(raw["window"]),
                tuple(_group(g, compiled, where) for g in raw["require"]),
                tuple(fold_term(t) for t in raw.get("absent", [])), tuple(raw.get("raise_with", [])),
                tuple(_folded(raw["anchors"])),
            ))
        except KeyError as exc:
            raise RuleFileError(f"{where}: missing key {exc}") from exc
    return RuleSet(tuple(rules), signals.get("publish", ()), signals)


@functools.cache
def _read(path: Path) -> dict:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RuleFileError(f"{path}: {exc}") from exc
    parsed = _parsed_twin(path, raw)
    if parsed is not None:
        return parsed
    import tomllib

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuleFileError(f"{path}: {exc}") from exc


def _twin_path(path: Path) -> Path:
    return path.with_name(path.stem + PARSED_SUFFIX)


def _parsed_twin(path: Path, raw: bytes) -> dict | None:
    """The data of ``path``'s parsed twin, if it was made from these bytes."""
    try:
        twin = json.loads(_twin_path(path).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(twin, dict) or twin.get("source_sha256") != hashlib.sha256(raw).hexdigest():
        return None
    data = twin.get("data")
    return data if isinstance(data, dict) else None


def write_parsed_twin(path: Path | None = None) -> Path:
    """Parse the rule file with tomllib and write its twin (see :data:`PARSED_SUFFIX`)."""
    import tomllib

    path = path or lexicon_dir() / RULES_FILE
    raw = path.read_bytes()
    twin = {
        "generated": f"from {path.name} by secscan.detect.context.write_parsed_twin(); edit the TOML, not this",
        "source_sha256": hashlib.sha256(raw).hexdigest(),
        "data": tomllib.loads(raw.decode("utf-8")),
    }
    out = _twin_path(path)
    out.write_text(json.dumps(twin, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out


@functools.cache
def load_rules(path: Path | None = None) -> RuleSet:
    path = path or lexicon_dir() / RULES_FILE
    return parse_rules(_read(path), path.name)


def rule_terms() -> tuple[str, ...]:
    """Every plain term the rules use (the trainer adds them to jieba's dictionary)."""
    data = _read(lexicon_dir() / RULES_FILE)
    terms = {t for group in data.get("signals", {}).values() for t in group}
    for raw in data.get("rule", []):
        terms.update(raw["anchors"])
        terms.update(t for g in raw["require"] for t in g["terms"] if not t.startswith("@"))
    return tuple(sorted(fold_term(t) for t in terms))


Span = tuple[int, int]


class _Occurrences(Struct, frozen=True, eq=False, dict=True):
    """Occurrences of some terms in one part, by start, longest first: arrays, and lists for bisection."""

    starts: np.ndarray
    ends: np.ndarray

    @functools.cached_property
    def lists(self) -> tuple[list[int], list[Span]]:
        starts = self.starts.tolist()
        return starts, list(zip(starts, self.ends.tolist(), strict=True))

    def chain(self) -> tuple[np.ndarray, np.ndarray]:
        """Starts and ends of what ``_leftmost_longest`` finds in the whole part (no anchor)."""
        starts, ends = self.starts, self.ends
        if len(starts) < 2:
            return starts, ends
        first = np.ones(len(starts), dtype=bool)
        first[1:] = starts[1:] != starts[:-1]  # the longest at each start
        starts, ends = starts[first], ends[first]
        if (starts[1:] >= ends[:-1]).all():  # no overlap: the walk keeps every one
            return starts, ends
        keep, pos = [], 0
        for i, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
            if start >= pos:
                keep.append(i)
                pos = end
        return starts[keep], ends[keep]

    def any_beside(self, lo: np.ndarray, a_start: np.ndarray, a_end: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Per window, whether an occurrence starts in ``[lo, a_start)`` or ``[a_end, hi)``.

        Every span ``_leftmost_longest`` yields beside the anchor starts there, so a False
        window holds no signal of these terms.
        """
        ss = self.starts
        left = np.searchsorted(ss, a_start) - np.searchsorted(ss, lo)
        right = np.searchsorted(ss, hi) - np.searchsorted(ss, a_end)
        return (left > 0) | (right > 0)


_NO_OCCURRENCES = _Occurrences(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))


@functools.lru_cache(maxsize=256)  # the rule set's few term sets, for every part
def _sorted_ids(ids: frozenset[int]) -> np.ndarray:
    return np.sort(np.fromiter(ids, dtype=np.int64, count=len(ids)))


class _PartTerms:
    """The occurrences of the rule set's plain terms in one part (all of them, overlapping)."""

    def __init__(self, found: MatchArrays) -> None:
        self._starts, self._ends, self._ids = found.starts, found.ends, found.ids
        self._by_set: dict[frozenset[int], _Occurrences] = {}
        self.present = set(unique_inverse(self._ids)[0].tolist())

    def occurrences(self, ids: frozenset[int]) -> _Occurrences:
        got = self._by_set.get(ids)
        if got is None and self.present.isdisjoint(ids):  # the usual case in a short part
            got = self._by_set[ids] = _NO_OCCURRENCES
        if got is None:
            mask = in_sorted(self._ids, _sorted_ids(ids))
            starts, ends = self._starts[mask], self._ends[mask]
            order = np.lexsort((-ends, starts))
            got = self._by_set[ids] = _Occurrences(starts[order], ends[order])
        return got

    def of(self, ids: frozenset[int]) -> tuple[list[int], list[Span]]:
        """Starts and spans of the occurrences of ``ids``, by start, longest first."""
        return self.occurrences(ids).lists


def _leftmost_longest(occ: tuple[list[int], list[Span]], lo: int, hi: int, anchor: Span | None) -> Iterator[Span]:
    """What ``re.finditer`` of the terms' alternation (longest first) finds in ``text[lo:hi]``.

    With ``anchor``, only the first match that does not overlap it.
    """
    starts, spans = occ
    pos = lo
    for i in range(bisect.bisect_left(starts, lo), len(spans)):
        start, end = spans[i]
        if start >= hi:
            return
        if start < pos or end > hi:
            continue
        pos = end
        if anchor is None or end <= anchor[0] or start >= anchor[1]:
            yield start, end
            if anchor is not None:
                return


class _TermIndex(Struct, frozen=True, eq=False):
    """Every plain term of the rule set in one automaton (the fast engine of secscan.matcher).

    One pass per part replaces a regex scan of the whole text per rule (anchors) and per
    term (presence), and a regex per anchor window for the groups made only of terms.
    Patterns (@phone, @post …) still run as regexes, and only in the windows that the
    cheaper groups left open.
    """

    ids: dict[str, int]
    matcher: Matcher | None

    @classmethod
    def build(cls, ruleset: RuleSet) -> _TermIndex:
        words: set[str] = set(ruleset.publish)
        for group in ruleset.signals.values():
            words.update(group)
        for rule in ruleset.rules:
            words.update(rule.anchor_terms)
            words.update(rule.absent)
            for g in rule.groups:
                words.update(g.literals)
                words.update(k for a in g.alternatives for k in a.keys or ())
        terms = sorted(w for w in words if w)
        return cls({t: i for i, t in enumerate(terms)}, build_matcher(terms) if terms else None)

    def scan(self, text: str) -> _PartTerms:
        return _PartTerms(self.matcher.find_arrays(text) if self.matcher is not None and text else NO_MATCHES)

    def id_set(self, terms: Sequence[str]) -> frozenset[int]:
        return frozenset(self.ids[t] for t in terms)


def _future_date(text: str, today: dt.date) -> re.Match[str] | None:
    for m in _DATE_RE.finditer(text):
        try:
            if dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) > today:
                return m
        except ValueError:
            continue
    return None


def _alternation_spans(regexes: Sequence[re.Pattern[str]], window: str) -> Iterator[Span]:
    """What ``finditer`` of ``regexes`` joined as one alternation finds in ``window``.

    The alternation matches at the leftmost position where any branch does, with the
    first branch (in order) that matches there; a branch's own leftmost match from ``pos``
    stays valid while it starts at or after ``pos``.  Branches never match empty (see _group).
    """
    if len(regexes) == 1:
        yield from (m.span() for m in regexes[0].finditer(window))
        return
    pos = 0
    ahead = [r.search(window) for r in regexes]
    while True:
        best: re.Match[str] | None = None
        for m in ahead:
            if m is not None and (best is None or m.start() < best.start()):
                best = m
        if best is None:
            return
        yield best.span()
        pos = best.end()
        ahead = [r.search(window, pos) if m is not None and m.start() < pos else m for r, m in zip(regexes, ahead, strict=True)]


_GAP = 256  # windows closer than this are searched as one stretch: cheaper than another call


def _overlapped(regex: re.Pattern[str], text: str, lo: np.ndarray, hi: np.ndarray, open_: np.ndarray) -> np.ndarray:
    """Per open window ``text[lo:hi]``, whether a match of ``regex`` found over stretches covering them overlaps it."""
    idx = np.flatnonzero(open_)
    if not len(idx):
        return open_
    lo, hi = lo[idx], hi[idx]
    new = np.ones(len(lo), dtype=bool)
    new[1:] = lo[1:] > np.maximum.accumulate(hi)[:-1] + _GAP
    stretches = zip(lo[new].tolist(), np.maximum.reduceat(hi, np.flatnonzero(new)).tolist(), strict=True)
    spans = [m.span() for s, e in stretches for m in regex.finditer(text, s, e)]
    result = np.zeros_like(open_)
    if spans:
        starts, ends = np.array(spans, dtype=np.int64).T
        j = np.searchsorted(ends, lo, side="right")  # the first match that ends after lo
        inside = j < len(ends)
        inside[inside] = starts[j[inside]] < hi[inside]
        result[idx] = inside
    return result


def _alive(group: Group, text: str, lows: np.ndarray, highs: np.ndarray, open_: np.ndarray,
           key_starts: Callable[[tuple[str, ...]], np.ndarray]) -> np.ndarray | None:
    """Per alternative of ``group`` and window ``text[lo:hi]`` among the ``open_`` ones, whether
    the alternative may match there: False only where it surely does not, so a window with
    no alternative alive is one where ``_signal_near`` finds nothing.  None: not known (an
    alternative without prefilter, or a future date).

    An alternative with keys needs one to start in the window (``key_starts`` gives their
    sorted starts, from the automaton's pass).  Each prefilter regex then runs once over
    stretches that cover the windows still open rather than once per window: an occurrence
    inside a window lies in its stretch, where ``finditer`` returns a match overlapping it
    (that one, or one covering its start), so a window no match overlaps holds none.
    """
    if group.future_date or any(not a.prefilter for a in group.alternatives):
        return None
    result = np.zeros((len(group.alternatives), len(open_)), dtype=bool)
    idx = np.flatnonzero(open_)
    if not len(idx):
        return result
    for row, alt in zip(result, group.alternatives, strict=True):
        alive = np.ones(len(idx), dtype=bool)
        if alt.keys is not None:
            starts = key_starts(alt.keys)
            alive &= np.searchsorted(starts, highs[idx]) > np.searchsorted(starts, lows[idx])
        # one of the regexes matches inside every match
        row[idx] = functools.reduce(np.logical_or, (_overlapped(p, text, lows[idx], highs[idx], alive) for p in alt.prefilter))
    return result


def _signal_near(group: Group, text: str, lo: int, hi: int, today: dt.date,
                 anchor: tuple[int, int] = (0, 0), alive: Iterable[bool] | None = None) -> tuple[int, int] | None:
    """The first signal of ``group`` in ``text[lo:hi]`` that does not overlap the anchor itself.

    ``alive``: per alternative, False where it surely does not match in the window (the
    window's column of :func:`_alive`); otherwise each prefilter is searched in the window.
    """
    window = text[lo:hi]
    # An alternative whose prefilter finds nothing cannot match in the window: dropping it leaves the alternation's matches.
    if alive is None:
        live = [a.regex for a in group.alternatives if a.prefilter is None or any(p.search(window) for p in a.prefilter)]
    else:
        live = [a.regex for a, ok in zip(group.alternatives, alive, strict=True) if ok]
    spans: Iterable[Span] = _alternation_spans(live, window) if live else ()
    if group.future_date:
        spans = sorted([*spans, *(m.span() for m in _DATE_RE.finditer(window) if _future_date(m.group(0), today))],
                       key=lambda se: se[0])
    for s, e in spans:  # by start already
        start, end = lo + s, lo + e
        if end <= anchor[0] or start >= anchor[1]:
            return start, end
    return None


def _first_in_document(group: Group, parts: Sequence[NormPart], today: dt.date,
                       index: _TermIndex, terms: Sequence[_PartTerms]) -> str | None:
    for part, found_terms in zip(parts, terms, strict=True):
        if group.literals:
            found = next(_leftmost_longest(found_terms.of(index.id_set(group.literals)), 0, len(part.text), (0, 0)), None)
        else:
            found = _signal_near(group, part.text, 0, len(part.text), today)
        if found:
            return part.text[found[0]:found[1]]
    return None


def _present(terms: Sequence[str], contains: Callable[[str], bool]) -> str | None:
    return next((t for t in terms if contains(t)), None)


def _weight(rule: ContextRule, ruleset: RuleSet, contains: Callable[[str], bool], probability: float | None,
            config: Config) -> tuple[int | None, str]:
    """The hit's weight and a note for its reason; None keeps the rule's own (medium)."""
    if (publish := _present(ruleset.publish, contains)) is not None:
        return min(_LOWERED, config.review_threshold - 1), f"(文中有“{publish}”,似为公开文本,已降低权重)"
    for name in rule.raise_with:
        if (signal := _present(ruleset.signals.get(name, ()), contains)) is not None:
            return max(_RAISED, config.block_threshold), f",且文中有“{signal}”,属内部或未定稿材料"
    if probability is not None and probability >= _MODEL_HIGH:
        return config.review_threshold + (config.block_threshold - config.review_threshold) // 2 + 10, (
            f"(分类模型判断为内部材料的概率{probability:.2f})")
    if probability is not None and probability <= _MODEL_LOW:
        # An article that tells of such matter (保密 education cases) reads as publishable
        # to the model: the finding stays, as information, below review.
        return min(_LOWERED, config.review_threshold - 1), f"(分类模型判断为公开文章的概率{1 - probability:.2f},已降低权重)"
    return None, ""


def build(config: Config, lexicon: Lexicon) -> DetectFn:
    ruleset = load_rules()
    today = dt.date.fromisoformat(config.today) if config.today else dt.date.today()
    index = _TermIndex.build(ruleset)
    anchors = {rule.id: index.id_set(rule.anchor_terms) for rule in ruleset.rules}
    literals = {id(g): index.id_set(g.literals) for rule in ruleset.rules for g in rule.groups if g.literals}

    def detect(doc: NormDocument) -> Iterator[Hit]:
        terms = [index.scan(p.text) for p in doc.parts]
        present = set().union(*(t.present for t in terms))
        whole: list[str] = []

        def contains(term: str) -> bool:
            if term in index.ids and "\n" not in term:
                return index.ids[term] in present
            if not whole:  # a term the index cannot answer (empty, or spanning parts)
                whole.append(doc.text_of())
            return term in whole[0]

        probability: float | None = None
        model_asked = False
        for rule in ruleset.rules:
            if present.isdisjoint(anchors[rule.id]) or _present(rule.absent, contains) is not None:
                continue
            document_groups = [g for g in rule.groups if g.document_scope]
            if any(_first_in_document(g, doc.parts, today, index, terms) is None for g in document_groups):
                continue
            near = [(k, g) for k, g in enumerate(g for g in rule.groups if not g.document_scope)]
            near.sort(key=lambda kg: not kg[1].literals)  # the cheap groups first: one None ends the anchor
            found: list[tuple[int, int, int, str, str]] = []
            for part, part_terms in zip(doc.parts, terms, strict=True):
                if part_terms.present.isdisjoint(anchors[rule.id]):  # most parts of a web page
                    continue
                text = part.text
                seen_lines: set[int] = set()
                used_signals: set[Span] = set()  # one finding per signal, not per anchor
                a_starts, a_ends = part_terms.occurrences(anchors[rule.id]).chain()
                lows, highs = np.maximum(a_starts - rule.window, 0), np.minimum(a_ends + rule.window, len(text))
                # Anchors whose window lacks a term of a term-only group find nothing below: skip them at once.
                open_ = np.ones(len(a_starts), dtype=bool)
                for _, g in near:
                    if g.literals:
                        open_ &= part_terms.occurrences(literals[id(g)]).any_beside(lows, a_starts, a_ends, highs)
                alive: dict[int, np.ndarray] = {}  # per pattern group: which alternatives may match in which window
                for k, g in near:
                    if not g.literals:
                        rows = _alive(g, text, lows, highs, open_,
                                      lambda keys, t=part_terms: t.occurrences(index.id_set(keys)).starts)
                        if rows is not None:
                            alive[k] = rows
                            open_ = rows.any(axis=0)
                candidates = np.flatnonzero(open_)
                columns = (candidates, a_starts[candidates], a_ends[candidates], lows[candidates], highs[candidates])
                for i, a_start, a_end, lo, hi in zip(*(x.tolist() for x in columns), strict=True):
                    line = part.line_index(a_start)
                    if line in seen_lines:
                        continue
                    spans: list[Span | None] = [None] * len(near)
                    for k, g in near:
                        if g.literals:
                            spans[k] = next(_leftmost_longest(part_terms.of(literals[id(g)]), lo, hi, (a_start, a_end)), None)
                        else:
                            column = alive[k][:, i] if k in alive else None
                            spans[k] = _signal_near(g, text, lo, hi, today, (a_start, a_end), column)
                        if spans[k] is None:
                            break
                    if any(sp is None for sp in spans) or (spans and spans[0] in used_signals):
                        continue
                    seen_lines.add(line)
                    used_signals.update(sp for sp in spans if sp is not None)
                    signal = spans[0] if spans else (a_start, a_end)
                    start, end = a_start, a_end
                    if part.line_index(signal[0]) == line and part.line_index(max(signal[1] - 1, 0)) == line:
                        start, end = min(start, signal[0]), max(end, signal[1])
                    found.append((part.index, start, end, text[a_start:a_end], text[signal[0]:signal[1]]))
                    if len(found) >= MAX_HITS_PER_RULE:
                        break
            if not found:
                continue
            if not model_asked:
                model_asked = True
                try:
                    probability = classifier.document_probability(doc, config)
                except classifier.ModelError:
                    probability = None  # the classifier detector itself reports a broken model
            score, note = _weight(rule, ruleset, contains, probability, config)
            for index_, start, end, anchor_text, signal_text in found:
                facts = {"anchor": anchor_text, "signal": signal_text, "window": str(rule.window), "note": note}
                yield Hit(rule.id, index_, start, end, facts, score)

    return detect


def _declared_rules() -> tuple[Rule, ...]:
    """The rules as declared, without compiling their patterns (that waits for build())."""
    try:
        raw = _read(lexicon_dir() / RULES_FILE).get("rule", [])
        if not all(r["id"].startswith("context.") for r in raw):
            return ()
        return tuple(Rule(r["id"], Category.SENSITIVE_MATTER, Severity.MEDIUM, r["title"], r["reason"]) for r in raw)
    except (RuleFileError, KeyError, TypeError, AttributeError):
        return ()  # a broken file is reported when the detector is built


SPEC = DetectorSpec("context", _declared_rules(), build, side=True)

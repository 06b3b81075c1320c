"""Lexicon files: plain data, one term per line, loaded once per process.

Format (UTF-8, tab-separated; ``#`` starts a comment line; the header comment block
says where the terms come from)::

    term<TAB>category<TAB>rule<TAB>severity<TAB>scope<TAB>note

``scope`` says where a term counts:

* ``anywhere`` — every occurrence is a finding;
* ``line`` — only when the term, with companions and punctuation, fills its line
  (``工作秘密`` alone on a line is a marking; in a sentence it is a word);
* ``head`` — as ``line``, and only in the document's head (first lines of the body, a
  header or footer);
* ``companion`` — words that may share a marking's line (注意保管, 此件); no finding;
* ``trigger`` — feeds another detector (the marking rules, the context rules, the cue
  words of the credential and personal-data detectors); no finding of its own.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from msgspec import Struct, field

from secscan.matcher import Matcher, build_matcher
from secscan.normalize import fold_term
from secscan.resources import lexicon_dir, read_version
from secscan.types import Category, Severity

SCOPES = ("anywhere", "line", "head", "companion", "trigger")


class LexiconError(ValueError):
    pass


class LexEntry(Struct, frozen=True):
    """One term of a lexicon file, with its rule, category, severity, scope and where it was read."""

    term: str
    folded: str
    category: Category
    rule: str
    severity: Severity
    scope: str
    note: str
    source: str
    line: int


class Lexicon(Struct, frozen=True, eq=False, dict=True):  # a matcher and arrays inside: identity, not value, equality
    """The loaded lexicon files: their entries and one matcher over all their folded terms."""

    version: str
    entries: tuple[LexEntry, ...]
    matcher: Matcher
    _masks: dict[tuple[str, object], np.ndarray] = field(default_factory=dict)

    @functools.cached_property
    def folded_terms(self) -> frozenset[str]:
        return frozenset(e.folded for e in self.entries)

    def entry_mask(self, kind: str, value: frozenset[str] | str) -> np.ndarray:
        """Which entries have a scope in ``value`` (kind ``scope``), a folded term in it
        (``term``), a rule id starting with it (``rule_prefix``) or equal to it (``rule``),
        as a boolean array by entry (cached)."""
        key = (kind, value)
        mask = self._masks.get(key)
        if mask is None:
            if kind == "scope":
                wanted = [e.scope in value for e in self.entries]
            elif kind == "term":
                wanted = [e.folded in value for e in self.entries]
            elif kind == "rule_prefix":
                wanted = [e.rule.startswith(value) for e in self.entries]
            elif kind == "rule":
                wanted = [e.rule == value for e in self.entries]
            else:
                raise ValueError(f"unknown entry selector {kind!r}")
            mask = self._masks[key] = np.array(wanted, dtype=bool)
        return mask


def parse_lexicon_file(path: Path) -> list[LexEntry]:
    entries: list[LexEntry] = []
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.rstrip("\n\r")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) < 5:
                raise LexiconError(f"{path.name}:{lineno}: expected 5 or 6 tab-separated columns, got {len(cols)}")
            term, category, rule, severity, scope = (c.strip() for c in cols[:5])
            note = cols[5].strip() if len(cols) > 5 else ""
            try:
                cat = Category(category)
                sev = Severity(severity)
            except ValueError as exc:
                raise LexiconError(f"{path.name}:{lineno}: {exc}") from exc
            if scope not in SCOPES:
                raise LexiconError(f"{path.name}:{lineno}: scope {scope!r} not one of {', '.join(SCOPES)}")
            folded = fold_term(term)
            if not folded:
                raise LexiconError(f"{path.name}:{lineno}: empty term")
            entries.append(LexEntry(term, folded, cat, rule, sev, scope, note, path.name, lineno))
    return entries


def shipped_lexicon_files() -> list[Path]:
    return sorted(lexicon_dir().glob("*.tsv"))


def lexicon_version(extra: Iterable[Path] = ()) -> str:
    version = read_version(lexicon_dir())
    extra = tuple(extra)
    return version if not extra else f"{version}+{len(extra)}custom"


@functools.cache
def load_lexicon(extra: tuple[Path, ...] = ()) -> Lexicon:
    """All shipped lexicon files plus ``extra`` in one automaton (cached per process)."""
    entries: list[LexEntry] = []
    for path in [*shipped_lexicon_files(), *extra]:
        entries.extend(parse_lexicon_file(path))
    matcher = build_matcher([e.folded for e in entries])
    return Lexicon(lexicon_version(extra), tuple(entries), matcher)

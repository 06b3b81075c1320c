"""The allow pass: a separate stage that drops hits, so detectors stay simple.

It drops hits of disabled rules, hits covered by an allow phrase (global, or allowed for
their rule only), and hits whose matched text an allow regex finds.  Regexes are
tried on the original matched text and on its normalized form, so ``^010-`` and a
full-width ``０１０－`` behave alike.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from msgspec import Struct

from secscan.config import Config, rule_matches
from secscan.normalize import fold_term
from secscan.types import Hit

if TYPE_CHECKING:
    from secscan.detect.base import NormDocument


class _Compiled(Struct, frozen=True):
    """The configuration's allow-list, folded and compiled once per configuration."""

    phrases: tuple[str, ...]
    regexes: tuple[re.Pattern[str], ...]
    per_rule: tuple[tuple[str, tuple[str, ...], tuple[re.Pattern[str], ...]], ...]


@functools.cache
def _compiled(config: Config) -> _Compiled:
    per_rule = tuple(
        (a.rule, tuple(p for p in map(fold_term, a.phrases) if p), tuple(re.compile(r) for r in a.regexes))
        for a in config.allow_rules
    )
    phrases = tuple(p for p in map(fold_term, config.allow_phrases) if p)
    return _Compiled(phrases, config.compiled_allow_regexes(), per_rule)


def covered(text: str, hit: Hit, phrases: tuple[str, ...]) -> bool:
    """Some occurrence of an allow phrase in the normalized text spans the whole hit."""
    for phrase in phrases:
        pos = text.find(phrase, max(0, hit.end - len(phrase)), hit.start + len(phrase))
        while pos != -1 and pos <= hit.start:
            if pos + len(phrase) >= hit.end:
                return True
            pos = text.find(phrase, pos + 1, hit.start + len(phrase))
    return False


def allow(hits: list[Hit], norm: NormDocument, config: Config) -> list[Hit]:
    """Drop hits of disabled rules, and hits an allow phrase or regex covers."""
    compiled = _compiled(config)
    kept = []
    for hit in hits:
        if config.rule_disabled(hit.rule):
            continue
        npart = norm.parts[hit.part]
        phrases = compiled.phrases
        regexes = compiled.regexes
        for rule, rule_phrases, rule_regexes in compiled.per_rule:
            if rule_matches(hit.rule, rule):
                phrases += rule_phrases
                regexes += rule_regexes
        if phrases and covered(npart.text, hit, phrases):
            continue
        if regexes:
            start, end = npart.offsets.span(hit.start, hit.end)
            texts = (npart.part.text[start:end], npart.text[hit.start:hit.end])
            if any(rx.search(t) for rx in regexes for t in texts):
                continue
        kept.append(hit)
    return kept

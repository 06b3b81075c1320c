"""The configurable part of the allow pass: allow-list regexes and per-rule allow-lists.

The pipeline's own ``allow`` drops disabled rules and hits covered by a global allow
phrase; this pass then drops hits whose matched text an allow regex finds (global or for
the hit's rule) and hits covered by a phrase allowed for their rule only.  Regexes are
tried on the original matched text and on its normalized form, so ``^010-`` and a
full-width ``０１０－`` behave alike.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from secscan.config import Config, rule_matches
from secscan.detect.base import NormDocument
from secscan.normalize import fold_term
from secscan.types import Hit


@dataclass(frozen=True)
class _Compiled:
    regexes: tuple[re.Pattern[str], ...]
    per_rule: tuple[tuple[str, tuple[str, ...], tuple[re.Pattern[str], ...]], ...]


@functools.cache
def _compiled(config: Config) -> _Compiled:
    per_rule = tuple(
        (a.rule, tuple(p for p in map(fold_term, a.phrases) if p), tuple(re.compile(r) for r in a.regexes))
        for a in config.allow_rules
    )
    return _Compiled(config.compiled_allow_regexes(), per_rule)


def allow_extra(hits: list[Hit], norm: NormDocument, config: Config) -> list[Hit]:
    if not config.allow_regexes and not config.allow_rules:
        return hits
    from secscan.pipeline import _covered  # the pipeline's phrase test, shared not copied

    compiled = _compiled(config)
    kept = []
    for hit in hits:
        npart = norm.parts[hit.part]
        phrases: tuple[str, ...] = ()
        regexes = compiled.regexes
        for rule, rule_phrases, rule_regexes in compiled.per_rule:
            if rule_matches(hit.rule, rule):
                phrases += rule_phrases
                regexes += rule_regexes
        if phrases and _covered(npart.text, hit, phrases):
            continue
        if regexes:
            start, end = npart.offsets.span(hit.start, hit.end)
            texts = (npart.part.text[start:end], npart.text[hit.start:hit.end])
            if any(rx.search(t) for rx in regexes for t in texts):
                continue
        kept.append(hit)
    return kept

"""Findings and errors → a 0–100 score and a verdict, by a small policy table.

* Each finding weighs by its severity (or by the score its detector gave it).
* The verdict follows the heaviest single finding: many small findings never add up to
  ``block``.  Rules in ``NEVER_BLOCK_PREFIXES`` (the classifier) can raise a document to
  ``review`` but never to ``block``.
* Any read error forces at least ``review``: secscan fails closed.
* Context can lower a detector's own weight, never below the weight its rule's severity
  gives a validated finding: the floor lives here, not in the detectors.
"""

from __future__ import annotations

from collections.abc import Sequence

from msgspec import Struct

from secscan.config import Config
from secscan.types import Finding, ReadError, Severity, Verdict

WEIGHT = {Severity.HIGH: 90, Severity.MEDIUM: 60, Severity.LOW: 10}
NEVER_BLOCK_PREFIXES = ("model.",)
_BONUS_PER_FINDING = 2
_BONUS_MAX = 9


class Scored(Struct, frozen=True):
    """A file's score and the verdict it leads to."""

    score: int
    verdict: Verdict


def finding_weight(rule_id: str, severity: Severity, detector_score: int | None, config: Config) -> int:
    weight = WEIGHT[severity] if detector_score is None else max(0, min(100, detector_score))
    if rule_id.startswith(NEVER_BLOCK_PREFIXES):
        weight = min(weight, config.block_threshold - 1)
    return weight


def score_file(findings: Sequence[Finding], errors: Sequence[ReadError], config: Config) -> Scored:
    weights = sorted((f.score for f in findings), reverse=True)
    top = weights[0] if weights else 0
    if errors:
        top = max(top, config.review_threshold + 10)
    if top >= config.block_threshold:
        verdict = Verdict.BLOCK
    elif top >= config.review_threshold or errors:
        verdict = Verdict.REVIEW
    else:
        verdict = Verdict.PASS
    others = sum(1 for w in weights[1:] if w >= config.review_threshold)
    score = min(100, top + min(_BONUS_MAX, _BONUS_PER_FINDING * others))
    if verdict is not Verdict.BLOCK:
        score = min(score, config.block_threshold - 1)
    if verdict is Verdict.PASS:
        score = min(score, config.review_threshold - 1)
    return Scored(score, verdict)

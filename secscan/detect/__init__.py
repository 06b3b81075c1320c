"""Every detector, declared in one place.

Each entry is a :class:`~secscan.detect.base.DetectorSpec`: its rules (``secscan
rules`` lists them) and a ``build(config, lexicon)`` that loads its data once.
"""

from secscan.detect import classifier, context, credentials, lexicon, markings, pii
from secscan.detect.base import DetectorSpec, NormDocument, NormPart, Rule

DETECTORS: tuple[DetectorSpec, ...] = (
    lexicon.SPEC,
    markings.SPEC,
    pii.SPEC,
    credentials.SPEC,
    context.SPEC,
    classifier.SPEC,
)

__all__ = ["DETECTORS", "DetectorSpec", "NormDocument", "NormPart", "Rule"]

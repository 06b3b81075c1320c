"""Folding text for matching, with a map back to the original offsets.

Everything a detector sees went through :func:`normalize`; lexicon terms go through
:func:`fold_term`, the same folding, when the automaton is built.
"""

from secscan.normalize.fold import fold_term, normalize
from secscan.normalize.offsets import OffsetMap

__all__ = ["OffsetMap", "fold_term", "normalize"]

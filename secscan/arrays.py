"""Small numpy helpers shared by the matching stages.

``np.isin``, ``np.unique`` and ``np.union1d`` import ``numpy.ma`` on first use (~15 ms of
start-up); what the stages need of them is simpler.
"""

from __future__ import annotations

import numpy as np


def in_sorted(values: np.ndarray, sorted_array: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_array)`` for an ascending ``sorted_array``."""
    if not sorted_array.size:
        return np.zeros(values.shape, dtype=bool)
    at = np.searchsorted(sorted_array, values)
    return sorted_array[np.minimum(at, sorted_array.size - 1)] == values

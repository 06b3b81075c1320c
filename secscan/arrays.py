"""Small numpy helpers shared by the matching stages.

``np.isin``, ``np.unique`` and ``np.union1d`` import ``numpy.ma`` on first use (~15 ms of
start-up); these do the same for what the stages need, without that import.
"""

from __future__ import annotations

import numpy as np


def in_sorted(values: np.ndarray, sorted_array: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_array)`` for an ascending ``sorted_array``."""
    if not sorted_array.size:
        return np.zeros(values.shape, dtype=bool)
    at = np.searchsorted(sorted_array, values)
    return sorted_array[np.minimum(at, sorted_array.size - 1)] == values


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)``."""
    order = values.argsort(kind="stable")
    ordered = values.take(order)
    first = np.ones(ordered.size, dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(ordered.size, dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse

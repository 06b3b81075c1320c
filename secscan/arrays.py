"""Small numpy helpers shared by the matching stages.

``np.isin``, ``np.unique`` and ``np.union1d`` import ``numpy.ma`` on first use (~15 ms of
start-up); these do the same for what the stages need, without that import.
"""

from __future__ import annotations

import functools

import numpy as np

# Characters per block in find_code_points: a block's code points (1 MB) are reused from one
# block to the next, where one array for a 10 MB text would be 14 MB of fresh memory (and
# ~3,500 page faults, each a few µs in a VM) every time.
_BLOCK = 1 << 18


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


def code_points(text: str) -> np.ndarray:
    """The text's code points as uint32 (a lone surrogate as itself)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def text_of_code_points(codes: np.ndarray) -> str:
    """The text of uint32 code points: :func:`code_points` undone.

    Decoded from the array's own buffer: ``.tobytes()`` would copy it first (a third of
    the decoding's time).
    """
    return str(np.ascontiguousarray(codes, dtype=np.uint32), "utf-32-le", "surrogatepass")


@functools.lru_cache(maxsize=4)  # the parts being detected
def ascii_characters(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Offsets of the text's ASCII characters, and their code points as uint8.

    One pass over a long normalized text serves both the detectors' view of its ASCII
    characters (numbers, keys, addresses) and its newline offsets.
    """
    where, codes = find_code_points(text, np.less, 128)
    return where, codes.astype(np.uint8)


def find_code_points(text: str, test: np.ufunc, value: int) -> tuple[np.ndarray, np.ndarray]:
    """Offsets of the characters whose code point ``c`` passes ``test(c, value)`` (``np.equal, 10``
    finds the newlines), and those code points.

    Computed a block at a time: a long text never needs an array of all its code points.
    """
    found = []
    for lo in range(0, len(text), _BLOCK) if len(text) > _BLOCK else (0,):
        block = code_points(text[lo:lo + _BLOCK])
        at = np.flatnonzero(test(block, value))
        found.append((at + lo if lo else at, block.take(at)))
    if len(found) == 1:
        return found[0]
    return np.concatenate([offsets for offsets, _ in found]), np.concatenate([codes for _, codes in found])

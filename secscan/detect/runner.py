"""Run a document's detectors: in this process, or split over two on a long document.

On a long document the side detectors (the context rules and the classifier, which
share the model's score and read only the normalized text) run in a forked child while
the others (lexicon, markings, pii, credentials) run here, so a scan of a 10 MB file
uses the machine's second core.  The split changes nothing in the result: each detector
runs the same code on the same document, the child sends back its hits and errors, and
they are put back in the detectors' declared order.  Anything that goes wrong with the
child (no fork, a crash, a time-out, a result that does not unpickle) makes the side
detectors run here after all, so the result is still the same.

The split is made only where it can pay and cannot harm: on Linux (macOS's system
libraries, numpy's BLAS among them, are not safe to use in a forked child), where the
process may use two CPUs, no other thread runs (a fork copies no threads, but it copies
the locks they hold: a server's or a Dask worker's threads rule it out), and the document
holds at least :data:`SPLIT_MIN_CHARS` characters (below that the fork costs more than it
saves).
"""

from __future__ import annotations

import functools
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable, Sequence

from msgspec import Struct

from secscan.detect.base import DetectFn, NormDocument
from secscan.forking import ForkedCall
from secscan.types import Hit

# Measured on 10 MB: the side detectors take about 62 ms per million characters, the
# others about 45; the fork, the child's copy-on-write page faults and the pickles cost
# about 15 ms per million plus a few ms.  From a million characters on, the split pays.
SPLIT_MIN_CHARS = 1 << 20
_RESULT_CAP = 1 << 30


class DetectorRun(Struct, frozen=True):
    """What one detector gave: its hits, or the error that stopped it."""

    hits: tuple[Hit, ...]
    error: str | None = None


class Detector(Struct, frozen=True, eq=False):  # a built function: identity, not value, equality
    """A built detector and whether it may run in the side process."""

    detect: DetectFn
    side: bool = False


def run_detectors(detectors: Sequence[Detector], doc: NormDocument, timeout: float,
                  meanwhile: Callable[[list[Hit]], object] | None = None) -> list[DetectorRun]:
    """Every detector's run on ``doc``, in the order of ``detectors``.

    ``timeout`` bounds the wait for the side process; past it, its detectors run here.
    When there is a side process, ``meanwhile`` is given this process's hits before the
    wait for its result (the pipeline places them as findings: work done in time that
    would otherwise be spent waiting).
    """
    side = [i for i, d in enumerate(detectors) if d.side]
    if not side or not may_split(doc):
        return [run_one(d.detect, doc) for d in detectors]
    produce = functools.partial(_side_payload, [detectors[i].detect for i in side], doc)
    try:
        child = ForkedCall(produce)
    except OSError:  # no fork possible now (process limit, memory)
        return [run_one(d.detect, doc) for d in detectors]
    with child:
        runs = {i: run_one(d.detect, doc) for i, d in enumerate(detectors) if not d.side}
        if meanwhile is not None:
            meanwhile([hit for run in runs.values() for hit in run.hits])
        received = _decode(child.result(time.monotonic() + timeout, _RESULT_CAP).value(tuple), len(side))
    if received is None:
        received = [run_one(detectors[i].detect, doc) for i in side]
    runs.update(zip(side, received, strict=True))
    return [runs[i] for i in range(len(detectors))]


def run_one(detect: DetectFn, doc: NormDocument) -> DetectorRun:
    try:
        return DetectorRun(tuple(detect(doc)))
    except Exception as exc:  # a detector bug is reported by the caller, and the file is not passed
        return DetectorRun((), f"{type(exc).__name__}: {exc}")


def may_split(doc: NormDocument) -> bool:
    return (
        sys.platform.startswith("linux")
        and _usable_cpus() >= 2
        and not _other_threads()
        and sum(len(p.text) for p in doc.parts) >= SPLIT_MIN_CHARS
    )


def _other_threads() -> bool:
    return threading.active_count() > 1


def _usable_cpus() -> int:
    return len(os.sched_getaffinity(0))


def _side_payload(detects: list[DetectFn], doc: NormDocument) -> bytes:
    """The child's work: each side detector's hits or error.

    Hits cross the pipe as plain tuples: their facts are a read-only mapping proxy, which
    does not pickle.
    """
    out = []
    for detect in detects:
        run = run_one(detect, doc)
        out.append(([(h.rule, h.part, h.start, h.end, dict(h.facts), h.score) for h in run.hits], run.error))
    return pickle.dumps(tuple(out), protocol=pickle.HIGHEST_PROTOCOL)


def _decode(received: tuple | None, expected: int) -> list[DetectorRun] | None:
    if received is None or len(received) != expected:
        return None
    try:
        return [DetectorRun(tuple(Hit(*row) for row in rows), error) for rows, error in received]
    except (TypeError, ValueError):
        return None

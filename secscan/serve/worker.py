"""What runs inside a scan process: one warmed-up :class:`~secscan.Scanner` per process.

The pool's initializer calls :func:`init` once; :func:`scan` then handles one job at a
time and returns the SPEC's file report as plain JSON data (small to send back: the
extracted parts stay in the worker).

Fault injection for the test suite: with ``SECSCAN_SERVE_FAULTS=1`` in the server's
environment, an upload that starts with ``%SECSCAN-FAULT crash`` makes the worker exit
as a crashing C parser would, and ``%SECSCAN-FAULT sleep`` makes it hang.  It is wired
in through the pipeline's replaceable ``extract`` stage, so the production path is the
same code with the Scanner's own (isolated) extractor.
"""

from __future__ import annotations

import functools
import os
import signal
import time
from typing import Any, Literal

from msgspec import Struct

from secscan.config import Config
from secscan.extract import Limits
from secscan.extract.isolate import ExtractFn, default_extractor, preload_parsers
from secscan.pipeline import Scanner
from secscan.report.json import file_dict
from secscan.types import Document

FAULTS_ENV = "SECSCAN_SERVE_FAULTS"
FAULT_PREFIX = b"%SECSCAN-FAULT "

# Per-process state, set once by the pool's initializer (the usual ProcessPoolExecutor
# pattern): building the lexicon automaton and the model per request would cost more
# than the scan.
_scanner: Scanner | None = None


class Job(Struct, frozen=True):
    kind: Literal["bytes", "text"]
    payload: bytes | str
    name: str
    mask: bool = False


def init(config: Config) -> None:
    global _scanner
    # Ctrl-C reaches the whole process group; the server shuts the workers down itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    extract = None  # the Scanner's own: each file read in an isolated child (extract/isolate.py)
    if os.environ.get(FAULTS_ENV) == "1":
        extract = functools.partial(_faulty_extract, default_extractor(config))
    _scanner = Scanner(config, extract=extract).warm_up()
    preload_parsers(config)  # so that no request's forked extraction imports one


def ready() -> int:
    """Answered once the initializer has run: the server's readiness probe for a worker."""
    return os.getpid()


def scan(job: Job) -> dict[str, Any]:
    if _scanner is None:  # pragma: no cover - the pool always runs init first
        raise RuntimeError("worker not initialised")
    if job.kind == "text":
        report = _scanner.scan_text(str(job.payload), job.name)
    else:
        data = job.payload if isinstance(job.payload, bytes) else str(job.payload).encode("utf-8")
        report = _scanner.scan_bytes(data, job.name)
    return file_dict(report, job.mask)


def _faulty_extract(real: ExtractFn, data: bytes, name: str, limits: Limits) -> Document:
    # Faults strike in the worker itself, past the per-file child: what the pool must survive.
    if data.startswith(FAULT_PREFIX):
        fault = data[len(FAULT_PREFIX):].split(maxsplit=1)[0]
        if fault == b"crash":
            os._exit(70)
        if fault == b"sleep":
            time.sleep(3600)
    return real(data, name, limits)

"""The one scan function both engines run: a local process pool and Dask workers alike.

Documents travel in batches (:class:`Batch`, one task each) so that a task's fixed cost —
pickling, the scheduler's bookkeeping, a round trip — is paid once per batch, not once
per page.  A worker process builds its :class:`~secscan.pipeline.Scanner` once (lexicon
automaton, detectors) and keeps it for every batch it is sent; only the compact results
travel back (no extracted text), one :class:`Outcome` per document, ready for the store.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import socket
import time
from collections.abc import Sequence

from msgspec import Struct

from secscan import __version__
from secscan.config import Config
from secscan.extract.base import error_document
from secscan.extract.isolate import preload_parsers
from secscan.lexicon import shipped_lexicon_files
from secscan.pipeline import Scanner
from secscan.report.json import file_dict
from secscan.types import ErrorKind, ReadError


class Versions(Struct, frozen=True):
    """What a stored result depends on; ``scan_key`` changes when any of it does."""

    secscan: str
    lexicon: str
    model: str
    scan_key: str


class Job(Struct, frozen=True):
    """One document to scan: its bytes, or the error that kept the bytes from us."""

    content_hash: str
    name: str
    data: bytes | None
    error: ReadError | None = None


class Batch(Struct, frozen=True):
    """Documents scanned by one task.  A record rather than a bare tuple so that Dask
    scatters it as one object."""

    jobs: tuple[Job, ...]

    @property
    def size(self) -> int:
        return sum(len(j.data) for j in self.jobs if j.data is not None)


class Outcome(Struct, frozen=True):
    content_hash: str
    scan_key: str
    verdict: str
    score: int
    findings_json: str
    errors_json: str
    media_type: str
    seconds: float
    worker: str
    links_json: str = "[]"  # attachment links of an HTML page, for the audit to follow


def versions_for(config: Config) -> Versions:
    """The versions a scanner with ``config`` reports, and a key over everything that moves a result.

    The key hashes the lexicon files' bytes (so an edited custom lexicon counts even when
    its version string does not move) and the scanner settings (thresholds, disabled
    rules, allow-lists).
    """
    scanner = _scanner(config)
    digest = hashlib.sha256()
    for part in (__version__, scanner.lexicon_version, scanner.model_version):
        digest.update(part.encode() + b"\0")
    for path in [*shipped_lexicon_files(), *config.extra_lexicons]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(repr(list(config.settings())).encode())
    return Versions(__version__, scanner.lexicon_version, scanner.model_version, digest.hexdigest()[:20])


@functools.cache
def _scanner(config: Config) -> Scanner:
    # One per worker process (and per configuration): the matcher is built once here.
    return Scanner(config).warm_up()


def init_worker(config: Config) -> None:
    """Process-pool initializer: build the scanner and import the parsers before the first document arrives."""
    _scanner(config)
    preload_parsers(config)


# An HTML page rarely links more; the cap keeps one hostile page from flooding the store.
MAX_LINKS = 1000


def scan_batch(batch: Batch | Sequence[Job], config: Config) -> list[Outcome]:
    """The task both engines run: every document of ``batch``, in order."""
    jobs = batch.jobs if isinstance(batch, Batch) else batch
    return [scan_job(job, config) for job in jobs]


def scan_job(job: Job, config: Config) -> Outcome:
    """Scan one document; never raises for a bad document (the pipeline fails closed)."""
    started = time.perf_counter()
    scanner = _scanner(config)
    if job.data is None:
        error = job.error or ReadError(ErrorKind.INTERNAL, "没有可读取的内容")
        report = scanner.scan_document(error_document(job.name, "application/octet-stream", error.kind, error.message))
    else:
        report = scanner.scan_bytes(job.data, job.name)
    row = file_dict(report)
    return Outcome(
        job.content_hash,
        _scan_key(config),
        report.verdict.value,
        report.score,
        json.dumps(row["findings"], ensure_ascii=False),
        json.dumps(row["errors"], ensure_ascii=False),
        report.media_type,
        time.perf_counter() - started,
        f"{socket.gethostname()}:{os.getpid()}",
        json.dumps(list(report.links[:MAX_LINKS]), ensure_ascii=False),
    )


@functools.cache
def _scan_key(config: Config) -> str:
    return versions_for(config).scan_key

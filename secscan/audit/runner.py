"""Run an audit: stream sources → hash → skip what is known → scan in parallel → store.

Two engines run the *same* function, :func:`secscan.audit.worker.scan_job`: a local
process pool (``--jobs``) and a Dask distributed cluster (``--engine dask``).  Either
way the client alone reads sources and writes the database, and at most a fixed window
of documents is in flight, so memory stays bounded whatever the corpus size.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import time
import weakref
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Protocol

from secscan.audit.sources import Item, Origin, Source
from secscan.audit.store import AuditStore, StoreError
from secscan.audit.worker import Job, Outcome, Versions, init_worker, scan_job, versions_for
from secscan.config import Config
from secscan.score import score_file
from secscan.types import ErrorKind, ReadError, Verdict

# -- engines -------------------------------------------------------------------------


class Engine(Protocol):
    slots: int
    window: int  # documents in flight at most: keeps every worker busy, and memory bounded

    def submit(self, job: Job) -> Any: ...

    def wait_some(self, futures: set[Any]) -> tuple[set[Any], set[Any]]: ...

    def close(self) -> None: ...


class LocalEngine:
    """A process pool; each worker builds its scanner once, in the initializer.

    A worker that dies (a crash in a C extension, the OOM killer) breaks the whole pool:
    the pool is started again, and the documents that were in flight are recorded as
    failed.  A pool that keeps breaking with nothing scanned in between stops the audit.
    """

    max_restarts = 3

    def __init__(self, config: Config, jobs: int) -> None:
        self.config = config
        self.slots = max(1, jobs)
        self.window = 4 * self.slots
        self._restarts = 0
        self._pool = self._new_pool()
        self._current: weakref.WeakSet[Future[Outcome]] = weakref.WeakSet()

    def _new_pool(self) -> ProcessPoolExecutor:
        # forkserver: fetcher threads may be running in the client, and fork() with
        # threads is unsafe; spawn would re-import everything for every worker.
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        return ProcessPoolExecutor(
            self.slots, mp_context=multiprocessing.get_context(method), initializer=init_worker, initargs=(self.config,)
        )

    def submit(self, job: Job) -> Future[Outcome]:
        try:
            future = self._pool.submit(scan_job, job, self.config)
        except BrokenProcessPool:
            self.restart()
            future = self._pool.submit(scan_job, job, self.config)
        self._current.add(future)
        return future

    def wait_some(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        done, pending = wait(futures, return_when=FIRST_COMPLETED)
        broken = [f for f in done if isinstance(f.exception(), BrokenProcessPool)]
        if any(f in self._current for f in broken):
            self.restart()
        elif len(broken) < len(done):
            self._restarts = 0
        return set(done), set(pending)

    def restart(self) -> None:
        self._restarts += 1
        if self._restarts > self.max_restarts:
            raise RuntimeError("scan worker processes keep dying at start; see the errors above")
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()
        self._current = weakref.WeakSet()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine:
    """The same scan function on a Dask cluster; the scanner is cached per worker process."""

    def __init__(self, config: Config, scheduler: str | Any) -> None:
        from distributed import Client, as_completed

        self._own = not isinstance(scheduler, Client)
        self.client = Client(scheduler) if self._own else scheduler
        self.client.run(init_worker, config)  # build the matcher on every worker before the first task
        self._config = self.client.scatter(config, broadcast=True)
        self._completed = as_completed()
        threads = sum(self.client.nthreads().values())
        self.slots = max(1, threads)
        # A task's round trip through the scheduler is a few milliseconds, as long as a
        # small document's scan: keep more in flight so that workers never wait.
        self.window = 32 * self.slots

    def submit(self, job: Job) -> Any:
        future = self.client.submit(scan_job, job, self._config, pure=False)
        self._completed.add(future)
        return future

    def wait_some(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        # One as_completed for the whole audit: distributed.wait() per call would cost
        # time proportional to the window on every completion.
        done = {next(self._completed)}
        done.update(self._completed.next_batch(block=False))
        return done, futures - done

    def close(self) -> None:
        if self._own:
            self.client.close()


# -- the loop ------------------------------------------------------------------------


@dataclass
class AuditSummary:
    audit_id: int
    resumed: bool
    scan_key: str
    documents: int = 0  # recorded in this run
    scanned: int = 0  # sent to a worker
    reused: int = 0  # same content already scanned with these versions (or in flight)
    failed: int = 0  # a worker died on it: recorded as review, retried by the next audit
    bytes: int = 0
    scanned_bytes: int = 0
    seconds: float = 0.0
    verdicts: dict[str, int] = field(default_factory=dict)  # documents of the whole audit by verdict

    @property
    def docs_per_second(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0

    @property
    def mb_per_second(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds else 0.0

    @property
    def worst(self) -> Verdict:
        return Verdict.worst([Verdict(v) for v, n in self.verdicts.items() if n])

    def as_dict(self) -> dict[str, Any]:
        return {
            "audit": self.audit_id, "resumed": self.resumed, "documents": self.documents, "scanned": self.scanned,
            "reused": self.reused, "failed": self.failed, "bytes": self.bytes, "seconds": round(self.seconds, 3),
            "docs_per_second": round(self.docs_per_second, 2), "mb_per_second": round(self.mb_per_second, 3),
            "verdicts": self.verdicts,
        }


def content_hash(item: Item) -> str:
    if item.data is not None:
        return hashlib.sha256(item.data).hexdigest()
    # Not content: a fetch or read failure is keyed by where and why, and is tried again next audit.
    error = item.error or ReadError(ErrorKind.INTERNAL, "")
    return "error:" + hashlib.sha256(f"{item.origin.key}\0{error.kind}\0{error.message}".encode()).hexdigest()


class _Progress(Protocol):
    def advance(self, n: int = 1) -> None: ...


class _Audit:
    """The state of one run: futures in flight and the origins waiting on each content hash."""

    def __init__(self, store: AuditStore, engine: Engine, config: Config, versions: Versions, summary: AuditSummary,
                 progress: _Progress, window: int) -> None:
        self.store, self.engine, self.config, self.versions = store, engine, config, versions
        self.summary, self.progress, self.window = summary, progress, window
        self.futures: dict[Any, tuple[str, int]] = {}
        self.waiting: dict[str, list[tuple[Origin, int]]] = {}

    def add(self, item: Item) -> None:
        digest = content_hash(item)
        size = len(item.data) if item.data is not None else 0
        self.summary.bytes += size
        if digest in self.waiting:  # the same bytes under another origin, already in flight
            self.waiting[digest].append((item.origin, size))
            self.summary.reused += 1
            return
        if self.store.has_result(digest, self.versions.scan_key):
            self.summary.reused += 1
            self._record(item.origin, digest, size)
            return
        future = self.engine.submit(Job(digest, item.name, item.data, item.error))
        self.futures[future] = (digest, size)
        self.waiting[digest] = [(item.origin, size)]
        self.summary.scanned += 1
        self.summary.scanned_bytes += size
        while len(self.futures) >= self.window:
            self.drain(everything=False)

    def drain(self, everything: bool = True) -> None:
        while self.futures:
            done, _ = self.engine.wait_some(set(self.futures))
            for future in done:
                digest, size = self.futures.pop(future)
                outcome = self._outcome(future, digest)
                self.store.record_result(outcome, size, self.summary.audit_id, self.versions)
                for origin, osize in self.waiting.pop(digest):
                    self._record(origin, outcome.content_hash, osize)
            self.store.maybe_commit()
            if not everything:
                return

    def _outcome(self, future: Any, digest: str) -> Outcome:
        try:
            outcome: Outcome = future.result()
        except BrokenProcessPool as exc:
            return self._failed(digest, f"扫描进程异常退出:{exc}")
        except Exception as exc:  # a worker lost (Dask KilledWorker, …): the document is recorded, not lost
            return self._failed(digest, f"扫描失败:{type(exc).__name__}: {exc}")
        if outcome.scan_key != self.versions.scan_key:
            raise StoreError(
                f"worker {outcome.worker} scans with other lexicon/model/settings than this client; "
                "install the same secscan and data on every worker"
            )
        return outcome

    def _failed(self, digest: str, message: str) -> Outcome:
        # Stored under its own key, so the next audit tries this content again.
        self.summary.failed += 1
        error = ReadError(ErrorKind.INTERNAL, message)
        scored = score_file([], [error], self.config)
        errors = json.dumps([{"kind": error.kind.value, "message": message}], ensure_ascii=False)
        return Outcome(f"failed:{digest}", self.versions.scan_key, scored.verdict.value, scored.score, "[]", errors,
                       "", 0.0, "")

    def _record(self, origin: Origin, digest: str, size: int) -> None:
        self.store.record_document(self.summary.audit_id, origin, digest, self.versions.scan_key, size)
        self.summary.documents += 1
        self.progress.advance()


class _NoProgress:
    def advance(self, n: int = 1) -> None:
        pass


def iter_items(sources: Iterable[Source], skip: Any) -> Iterator[Item]:
    for source in sources:
        yield from source.items(skip)


def run_audit(
    sources: list[Source],
    store: AuditStore,
    config: Config,
    *,
    jobs: int | None = None,
    engine: str | Engine = "local",
    scheduler: str | Any = None,
    resume: bool = False,
    progress: bool | None = None,
) -> AuditSummary:
    """Audit ``sources`` into ``store``; returns the counts of this run.

    ``engine`` is "local" (a pool of ``jobs`` processes), "dask" (on ``scheduler``: an
    address or a ``distributed.Client``) or any :class:`Engine`.  ``progress`` None shows
    a bar on stderr only when it is a terminal.
    """
    versions = versions_for(config)
    audit_id, resumed = store.begin_audit([s.label for s in sources], versions, resume=resume)
    summary = AuditSummary(audit_id, resumed, versions.scan_key)
    started = time.perf_counter()
    if not isinstance(engine, str):
        runner: Engine = engine
    elif engine == "dask":
        if scheduler is None:
            raise ValueError("the dask engine needs a scheduler address (--scheduler tcp://host:8786)")
        runner = DaskEngine(config, scheduler)
    elif engine == "local":
        runner = LocalEngine(config, jobs or os.cpu_count() or 1)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with _ProgressBar(show, sources, store, audit_id) as bar:
            audit = _Audit(store, runner, config, versions, summary, bar, window=runner.window)
            for item in iter_items(sources, lambda key: store.has_origin(audit_id, key)):
                audit.add(item)
            audit.drain()
    finally:
        runner.close()
        summary.seconds = time.perf_counter() - started
        store.commit()
    summary.verdicts = store.counts(audit_id)[0]  # the whole audit, resumed parts included
    store.finish_audit(audit_id, summary.as_dict())
    return summary


class _RichProgress:
    def __init__(self, progress: Any, task: Any) -> None:
        self._progress, self._task = progress, task

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)


class _ProgressBar:
    """A rich progress bar on stderr with documents per second and an ETA (when the total is known)."""

    def __init__(self, show: bool, sources: list[Source], store: AuditStore, audit_id: int) -> None:
        self.show, self.sources, self.store, self.audit_id = show, sources, store, audit_id
        self._progress: Any = None

    def __enter__(self) -> _Progress:
        if not self.show:
            return _NoProgress()
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:.1f} 篇/秒" if speed else "-- 篇/秒")

        estimates = [s.estimate() for s in self.sources]
        total = None if any(e is None for e in estimates) else sum(e or 0 for e in estimates)
        if total is not None:
            total = max(0, total - self.store.documents_recorded(self.audit_id))
        self._progress = Progress(
            TextColumn("审查 auditing"), BarColumn(), MofNCompleteColumn(), RateColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), TimeElapsedColumn(), console=Console(stderr=True),
        )
        self._progress.start()
        return _RichProgress(self._progress, self._progress.add_task("audit", total=total))

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

"""Run an audit: stream sources → hash → skip what is known → scan in parallel → store.

Two engines run the *same* task function, :func:`secscan.audit.worker.scan_batch`: a
local process pool (``--jobs``) and a Dask distributed cluster (``--engine dask``).
Documents go to the workers in batches (up to ``batch_docs`` documents or ``batch_bytes``
bytes, a larger document alone) so the per-task cost is paid once per batch.  Either way
the client alone reads sources and writes the database, one document at a time as each
batch comes back, and at most ``window`` batches (and :data:`MAX_INFLIGHT_BYTES`) are in
flight, so memory stays bounded whatever the corpus size.

After the sources, the attachments linked from fetched pages are fetched and audited too
(:mod:`secscan.audit.follow`).
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
from typing import Any, Protocol

from msgspec import Struct, field

from secscan.audit.follow import FollowedLinks, attachment_urls, is_followed_page
from secscan.audit.sources import Filters, Item, Origin, SitemapSource, Source, UrlListSource
from secscan.audit.store import AuditStore, StoreError
from secscan.audit.worker import Batch, Job, Outcome, Versions, init_worker, scan_batch, versions_for
from secscan.config import Config
from secscan.score import score_file
from secscan.types import ErrorKind, ReadError, Verdict

MAX_INFLIGHT_BYTES = 256 * 1024 * 1024  # document bytes held for batches in flight, whatever the engine
MAX_BATCH_AGE = 1.0  # seconds a partial batch waits for more documents (slow sources: fetching)

# -- engines -------------------------------------------------------------------------


class Engine(Protocol):
    slots: int
    window: int  # batches in flight at most: keeps every worker busy, and memory bounded
    batch_docs: int  # documents per batch at most
    batch_bytes: int  # bytes per batch at most (a larger document is a batch of its own)

    def submit(self, batch: Batch) -> Any: ...

    def wait_some(self, futures: set[Any], block: bool = True) -> tuple[set[Any], set[Any]]:
        """(done, pending); without ``block`` only what is done already (possibly nothing)."""

    def close(self) -> None: ...


class LocalEngine:
    """A process pool; each worker builds its scanner once, in the initializer.

    A worker that dies (a crash in a C extension, the OOM killer) breaks the whole pool:
    the pool is started again, and the batches that were in flight are split and retried
    document by document; a document that fails alone is recorded as failed.  A pool that
    keeps breaking with nothing scanned in between stops the audit.
    """

    max_restarts = 3
    # Measured (docs/audit.md): a pool task costs well under a millisecond of pickling
    # and IPC; 8 documents a task make it negligible and keep the in-flight window small.
    batch_docs = 8
    batch_bytes = 4 * 1024 * 1024

    def __init__(self, config: Config, jobs: int, batch_docs: int | None = None) -> None:
        self.config = config
        self.slots = max(1, jobs)
        self.batch_docs = batch_docs or self.batch_docs
        self.window = 3 * self.slots
        self._restarts = 0
        self._pool = self._new_pool()
        self._current: weakref.WeakSet[Future[list[Outcome]]] = weakref.WeakSet()

    def _new_pool(self) -> ProcessPoolExecutor:
        # forkserver: fetcher threads may be running in the client, and fork() with
        # threads is unsafe; spawn would re-import everything for every worker.
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        return ProcessPoolExecutor(
            self.slots, mp_context=multiprocessing.get_context(method), initializer=init_worker, initargs=(self.config,)
        )

    def submit(self, batch: Batch) -> Future[list[Outcome]]:
        try:
            future = self._pool.submit(scan_batch, batch, self.config)
        except BrokenProcessPool:
            self.restart()
            future = self._pool.submit(scan_batch, batch, self.config)
        self._current.add(future)
        return future

    def wait_some(self, futures: set[Any], block: bool = True) -> tuple[set[Any], set[Any]]:
        if block:
            done, pending = wait(futures, return_when=FIRST_COMPLETED)
        else:
            done = {f for f in futures if f.done()}
            pending = futures - done
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
    """The same task function on a Dask cluster; the scanner is cached per worker process."""

    # Measured (docs/audit.md): a task costs the client and scheduler ~20 ms, a small
    # page ~5 ms to scan; 32 documents a task cut the overhead to under a millisecond
    # per document (16–128 measured within noise of each other, 1 four times slower),
    # and 3 batches in flight per worker thread keep every worker fed.
    batch_docs = 32
    batch_bytes = 8 * 1024 * 1024
    scatter_bytes = 4 * 1024 * 1024  # larger batches travel worker-to-worker, not inside the task graph

    def __init__(self, config: Config, scheduler: str | Any, batch_docs: int | None = None) -> None:
        from distributed import Client, as_completed

        self._own = not isinstance(scheduler, Client)
        self.client = Client(scheduler) if self._own else scheduler
        self.client.run(init_worker, config)  # build the matcher on every worker before the first task
        self._config = self.client.scatter(config, broadcast=True)
        self._completed = as_completed()
        threads = sum(self.client.nthreads().values())
        self.slots = max(1, threads)
        self.batch_docs = batch_docs or self.batch_docs
        self.window = 3 * self.slots

    def submit(self, batch: Batch) -> Any:
        payload = self.client.scatter(batch, direct=True) if batch.size > self.scatter_bytes else batch
        future = self.client.submit(scan_batch, payload, self._config, pure=False)
        self._completed.add(future)
        return future

    def wait_some(self, futures: set[Any], block: bool = True) -> tuple[set[Any], set[Any]]:
        # One as_completed for the whole audit: distributed.wait() per call would cost
        # time proportional to the window on every completion.
        done = set(self._completed.next_batch(block=block))
        return done, futures - done

    def close(self) -> None:
        if self._own:
            self.client.close()


# -- the loop ------------------------------------------------------------------------


class AuditSummary(Struct):
    audit_id: int
    resumed: bool
    scan_key: str
    documents: int = 0  # recorded in this run
    scanned: int = 0  # sent to a worker
    reused: int = 0  # same content already scanned with these versions (or in flight)
    failed: int = 0  # a worker died on it: recorded as review, retried by the next audit
    attachments: int = 0  # of the documents: attachments followed from fetched pages
    batches: int = 0  # tasks sent to the engine
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
            "reused": self.reused, "failed": self.failed, "attachments": self.attachments, "batches": self.batches,
            "bytes": self.bytes, "seconds": round(self.seconds, 3), "docs_per_second": round(self.docs_per_second, 2),
            "mb_per_second": round(self.mb_per_second, 3), "verdicts": self.verdicts,
        }


def content_hash(item: Item) -> str:
    if item.data is not None:
        return hashlib.sha256(item.data).hexdigest()
    # Not content: a fetch or read failure is keyed by where and why, and is tried again next audit.
    error = item.error or ReadError(ErrorKind.INTERNAL, "")
    return "error:" + hashlib.sha256(f"{item.origin.key}\0{error.kind}\0{error.message}".encode()).hexdigest()


class _Progress(Protocol):
    def advance(self, n: int = 1) -> None: ...

    def grow(self, n: int) -> None:
        """``n`` more documents to expect (attachments found on the way)."""


class _Audit:
    """The state of one run: the batch being filled, batches in flight, the origins waiting on each content hash."""

    def __init__(self, store: AuditStore, engine: Engine, config: Config, versions: Versions, summary: AuditSummary,
                 progress: _Progress, follow: Filters | None) -> None:
        self.store, self.engine, self.config, self.versions = store, engine, config, versions
        self.summary, self.progress, self.follow = summary, progress, follow
        self.futures: dict[Any, Batch] = {}
        self.waiting: dict[str, list[tuple[Origin, int]]] = {}
        self.filling: list[Job] = []
        self.filling_bytes = 0
        self.filling_since = 0.0
        self.inflight_bytes = 0

    def add(self, item: Item) -> None:
        digest = content_hash(item)
        size = len(item.data) if item.data is not None else 0
        self.summary.bytes += size
        if digest in self.waiting:  # the same bytes under another origin, already on its way
            self.waiting[digest].append((item.origin, size))
            self.summary.reused += 1
            return
        if self.store.has_result(digest, self.versions.scan_key):
            self.summary.reused += 1
            self._record(item.origin, digest, size)
            return
        self.waiting[digest] = [(item.origin, size)]
        self.summary.scanned += 1
        self.summary.scanned_bytes += size
        if not self.filling:
            self.filling_since = time.monotonic()
        self.filling.append(Job(digest, item.name, item.data, item.error))
        self.filling_bytes += size
        if (len(self.filling) >= self.engine.batch_docs or self.filling_bytes >= self.engine.batch_bytes
                or time.monotonic() - self.filling_since >= MAX_BATCH_AGE):
            self.flush()

    def flush(self) -> None:
        """Send the batch being filled, record what has come back, and wait while too much is in flight."""
        if self.filling:
            self._submit(Batch(tuple(self.filling)))
            self.filling, self.filling_bytes = [], 0
        self._collect(block=False)
        while self.futures and (len(self.futures) >= self.engine.window or self.inflight_bytes > MAX_INFLIGHT_BYTES):
            self._collect(block=True)

    def finish(self) -> None:
        self.flush()
        while self.futures:
            self._collect(block=True)

    def _submit(self, batch: Batch) -> None:
        self.futures[self.engine.submit(batch)] = batch
        self.inflight_bytes += batch.size
        self.summary.batches += 1

    def _collect(self, block: bool) -> None:
        if not self.futures:
            return
        done, _ = self.engine.wait_some(set(self.futures), block)
        for future in done:
            batch = self.futures.pop(future)
            self.inflight_bytes -= batch.size
            outcomes = self._outcomes(future, batch)
            if outcomes is None:
                continue  # split and sent again
            for job, outcome in zip(batch.jobs, outcomes, strict=True):
                origins = self.waiting.pop(job.content_hash)
                self.store.record_result(outcome, origins[0][1], self.summary.audit_id, self.versions)
                for origin, size in origins:
                    self._record(origin, outcome.content_hash, size)
        self.store.maybe_commit()

    def _outcomes(self, future: Any, batch: Batch) -> list[Outcome] | None:
        try:
            outcomes: list[Outcome] = future.result()
        except Exception as exc:  # BrokenProcessPool, Dask KilledWorker, …: nothing is lost
            if len(batch.jobs) > 1:
                # Which document killed the worker is unknown: retry each alone, so one
                # bad file does not take its batch-mates with it.
                for job in batch.jobs:
                    self._submit(Batch((job,)))
                return None
            (job,) = batch.jobs
            if isinstance(exc, BrokenProcessPool):
                return [self._failed(job.content_hash, f"扫描进程异常退出:{exc}")]
            return [self._failed(job.content_hash, f"扫描失败:{type(exc).__name__}: {exc}")]
        if len(outcomes) != len(batch.jobs):
            raise StoreError(f"a worker returned {len(outcomes)} results for a batch of {len(batch.jobs)}")
        for outcome in outcomes:
            if outcome.scan_key != self.versions.scan_key:
                raise StoreError(
                    f"worker {outcome.worker} scans with other lexicon/model/settings than this client; "
                    "install the same secscan and data on every worker"
                )
        return outcomes

    def _failed(self, digest: str, message: str) -> Outcome:
        # Stored under its own key, so the next audit tries this content again.
        self.summary.failed += 1
        error = ReadError(ErrorKind.INTERNAL, message)
        scored = score_file([], [error], self.config)
        errors = json.dumps([{"kind": error.kind.value, "message": message}], ensure_ascii=False)
        return Outcome(f"failed:{digest}", self.versions.scan_key, scored.verdict.value, scored.score, "[]", errors,
                       "", 0.0, "")

    def _record(self, origin: Origin, digest: str, size: int) -> None:
        audit_id, scan_key = self.summary.audit_id, self.versions.scan_key
        self.store.record_document(audit_id, origin, digest, scan_key, size)
        if self.follow is not None and origin.url and is_followed_page(origin):
            # Queued in the same transaction as the page: a resumed audit still follows them.
            urls = attachment_urls(origin.url, self.store.page_links(digest, scan_key), self.follow)
            if urls:
                self.store.queue_links(audit_id, origin.url, urls)
        self.summary.documents += 1
        if origin.referrer is not None:
            self.summary.attachments += 1
        self.progress.advance()


class _NoProgress:
    def advance(self, n: int = 1) -> None:
        pass

    def grow(self, n: int) -> None:
        pass


def iter_items(sources: Iterable[Source], skip: Any) -> Iterator[Item]:
    for source in sources:
        yield from source.items(skip)


def _web_source(sources: list[Source]) -> UrlListSource | SitemapSource | None:
    """The source whose fetcher and filters serve followed attachments too."""
    return next((s for s in sources if isinstance(s, UrlListSource | SitemapSource)), None)


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
    follow_attachments: bool = True,
    batch_docs: int | None = None,
) -> AuditSummary:
    """Audit ``sources`` into ``store``; returns the counts of this run.

    ``engine`` is "local" (a pool of ``jobs`` processes), "dask" (on ``scheduler``: an
    address or a ``distributed.Client``) or any :class:`Engine`; ``batch_docs`` overrides
    the engine's documents per task.  ``progress`` None shows a bar on stderr only when it
    is a terminal.  With ``follow_attachments``, attachments linked from pages fetched
    from a URL list or sitemap are fetched and audited after the sources (one level deep).
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
        runner = DaskEngine(config, scheduler, batch_docs)
    elif engine == "local":
        runner = LocalEngine(config, jobs or os.cpu_count() or 1, batch_docs)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    web = _web_source(sources) if follow_attachments else None
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with _ProgressBar(show, sources, store, audit_id) as bar:
            def skip(key: str) -> bool:
                return store.has_origin(audit_id, key)

            audit = _Audit(store, runner, config, versions, summary, bar, web.filters if web else None)
            for item in iter_items(sources, skip):
                audit.add(item)
            audit.finish()
            if web is not None:
                # Every page is recorded now, so the queue is complete; attachments add no links.
                bar.grow(store.count_queued(audit_id))
                for item in FollowedLinks(store, audit_id, web.fetcher).items(skip):
                    audit.add(item)
                audit.finish()
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

    def grow(self, n: int) -> None:
        total = self._progress.tasks[0].total
        if n and total is not None:
            self._progress.update(self._task, total=total + n)


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

"""The scan process pool: bounded admission, a time limit per scan, and crash recovery.

Each of the ``--workers`` slots is its own one-process executor, so a scan that hangs or
crashes is dealt with alone: its process is killed or found dead, that slot is rebuilt in
the background, and the scans running in the other slots go on.  The request gets a
result that says so (``Outcome.TIMEOUT`` / ``Outcome.CRASHED``), which the app turns into
a ``review`` report: never a hang, never a silent pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from enum import StrEnum
from typing import Any

from msgspec import Struct

from secscan.config import Config
from secscan.serve import worker
from secscan.serve.settings import ServeSettings

log = logging.getLogger("secscan.serve")

_RESTART_BACKOFF = 1.0


class PoolBusy(Exception):
    """Every worker is busy and the queue is full: answer 503 with ``Retry-After``."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"busy, retry after {retry_after}s")
        self.retry_after = retry_after


class Outcome(StrEnum):
    DONE = "done"
    TIMEOUT = "timeout"
    CRASHED = "crashed"


class Result(Struct, frozen=True):
    outcome: Outcome
    report: dict[str, Any] | None  # the file report when DONE
    seconds: float


class _Slot:
    """One worker process behind its own executor (so it can be killed alone)."""

    def __init__(self, index: int, config: Config) -> None:
        self.index = index
        self.pid: int | None = None
        # forkserver: workers never inherit the event loop or uvicorn's threads, and a
        # rebuilt worker starts from a clean, already-imported server process.
        ctx = multiprocessing.get_context("forkserver")
        self.executor = ProcessPoolExecutor(1, mp_context=ctx, initializer=worker.init, initargs=(config,))

    async def start(self) -> None:
        self.pid = await asyncio.wrap_future(self.executor.submit(worker.ready))

    def kill(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self.executor.shutdown(wait=False, cancel_futures=True)


class ScanPool:
    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self._config = _worker_config(settings)
        self._free: asyncio.Queue[_Slot] = asyncio.Queue()
        self._slots: dict[int, _Slot] = {}
        self._admitted = 0
        self._restarts: set[asyncio.Task[None]] = set()
        self._mean_seconds = 1.0
        self.crashes = 0
        self.timeouts = 0

    # -- life cycle -----------------------------------------------------------------
    async def start(self) -> None:
        """Start every worker and wait until each has built its scanner."""
        multiprocessing.get_context("forkserver").set_forkserver_preload(["secscan.serve.worker"])
        slots = [_Slot(i, self._config) for i in range(self.settings.workers)]
        await asyncio.gather(*(s.start() for s in slots))
        for slot in slots:
            self._slots[slot.index] = slot
            self._free.put_nowait(slot)

    async def close(self) -> None:
        for task in self._restarts:
            task.cancel()
        for slot in self._slots.values():
            slot.kill()

    # -- admission and running --------------------------------------------------------
    @property
    def in_flight(self) -> int:
        return self._admitted

    def retry_after(self) -> int:
        waves = math.ceil(self.settings.capacity / self.settings.workers)
        return max(1, min(60, math.ceil(waves * self._mean_seconds)))

    async def run(self, job: worker.Job) -> Result:
        if self._admitted >= self.settings.capacity:
            raise PoolBusy(self.retry_after())
        self._admitted += 1
        try:
            slot = await self._free.get()
            started = time.monotonic()
            try:
                future = asyncio.wrap_future(slot.executor.submit(worker.scan, job))
                report = await asyncio.wait_for(future, self.settings.hard_timeout)
            except TimeoutError:
                self.timeouts += 1
                log.warning("worker %d (pid %s) over the %.1fs limit: killed", slot.index, slot.pid,
                            self.settings.hard_timeout)
                self._replace(slot)
                return Result(Outcome.TIMEOUT, None, time.monotonic() - started)
            except BrokenProcessPool:
                self.crashes += 1
                log.error("worker %d (pid %s) died during a scan: restarting it", slot.index, slot.pid)
                self._replace(slot)
                return Result(Outcome.CRASHED, None, time.monotonic() - started)
            except BaseException:
                self._free.put_nowait(slot)
                raise
            self._free.put_nowait(slot)
            seconds = time.monotonic() - started
            self._mean_seconds = 0.9 * self._mean_seconds + 0.1 * seconds
            return Result(Outcome.DONE, report, seconds)
        finally:
            self._admitted -= 1

    def _replace(self, slot: _Slot) -> None:
        slot.kill()
        task = asyncio.get_running_loop().create_task(self._restart(slot.index))
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    async def _restart(self, index: int) -> None:
        while True:
            slot = _Slot(index, self._config)
            try:
                await slot.start()
            except BrokenProcessPool:
                log.error("worker %d failed to start; retrying", index)
                slot.kill()
                await asyncio.sleep(_RESTART_BACKOFF)
                continue
            self._slots[index] = slot
            self._free.put_nowait(slot)
            log.info("worker %d restarted (pid %s)", index, slot.pid)
            return


def _worker_config(settings: ServeSettings) -> Config:
    from msgspec.structs import replace

    # The extractors stop themselves at the scan limit and say how far they got.
    config = settings.config
    return replace(config, timeout_seconds=min(config.timeout_seconds, settings.scan_timeout),
                   max_file_bytes=min(config.max_file_bytes, settings.max_request_bytes))

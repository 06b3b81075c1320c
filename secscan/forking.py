"""One function run in a forked child, its result read back through a pipe.

Two stages use it: extraction (``extract/isolate.py``: a hostile file's parser is
killed at the deadline and its memory capped) and detection (``detect/runner.py``: on a long
document, the context rules and the classifier run on the machine's second core while
the other detectors run in the parent).

``os.fork`` is used directly rather than :mod:`multiprocessing`: it costs a few
milliseconds, needs no pickling of the input (the child has the parent's memory), and
works inside daemonic pool workers, which ``multiprocessing`` forbids to have children.
The child never returns into the caller's code: it leaves with ``os._exit``, so
inherited handles (a SQLite connection, a server socket, buffered stdout) are not
touched.  The parent reads while the child writes, so a result larger than the pipe's
buffer cannot deadlock; the read stops at a deadline and at a size cap, and the child is
then killed with its whole process group.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import Any, TypeVar

from msgspec import Struct

T = TypeVar("T")

_CHUNK = 1 << 20
_MAX_WAIT = 24 * 3600.0  # a deadline of "never" still ends
_FAILED_CODE = 70  # the child's exit code when it could not even send its result


class ChildOutcome(Struct, frozen=True):
    """What came back from a child: its payload, or why there is none."""

    payload: bytes | None
    timed_out: bool
    overflow: bool
    status: int  # os.waitpid's status

    def value(self, kind: type[T]) -> T | None:
        """The payload unpickled, if it is a ``kind``; None for anything else."""
        if not self.payload:
            return None
        try:
            obj: Any = pickle.loads(self.payload)
        except Exception:
            return None
        return obj if isinstance(obj, kind) else None

    def describe(self) -> str:
        """How the child ended, in Chinese, for a report's error message."""
        if os.WIFSIGNALED(self.status):
            sig = os.WTERMSIG(self.status)
            try:
                return f"信号{signal.Signals(sig).name}"
            except ValueError:
                return f"信号{sig}"
        return f"退出码{os.waitstatus_to_exitcode(self.status)}"


class ForkedCall:
    """``produce()`` run in a forked child; it returns the bytes the parent receives.

    Use as a context manager: leaving the block (normally, on an exception, on
    KeyboardInterrupt) kills a child whose result was not read, and always reaps it.
    Raises ``OSError`` when no child can be made (process limit, memory).
    """

    def __init__(self, produce: Callable[[], bytes]) -> None:
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            raise
        if pid == 0:  # the child: never returns
            os.close(read_fd)
            _serve(write_fd, produce)
        os.close(write_fd)
        self._pid: int | None = pid
        self._fd: int | None = read_fd
        self._status = 0

    def result(self, deadline: float, max_bytes: int) -> ChildOutcome:
        """Read the payload until the child closes the pipe, ``deadline`` (monotonic) or ``max_bytes``."""
        assert self._fd is not None, "result() is read once"
        payload, timed_out, overflow = _collect(self._fd, deadline, max_bytes)
        self._end(kill=payload is None)
        return ChildOutcome(payload, timed_out, overflow, self._status)

    def __enter__(self) -> ForkedCall:
        return self

    def __exit__(self, *exc: object) -> None:
        self._end(kill=True)

    def _end(self, kill: bool) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._pid is not None:
            if kill:
                _kill_group(self._pid)
            self._status = _reap(self._pid)
            self._pid = None


def _serve(write_fd: int, produce: Callable[[], bytes]) -> None:
    code = 0
    try:
        os.setpgid(0, 0)  # its own group, so a kill reaches any helper it starts
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        view = memoryview(produce())
        while view:
            view = view[os.write(write_fd, view[:_CHUNK]):]
    except BaseException:  # nothing reaches the caller's code: the parent sees no payload
        code = _FAILED_CODE
    finally:
        os._exit(code)


def _collect(fd: int, deadline: float, cap: int) -> tuple[bytes | None, bool, bool]:
    """Read until EOF: (payload, timed_out, overflow)."""
    chunks: list[bytes] = []
    size = 0
    end = min(deadline, time.monotonic() + _MAX_WAIT)
    while True:
        remaining = end - time.monotonic()
        if remaining <= 0:
            return None, True, False
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            return b"".join(chunks), False, False
        size += len(chunk)
        if size > cap:
            return None, False, True
        chunks.append(chunk)


def _kill_group(pid: int) -> None:
    """SIGKILL a child's process group, and the child itself if it had no group yet."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue


def _reap(pid: int) -> int:
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue
        except ChildProcessError:  # reaped elsewhere (a SIGCHLD handler)
            return 0

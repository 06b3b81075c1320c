"""Per-file isolation: extraction in a forked child, killed at the deadline, memory capped.

Parsers of hostile files can loop (pdfminer on some crafted PDFs), explode (a flate bomb
in a stream, a zip bomb) or crash; cooperative ``Limits.check_time()`` calls cannot stop
a loop inside a library.  So each file is extracted in a child made with ``os.fork()``:

* the child caps its address space (``RLIMIT_AS``) at what it inherited plus a budget, so
  a bomb ends in ``MemoryError`` in the child (reported as ``too_large``), never in the
  parent or the OOM killer's choice of victim;
* the parent waits for the pickled :class:`~secscan.types.Document` on a pipe until the
  file's deadline, then ``SIGKILL``s the child: ``timeout``;
* a child that dies (a segfault in a C parser) is ``internal``; the result's size is
  bounded too, so the parent's memory stays bounded whatever the child does.

The fork, the pipe and the kill are :mod:`secscan.forking`'s (why ``os.fork`` and not
:mod:`multiprocessing` is said there).  Where ``fork`` does not exist, extraction runs
in-process with the cooperative limits only.

Plain text (any size) and small HTML files are read in-process: decoding and lxml's HTML
parser are linear in the input, expand no entities and decompress nothing, so their time
and memory are bounded by the input size, and the fork is saved for the formats that
need it.
"""

from __future__ import annotations

import functools
import importlib
import os
import pickle
import resource
from collections.abc import Callable
from typing import TYPE_CHECKING

from msgspec import Struct

from secscan.extract import EXTRACTORS, extract_bytes
from secscan.extract.base import Limits, error_document
from secscan.extract.sniff import sniff
from secscan.forking import ForkedCall
from secscan.types import Document, ErrorKind

if TYPE_CHECKING:
    from secscan.config import Config

ExtractFn = Callable[[bytes, str, Limits], Document]

DEFAULT_MEMORY_MB = 2048
INLINE_FORMATS = frozenset({"txt", "html"})
INLINE_MAX_BYTES = 2 * 1024 * 1024
# The child sees the same deadline and stops cooperatively where it can (closing the
# helpers it started); the kill comes this much later.
_GRACE = 0.5
# Heavy modules imported once in the parent, so each child inherits them instead of
# paying the import (pdfminer alone ~150 ms) per file: every format's extractor (a zip
# may hold any of them), and pdfminer behind the PDF one.  Plain text never forks, so a
# .txt scan loads none of them.
_PRELOAD = ("secscan.extract.pdf_reader",)


class IsolatedExtractor(Struct, frozen=True):
    """A drop-in ``extract`` function for :class:`~secscan.pipeline.Scanner`."""

    extract: ExtractFn = extract_bytes
    memory_bytes: int = DEFAULT_MEMORY_MB * 1024 * 1024
    inline_max_bytes: int = INLINE_MAX_BYTES

    def __call__(self, data: bytes, name: str, limits: Limits) -> Document:
        if not hasattr(os, "fork") or self._inline(data, name):
            return self.extract(data, name, limits)
        _before_fork()
        try:
            return self._forked(data, name, limits)
        except OSError:  # no fork possible (process limit, memory): cooperative limits only
            return self.extract(data, name, limits)

    def _inline(self, data: bytes, name: str) -> bool:
        fmt = sniff(data, name).format
        # plain text of any size: decoding is one linear pass with nothing to expand
        return fmt == "txt" or (fmt in INLINE_FORMATS and len(data) <= self.inline_max_bytes)

    def _forked(self, data: bytes, name: str, limits: Limits) -> Document:
        produce = functools.partial(_extract_payload, self.extract, data, name, limits, self.memory_bytes)
        with ForkedCall(produce) as child:  # also on KeyboardInterrupt: no child outlives its file
            outcome = child.result(limits.deadline + _GRACE, _result_cap(limits))
        if outcome.timed_out:
            return error_document(name, "application/octet-stream", ErrorKind.TIMEOUT, "读取超过单个文件的时间上限,已中止,内容未审查")
        if outcome.overflow:
            return error_document(name, "application/octet-stream", ErrorKind.TOO_LARGE, "提取出的内容超过上限,已中止,内容未审查")
        doc = outcome.value(Document)
        if doc is not None:
            return doc
        return error_document(name, "application/octet-stream", ErrorKind.INTERNAL, f"提取进程异常退出({outcome.describe()}),内容未审查")


def _extract_payload(extract: ExtractFn, data: bytes, name: str, limits: Limits, memory_bytes: int) -> bytes:
    """The child's work: the pickled Document, or an error document; never an exception."""
    _cap_memory(memory_bytes)
    try:
        doc = extract(data, name, limits)
    except MemoryError:
        doc = error_document(name, "application/octet-stream", ErrorKind.TOO_LARGE, f"读取所需内存超过上限{memory_bytes // (1 << 20)}MB(疑似压缩炸弹),已中止,内容未审查")
    except BaseException as exc:  # everything ends as a report, nothing as a traceback
        doc = error_document(name, "application/octet-stream", ErrorKind.INTERNAL, f"提取文本时出错:{type(exc).__name__}: {exc}")
    try:
        return pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return pickle.dumps(error_document(name, doc.media_type, ErrorKind.TOO_LARGE, "提取出的内容过大,超过内存上限,内容未审查"))


def _cap_memory(budget: int) -> None:
    """Cap the address space at what the child inherited plus ``budget`` bytes."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return  # no /proc (macOS): RLIMIT_AS is not enforced there anyway
    cap = current + budget
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    if soft == resource.RLIM_INFINITY or cap < soft:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _result_cap(limits: Limits) -> int:
    # Pickled text is at most 4 bytes a character, plus part and label overhead.
    return 4 * limits.max_chars + (64 << 20)


_forked_before = False


def _before_fork() -> None:
    """Preload the parsers in this process from its second forked file on.

    The first file's child imports only what its own format needs, so a one-file scan (a
    reviewer's draft.docx) never loads pdfminer; from the second file on, every child
    inherits the parsers instead of importing its own.
    """
    global _forked_before
    if _forked_before:
        preload()
    _forked_before = True


def preload_parsers(config: Config) -> None:
    """At a server's or a pool's worker start: the parsers now, when files are read in children."""
    if config.isolate and hasattr(os, "fork"):
        preload()


@functools.cache
def preload() -> None:
    """Import every parser now."""
    EXTRACTORS.load_all()
    for module in _PRELOAD:
        importlib.import_module(module)


def default_extractor(config: Config) -> ExtractFn:
    """The Scanner's extract function: isolated unless the configuration turns it off."""
    if not config.isolate or not hasattr(os, "fork"):
        return extract_bytes
    memory_mb = config.max_memory_mb
    return IsolatedExtractor(memory_bytes=memory_mb * 1024 * 1024)

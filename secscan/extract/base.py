"""What every extractor shares: limits, the abort signal, and document helpers."""

from __future__ import annotations

import time
from dataclasses import dataclass

from secscan.types import Document, ErrorKind, ReadError


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 200 * 1024 * 1024
    max_chars: int = 50_000_000
    deadline: float = float("inf")
    depth: int = 0  # nesting level: zip member, embedded object (capped by extract.archive)

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise ExtractionAborted(ErrorKind.TIMEOUT, "读取超过时间上限,未能读完全文")


class ExtractionAborted(Exception):
    """Raised inside an extractor to stop reading; becomes a ReadError, not a crash."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def error_document(name: str, media_type: str, kind: ErrorKind, message: str) -> Document:
    return Document(name, media_type, (), (ReadError(kind, message),))


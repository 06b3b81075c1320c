"""Bytes → :class:`~secscan.types.Document`, one module per format, chosen by content.

The format is sniffed from the bytes (magic numbers, zip members, markup), never taken
from the file name alone; a name that lies is noted but does not decide.  Anything that
cannot be read becomes a :class:`~secscan.types.ReadError` on the document.

Each format's module (and its parser: lxml, pdfminer, olefile …) is imported the first
time a file of that format is read, so scanning a .txt never loads the office parsers.
"""

from __future__ import annotations

from collections.abc import Callable

from secscan.extract.base import ExtractionAborted, Limits, error_document
from secscan.extract.sniff import sniff
from secscan.lazy import LazyTable
from secscan.types import Document, ErrorKind

ExtractFn = Callable[[bytes, str, Limits], Document]

EXTRACTORS = LazyTable({
    "txt": "secscan.extract.text:extract",
    "html": "secscan.extract.html:extract",
    "docx": "secscan.extract.docx:extract",
    "xlsx": "secscan.extract.xlsx:extract",
    "pptx": "secscan.extract.pptx:extract",
    "pdf": "secscan.extract.pdf:extract",
    "ofd": "secscan.extract.ofd:extract",
    "zip": "secscan.extract.archive:extract",
    "doc": "secscan.extract.legacy:extract_doc",
    "works": "secscan.extract.legacy:extract_works",
    "xls": "secscan.extract.legacy:extract_xls",
    "ppt": "secscan.extract.legacy:extract_ppt",
    "ole_object": "secscan.extract.legacy:extract_ole_object",
})


def extract_bytes(data: bytes, name: str, limits: Limits) -> Document:
    kind = sniff(data, name)
    if kind.error is not None:
        return error_document(name, kind.media_type, kind.error, kind.message)
    extractor = EXTRACTORS.get(kind.format)
    if extractor is None:
        return error_document(name, kind.media_type, ErrorKind.UNSUPPORTED, f"不支持的文件格式:{kind.format}")
    try:
        return extractor(data, name, limits)
    except ExtractionAborted as exc:
        return error_document(name, kind.media_type, exc.kind, exc.message)


__all__ = ["EXTRACTORS", "ExtractFn", "Limits", "extract_bytes"]

"""Bytes → :class:`~secscan.types.Document`, one module per format, chosen by content.

The format is sniffed from the bytes (magic numbers, zip members, markup), never taken
from the file name alone; a name that lies is noted but does not decide.  Anything that
cannot be read becomes a :class:`~secscan.types.ReadError` on the document.
"""

from __future__ import annotations

from collections.abc import Callable

from secscan.extract import archive, docx, html, legacy, ofd, pdf, pptx, text, xlsx
from secscan.extract.base import ExtractionAborted, Limits, error_document
from secscan.extract.sniff import sniff
from secscan.types import Document, ErrorKind

EXTRACTORS: dict[str, Callable[[bytes, str, Limits], Document]] = {
    "txt": text.extract,
    "html": html.extract,
    "docx": docx.extract,
    "xlsx": xlsx.extract,
    "pptx": pptx.extract,
    "pdf": pdf.extract,
    "ofd": ofd.extract,
    "zip": archive.extract,
    "doc": legacy.extractor("doc"),
    "works": legacy.extractor("works"),
    "xls": legacy.extractor("xls"),
    "ppt": legacy.extractor("ppt"),
    "ole_object": legacy.extract_ole_object,
}


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


__all__ = ["EXTRACTORS", "Limits", "extract_bytes"]

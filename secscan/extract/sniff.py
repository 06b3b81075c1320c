"""Which format a file is, from its bytes."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from secscan.types import ErrorKind

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MARKUP_RE = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|meta|div|p|table|span|title|br)\b", re.I)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Sniffed:
    format: str
    media_type: str
    error: ErrorKind | None = None
    message: str = ""


def sniff(data: bytes, name: str) -> Sniffed:
    head = data[:8]
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return Sniffed("pdf", "application/pdf")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(data)
    if head.startswith(OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data[:1 << 20] or b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P" in data[:1 << 20]:
            return Sniffed("ole", "application/x-ole-storage", ErrorKind.ENCRYPTED, "文件已加密(受密码保护的Office文档),无法读取内容")
        return Sniffed("ole", "application/x-ole-storage")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return Sniffed("image", "image/*", ErrorKind.IMAGE_ONLY, "文件是图片,没有文字层,无法审查其中文字(需人工或OCR)")
    sample = data[:4096]
    if not sample.startswith(_UTF16_BOMS) and b"\x00" in sample and not _looks_utf16(sample):
        return Sniffed("binary", "application/octet-stream", ErrorKind.UNSUPPORTED, "无法识别的二进制文件格式")
    probe = _ascii_probe(sample)
    if _MARKUP_RE.search(probe):
        return Sniffed("html", "text/html")
    return Sniffed("txt", "text/plain")


def _looks_utf16(sample: bytes) -> bool:
    even_zero = sample[0::2].count(0)
    odd_zero = sample[1::2].count(0)
    half = max(1, len(sample) // 2)
    return max(even_zero, odd_zero) > half * 0.3 and min(even_zero, odd_zero) < half * 0.05


def _ascii_probe(sample: bytes) -> bytes:
    if sample.startswith(_UTF16_BOMS) or _looks_utf16(sample):
        return sample.replace(b"\x00", b"")
    return sample


def _sniff_zip(data: bytes) -> Sniffed:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return Sniffed("zip", "application/zip", ErrorKind.CORRUPT, f"压缩包结构损坏或被截断:{exc}")
    nameset = set(names)
    if "word/document.xml" in nameset:
        return Sniffed("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    if "xl/workbook.xml" in nameset:
        return Sniffed("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if "ppt/presentation.xml" in nameset:
        return Sniffed("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation")
    if "OFD.xml" in nameset:
        return Sniffed("ofd", "application/ofd")
    return Sniffed("zip", "application/zip")

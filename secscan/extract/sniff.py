"""Which format a file is, from its bytes."""

from __future__ import annotations

import io
import re
import struct
from typing import TYPE_CHECKING

from msgspec import Struct

from secscan.types import ErrorKind

if TYPE_CHECKING:
    import olefile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MARKUP_RE = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|meta|div|p|table|span|title|br)\b", re.I)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class Sniffed(Struct, frozen=True):
    """A file's format as read from its bytes, or why it cannot be read."""

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
        return _sniff_ole(data, name)
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
    return max(even_zero, odd_zero) > half * 0.45 and min(even_zero, odd_zero) < half * 0.05


def _ascii_probe(sample: bytes) -> bytes:
    if sample.startswith(_UTF16_BOMS) or _looks_utf16(sample):
        return sample.replace(b"\x00", b"")
    return sample


def _sniff_zip(data: bytes) -> Sniffed:
    import zipfile  # only zip-based files pay for it (and for bz2/lzma/shutil behind it)

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


# OLE2 compound files (MS-CFB): the legacy Office formats, WPS Office's .wps/.et/.dps,
# objects embedded in Office files, and OOXML files encrypted with a password
# (MS-OFFCRYPTO wraps the package in an OLE file with EncryptionInfo/EncryptedPackage).
_OLE_MEDIA = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "works": "application/vnd.ms-works",
    "ole_object": "application/x-ole-storage",
}
_WPS_MEDIA = {".wps": "application/vnd.ms-works", ".et": "application/vnd.ms-excel", ".dps": "application/vnd.ms-powerpoint"}
_ENCRYPTED_MSG = "文件已加密(受密码保护的Office文档),无法读取内容"


def _sniff_ole(data: bytes, name: str) -> Sniffed:
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError, IndexError, struct.error) as exc:  # olefile raises OSError for bad headers
        return Sniffed("ole", "application/x-ole-storage", ErrorKind.CORRUPT, f"OLE复合文档结构损坏或被截断:{exc}")
    try:
        streams = {"/".join(path) for path in ole.listdir(streams=True, storages=False)}
        kind = _ole_kind(ole, streams)
    except (OSError, ValueError, IndexError, struct.error) as exc:
        return Sniffed("ole", "application/x-ole-storage", ErrorKind.CORRUPT, f"OLE复合文档结构损坏:{exc}")
    finally:
        ole.close()
    if kind == "encrypted":
        return Sniffed("ole", "application/x-ole-storage", ErrorKind.ENCRYPTED, _ENCRYPTED_MSG)
    if kind == "ole":
        return Sniffed("ole", "application/x-ole-storage", ErrorKind.UNSUPPORTED,
                       "无法识别的OLE复合文档(不是Word/Excel/PowerPoint/WPS文件)")
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return Sniffed(kind, _WPS_MEDIA.get(ext) or _OLE_MEDIA[kind])


def _ole_kind(ole: olefile.OleFileIO, streams: set[str]) -> str:
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams or "EncryptedSummary" in streams:
        return "encrypted"
    if "WordDocument" in streams:
        # FibBase (MS-DOC 2.5.2): flags at offset 10, fEncrypted = 0x0100.
        fib = ole.openstream("WordDocument").read(12)
        return "encrypted" if len(fib) >= 12 and struct.unpack_from("<H", fib, 10)[0] & 0x0100 else "doc"
    for book in ("Workbook", "Book"):
        if book in streams:
            return "encrypted" if _xls_filepass(ole.openstream(book).read(1 << 16)) else "xls"
    if "PowerPoint Document" in streams:
        return "ppt"
    if "\x01Ole10Native" in streams or "Package" in streams or "Equation Native" in streams:
        return "ole_object"
    if "CONTENTS" in streams:  # Microsoft Works word processor (.wps), read by LibreOffice's libwps
        return "works"
    return "ole"


def _xls_filepass(stream: bytes) -> bool:
    """A FILEPASS record (MS-XLS 2.4.117, type 0x002F) in the globals substream means encrypted."""
    pos = 0
    while pos + 4 <= len(stream):
        rtype, size = struct.unpack_from("<HH", stream, pos)
        if rtype == 0x002F:
            return True
        if rtype == 0x000A:  # EOF of the globals substream
            return False
        pos += 4 + size
    return False

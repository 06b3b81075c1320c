"""Plain text: encoding detected, never guessed by hand.

BOMs first (UTF-8, UTF-16, UTF-32); then strict UTF-8; then charset-normalizer.  GBK and
GB2312 verdicts are read as GB18030, their superset.  A file that mixes encodings line by
line (files pasted together) is decoded line by line; bytes that fit no encoding make an
error so the file is never passed unread.
"""

from __future__ import annotations

import codecs
import re

from secscan.extract.base import ExtractionAborted, Limits
from secscan.types import Document, ErrorKind, Part, PartKind, ReadError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_GB_FAMILY = {"gbk", "gb2312", "gb18030", "hz", "cp936"}
# Detector verdicts kept as they are; any other guess (short texts come out as cp949 or
# latin-1) yields to GB18030 when the bytes decode to common Chinese characters.
_TRUSTED = {"big5", "big5hkscs", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "ascii"}


# Compiled on first use (re caches them): a CJK range costs ~2 ms to compile, and only
# text that is not UTF-8 gets here.
_WIDE = r"[^\x00-\x7f]"
_COMMON_CJK = r"[\u4e00-\u9fa5，。、；：？！“”（）《》]"


def _reads_as_gb18030(data: bytes) -> bool:
    try:
        text = data[: 1 << 16].decode("gb18030")
    except UnicodeDecodeError:
        return False
    wide = len(re.findall(_WIDE, text))
    return wide > 0 and len(re.findall(_COMMON_CJK, text)) >= 0.9 * wide


def decode(data: bytes) -> tuple[str, str, list[ReadError]]:
    """Bytes → (text, encoding, errors)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict_or_replace(data[len(bom):], encoding)
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # ~20 ms to import; UTF-8 text never needs it

    best = from_bytes(data[: 1 << 20]).best()
    encoding = best.encoding if best is not None else "gb18030"
    if encoding.replace("_", "").lower() in _GB_FAMILY or (encoding not in _TRUSTED and _reads_as_gb18030(data)):
        encoding = "gb18030"
    try:
        return data.decode(encoding), encoding, []
    except (UnicodeDecodeError, LookupError):
        return _line_by_line(data)


def _strict_or_replace(data: bytes, encoding: str) -> tuple[str, str, list[ReadError]]:
    try:
        return data.decode(encoding), encoding, []
    except UnicodeDecodeError as exc:
        return data.decode(encoding, errors="replace"), encoding, [
            ReadError(ErrorKind.CORRUPT, f"部分字节不是有效的{encoding}编码(第{exc.start}字节起),已用替换符代替")
        ]


def _line_by_line(data: bytes) -> tuple[str, str, list[ReadError]]:
    lines = []
    bad = 0
    for raw in data.split(b"\n"):
        for encoding in ("utf-8", "gb18030"):
            try:
                lines.append(raw.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
        else:
            bad += 1
            lines.append(raw.decode("gb18030", errors="replace"))
    errors = [ReadError(ErrorKind.CORRUPT, f"{bad}行的字节不属于任何已知编码,已用替换符代替")] if bad else []
    return "\n".join(lines), "mixed(utf-8+gb18030)", errors


def clean_newlines(text: str) -> str:
    if "\r" not in text:  # one pass over a long text instead of two replace() scans
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def extract(data: bytes, name: str, limits: Limits) -> Document:
    text, _encoding, errors = decode(data)
    text = clean_newlines(text)
    if len(text) > limits.max_chars:
        raise ExtractionAborted(ErrorKind.TOO_LARGE, f"文本长度超过上限{limits.max_chars}字符")
    return Document(name, "text/plain", (Part(PartKind.BODY, text),), tuple(errors))

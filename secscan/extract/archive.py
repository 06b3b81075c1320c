"""Zip archives of attachments, and anything nested: each member read like a file.

Members go back through :func:`secscan.extract.extract_bytes` (format by content), one
level deeper; their parts keep their kinds, with the member path in ``Part.label``, and
their errors name the member.  Nesting stops at :data:`MAX_DEPTH`.  The same helper
serves objects embedded in Office files and OFD attachments.
"""

from __future__ import annotations

import posixpath
import zipfile

from msgspec import Struct
from msgspec.structs import replace

from secscan.extract.base import ExtractionAborted, Limits
from secscan.extract.ooxml import Package
from secscan.types import Document, ErrorKind, Part, PartKind, ReadError

MAX_DEPTH = 3
MEDIA_TYPE = "application/zip"
_SKIP_PREFIXES = ("__MACOSX/",)


class Nested(Struct, frozen=True):
    parts: tuple[Part, ...]
    errors: tuple[ReadError, ...]
    links: tuple[str, ...]


def join_label(prefix: str, label: str | None) -> str:
    return f"{prefix} › {label}" if label else prefix


def extract_nested(data: bytes, member: str, limits: Limits) -> Nested:
    """Read one member/embedded object; parts labelled with ``member``, errors naming it."""
    if limits.depth >= MAX_DEPTH:
        return Nested((), (ReadError(ErrorKind.TOO_LARGE, f"{member}:嵌套层数超过{MAX_DEPTH}层,未再展开"),), ())
    from secscan.extract import extract_bytes  # the format table imports this module

    limits.check_time()
    doc = extract_bytes(data, posixpath.basename(member) or member, replace(limits, depth=limits.depth + 1))
    parts = tuple(replace(p, label=join_label(member, p.label)) for p in doc.parts)
    errors = tuple(ReadError(e.kind, f"{member}:{e.message}") for e in doc.errors)
    return Nested(parts, errors, doc.links)


def member_name(info: zipfile.ZipInfo) -> str:
    """Chinese Windows tools write GBK names without the UTF-8 flag; zipfile reads cp437."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return name


def read_members(pkg: Package, members: list[tuple[str, str]], limits: Limits) -> Nested:
    """``(stored name, shown name)`` members through every extractor; a member's failure
    becomes an error naming it (a timeout stops the whole file)."""
    parts: list[Part] = []
    errors: list[ReadError] = []
    links: list[str] = []
    for stored, shown in members:
        try:
            nested = extract_nested(pkg.read(stored), shown, limits)
        except ExtractionAborted as exc:
            if exc.kind is ErrorKind.TIMEOUT:
                raise
            errors.append(ReadError(exc.kind, exc.message))
            continue
        parts.extend(nested.parts)
        errors.extend(nested.errors)
        links.extend(nested.links)
    return Nested(tuple(parts), tuple(errors), tuple(links))


def extract(data: bytes, name: str, limits: Limits) -> Document:
    pkg = Package(data, limits, "压缩包")
    members: list[tuple[str, str]] = []
    for info in pkg.infos():
        if info.is_dir() or info.filename.startswith(_SKIP_PREFIXES):
            continue
        member = member_name(info)
        if posixpath.basename(member).startswith("._"):
            continue
        members.append((info.filename, member))
    read = read_members(pkg, members, limits)
    parts = list(read.parts)
    if members:
        # File names leak too (“机密-考察人选名单.xlsx”): the listing is scanned like text.
        parts.insert(0, Part(PartKind.ATTACHMENT, "\n".join(m for _, m in members), label="压缩包目录"))
    return Document(name, MEDIA_TYPE, tuple(parts), read.errors, read.links)


def embedded_parts(pkg: Package, prefixes: tuple[str, ...], limits: Limits) -> Nested:
    """Objects embedded in an Office package (``word/embeddings/…``): listed and read."""
    names = [n for n in pkg.names() if n.startswith(prefixes) and not n.endswith("/")]
    if not names:
        return Nested((), (), ())
    read = read_members(pkg, [(n, n) for n in names], limits)
    listing = Part(PartKind.ATTACHMENT, "\n".join(names), label="嵌入对象")
    return Nested((listing, *read.parts), read.errors, read.links)

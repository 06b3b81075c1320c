"""Zip packages and their XML, read with caps: shared by docx, xlsx, pptx, ofd and zip.

OOXML (ECMA-376 / ISO/IEC 29500) and OFD (GB/T 33190-2016) are zip packages of XML
parts.  Everything here is defensive: member count, declared and actually-read
uncompressed size and the compression ratio are capped (zip bombs), and XML is parsed
by lxml with entities unresolved, no DTD loading, no network and libxml2's default
tree limits (billion laughs, external entities, runaway depth).  Office XML never
carries a DTD, so a part that declares one is refused.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Iterator

from lxml import etree
from msgspec import Struct

from secscan.extract.base import ExtractionAborted, Limits, meaningful
from secscan.types import ErrorKind, Part, PartKind

NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_CORE = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
NS_APP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
NS_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"

MAX_MEMBERS = 20_000
MAX_RATIO = 200  # deflate of real XML stays far below; bombs reach 1000+
RATIO_FLOOR = 8 << 20  # smaller members may compress very well (repetitive tables) and are harmless
MAX_TOTAL_CAP = 2 << 30


def xml_parser() -> etree.XMLParser:
    """A fresh hardened parser (lxml parsers must not be shared between threads)."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False,
    )


def parse_xml(data: bytes, where: str) -> etree._Element:
    try:
        root = etree.fromstring(data, xml_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise ExtractionAborted(ErrorKind.CORRUPT, f"{where} 的XML结构损坏:{exc}") from exc
    if root is None:
        raise ExtractionAborted(ErrorKind.CORRUPT, f"{where} 为空")
    if root.getroottree().docinfo.internalDTD is not None:
        raise ExtractionAborted(ErrorKind.CORRUPT, f"{where} 含DTD声明(可能是实体膨胀攻击),拒绝读取")
    return root


def local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class Rel(Struct, frozen=True):
    id: str
    type: str  # the last path segment of the relationship type, e.g. "comments"
    target: str  # package path without leading "/", or the URL when external
    external: bool


class Package:
    """A zip opened with caps.  Members are read whole, one at a time, within the caps."""

    def __init__(self, data: bytes, limits: Limits, what: str = "文件") -> None:
        self.limits = limits
        self.what = what
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ExtractionAborted(ErrorKind.CORRUPT, f"{what}的压缩结构损坏或被截断:{exc}") from exc
        if len(infos) > MAX_MEMBERS:
            raise ExtractionAborted(ErrorKind.TOO_LARGE, f"{what}含{len(infos)}个成员,超过上限{MAX_MEMBERS}")
        self.max_total = min(MAX_TOTAL_CAP, 4 * limits.max_bytes)
        declared = 0
        for info in infos:
            declared += info.file_size
            if info.file_size > limits.max_bytes:
                raise ExtractionAborted(
                    ErrorKind.TOO_LARGE, f"{what}成员 {info.filename} 解压后{info.file_size}字节,超过上限{limits.max_bytes}字节"
                )
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise ExtractionAborted(
                    ErrorKind.TOO_LARGE,
                    f"{what}成员 {info.filename} 压缩比超过{MAX_RATIO}倍,疑似压缩炸弹,拒绝解压",
                )
        if declared > self.max_total:
            raise ExtractionAborted(
                ErrorKind.TOO_LARGE, f"{what}解压后共{declared}字节,超过上限{self.max_total}字节(疑似压缩炸弹)"
            )
        self._infos = {i.filename: i for i in infos}
        self._read = 0

    # -- members ----------------------------------------------------------------------
    def names(self) -> list[str]:
        return list(self._infos)

    def infos(self) -> list[zipfile.ZipInfo]:
        return list(self._infos.values())

    def has(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        info = self._infos.get(name)
        if info is None:
            raise ExtractionAborted(ErrorKind.CORRUPT, f"{self.what}缺少成员 {name}")
        if info.flag_bits & 0x1:
            raise ExtractionAborted(ErrorKind.ENCRYPTED, f"{self.what}成员 {name} 已加密,无法读取")
        self.limits.check_time()
        self._read += info.file_size
        if self._read > self.max_total:
            raise ExtractionAborted(ErrorKind.TOO_LARGE, f"{self.what}解压总量超过上限{self.max_total}字节")
        try:
            # ZipExtFile never returns more than the declared file_size; a lying size
            # ends in a CRC error, not in unbounded output.
            return self._zip.read(info)
        except RuntimeError as exc:  # "File ... is encrypted, password required"
            raise ExtractionAborted(ErrorKind.ENCRYPTED, f"{self.what}成员 {name} 已加密:{exc}") from exc
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, ValueError) as exc:
            raise ExtractionAborted(ErrorKind.CORRUPT, f"{self.what}成员 {name} 无法解压:{exc}") from exc

    def xml(self, name: str) -> etree._Element:
        return parse_xml(self.read(name), f"{self.what}成员 {name}")

    def xml_or_none(self, name: str) -> etree._Element | None:
        return self.xml(name) if self.has(name) else None

    def iterparse(self, name: str, tags: tuple[str, ...]) -> Iterator[etree._Element]:
        """Stream large parts (worksheets); the caller clears what it has used."""
        data = self.read(name)
        try:
            for _event, el in etree.iterparse(
                io.BytesIO(data), events=("end",), tag=tags, resolve_entities=False, no_network=True,
                huge_tree=False, load_dtd=False,
            ):
                yield el
        except etree.XMLSyntaxError as exc:
            raise ExtractionAborted(ErrorKind.CORRUPT, f"{self.what}成员 {name} 的XML结构损坏:{exc}") from exc

    # -- relationships ----------------------------------------------------------------
    def rels(self, part: str) -> list[Rel]:
        """Relationships of ``part`` ("" for the package), targets resolved to member names."""
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
        root = self.xml_or_none(rels_name)
        if root is None:
            return []
        out = []
        for rel in root.iter(f"{{{NS_REL}}}Relationship"):
            target = rel.get("Target") or ""
            external = rel.get("TargetMode") == "External"
            if not external:
                target = resolve(folder, target)
            out.append(Rel(rel.get("Id") or "", (rel.get("Type") or "").rsplit("/", 1)[-1], target, external))
        return out

    def rel_map(self, part: str) -> dict[str, Rel]:
        return {r.id: r for r in self.rels(part)}

    def main_part(self, default: str) -> str:
        for rel in self.rels(""):
            if rel.type == "officeDocument" and not rel.external and self.has(rel.target):
                return rel.target
        return default


def resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(folder, target)).lstrip("/")


# -- document properties ----------------------------------------------------------------

_CORE_FIELDS = (
    ("creator", "author"), ("lastModifiedBy", "last_modified_by"), ("title", "title"), ("subject", "subject"),
    ("keywords", "keywords"), ("description", "comments"), ("category", "category"),
    ("contentStatus", "status"), ("identifier", "identifier"), ("revision", "revision"),
)
# Custom properties office suites write by themselves (LibreOffice, WPS Office).
_TOOL_CUSTOM = frozenset({"PresentationFormat", "KSOProductBuildVer", "ICV", "AppVersion", "DocSecurity"})
_APP_FIELDS = (("Company", "company"), ("Manager", "manager"), ("Template", "template"),
               ("HyperlinkBase", "hyperlink_base"))


def metadata_lines(pkg: Package) -> list[str]:
    """``field: value`` lines of the core, app and custom properties with real content."""
    lines: list[str] = []
    core = pkg.xml_or_none("docProps/core.xml")
    if core is not None:
        values = {local(el): (el.text or "").strip() for el in core}
        lines += [f"{label}: {values[key]}" for key, label in _CORE_FIELDS if meaningful(values.get(key))]
    app = pkg.xml_or_none("docProps/app.xml")
    if app is not None:
        values = {local(el): (el.text or "").strip() for el in app}
        lines += [f"{label}: {values[key]}" for key, label in _APP_FIELDS if meaningful(values.get(key))]
    custom = pkg.xml_or_none("docProps/custom.xml")
    if custom is not None:
        for prop in custom.iter(f"{{{NS_CUSTOM}}}property"):
            value = "".join(prop.itertext()).strip()
            if meaningful(value) and prop.get("name") not in _TOOL_CUSTOM:
                lines.append(f"{prop.get('name') or '?'}: {value}")
    return lines


def metadata_part(pkg: Package, extra: list[str] | None = None) -> list[Part]:
    lines = metadata_lines(pkg) + (extra or [])
    return [Part(PartKind.METADATA, "\n".join(lines), first_paragraph=None)] if lines else []

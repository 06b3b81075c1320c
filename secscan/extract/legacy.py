"""Legacy binary Office and WPS files, read by converting them with LibreOffice.

.doc, .xls, .ppt (OLE2 compound files), WPS Office's .wps/.et/.dps of the same
structure and Microsoft Works .wps are converted by ``soffice --headless --convert-to``
into the OOXML counterpart in a private temporary folder, with a private LibreOffice
profile (two instances cannot share one) and a time limit, and then read by the docx,
xlsx or pptx extractor, hidden layers included: LibreOffice keeps tracked changes,
comments, notes, hidden sheets and document properties through the conversion.

Where LibreOffice is not installed the file is reported ``missing_tool`` with the
package to install, never passed.  ``SECSCAN_SOFFICE`` names a soffice binary to use.

Objects embedded in Office files as OLE (``\\x01Ole10Native`` packages, ``Package``
streams holding an OOXML file, equations) are unwrapped here too.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import olefile
from msgspec import Struct
from msgspec.structs import replace

from secscan.extract import docx, pptx, xlsx
from secscan.extract.archive import extract_nested
from secscan.extract.base import ExtractionAborted, Limits
from secscan.types import Document, ErrorKind

MAX_CONVERT_SECONDS = 120.0
_SOFFICE_CANDIDATES = (
    "soffice", "libreoffice",
    "/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)


class Conversion(Struct, frozen=True):
    target: str  # the OOXML extension LibreOffice writes
    source_ext: str  # the extension the temporary input gets (LibreOffice also sniffs content)
    reader: Callable[[bytes, str, Limits], Document]
    package: str  # the Debian package that brings the LibreOffice filter


CONVERSIONS = {
    "doc": Conversion("docx", "doc", docx.extract, "libreoffice-writer-nogui"),
    "works": Conversion("docx", "wps", docx.extract, "libreoffice-writer-nogui"),
    "xls": Conversion("xlsx", "xls", xlsx.extract, "libreoffice-calc-nogui"),
    "ppt": Conversion("pptx", "ppt", pptx.extract, "libreoffice-impress-nogui"),
}
_FORMAT_ZH = {"doc": "Word 97-2003/WPS文字", "works": "Works/WPS文字", "xls": "Excel 97-2003/WPS表格",
              "ppt": "PowerPoint 97-2003/WPS演示"}


def find_soffice() -> str | None:
    override = os.environ.get("SECSCAN_SOFFICE")
    if override:
        return shutil.which(override) or (override if Path(override).is_file() else None)
    for candidate in _SOFFICE_CANDIDATES:
        found = shutil.which(candidate) or (candidate if os.path.isabs(candidate) and Path(candidate).is_file() else None)
        if found:
            return found
    return None


def convert(data: bytes, fmt: str, limits: Limits, soffice: str | None = None) -> bytes:
    """Legacy bytes → OOXML bytes through LibreOffice, or ExtractionAborted."""
    conv = CONVERSIONS[fmt]
    soffice = soffice or find_soffice()
    if soffice is None:
        raise ExtractionAborted(
            ErrorKind.MISSING_TOOL,
            f"读取{_FORMAT_ZH[fmt]}格式需要LibreOffice,本机未安装;请安装 {conv.package}"
            f"(Debian/Ubuntu: apt-get install {conv.package})后重新审查",
        )
    remaining = limits.deadline - time.monotonic()
    timeout = min(MAX_CONVERT_SECONDS, remaining)
    if timeout <= 0:
        raise ExtractionAborted(ErrorKind.TIMEOUT, "读取超过时间上限,未能读完全文")
    with tempfile.TemporaryDirectory(prefix="secscan-lo-") as tmp:
        work = Path(tmp)
        source = work / f"input.{conv.source_ext}"
        source.write_bytes(data)
        out = work / "out"
        command = [
            soffice, "--headless", "--norestore", "--nologo", "--nolockcheck", "--nodefault",
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--convert-to", conv.target, "--outdir", str(out), str(source),
        ]
        run_bounded(command, timeout, work)
        result = out / f"input.{conv.target}"
        if not result.is_file() or result.stat().st_size == 0:
            raise ExtractionAborted(
                ErrorKind.CORRUPT, f"LibreOffice无法转换该{_FORMAT_ZH[fmt]}文件(文件损坏、加密或格式不符)"
            )
        return result.read_bytes()


def run_bounded(command: list[str], timeout: float, cwd: Path) -> None:
    """Run a converter in its own process group; on timeout the whole group is killed."""
    env = {**os.environ, "HOME": str(cwd), "SAL_USE_VCLPLUGIN": "svp"}
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise ExtractionAborted(ErrorKind.TIMEOUT, f"LibreOffice转换超过{timeout:.0f}秒,已中止") from None


def extract(data: bytes, name: str, limits: Limits, fmt: str) -> Document:
    converted = convert(data, fmt, limits)
    doc = CONVERSIONS[fmt].reader(converted, name, limits)
    from secscan.extract.sniff import sniff

    return replace(doc, media_type=sniff(data, name).media_type)


def extractor(fmt: str) -> Callable[[bytes, str, Limits], Document]:
    def run(data: bytes, name: str, limits: Limits) -> Document:
        return extract(data, name, limits, fmt)

    run.__name__ = f"extract_{fmt}"
    return run


# Named, so that the format table (secscan.extract.EXTRACTORS) can refer to them lazily.
extract_doc, extract_works, extract_xls, extract_ppt = (extractor(fmt) for fmt in ("doc", "works", "xls", "ppt"))


# -- OLE objects embedded in Office files ----------------------------------------------------


def extract_ole_object(data: bytes, name: str, limits: Limits) -> Document:
    media = "application/x-ole-storage"
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        try:
            if ole.exists("Equation Native"):
                return Document(name, media)  # a formula: no prose to leak
            if ole.exists("Package"):
                payload, inner = ole.openstream("Package").read(), "Package"
            else:
                payload, inner = _ole10native(ole.openstream("\x01Ole10Native").read())
        finally:
            ole.close()
    except (OSError, ValueError, IndexError, struct.error) as exc:
        raise ExtractionAborted(ErrorKind.CORRUPT, f"嵌入的OLE对象无法读取:{exc}") from exc
    nested = extract_nested(payload, inner, limits)
    return Document(name, media, nested.parts, nested.errors, nested.links)


def _ole10native(stream: bytes) -> tuple[bytes, str]:
    """``\\x01Ole10Native`` (the Packager): size, flags, label, path … then the file itself."""
    pos = 6  # total size (4) + flags (2)
    label, pos = _cstring(stream, pos)
    _path, pos = _cstring(stream, pos)
    pos += 8  # reserved + type
    _temp, pos = _cstring(stream, pos)
    (size,) = struct.unpack_from("<I", stream, pos)
    pos += 4
    if size > len(stream) - pos:
        raise ValueError("Ole10Native 长度字段超出数据")
    return stream[pos:pos + size], label or "ole-object"


def _cstring(data: bytes, pos: int) -> tuple[str, int]:
    end = data.index(b"\x00", pos)
    return data[pos:end].decode("gb18030", "replace"), end + 1

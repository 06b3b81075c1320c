"""Hostile and broken input: each file ends in an ``errors`` entry, in time, and the next
file is scanned.  Runs the real Scanner with its default per-file child process."""

from __future__ import annotations

import faulthandler
import io
import os
import resource
import signal
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from pdf_builders import html_page, raw_pdf, reportlab_pdf, resident_id, stream, text_pages

from secscan import Config, Scanner
from secscan.extract.base import Limits
from secscan.extract.isolate import IsolatedExtractor, default_extractor
from secscan.types import Document, ErrorKind, Part, PartKind, Verdict

MARK = "机密★10年"
CLEAN = ["关于做好政务公开工作的通知", "各区县人民政府:", "现将有关事项通知如下。"]
TIMEOUT = 2.0
MEMORY = 256 * 1024 * 1024


def _config(**kw: object) -> Config:
    return Config(use_model=False, today="2026-11-23", timeout_seconds=TIMEOUT, **kw)


@pytest.fixture(scope="module")
def scan() -> Scanner:
    return Scanner(_config(), extract=IsolatedExtractor(memory_bytes=MEMORY)).warm_up()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def exponential_forms_pdf(depth: int = 40) -> bytes:
    """Each form XObject paints the next one twice: 2**depth paints, no cycle to refuse."""
    forms = [
        stream(b"/X Do /X Do", b" /Type /XObject /Subtype /Form /BBox [0 0 9 9] /Resources << /XObject << /X %d 0 R >> >>" % (6 + i))
        for i in range(depth - 1)
    ]
    forms.append(stream(b"0 0 1 1 re f", b" /Type /XObject /Subtype /Form /BBox [0 0 9 9]"))
    pdf = raw_pdf(forms, content=b"/X Do")
    return pdf.replace(b"/Resources << >>", b"/Resources << /XObject << /X 5 0 R >> >>")


def deflate_bomb(megabytes: int) -> bytes:
    """A zlib stream of a few hundred KB that inflates to ``megabytes`` MB of spaces.

    One 1 MB block is compressed after a full flush (which resets the dictionary), so its
    compressed form can be repeated; the Adler-32 trailer is computed for the whole.
    """
    chunk = b" " * (1 << 20)
    comp = zlib.compressobj(9)
    first = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    end = comp.flush()[:-4]
    adler = 1
    for _ in range(megabytes):
        adler = zlib.adler32(chunk, adler)
    return first + again * (megabytes - 1) + end + struct.pack(">I", adler)


def flate_bomb_pdf(megabytes: int = 400) -> bytes:
    """A page content stream that inflates to ``megabytes`` MB."""
    data = deflate_bomb(megabytes)
    pdf = raw_pdf([], content=b"BT ET")
    return pdf.replace(stream(b"BT ET"), b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream")


def test_the_default_scanner_isolates_each_file() -> None:
    assert isinstance(default_extractor(Config()), IsolatedExtractor)


def test_a_pdf_that_makes_pdfminer_run_forever_times_out(scan: Scanner) -> None:
    start = time.monotonic()
    report = scan.scan_bytes(exponential_forms_pdf(), "loop.pdf")
    elapsed = time.monotonic() - start
    assert [e.kind for e in report.errors] == [ErrorKind.TIMEOUT]
    assert report.verdict is Verdict.REVIEW
    assert elapsed < TIMEOUT + 2


def test_a_flate_bomb_hits_the_memory_cap_not_the_parent(scan: Scanner) -> None:
    before = _rss_mb()
    report = scan.scan_bytes(flate_bomb_pdf(), "bomb.pdf")
    assert report.verdict is Verdict.REVIEW
    assert report.errors and report.errors[0].kind in {ErrorKind.TOO_LARGE, ErrorKind.TIMEOUT}, report.errors
    assert _rss_mb() - before < 100


def test_the_next_file_is_scanned_after_hostile_ones(scan: Scanner, tmp_path: Path) -> None:
    (tmp_path / "1-loop.pdf").write_bytes(exponential_forms_pdf())
    (tmp_path / "2-cut.docx").write_bytes(_docx([MARK])[:900])
    (tmp_path / "3-marked.pdf").write_bytes(reportlab_pdf(text_pages([[MARK, *CLEAN]])))
    (tmp_path / "4-clean.html").write_bytes(html_page("<p>各区县人民政府:现将有关事项通知如下。</p>"))
    reports = {Path(r.path).name: r for r in scan.scan_paths([tmp_path])}
    assert reports["1-loop.pdf"].verdict is Verdict.REVIEW
    assert reports["2-cut.docx"].verdict is Verdict.REVIEW and reports["2-cut.docx"].errors
    assert reports["3-marked.pdf"].verdict is Verdict.BLOCK
    assert reports["4-clean.html"].verdict is Verdict.PASS


# -- the isolation itself, with extractors that misbehave on purpose ------------------------
def _spin(data: bytes, name: str, limits: Limits) -> Document:
    while True:
        pass


def _hog(data: bytes, name: str, limits: Limits) -> Document:
    blocks = []
    while True:
        blocks.append(bytearray(16 << 20))


def _segfault(data: bytes, name: str, limits: Limits) -> Document:
    faulthandler.disable()  # pytest's handler would print the crash; a C parser's crash is silent
    os.kill(os.getpid(), signal.SIGSEGV)
    raise AssertionError("unreachable")


def _raises(data: bytes, name: str, limits: Limits) -> Document:
    raise RuntimeError("parser bug")


def _fine(data: bytes, name: str, limits: Limits) -> Document:
    return Document(name, "application/pdf", (Part(PartKind.BODY, MARK),))


@pytest.mark.parametrize(
    ("extract", "kind", "words"),
    [
        (_spin, ErrorKind.TIMEOUT, "时间上限"),
        (_hog, ErrorKind.TOO_LARGE, "内存"),
        (_segfault, ErrorKind.INTERNAL, "SIGSEGV"),
        (_raises, ErrorKind.INTERNAL, "parser bug"),
    ],
)
def test_isolation_turns_misbehaviour_into_an_error(extract, kind: ErrorKind, words: str) -> None:
    isolated = IsolatedExtractor(extract=extract, memory_bytes=MEMORY)
    before = _rss_mb()
    start = time.monotonic()
    doc = isolated(b"%PDF-1.7\n", "x.pdf", Limits(deadline=time.monotonic() + 1.0))
    assert time.monotonic() - start < 3
    assert [e.kind for e in doc.errors] == [kind] and words in doc.errors[0].message
    assert _rss_mb() - before < 50
    # the same extractor object goes on working
    again = IsolatedExtractor(extract=_fine)(b"%PDF-1.7\n", "y.pdf", Limits(deadline=time.monotonic() + 5))
    assert again.parts[0].text == MARK


def test_small_text_is_read_in_process_and_big_binary_in_a_child() -> None:
    isolated = IsolatedExtractor(extract=lambda d, n, lim: Document(n, "x", (Part(PartKind.BODY, str(os.getpid())),)))
    limits = Limits(deadline=time.monotonic() + 5)
    assert isolated(b"plain text", "a.txt", limits).parts[0].text == str(os.getpid())
    assert isolated(b"%PDF-1.7\n", "a.pdf", limits).parts[0].text != str(os.getpid())


# -- size, names that lie, truncation --------------------------------------------------------
def test_a_2gb_file_is_refused_by_size_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "huge.pdf"
    with open(big, "wb") as fh:  # sparse: no disk, no memory
        fh.truncate(2 * 1024**3)
    before = _rss_mb()
    start = time.monotonic()
    report = Scanner(_config()).scan_path(big)
    assert time.monotonic() - start < 2 and _rss_mb() - before < 50
    assert [e.kind for e in report.errors] == [ErrorKind.TOO_LARGE]
    assert report.verdict is Verdict.REVIEW


def _docx(lines: list[str]) -> bytes:
    from docx import Document as Docx

    doc = Docx()
    for line in lines:
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "media"),
    [
        (lambda: reportlab_pdf(text_pages([[MARK, *CLEAN]])), "readme.txt", "application/pdf"),
        (lambda: html_page(f"<p>{MARK}</p>"), "report.docx", "text/html"),
        (lambda: _docx([MARK, *CLEAN]), "scan.pdf", "wordprocessingml"),
    ],
)
def test_a_lying_extension_is_read_by_content(scan: Scanner, data, name: str, media: str) -> None:
    report = scan.scan_bytes(data(), name)
    assert media in report.media_type
    assert any(f.rule == "marking.star_period" for f in report.findings)


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.95])
def test_truncated_office_and_zip_files_are_never_passed(scan: Scanner, fraction: float) -> None:
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("附件1.txt", f"{MARK}\n" + "正文。" * 200)
    for data in (_docx([MARK, *CLEAN]), zipped.getvalue()):
        report = scan.scan_bytes(data[: int(len(data) * fraction)], "cut.bin")
        assert report.verdict is not Verdict.PASS, report


def test_billion_laughs_in_office_xml_is_not_expanded(scan: Scanner) -> None:
    entities = '<!ENTITY a "机密★10年">' + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    src = io.BytesIO(_docx(["占位"]))
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            if item.filename == "word/document.xml":
                head, _, rest = body.partition(b"?>")
                body = head + b"?><!DOCTYPE w:document [" + entities.encode() + b"]>" + rest.replace("占位".encode(), b"&j;")
            zout.writestr(item, body)
    start = time.monotonic()
    report = scan.scan_bytes(out.getvalue(), "lol.docx")
    assert time.monotonic() - start < TIMEOUT + 2
    assert report.verdict is not Verdict.PASS
    assert sum(len(p.text) for p in report.parts) < 100_000


def test_a_generated_id_number_is_valid() -> None:
    """The builders never use real people's numbers, but must make valid ones."""
    from secscan.detect.checksums import resident_id_checksum_ok

    assert all(resident_id_checksum_ok(resident_id(seed)) for seed in range(20))

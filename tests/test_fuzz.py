"""Fuzzing: mutated docx, PDF, HTML and zip files through the real Scanner.

Each example flips bits, truncates, inserts or duplicates bytes in a generated fixture
that carries a marking, and scans it with the default per-file child process.  Whatever
the bytes, a report comes back in time, with consistent offsets, and a file that was
cut short is never ``pass``.  Bounded for CI: about 15 s on two shared cores.
"""

from __future__ import annotations

import functools
import io
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdf_builders import html_page, reportlab_pdf, resident_id, text_pages

from secscan import Config, Scanner
from secscan.types import FileReport, Verdict

MARK = "机密★10年"
LINES = [MARK, "关于做好政务公开工作的通知", f"联系人身份证号:{resident_id(11)}", "各区县人民政府:现将有关事项通知如下。"]
TIMEOUT = 3.0
EXAMPLES = 30  # per format


@functools.cache
def fixture(kind: str) -> bytes:
    if kind == "pdf":
        return reportlab_pdf(text_pages([LINES]))
    if kind == "html":
        return html_page("\n".join(f"<p>{line}</p>" for line in LINES) + f'<!-- {MARK} --><div style="display:none">{MARK}</div>')
    if kind == "docx":
        from docx import Document as Docx

        doc = Docx()
        for line in LINES:
            doc.add_paragraph(line)
        buf = io.BytesIO()
        doc.save(buf)
        return buf.getvalue()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("附件1.txt", "\n".join(LINES))
        zf.writestr("附件2.html", html_page(f"<p>{MARK}</p>"))
    return buf.getvalue()


@st.composite
def mutated(draw: st.DrawFn, kind: str) -> tuple[bytes, bool]:
    """(mutated bytes, whether the file was only truncated)."""
    data = bytearray(fixture(kind))
    how = draw(st.sampled_from(["flip", "truncate", "insert", "duplicate", "mixed"]))
    if how == "truncate":  # keep the magic bytes: a 3-byte "%PD" is honestly plain text
        return bytes(data[: draw(st.integers(16, len(data) - 1))]), True
    steps = draw(st.integers(1, 6)) if how == "mixed" else 1
    for _ in range(steps):
        op = how if how != "mixed" else draw(st.sampled_from(["flip", "insert", "duplicate"]))
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            size = draw(st.integers(1, 4096))
            data[at:at] = data[at : at + size] * draw(st.integers(2, 50))
    return bytes(data), False


@pytest.fixture(scope="module")
def scan() -> Scanner:
    return Scanner(Config(use_model=False, today="2026-11-23", timeout_seconds=TIMEOUT)).warm_up()


def check(report: FileReport, truncated: bool, kind: str) -> None:
    assert report.verdict in set(Verdict)
    if report.errors:
        assert report.verdict is not Verdict.PASS
    for finding in report.findings:
        assert finding.text  # offsets point into the part that holds them
    parts = {(p.kind, p.label, p.page): p.text for p in report.parts}
    for finding in report.findings:
        texts = [t for (k, label, page), t in parts.items() if k is finding.location.part and label == finding.location.label and page == finding.location.page]
        assert any(t[finding.start : finding.end] == finding.text for t in texts)
    if truncated and kind != "html":  # a binary file cut short is read in part at best
        assert report.verdict is not Verdict.PASS


@pytest.mark.parametrize("kind", ["docx", "pdf", "html", "zip"])
@pytest.mark.timeout(60)
def test_mutated_files_always_give_a_report(scan: Scanner, kind: str) -> None:
    original = scan.scan_bytes(fixture(kind), f"original.{kind}")
    assert original.verdict is Verdict.BLOCK, original
    slowest = 0.0

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=mutated(kind))
    def run(case: tuple[bytes, bool]) -> None:
        nonlocal slowest
        data, truncated = case
        start = time.monotonic()
        report = scan.scan_bytes(data, f"fuzz.{kind}")
        slowest = max(slowest, time.monotonic() - start)
        check(report, truncated, kind)

    run()
    assert slowest < TIMEOUT + 2

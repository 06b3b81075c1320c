"""Legacy .doc/.xls/.ppt/.wps through LibreOffice, and OFD (GB/T 33190-2016).

The legacy fixtures are made by LibreOffice itself from OOXML built in code (one soffice
call per target format, once per session).  In CI (CI=true) LibreOffice is installed by
.ci/run and these tests must run; elsewhere they skip only when soffice is missing.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import olefile
import pytest

from secscan import Config, Scanner
from secscan.extract import Limits, extract_bytes, legacy
from secscan.extract.sniff import sniff
from secscan.types import ErrorKind, PartKind, Verdict
from tests import office_docs as od

SCANNER = Scanner(Config(today="2026-11-23", use_model=False))
ID = od.resident_id("32010219780615002")
MARK = "机密★5年"
LEAD = "关于开展2026年度安全生产大检查的通知"


def found(report, part: str, category: str) -> list:
    return [f for f in report.findings if f.location.part == part and f.category == category]


def kinds(report) -> set[PartKind]:
    return {p.kind for p in report.parts}


# -- LibreOffice-made fixtures -------------------------------------------------------------------


@pytest.fixture(scope="session")
def legacy_files(tmp_path_factory) -> dict[str, bytes]:
    soffice = legacy.find_soffice()
    if soffice is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must install LibreOffice (.ci/run): soffice not found")
        pytest.skip("LibreOffice (soffice) is not installed")
    work = tmp_path_factory.mktemp("legacy")
    sources = {
        "draft.docx": od.docx(
            od.p(LEAD, od.deleted(MARK), '<w:r><w:commentReference w:id="0"/></w:r>'),
            parts={"comments": od.comment(0, "张三", "此稿请勿外传")},
            core={"creator": "张三"},
        ),
        "clean.docx": od.docx(od.p(LEAD) + od.p("各乡镇、各部门要认真组织,确保检查工作落到实处。")),
        "book.xlsx": od.xlsx(visible_rows=[["序号", "单位"], ["1", "应急管理局"]], hidden_sheet=["考察对象", ID]),
        "deck.pptx": od.pptx(["安全生产工作汇报", "下一步工作"], notes={1: "此页内容请勿外传"}, hidden={1}),
    }
    for name, data in sources.items():
        (work / name).write_bytes(data)
    out = work / "out"
    for target, names in (("doc", ["draft.docx", "clean.docx"]), ("xls", ["book.xlsx"]), ("ppt", ["deck.pptx"])):
        subprocess.run(
            [soffice, "--headless", "--norestore", f"-env:UserInstallation={(work / 'profile').as_uri()}",
             "--convert-to", target, "--outdir", str(out), *[str(work / n) for n in names]],
            check=True, timeout=180, capture_output=True,
        )
    return {p.name: p.read_bytes() for p in out.iterdir()}


@pytest.fixture(scope="session")
def reports(legacy_files):
    """Each legacy file scanned once (every scan is a LibreOffice run)."""
    names = {"draft.doc": "通知.doc", "clean.doc": "clean.doc", "book.xls": "名册.xls", "deck.ppt": "汇报.ppt"}
    return {key: SCANNER.scan_bytes(legacy_files[key], shown) for key, shown in names.items()}


def test_doc_hidden_layers_survive_conversion(reports) -> None:
    report = reports["draft.doc"]
    assert report.errors == ()
    assert report.media_type == "application/msword"
    assert found(report, "tracked_deletion", "classification_marking")
    assert found(report, "comment", "internal_marking")
    comment = next(p for p in report.parts if p.kind is PartKind.COMMENT)
    assert comment.text.startswith("张三:")
    assert "author: 张三" in next(p for p in report.parts if p.kind is PartKind.METADATA).text
    assert LEAD in next(p for p in report.parts if p.kind is PartKind.BODY).text
    assert report.verdict is Verdict.BLOCK


def test_wps_file_is_read_by_content(legacy_files) -> None:
    """WPS Office's .wps has the Word 97 structure: sniffed by content, converted like .doc."""
    kind = sniff(legacy_files["draft.doc"], "通知.wps")
    assert (kind.format, kind.media_type, kind.error) == ("doc", "application/vnd.ms-works", None)
    assert sniff(legacy_files["book.xls"], "名册.et").format == "xls"
    assert sniff(legacy_files["deck.ppt"], "汇报.doc").format == "ppt"  # the name lies


def test_clean_doc_passes(reports) -> None:
    report = reports["clean.doc"]
    assert report.verdict is Verdict.PASS, [(f.rule, f.text) for f in report.findings]


def test_xls_hidden_sheet(reports) -> None:
    report = reports["book.xls"]
    assert report.media_type == "application/vnd.ms-excel"
    (hit,) = found(report, "hidden_sheet", "personal_info")
    assert hit.location.label.startswith("底稿hidden")
    assert PartKind.SHEET in kinds(report)


def test_ppt_notes_and_hidden_slide(reports) -> None:
    report = reports["deck.ppt"]
    assert report.media_type == "application/vnd.ms-powerpoint"
    assert found(report, "notes", "internal_marking")
    hidden = [p for p in report.parts if p.kind is PartKind.HIDDEN_SLIDE]
    assert [p.label for p in hidden] == ["第2张"]
    slide = next(p for p in report.parts if p.kind is PartKind.SLIDE)
    assert slide.text == "安全生产工作汇报\n汇报人:综合处"  # no tab stops read as text
    assert all("<number>" not in p.text for p in report.parts)  # LibreOffice's slide-number field


def test_missing_libreoffice_names_the_package(legacy_files, monkeypatch) -> None:
    monkeypatch.setenv("SECSCAN_SOFFICE", "/nonexistent/soffice")
    for name, package in (("draft.doc", "libreoffice-writer-nogui"), ("book.xls", "libreoffice-calc-nogui"),
                          ("deck.ppt", "libreoffice-impress-nogui")):
        report = SCANNER.scan_bytes(legacy_files[name], name)
        assert [e.kind for e in report.errors] == [ErrorKind.MISSING_TOOL]
        assert package in report.errors[0].message
        assert report.verdict is Verdict.REVIEW


def test_encrypted_doc_is_reported_without_conversion(legacy_files, tmp_path, monkeypatch) -> None:
    path = tmp_path / "locked.doc"
    path.write_bytes(legacy_files["draft.doc"])
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        fib = bytearray(ole.openstream("WordDocument").read())
        fib[11] |= 0x01  # FibBase.fEncrypted (MS-DOC 2.5.2)
        ole.write_stream("WordDocument", bytes(fib))
    monkeypatch.setenv("SECSCAN_SOFFICE", "/nonexistent/soffice")  # proves soffice is not needed
    report = SCANNER.scan_bytes(path.read_bytes(), "locked.doc")
    assert [e.kind for e in report.errors] == [ErrorKind.ENCRYPTED]


# -- the converter's own guards (no LibreOffice needed) ------------------------------------------


def _fake_soffice(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "soffice"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_converter_that_hangs_is_killed_at_the_deadline(tmp_path) -> None:
    marker = tmp_path / "child.pid"
    fake = _fake_soffice(tmp_path, f"sleep 60 & echo $! > {marker}; wait")
    started = time.monotonic()
    with pytest.raises(legacy.ExtractionAborted) as info:
        legacy.convert(b"x", "doc", Limits(deadline=time.monotonic() + 1.5), soffice=str(fake))
    assert info.value.kind is ErrorKind.TIMEOUT
    assert time.monotonic() - started < 10
    child = int(marker.read_text())
    time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


def test_converter_that_writes_nothing_is_corrupt(tmp_path) -> None:
    fake = _fake_soffice(tmp_path, "exit 0")
    with pytest.raises(legacy.ExtractionAborted) as info:
        legacy.convert(b"x", "xls", Limits(), soffice=str(fake))
    assert info.value.kind is ErrorKind.CORRUPT


def test_find_soffice_honours_the_override(tmp_path, monkeypatch) -> None:
    fake = _fake_soffice(tmp_path, "exit 0")
    monkeypatch.setenv("SECSCAN_SOFFICE", str(fake))
    assert legacy.find_soffice() == str(fake)
    monkeypatch.setenv("SECSCAN_SOFFICE", str(tmp_path / "missing"))
    assert legacy.find_soffice() is None
    monkeypatch.delenv("SECSCAN_SOFFICE")
    if shutil.which("soffice"):
        assert legacy.find_soffice() == shutil.which("soffice")


# -- OFD (GB/T 33190-2016) -------------------------------------------------------------------------


def test_ofd_page_text_with_page_numbers() -> None:
    report = SCANNER.scan_bytes(od.ofd([[LEAD, "各有关单位:"], [MARK, "附件"]]), "通知.ofd")
    assert report.media_type == "application/ofd"
    (hit,) = found(report, "body", "classification_marking")
    assert hit.location.page == 2
    body = [p for p in report.parts if p.kind is PartKind.BODY]
    assert body[0].text == f"{LEAD}\n各有关单位:"


def test_ofd_annotation_metadata_and_custom_data() -> None:
    data = od.ofd([[LEAD]], doc_info={"Title": "安全生产通知", "Author": "张三", "Creator": "Suwell OFD Writer"},
                  custom={"密级": "机密"}, annot=f"联系人身份证号{ID}")
    report = SCANNER.scan_bytes(data, "通知.ofd")
    (hit,) = found(report, "annotation", "personal_info")
    assert hit.location.page == 1
    meta = next(p for p in report.parts if p.kind is PartKind.METADATA)
    assert meta.text.split("\n") == ["title: 安全生产通知", "author: 张三", "密级: 机密"]
    assert found(report, "metadata", "classification_marking")


def test_ofd_attachment_is_read_with_its_name() -> None:
    attached = od.docx(od.p("附件说明", od.deleted("请勿外传")))
    report = SCANNER.scan_bytes(od.ofd([[LEAD]], attachment=("附件1.docx", attached)), "通知.ofd")
    (hit,) = found(report, "tracked_deletion", "internal_marking")
    assert hit.location.label == "附件1.docx › 正文"


def test_ofd_scanned_page_is_unreadable_with_its_number() -> None:
    report = SCANNER.scan_bytes(od.ofd([[LEAD], None]), "扫描.ofd")
    assert [e.kind for e in report.errors] == [ErrorKind.IMAGE_ONLY]
    assert "第2页" in report.errors[0].message
    assert report.verdict is Verdict.REVIEW


def test_clean_ofd_passes() -> None:
    report = SCANNER.scan_bytes(od.ofd([[LEAD, "请各单位认真组织实施。"]], doc_info={"Title": "通知"}), "a.ofd")
    assert report.verdict in (Verdict.PASS,), [(f.rule, f.text) for f in report.findings]


def test_broken_ofd_is_an_error_not_a_pass() -> None:
    data = od.ofd([[MARK]])
    doc = extract_bytes(data[: len(data) // 2], "a.ofd", Limits())
    assert doc.errors and doc.errors[0].kind is ErrorKind.CORRUPT

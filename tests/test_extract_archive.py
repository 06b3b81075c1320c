"""Zip archives of attachments: member by member, member paths in ``location``, and caps."""

from __future__ import annotations

import io
import zipfile

from secscan import Config, Scanner
from secscan.extract import Limits, extract_bytes
from secscan.extract.archive import MAX_DEPTH
from secscan.types import ErrorKind, PartKind, Verdict
from tests import office_docs as od

SCANNER = Scanner(Config(today="2026-11-23", use_model=False))
ID = od.resident_id("44030419851122004")
NOTICE = "关于公布2026年第一批行政许可事项办理结果的公告"


def labels(report, category: str) -> list[str]:
    return [f.location.label for f in report.findings if f.category == category]


def test_members_are_scanned_with_their_paths() -> None:
    data = od.zip_bytes({
        "附件/公告.docx": od.docx(od.p(NOTICE)),
        "附件/名单.xlsx": od.xlsx(visible_rows=[["姓名", "身份证号"], ["张三", ID]]),
        "附件/说明.txt": "机密★10年\n关于……的说明".encode(),
    })
    report = SCANNER.scan_bytes(data, "attachments.zip")
    assert report.errors == ()
    assert labels(report, "personal_info") == ["附件/名单.xlsx › 花名册"]
    assert labels(report, "classification_marking") == ["附件/说明.txt"]
    listing = [p for p in report.parts if p.kind is PartKind.ATTACHMENT]
    assert listing[0].text.split("\n") == ["附件/公告.docx", "附件/名单.xlsx", "附件/说明.txt"]
    assert report.verdict is Verdict.BLOCK


def test_hidden_layers_inside_a_member_keep_their_kind() -> None:
    data = od.zip_bytes({"稿件/通知.docx": od.docx(od.p(NOTICE, od.deleted("请勿外传")))})
    report = SCANNER.scan_bytes(data, "a.zip")
    (hit,) = [f for f in report.findings if f.category == "internal_marking"]
    assert hit.location.part == "tracked_deletion"
    assert hit.location.label == "稿件/通知.docx › 正文"


def test_gbk_member_names_are_decoded_and_scanned() -> None:
    data = od.gbk_zip({"机密-考察人选名单.txt": "干部名单".encode()})
    report = SCANNER.scan_bytes(data, "a.zip")
    listing = next(p for p in report.parts if p.kind is PartKind.ATTACHMENT)
    assert listing.text == "机密-考察人选名单.txt"


def test_clean_archive_passes() -> None:
    data = od.zip_bytes({"公告.docx": od.docx(od.p(NOTICE)), "说明.txt": "办理结果详见附件。".encode()})
    report = SCANNER.scan_bytes(data, "a.zip")
    assert report.verdict is Verdict.PASS, [(f.rule, f.text) for f in report.findings]


def test_nesting_stops_at_the_depth_cap() -> None:
    data = "机密★10年".encode()
    for level in range(MAX_DEPTH + 1):
        data = od.zip_bytes({f"level{level}.zip" if level else "deep.txt": data})
    doc = extract_bytes(data, "outer.zip", Limits())
    assert [e.kind for e in doc.errors] == [ErrorKind.TOO_LARGE]
    assert "嵌套层数" in doc.errors[0].message
    shallow = od.zip_bytes({"in.zip": od.zip_bytes({"deep.txt": "机密★10年".encode()})})
    report = SCANNER.scan_bytes(shallow, "ok.zip")
    assert labels(report, "classification_marking") == ["in.zip › deep.txt"]


def test_zip_bomb_ratio_is_refused_quickly() -> None:
    data = od.zip_bytes({"readme.txt": b"ok", "huge.txt": b"0" * (60 << 20)})
    assert len(data) < 200_000
    report = SCANNER.scan_bytes(data, "bomb.zip")
    assert [e.kind for e in report.errors] == [ErrorKind.TOO_LARGE]
    assert "压缩炸弹" in report.errors[0].message
    assert report.verdict is Verdict.REVIEW


def test_total_uncompressed_cap_follows_the_size_limit() -> None:
    members = {f"{i}.txt": od.noise_text(200_000, seed=i) for i in range(4)}  # ~2.4 MB, ratio ~1.5
    data = od.zip_bytes(members)
    doc = extract_bytes(data, "a.zip", Limits(max_bytes=500_000))
    assert [e.kind for e in doc.errors] == [ErrorKind.TOO_LARGE]
    assert extract_bytes(data, "a.zip", Limits()).errors == ()


def test_member_whose_header_lies_about_its_size_is_corrupt() -> None:
    data = bytearray(od.zip_bytes({"a.txt": "机密★10年 关于……".encode() * 50}, compression=zipfile.ZIP_STORED))
    central = data.rfind(b"PK\x01\x02")
    data[central + 24: central + 28] = (10).to_bytes(4, "little")  # uncompressed size in the central directory
    doc = extract_bytes(bytes(data), "a.zip", Limits())
    assert doc.errors and doc.errors[0].kind is ErrorKind.CORRUPT
    assert "a.txt" in doc.errors[0].message


def _mark_encrypted(data: bytes, member: str) -> bytes:
    """Set the 'encrypted' flag bit of one member in its local and central headers."""
    out = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    out[info.header_offset + 6] |= 0x1
    raw = member.encode()
    pos = out.find(b"PK\x01\x02")
    while pos != -1:
        if out[pos + 46: pos + 46 + len(raw)] == raw:
            out[pos + 8] |= 0x1
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


def test_encrypted_member_is_reported_by_name() -> None:
    data = _mark_encrypted(od.zip_bytes({"公开.txt": "公告".encode(), "内部.txt": "名单".encode()}), "内部.txt")
    report = SCANNER.scan_bytes(bytes(data), "a.zip")
    assert [e.kind for e in report.errors] == [ErrorKind.ENCRYPTED]
    assert "内部.txt" in report.errors[0].message
    assert report.verdict is Verdict.REVIEW


def test_broken_member_does_not_hide_the_others() -> None:
    good = od.docx(od.p("机密★10年"))
    data = od.zip_bytes({"坏.docx": good[: len(good) // 2], "好.docx": good})
    report = SCANNER.scan_bytes(data, "a.zip")
    assert [e.kind for e in report.errors] == [ErrorKind.CORRUPT]
    assert report.errors[0].message.startswith("坏.docx:")
    assert labels(report, "classification_marking") == ["好.docx"]


def test_image_member_is_never_passed() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    report = SCANNER.scan_bytes(od.zip_bytes({"扫描件.png": png}), "a.zip")
    assert [e.kind for e in report.errors] == [ErrorKind.IMAGE_ONLY]
    assert report.verdict is not Verdict.PASS

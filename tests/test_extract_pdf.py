"""PDF: redaction boxes, annotations, form fields, metadata, attachments, scans, passwords."""

from __future__ import annotations

import pytest
from pdf_builders import image_page, pdf_string, raw_pdf, reportlab_pdf, resident_id, stream, text_pages

from secscan import Config, Scanner
from secscan.extract.base import Limits
from secscan.extract.pdf import extract
from secscan.types import ErrorKind, FileReport, PartKind, Verdict

ID = resident_id(3)
MARK = "机密★10年"
CLEAN = ["关于做好政务公开工作的通知", "各区县人民政府:", "现将有关事项通知如下。", "(此件公开发布)"]


@pytest.fixture(scope="module")
def scan() -> Scanner:
    return Scanner(Config(use_model=False, today="2026-11-23"))


def findings(report: FileReport, rule: str) -> list:
    return [f for f in report.findings if f.rule == rule]


def test_clean_pdf_passes(scan: Scanner) -> None:
    report = scan.scan_bytes(reportlab_pdf(text_pages([CLEAN, ["第二页正文。"]])), "clean.pdf")
    assert report.verdict is Verdict.PASS, [(f.rule, f.text) for f in report.findings]
    assert [p.page for p in report.parts if p.kind is PartKind.BODY] == [1, 2]
    assert not report.errors


def _redacted(c, *, box_after_text: bool) -> None:
    text_pages([CLEAN])(c)
    c.setFont("STSong-Light", 14)
    c.drawString(72, 800, "信访人情况说明")
    if not box_after_text:
        c.setFillColorRGB(0.9, 0.9, 0.9)
        c.rect(200, 770, 220, 22, fill=1, stroke=0)
        c.setFillColorRGB(0, 0, 0)
    c.drawString(72, 776, f"身份证号码:{ID}")
    if box_after_text:
        c.setFillColorRGB(0, 0, 0)
        c.rect(145, 770, 265, 22, fill=1, stroke=0)
    c.drawString(72, 752, "以上情况属实。")
    c.showPage()


def test_text_under_a_black_box_is_redacted_with_its_page(scan: Scanner) -> None:
    report = scan.scan_bytes(reportlab_pdf(lambda c: _redacted(c, box_after_text=True)), "redact.pdf")
    hit = findings(report, "pii.resident_id")
    assert hit and hit[0].location.part is PartKind.REDACTED and hit[0].location.page == 2
    assert hit[0].text == ID
    assert findings(report, "hidden.redacted")
    body2 = next(p for p in report.parts if p.kind is PartKind.BODY and p.page == 2)
    assert ID not in body2.text and "以上情况属实" in body2.text and "身份证号码" in body2.text
    assert report.verdict is Verdict.BLOCK


def test_a_shaded_background_under_text_is_not_a_redaction(scan: Scanner) -> None:
    report = scan.scan_bytes(reportlab_pdf(lambda c: _redacted(c, box_after_text=False)), "shaded.pdf")
    assert not any(p.kind is PartKind.REDACTED for p in report.parts)
    hit = findings(report, "pii.resident_id")
    assert hit and hit[0].location.part is PartKind.BODY


def test_annotation_form_field_and_info_metadata(scan: Scanner) -> None:
    def draw(c) -> None:
        c.setAuthor("办公室 王五")
        c.setSubject(MARK)
        text_pages([CLEAN])(c)
        c.setFont("STSong-Light", 14)
        c.drawString(72, 800, "第二页")
        c.textAnnotation("此稿暂不外传,请勿转发", Rect=(72, 700, 200, 720), addtopage=1, name="n1")
        c.linkURL("https://www.example.gov.cn/files/附件2.pdf", (72, 600, 200, 620))
        c.acroForm.textfield(name="contact_id", tooltip="联系人身份证号", value=ID, x=72, y=500, width=220, height=20)
        c.showPage()

    report = scan.scan_bytes(reportlab_pdf(draw), "layers.pdf")
    note = findings(report, "internal.no_forward")
    assert note and note[0].location.part is PartKind.ANNOTATION and note[0].location.page == 2
    pii = findings(report, "pii.resident_id")
    assert pii and pii[0].location.part is PartKind.FORM_FIELD
    mark = findings(report, "marking.star_period")
    assert mark and mark[0].location.part is PartKind.METADATA
    meta = next(p for p in report.parts if p.kind is PartKind.METADATA)
    assert "作者: 办公室 王五" in meta.text
    assert report.links == ("https://www.example.gov.cn/files/附件2.pdf",)
    for kind in ("annotation", "form_field", "metadata"):
        assert findings(report, f"hidden.{kind}")


XMP = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
    ' xmlns:xmp="http://ns.adobe.com/xap/1.0/" pdf:Producer="WPS 文字" xmp:CreateDate="2024-01-01T00:00:00">'
    "<dc:creator><rdf:Seq><rdf:li>李四</rdf:li></rdf:Seq></dc:creator>"
    '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{desc}&xxe;</rdf:li></rdf:Alt></dc:description>'
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def test_xmp_metadata_read_with_a_hardened_parser(scan: Scanner) -> None:
    xmp = XMP.format(desc=MARK).encode()
    pdf = raw_pdf([stream(xmp, b" /Type /Metadata /Subtype /XML")], catalog_extra=b"/Metadata 5 0 R",
                  content=b"BT ET", info=b"<< /Author " + pdf_string("张三") + b" >>")
    doc = extract(pdf, "xmp.pdf", Limits())
    meta = next(p for p in doc.parts if p.kind is PartKind.METADATA)
    assert "作者: 张三" in meta.text and "XMP creator: 李四" in meta.text
    assert "WPS 文字" not in meta.text  # the producing software is not a leak
    assert "root:" not in meta.text and "CreateDate" not in meta.text
    report = scan.scan_bytes(pdf, "xmp.pdf")
    assert findings(report, "marking.star_period")[0].location.part is PartKind.METADATA


def _embedded(payload: bytes, name: str) -> bytes:
    spec = b"<< /Type /Filespec /F " + pdf_string(name) + b" /UF " + pdf_string(name) + b" /EF << /F 7 0 R >> >>"
    return raw_pdf(
        [b"<< /EmbeddedFiles 6 0 R >>", b"<< /Names [" + pdf_string(name) + b" 8 0 R] >>",
         stream(payload, b" /Type /EmbeddedFile", compress=True), spec],
        catalog_extra=b"/Names 5 0 R",
        content=b"BT ET",
    )


def test_embedded_file_is_scanned_by_name(scan: Scanner) -> None:
    pdf = _embedded(f"内部资料\n{MARK}\n征地补偿名单\n".encode(), "名单.txt")
    report = scan.scan_bytes(pdf, "attach.pdf")
    mark = findings(report, "marking.star_period")
    assert mark and mark[0].location.part is PartKind.ATTACHMENT and mark[0].location.label == "附件 名单.txt"
    assert "embedded:名单.txt" in report.links


def test_embedded_pdf_keeps_its_hidden_layers(scan: Scanner) -> None:
    inner = reportlab_pdf(lambda c: (c.setSubject(MARK), text_pages([CLEAN])(c)))
    report = scan.scan_bytes(_embedded(inner, "原稿.pdf"), "outer.pdf")
    mark = findings(report, "marking.star_period")
    assert mark and mark[0].location.part is PartKind.METADATA and mark[0].location.label.startswith("附件 原稿.pdf")


def test_embedded_unsupported_file_is_not_passed(scan: Scanner) -> None:
    report = scan.scan_bytes(_embedded(b"\x89PNG\r\n\x1a\n" + bytes(64), "scan.png"), "attach.pdf")
    assert report.verdict is not Verdict.PASS
    assert any("附件 scan.png" in e.message for e in report.errors)


def test_image_only_page_is_named(scan: Scanner) -> None:
    report = scan.scan_bytes(reportlab_pdf(lambda c: (text_pages([CLEAN])(c), image_page(c))), "scan.pdf")
    errors = [e for e in report.errors if e.kind is ErrorKind.IMAGE_ONLY]
    assert errors and "第2页" in errors[0].message and "OCR" in errors[0].message
    assert report.verdict is Verdict.REVIEW


def test_password_protected_pdf_is_encrypted(scan: Scanner) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    enc = StandardEncryption("user-pw", ownerPassword="owner-pw", canPrint=0)
    report = scan.scan_bytes(reportlab_pdf(text_pages([[MARK, *CLEAN]]), encrypt=enc), "locked.pdf")
    assert [e.kind for e in report.errors] == [ErrorKind.ENCRYPTED]
    assert report.verdict is Verdict.REVIEW


def test_owner_password_only_pdf_is_read(scan: Scanner) -> None:
    """Permissions without an open password do not stop reading: the text is scanned."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    def draw(c) -> None:
        c.setFont("Helvetica", 12)
        c.drawString(72, 800, f"ID: {ID}")
        c.showPage()

    enc = StandardEncryption("", ownerPassword="owner-pw", canCopy=0)
    report = scan.scan_bytes(reportlab_pdf(draw, encrypt=enc), "restricted.pdf")
    assert findings(report, "pii.resident_id") and not report.errors


def test_glyphs_without_a_unicode_mapping_are_not_passed(scan: Scanner) -> None:
    """reportlab's encrypted CID fonts decode as "(cid:N)" in pdfminer: unread, not clean."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    enc = StandardEncryption("", ownerPassword="owner-pw")
    report = scan.scan_bytes(reportlab_pdf(text_pages([CLEAN]), encrypt=enc), "cid.pdf")
    assert report.verdict is Verdict.REVIEW
    assert any("无法解码" in e.message and "第1页" in e.message for e in report.errors)


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9])
def test_truncated_pdf_is_never_passed(scan: Scanner, cut: float) -> None:
    data = reportlab_pdf(text_pages([CLEAN, CLEAN, CLEAN]))
    report = scan.scan_bytes(data[: int(len(data) * cut)], "cut.pdf")
    assert report.verdict is not Verdict.PASS
    assert report.errors

"""The foundation's formats: txt encodings, html, docx, pdf — markings found in each
place, with the right part and location, and unreadable input never passed."""

from __future__ import annotations

import codecs

import pytest
from builders import docx_bytes, pdf_bytes

NOTICE = "机密★10年\n××县人民政府文件\n关于调整征地补偿标准的通知\n各乡镇人民政府:\n现将有关事项通知如下。"


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: codecs.BOM_UTF8 + s.encode("utf-8"),
        lambda s: s.encode("utf-16"),
        lambda s: codecs.BOM_UTF16_BE + s.encode("utf-16-be"),
        lambda s: s.encode("gb18030"),
        lambda s: s.encode("gbk"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "utf16-be", "gb18030", "gbk"],
)
def test_txt_encodings_are_detected(scanner, encode):
    report = scanner.scan_bytes(encode(NOTICE * 3), "notice.txt")
    assert report.errors == ()
    assert report.findings[0].rule == "marking.star_period"
    assert report.findings[0].text == "机密★10年"
    assert report.verdict.value == "block"


def test_txt_mixed_utf8_and_gbk_lines_are_both_read(scanner):
    data = "第一行是UTF-8的正文内容。\n".encode() + "机密★5年\n".encode("gbk") + "第三行也是正文。\n".encode()
    report = scanner.scan_bytes(data, "mixed.txt")
    assert any(f.text == "机密★5年" for f in report.findings)


def test_html_visible_title_hidden_and_comment_parts(scanner):
    page = (
        "<html><head><meta charset='utf-8'><title>关于做好防汛工作的通知</title></head><body>"
        "<div class='nav'>首页 &gt; 政务公开</div>"
        "<p>各单位:</p><p>请做好防汛准备工作。</p>"
        "<div style='display:none'>秘密★5年</div>"
        "<!-- 此稿暂不外传 -->"
        "<p hidden>内部资料 注意保存</p>"
        "</body></html>"
    )
    report = scanner.scan_bytes(page.encode(), "page.html")
    kinds = {(f.rule, f.location.part.value) for f in report.findings}
    assert ("marking.star_period", "html_hidden") in kinds
    assert ("internal.no_forward", "html_comment") in kinds
    assert ("internal.keep_internal", "html_hidden") in kinds
    assert ("hidden.html_hidden", "html_hidden") in kinds
    assert report.verdict.value == "block"
    body = next(p for p in report.parts if p.kind.value == "body")
    assert "秘密★5年" not in body.text and "请做好防汛准备工作。" in body.text


def test_html_gbk_with_meta_charset(scanner):
    page = "<html><head><meta charset='gbk'></head><body><p>内部明电</p><p>关于防汛的紧急通知</p></body></html>"
    report = scanner.scan_bytes(page.encode("gbk"), "page.htm")
    assert [f.rule for f in report.findings] == ["internal.telegram"]


@pytest.mark.parametrize(
    ("where", "part"),
    [("body", "body"), ("table", "table"), ("header", "header"), ("footer", "footer")],
)
def test_docx_marking_in_each_place(scanner, where, part):
    body = ["××市人民政府办公室", "关于印发某某方案的通知", "各区人民政府:", "现印发给你们,请认真贯彻执行。"]
    kwargs = {}
    if where == "body":
        body = ["秘密★5年", *body]
    elif where == "table":
        kwargs["table"] = [["序号", "事项"], ["1", "绝密★启用前"]]
    else:
        kwargs[where] = "机密★10年"
    report = scanner.scan_bytes(docx_bytes(body, **kwargs), "draft.docx")
    markings = [f for f in report.findings if f.category.value == "classification_marking"]
    assert [f.location.part.value for f in markings] == [part]
    assert report.verdict.value == "block"
    source = next(p for p in report.parts if p.kind.value == part)
    assert source.text[markings[0].start:markings[0].end] == markings[0].text


def test_docx_paragraph_numbers_follow_document_order(scanner):
    data = docx_bytes(["第一段。", "第二段。", "此件请勿外传", "第四段。"])
    finding = scanner.scan_bytes(data, "a.docx").findings[0]
    assert finding.location.paragraph == 3


def test_clean_docx_passes(scanner):
    data = docx_bytes(["关于开展保密宣传月活动的通知", "国家秘密的密级分为绝密、机密、秘密三级。"],
                      table=[["活动", "时间"], ["保密知识竞赛", "5月"]], header="××市国家保密局", footer="第1页")
    report = scanner.scan_bytes(data, "clean.docx")
    assert report.verdict.value == "pass", report.findings


def test_pdf_pages_and_image_only_page(scanner):
    data = pdf_bytes([["关于某项工作的通知", "正文内容。"], ["内部资料 注意保存", "第二页"]], image_page=True)
    report = scanner.scan_bytes(data, "scan.pdf")
    finding = next(f for f in report.findings if f.rule == "internal.keep_internal")
    assert finding.location.page == 2
    assert [e.kind.value for e in report.errors] == ["image_only"]
    assert "第3页" in report.errors[0].message


def test_image_only_pdf_is_never_pass(scanner):
    report = scanner.scan_bytes(pdf_bytes([], image_page=True), "scan.pdf")
    assert report.verdict.value == "review"
    assert report.errors and report.errors[0].kind.value == "image_only"


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog", "broken.pdf", "corrupt"),
        (b"PK\x03\x04" + b"\x00" * 40, "broken.docx", "corrupt"),
        (b"\x00\x01\x02\x03binary\x00\xff" * 50, "data.bin", "unsupported"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "scan.png", "image_only"),
    ],
)
def test_unreadable_input_is_an_error_and_never_pass(scanner, data, name, kind):
    report = scanner.scan_bytes(data, name)
    assert report.verdict.value == "review"
    assert report.errors[0].kind.value == kind


def test_extension_that_lies_is_read_by_content(scanner):
    report = scanner.scan_bytes(docx_bytes(["机密★10年", "正文"]), "notice.txt")
    assert report.findings[0].rule == "marking.star_period"
    assert report.media_type.endswith("wordprocessingml.document")

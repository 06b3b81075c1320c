"""Hidden places, round 2: CSS rules in <style>, invisible PDF text, xlsx cells hidden by
format, charts, drawings and validation lists, docx custom XML data and altChunk imports.

Each hidden place holds a marking or a valid ID number and is found with its part; each
has a look-alike that is *not* hidden (or is clean) and is not reported as hidden.
"""

from __future__ import annotations

import io
import quopri
import zipfile

import pytest
from pdf_builders import html_page, reportlab_pdf, resident_id

from secscan import Config, Scanner
from secscan.extract.html_css import parse_rules, stylesheet_hiding
from secscan.extract.xlsx_style import number_format_hides
from secscan.types import ErrorKind, PartKind, Verdict
from tests import office_docs as od

SCANNER = Scanner(Config(today="2026-11-23", use_model=False))
MARK = "机密★10年"
ID = resident_id(11)
LEAD = "关于做好2026年政务公开工作的通知"
CLEAN = "<h1>关于做好政务公开工作的通知</h1>\n<p>各区县人民政府:现将有关事项通知如下。</p>\n<p>(此件公开发布)</p>"


def scan(data: bytes, name: str):
    return SCANNER.scan_bytes(data, name)


def hits(report, rule: str) -> list:
    return [f for f in report.findings if f.rule == rule]


def only_in(report, rule: str, kind: PartKind) -> list:
    """The findings of ``rule``: there are some, all in parts of ``kind``, offsets exact."""
    found = hits(report, rule)
    assert found, [(f.rule, f.location.part, f.location.label) for f in report.findings]
    assert all(f.location.part is kind for f in found), [(f.location.part, f.location.label) for f in found]
    for f in found:
        part = next(p for p in report.parts if p.kind is kind and p.text[f.start:f.end] == f.text)
        assert part is not None
    return found


def part_text(report, kind: PartKind) -> str:
    return "\n".join(p.text for p in report.parts if p.kind is kind)


# -- 1. HTML hidden by rules in the page's own <style> -----------------------------------
CSS_HIDDEN = [
    (".yc{display:none}", f'<div class="yc">{MARK}</div>', ".yc", "marking.star_period"),
    ("#memo{visibility:hidden}", f'<p id="memo">联系人身份证号{ID}</p>', "#memo", "pii.resident_id"),
    ("div.article span.note{font-size:0}", f'<div class="article"><p>正文<span class="note">{MARK}</span></p></div>',
     "div.article span.note", "marking.star_period"),
    ("ul.list > li.x{height:0;overflow:hidden}", f'<ul class="list"><li class="x">{MARK}</li></ul>', "ul.list > li.x",
     "marking.star_period"),
    ("p.memo.draft{position:absolute;left:-10000px}", f'<p class="memo draft">{MARK}</p>', "p.memo.draft",
     "marking.star_period"),
    (".cl{position:absolute;clip:rect(0 0 0 0)}", f'<span class="cl">{MARK}</span>', ".cl", "marking.star_period"),
    ("@media screen{.s{opacity:0}}", f'<div class="s">{MARK}</div>', ".s", "marking.star_period"),
    (".yc{display:none !important} #k{display:block}", f'<div class="yc" id="k">{MARK}</div>', ".yc",
     "marking.star_period"),
    ("/* 模板 */ DIV.Box{Display:None}", f'<div class="Box">{MARK}</div>', "DIV.Box", "marking.star_period"),
]


@pytest.mark.parametrize(("css", "html", "selector", "rule"), CSS_HIDDEN, ids=[c[2] for c in CSS_HIDDEN])
def test_text_hidden_by_a_style_rule_is_html_hidden(css: str, html: str, selector: str, rule: str) -> None:
    report = scan(html_page(CLEAN + "\n" + html, f"<style>{css}</style>"), "page.html")
    assert report.verdict is Verdict.BLOCK
    found = only_in(report, rule, PartKind.HTML_HIDDEN)
    assert selector in (found[0].location.label or ""), found[0].location.label
    assert MARK not in part_text(report, PartKind.BODY) and ID not in part_text(report, PartKind.BODY)
    assert hits(report, "hidden.html_hidden")


CSS_SHOWN = [
    ("@media print{.p{display:none}}", f'<div class="p">{MARK}</div>'),  # hidden on paper only
    ("@media (max-width:600px){.m{display:none}}", f'<div class="m">{MARK}</div>'),  # on phones only
    (".menu li ul{display:none} .menu li:hover ul{display:block}", f'<ul class="menu"><li>栏目<ul><li>{MARK}</li></ul></li></ul>'),
    (".tab{display:none} .tab.active{display:block}", f'<div class="tab">{MARK}</div>'),  # a tab a click shows
    ("ul.nav{font-size:0} ul.nav li{font-size:14px}", f'<ul class="nav"><li>{MARK}</li></ul>'),  # whitespace trick
    (".yc{display:none}", f'<div class="yc" style="display:block">{MARK}</div>'),  # inline style wins
    (".yc{display:none} div#main .yc{display:block}", f'<div id="main"><p class="yc">{MARK}</p></div>'),  # specificity
    (".yc{display:none} .yc{display:block}", f'<p class="yc">{MARK}</p>'),  # the later rule wins
    (".yc{display:none}", f'<p class="ycx">{MARK}</p>'),  # another class
    ("a::before{display:none}", f"<a>{MARK}</a>"),  # a pseudo-element is not the element
]


@pytest.mark.parametrize(("css", "html"), CSS_SHOWN, ids=[c[0][:30] for c in CSS_SHOWN])
def test_text_a_reader_sees_stays_in_the_body(css: str, html: str) -> None:
    report = scan(html_page(CLEAN + "\n" + html, f"<style>{css}</style>"), "page.html")
    only_in(report, "marking.star_period", PartKind.BODY)
    assert not hits(report, "hidden.html_hidden")


def test_clean_cms_page_with_a_stylesheet_passes() -> None:
    css = (".menu li ul{display:none}.menu li:hover ul{display:block}.tab-pane{display:none}"
           ".tab-pane.active{display:block}@media print{.noprint{display:none}}.fl{float:left}")
    body = (CLEAN + '<ul class="menu"><li>政务公开<ul><li>政策文件</li><li>人事信息</li></ul></li></ul>'
            '<div class="tab-pane active">通知公告</div><div class="tab-pane">工作动态</div><div class="noprint">打印本页</div>')
    report = scan(html_page(body, f"<style>{css}</style>"), "index.html")
    assert report.verdict is Verdict.PASS, [(f.rule, f.text) for f in report.findings]
    assert "工作动态" in part_text(report, PartKind.BODY)


def test_style_rules_are_parsed_not_pattern_matched() -> None:
    rules = parse_rules('/* .a{display:none} */ .b::after{content:"}"} .c, #d > p{visibility:hidden; color:red}')
    assert [(r.selector, r.values.get("visibility", ("", False))[0]) for r in rules] == [
        (".c", "hidden"), ("#d > p", "hidden")]
    assert rules[1].specificity == (1, 0, 1)


def test_hostile_stylesheet_is_bounded() -> None:
    import lxml.html

    from secscan.extract.base import Limits

    deep = "<div>" * 1000 + "<span>深处</span>" + "</div>" * 1000
    css = "div div div div div div div b{display:none} " + "x{" * 20_000
    root = lxml.html.document_fromstring(f"<html><head><style>{css}</style></head><body>{deep}</body></html>",
                                         parser=lxml.html.HTMLParser(huge_tree=True))
    assert stylesheet_hiding(root, Limits()) == {}


# -- 2. PDF text a reader cannot see ---------------------------------------------------------
def _font(c, size: float = 14) -> None:
    c.setFont("STSong-Light", size)


def _invisible(c, x: float, y: float, text: str) -> None:
    t = c.beginText(x, y)
    t.setFont("STSong-Light", 14)
    t.setTextRenderMode(3)
    t.textLine(text)
    t.setTextRenderMode(0)
    c.drawText(t)


def _white(c, x: float, y: float, text: str) -> None:
    c.setFillColorRGB(1, 1, 1)
    c.drawString(x, y, text)
    c.setFillColorRGB(0, 0, 0)


def _tiny(c, x: float, y: float, text: str) -> None:
    _font(c, 0.2)
    c.drawString(x, y, text)
    _font(c)


def _off_page(c, x: float, y: float, text: str) -> None:
    c.drawString(-600, y, text)


def _outside_crop(c, x: float, y: float, text: str) -> None:
    c.setCropBox((0, 0, 300, 842))
    c.drawString(400, y, text)


PDF_HIDDEN = [(_invisible, "不可见渲染模式"), (_white, "白底白字"), (_tiny, "字号为零或过小"),
              (_off_page, "页面可见区域外"), (_outside_crop, "页面可见区域外")]


def _pdf(second_page) -> bytes:
    def draw(c) -> None:
        c.drawString(72, 800, LEAD)
        c.showPage()
        _font(c)
        c.drawString(72, 800, "二、工作要求")
        second_page(c)
        c.showPage()

    return reportlab_pdf(draw)


@pytest.mark.parametrize(("how", "why"), PDF_HIDDEN, ids=[h.__name__ for h, _ in PDF_HIDDEN])
@pytest.mark.parametrize(("secret", "rule"), [(MARK, "marking.star_period"), (f"身份证号{ID}", "pii.resident_id")])
def test_invisible_pdf_text_is_hidden_text_with_its_page(how, why: str, secret: str, rule: str) -> None:
    report = scan(_pdf(lambda c: how(c, 72, 700, secret)), "notice.pdf")
    assert report.verdict is Verdict.BLOCK
    found = only_in(report, rule, PartKind.HIDDEN_TEXT)
    assert found[0].location.page == 2 and why in (found[0].location.label or "")
    assert secret not in part_text(report, PartKind.BODY)
    assert hits(report, "hidden.hidden_text") and not report.errors


def _scan_with_ocr_layer(text: str):
    def page(c) -> None:
        from PIL import Image
        from reportlab.lib.utils import ImageReader

        c.drawImage(ImageReader(Image.new("RGB", (60, 80), "white")), 0, 0, width=595, height=842)
        for i, line in enumerate(["扫描件第一行:关于做好政务公开工作的通知", text]):
            _invisible(c, 72, 760 - 20 * i, line)

    return page


def test_ocr_layer_of_a_scanned_page_is_body_not_hidden() -> None:
    report = scan(_pdf(_scan_with_ocr_layer(MARK)), "scan.pdf")
    only_in(report, "marking.star_period", PartKind.BODY)
    assert not hits(report, "hidden.hidden_text")
    clean = scan(_pdf(_scan_with_ocr_layer("现将有关事项通知如下")), "scan.pdf")
    assert clean.verdict is Verdict.PASS, [(f.rule, f.text) for f in clean.findings] + list(clean.errors)


def test_visible_look_alikes_are_body_and_pass() -> None:
    def page(c) -> None:
        c.setFillColorRGB(0.1, 0.15, 0.4)
        c.rect(60, 690, 400, 30, fill=1, stroke=0)
        c.setFillColorRGB(1, 1, 1)
        c.drawString(72, 700, "白字印在深色横幅上,读者看得见")
        c.setFillColorRGB(0, 0, 0)
        _font(c, 6)
        c.drawString(72, 650, "小号字的注释也看得见")

    report = scan(_pdf(page), "notice.pdf")
    assert report.verdict is Verdict.PASS, [(f.rule, f.text) for f in report.findings]
    assert "深色横幅" in part_text(report, PartKind.BODY) and "小号字" in part_text(report, PartKind.BODY)


# -- 3. xlsx: hidden by format, charts, drawings, validation lists ------------------------------
def _workbook(edit) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "统计"
    for row in (["科室", "人数"], ["办公室", 3], ["财务科", 4]):
        ws.append(row)
    wb.properties.creator = "openpyxl"
    edit(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value: str, **style):
    def edit(ws) -> None:
        from openpyxl.styles import Font, PatternFill

        ws["D2"] = value
        if "fmt" in style:
            ws["D2"].number_format = style["fmt"]
        if "font" in style:
            ws["D2"].font = Font(color=style["font"])
        if "fill" in style:
            ws["D2"].fill = PatternFill("solid", fgColor=style["fill"])

    return edit


def _chart(title: str):
    def edit(ws) -> None:
        from openpyxl.chart import BarChart, Reference

        chart = BarChart()
        chart.title = title
        chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=3), titles_from_data=True)
        ws.add_chart(chart, "F2")

    return edit


def _validation(items: str, prompt: str = "请选择"):
    def edit(ws) -> None:
        from openpyxl.worksheet.datavalidation import DataValidation

        dv = DataValidation(type="list", formula1=f'"{items}"', prompt=prompt)
        ws.add_data_validation(dv)
        dv.add("C2:C3")

    return edit


_SHAPE = (
    '<xdr:twoCellAnchor xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><xdr:from><xdr:col>8</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
    '<xdr:to><xdr:col>12</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>5</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>'
    '<xdr:sp><xdr:nvSpPr><xdr:cNvPr id="9" name="文本框 1"{hidden}/><xdr:cNvSpPr txBox="1"/></xdr:nvSpPr><xdr:spPr/>'
    '<xdr:txBody><a:bodyPr/><a:p><a:r><a:t>{text}</a:t></a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/></xdr:twoCellAnchor>'
)


def _with_shape(text: str, *, hidden: bool = False) -> bytes:
    """A workbook with a chart whose drawing also holds a text box, as Excel writes it."""
    data = _workbook(_chart("人数统计"))
    src = zipfile.ZipFile(io.BytesIO(data))
    files = {name: src.read(name) for name in src.namelist()}
    shape = _SHAPE.format(hidden=' hidden="1"' if hidden else "", text=text)
    drawing = files["xl/drawings/drawing1.xml"]
    assert drawing.endswith(b"</wsDr>")
    files["xl/drawings/drawing1.xml"] = drawing.replace(b"</wsDr>", shape.encode() + b"</wsDr>")
    return od.zip_bytes(files)


XLSX_HIDDEN = [
    ("format ;;;", _workbook(_cell(MARK, fmt=";;;")), PartKind.HIDDEN_CELLS, "marking.star_period", "自定义格式;;;"),
    ("format shows a literal", _workbook(_cell(f"{ID}", fmt='0;-0;0;"已填写"')), PartKind.HIDDEN_CELLS, "pii.resident_id",
     "自定义格式"),
    ("white font", _workbook(_cell(f"身份证号{ID}", font="FFFFFFFF")), PartKind.HIDDEN_CELLS, "pii.resident_id", "白色字体"),
    ("white on white fill", _workbook(_cell(MARK, font="FFFFFF", fill="FFFFFF")), PartKind.HIDDEN_CELLS,
     "marking.star_period", "白色字体"),
    ("chart title", _workbook(_chart(f"人数统计 {MARK}")), PartKind.TEXTBOX, "marking.star_period", "图表"),
    ("text box", _with_shape(MARK), PartKind.TEXTBOX, "marking.star_period", "文本框"),
    ("hidden shape", _with_shape(f"联系人{ID}", hidden=True), PartKind.HIDDEN_TEXT, "pii.resident_id", "隐藏的图形"),
    ("validation list", _workbook(_validation(f"公开,{MARK}")), PartKind.HIDDEN_TEXT, "marking.star_period", "数据验证"),
    ("validation prompt", _workbook(_validation("是,否", f"核对人身份证号{ID}")), PartKind.HIDDEN_TEXT,
     "pii.resident_id", "数据验证"),
]


@pytest.mark.parametrize(("case", "data", "kind", "rule", "label"), XLSX_HIDDEN, ids=[c[0] for c in XLSX_HIDDEN])
def test_xlsx_place_is_found_with_its_part(case: str, data: bytes, kind: PartKind, rule: str, label: str) -> None:
    report = scan(data, "统计.xlsx")
    assert report.verdict is Verdict.BLOCK
    found = only_in(report, rule, kind)
    assert label in (found[0].location.label or ""), found[0].location.label
    assert MARK not in part_text(report, PartKind.SHEET) and ID not in part_text(report, PartKind.SHEET)
    if kind.hidden:
        assert hits(report, f"hidden.{kind.value}")


XLSX_SHOWN = [
    ("white on dark fill", _workbook(_cell("白字深底的表头", font="FFFFFFFF", fill="FF1F3864")), PartKind.SHEET),
    ("text under ;; is shown", _workbook(_cell("分号格式下的文字", fmt=";;")), PartKind.SHEET),
    ("plain number format", _workbook(_cell("普通格式", fmt="0.00;-0.00;0")), PartKind.SHEET),
    ("clean chart", _workbook(_chart("各科室人数统计")), PartKind.TEXTBOX),
    ("clean text box", _with_shape("数据来源:办公室"), PartKind.TEXTBOX),
]


@pytest.mark.parametrize(("case", "data", "kind"), XLSX_SHOWN, ids=[c[0] for c in XLSX_SHOWN])
def test_xlsx_visible_look_alikes_pass(case: str, data: bytes, kind: PartKind) -> None:
    report = scan(data, "统计.xlsx")
    assert report.verdict is Verdict.PASS, [(f.rule, f.location.part, f.text) for f in report.findings]
    assert part_text(report, kind)
    assert not part_text(report, PartKind.HIDDEN_CELLS)


def test_clean_validation_list_is_read_and_passes() -> None:
    report = scan(_workbook(_validation("主动公开,依申请公开", "请选择公开方式")), "统计.xlsx")
    assert "主动公开,依申请公开" in part_text(report, PartKind.HIDDEN_TEXT)
    assert report.verdict is Verdict.REVIEW  # the list is a hidden layer to look at, nothing more
    assert {f.category.value for f in report.findings} == {"hidden_content"}


@pytest.mark.parametrize(("code", "numbers", "text"), [
    (";;;", True, True), (";;", True, False), ('[Red];[Blue];"";', True, True), (";;;@", True, False),
    ('0;-0;;@', False, False), ('"x;;;"', False, False), ('"-";"-";"-"', True, False), ("General", False, False), ('0;-0;0;"-"', False, True),
    ('0;-0;0;"@"', False, True), ('0;-0;0;\\@', False, True),
])
def test_number_formats_that_hide(code: str, numbers: bool, text: bool) -> None:
    found = number_format_hides(code)
    assert (found is not None and found.numbers is not None) is numbers
    assert (found is not None and found.text is not None) is text


# -- 4. docx: custom XML data and altChunk imports ------------------------------------------------
def _docx_with(members: dict[str, bytes], chunk_rels: dict[str, str] | None = None) -> bytes:
    rels = "".join(
        f'<Relationship Id="{rid}" Type="{od.REL}/aFChunk" Target="{target}"/>' for rid, target in (chunk_rels or {}).items()
    )
    chunks = "".join(f'<w:altChunk r:id="{rid}"/>' for rid in (chunk_rels or {}))
    extra = dict(members)
    if chunk_rels:
        extra["word/_rels/document.xml.rels"] = od._rels([rels])
    return od.docx(od.p(LEAD) + chunks + od.p("现将有关事项通知如下。"), members=extra)


def _custom_xml(inner: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>{inner}'.encode()


COVER = ('<CoverPageProperties xmlns="http://schemas.microsoft.com/office/2006/coverPageProps"><PublishDate/>'
         "<Abstract>{abstract}</Abstract><CompanyAddress/><CompanyPhone>{phone}</CompanyPhone></CoverPageProperties>")


def _mht(html: str) -> bytes:
    body = quopri.encodestring(html.encode("gb18030")).decode("ascii")
    return (
        "MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"----=_NextPart_01\"\r\n\r\n"
        "------=_NextPart_01\r\nContent-Location: file:///C:/chunk.htm\r\nContent-Transfer-Encoding: quoted-printable\r\n"
        'Content-Type: text/html; charset="gb2312"\r\n\r\n' + body + "\r\n------=_NextPart_01--\r\n"
    ).encode("ascii")


DOCX_HIDDEN = [
    ("custom xml data", {"customXml/item1.xml": _custom_xml(f"<root><secret>{MARK}</secret></root>")}, None,
     PartKind.HIDDEN_TEXT, "marking.star_period", "customXml/item1.xml"),
    ("cover page abstract", {"customXml/item2.xml": _custom_xml(COVER.format(abstract=f"联系人身份证号{ID}", phone=""))}, None,
     PartKind.HIDDEN_TEXT, "pii.resident_id", "自定义XML数据"),
    ("altChunk html", {"word/afchunk.htm": html_page(f"<p>{MARK}</p>")}, {"rIdC1": "afchunk.htm"},
     PartKind.BODY, "marking.star_period", "altChunk"),
    ("altChunk html hidden div", {"word/afchunk.htm": html_page(f'<div style="display:none">{ID}</div>')},
     {"rIdC1": "afchunk.htm"}, PartKind.HTML_HIDDEN, "pii.resident_id", "word/afchunk.htm"),
    ("altChunk mht gbk", {"word/afchunk.mht": _mht(f"<html><body><p>请勿外传 {MARK}</p></body></html>")},
     {"rIdC1": "afchunk.mht"}, PartKind.BODY, "marking.star_period", "afchunk.mht"),
    ("altChunk docx", {"word/afchunk.docx": od.docx(od.p(od.deleted(MARK)))}, {"rIdC1": "afchunk.docx"},
     PartKind.TRACKED_DELETION, "marking.star_period", "afchunk.docx"),
]


@pytest.mark.parametrize(("case", "members", "chunks", "kind", "rule", "label"), DOCX_HIDDEN, ids=[c[0] for c in DOCX_HIDDEN])
def test_docx_place_is_found_with_its_part(case, members, chunks, kind: PartKind, rule: str, label: str) -> None:
    report = scan(_docx_with(members, chunks), "通知.docx")
    assert report.verdict is Verdict.BLOCK
    found = only_in(report, rule, kind)
    assert label in (found[0].location.label or ""), found[0].location.label
    assert not report.errors


def test_clean_custom_xml_and_altchunk_pass() -> None:
    members = {
        "customXml/item1.xml": _custom_xml(COVER.format(abstract="", phone="")),
        "customXml/item2.xml": _custom_xml(
            '<ct:contentTypeSchema xmlns:ct="http://schemas.microsoft.com/office/2006/metadata/contentType">'
            "<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><xsd:element name=\"机密等级\"/></xsd:schema>"
            "</ct:contentTypeSchema>"),
        "customXml/itemProps1.xml": _custom_xml("<ds:datastoreItem xmlns:ds=\"x\" ds:itemID=\"{1}\"/>"),
        "word/afchunk.htm": html_page("<p>附件:政务公开工作要点</p>"),
    }
    report = scan(_docx_with(members, {"rIdC1": "afchunk.htm"}), "通知.docx")
    assert report.verdict is Verdict.PASS, [(f.rule, f.location.part, f.text) for f in report.findings]
    assert "政务公开工作要点" in part_text(report, PartKind.BODY)


def test_rtf_altchunk_is_not_passed_silently() -> None:
    report = scan(_docx_with({"word/afchunk.rtf": rb"{\rtf1\ansi \'bb\'fa\'c3\'dc}"}, {"rIdC1": "afchunk.rtf"}), "通知.docx")
    assert report.verdict is not Verdict.PASS
    assert [e.kind for e in report.errors] == [ErrorKind.UNSUPPORTED] and "afchunk.rtf" in report.errors[0].message


def test_custom_xml_with_a_doctype_is_refused() -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "机密★10年机密★10年"><!ENTITY b "&a;&a;&a;&a;">]>'
            "<r>&b;</r>").encode()
    report = scan(_docx_with({"customXml/item1.xml": bomb}), "通知.docx")
    assert report.verdict is not Verdict.PASS
    assert report.errors and report.errors[0].kind is ErrorKind.CORRUPT

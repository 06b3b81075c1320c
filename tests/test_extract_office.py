"""docx, xlsx and pptx: every hidden place holds a marking or an ID number that is found
with the right ``location.part``; the clean counterparts pass."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from docx import Document as DocxDocument

from secscan import Config, Scanner
from secscan.extract import Limits, extract_bytes
from secscan.types import ErrorKind, PartKind, Verdict
from tests import office_docs as od

SEED = (Path(__file__).parent / "fixtures" / "seeds").glob("*.txt")
# The classifier is not what these tests are about: extraction and the rule detectors are.
SCANNER = Scanner(Config(today="2026-11-23", use_model=False))
ID = od.resident_id()
MARK = "机密★5年"


def scan(data: bytes, name: str = "draft.docx"):
    return SCANNER.scan_bytes(data, name)


def found(report, part: str, category: str | None = None) -> list:
    return [f for f in report.findings if f.location.part == part
            and (category is None or f.category == category) and not f.rule.startswith("hidden.")]


def parts(report, kind: PartKind) -> list:
    return [p for p in report.parts if p.kind == kind]


def body_text(report) -> str:
    return "\n".join(p.text for p in parts(report, PartKind.BODY))


def _assert_offsets(report) -> None:
    for f in report.findings:
        texts = [p.text for p in report.parts if p.kind == f.location.part and p.label == f.location.label]
        assert any(t[f.start:f.end] == f.text for t in texts), f


# -- docx: each hidden place ---------------------------------------------------------------

LEAD = "关于做好2026年度财政预算编制工作的通知"

DOCX_CASES = [
    # (id, docx kwargs, part that must hold the finding, category)
    ("tracked_deletion", {"body": od.p(LEAD, od.deleted(MARK))}, "tracked_deletion", "classification_marking"),
    ("move_from", {"body": od.p(LEAD) + od.p(
        f'<w:moveFrom w:id="5" w:author="李四" w:date="2026-03-01T09:00:00Z"><w:r>{od.t(MARK)}</w:r></w:moveFrom>')},
     "tracked_deletion", "classification_marking"),
    ("tracked_insertion", {"body": od.p(LEAD, od.inserted(f"联系人身份证号{ID}"))}, "tracked_insertion", "personal_info"),
    ("hidden_text", {"body": od.p(LEAD, od.vanished("此稿请勿外传"))}, "hidden_text", "internal_marking"),
    ("comment", {"body": od.p(LEAD), "parts": {"comments": od.comment(0, "张三", "此稿暂不外传,定稿后再议")}},
     "comment", "internal_marking"),
    ("textbox", {"body": od.p(LEAD, od.textbox(MARK))}, "textbox", "classification_marking"),
    ("header_watermark", {"body": od.p(LEAD), "headers": {"rIdH1": od.p(od.watermark("内部资料 注意保存"))},
                          "final_sect": '<w:headerReference w:type="default" r:id="rIdH1"/>'},
     "textbox", "internal_marking"),
    ("footnote", {"body": od.p(LEAD), "parts": {"footnotes": od.note("footnote", 1, f"经办人身份证号:{ID}")}},
     "footnote", "personal_info"),
    ("endnote", {"body": od.p(LEAD), "parts": {"endnotes": od.note("endnote", 1, MARK)}},
     "endnote", "classification_marking"),
    ("field_code", {"body": od.p(LEAD, od.field('DOCPROPERTY 密级 "机密★10年" \\* MERGEFORMAT', "(见属性)"))},
     "hidden_text", "classification_marking"),
    ("metadata", {"body": od.p(LEAD), "core": {"creator": "张三", "lastModifiedBy": "李四"},
                  "app": {"Company": "某某市财政局办公室"}, "custom": {"密级": "机密"}},
     "metadata", "classification_marking"),
    ("doc_variables", {"body": od.p(LEAD), "parts": {"settings": '<w:docVars><w:docVar w:name="批示" w:val="请勿外传"/></w:docVars>'}},
     "hidden_text", "internal_marking"),
]


@pytest.mark.parametrize(("case", "kwargs", "part", "category"), DOCX_CASES, ids=[c[0] for c in DOCX_CASES])
def test_docx_hidden_place_is_found_with_its_part(case, kwargs, part, category) -> None:
    report = scan(od.docx(**kwargs))
    assert report.errors == ()
    hits = found(report, part, category)
    assert hits, [(f.rule, f.location.part) for f in report.findings]
    assert report.verdict is Verdict.BLOCK
    assert LEAD in body_text(report)
    if part not in ("textbox", "tracked_insertion"):  # hidden text never leaks into the visible body line
        assert hits[0].text not in body_text(report)
    if PartKind(part).hidden:
        assert any(f.rule == f"hidden.{part}" for f in report.findings)
    _assert_offsets(report)


def test_docx_comment_names_its_author_and_insertion_stays_visible() -> None:
    report = scan(od.docx(
        od.p("请各单位于", od.inserted("3月15日前"), "报送。"),
        parts={"comments": od.comment(0, "王五", "请核对报送时间")},
    ))
    (comment,) = parts(report, PartKind.COMMENT)
    assert comment.text == "王五:请核对报送时间"
    assert body_text(report) == "请各单位于3月15日前报送。"
    assert parts(report, PartKind.TRACKED_INSERTION)[0].text == "3月15日前"
    assert report.verdict is Verdict.REVIEW  # hidden layers are looked at, nothing blocks


def test_docx_textbox_is_read_once_not_from_both_choice_and_fallback() -> None:
    report = scan(od.docx(od.p(LEAD, od.textbox("附件:报名表"))))
    assert [p.text for p in parts(report, PartKind.TEXTBOX)] == ["附件:报名表"]
    assert "报名表" not in body_text(report)


def test_docx_headers_of_every_section_are_labelled() -> None:
    body = od.p("第一部分") + od.section_break("rIdH1") + od.p("第二部分")
    report = scan(od.docx(body, headers={"rIdH1": od.p("某某市人民政府"), "rIdH2": od.p(MARK)},
                          final_sect='<w:headerReference w:type="first" r:id="rIdH2"/>'))
    headers = {p.label: p.text for p in parts(report, PartKind.HEADER)}
    assert headers == {"第1节": "某某市人民政府", "第2节首页": MARK}
    (hit,) = found(report, "header", "classification_marking")
    assert hit.location.label == "第2节首页"


def test_docx_style_hidden_text_and_hyperlinks() -> None:
    styles = ('<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
              '<w:style w:type="character" w:styleId="Secret"><w:rPr><w:vanish/></w:rPr></w:style></w:styles>')
    body = od.p(LEAD, f'<w:r><w:rPr><w:rStyle w:val="Secret"/></w:rPr>{od.t(MARK)}</w:r>',
                '<w:hyperlink r:id="rIdL1"><w:r><w:t>附件下载</w:t></w:r></w:hyperlink>')
    data = od.docx(body, links={"rIdL1": "http://10.1.2.3/oa/附件.docx"})
    data = _add_member(data, "word/styles.xml", styles.encode(),
                       '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>')
    report = scan(data)
    assert found(report, "hidden_text", "classification_marking")
    assert report.links == ("http://10.1.2.3/oa/附件.docx",)
    assert body_text(report) == LEAD + "附件下载"


def _add_member(data: bytes, name: str, blob: bytes, rel: str) -> bytes:
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    files = {n: src.read(n) for n in src.namelist()}
    files[name] = blob
    rels = files["word/_rels/document.xml.rels"].decode()
    files["word/_rels/document.xml.rels"] = rels.replace("</Relationships>", rel + "</Relationships>").encode()
    return od.zip_bytes(files)


def test_docx_embedded_workbook_is_read_with_its_member_path() -> None:
    book = od.xlsx(visible_rows=[["姓名", "身份证号"], ["张三", ID]])
    report = scan(od.docx(od.p(LEAD), members={"word/embeddings/Microsoft_Excel_Worksheet.xlsx": book}))
    (hit,) = found(report, "sheet", "personal_info")
    assert hit.location.label == "word/embeddings/Microsoft_Excel_Worksheet.xlsx › 花名册"
    assert parts(report, PartKind.ATTACHMENT)[0].label == "嵌入对象"


def test_docx_metadata_lines_and_tool_defaults() -> None:
    report = scan(od.docx(od.p(LEAD), core={"creator": "张三", "lastModifiedBy": "Administrator", "revision": "7"},
                          app={"Company": "某某县委办公室", "Template": "Normal.dotm"}))
    (meta,) = parts(report, PartKind.METADATA)
    assert meta.text.split("\n") == ["author: 张三", "revision: 7", "company: 某某县委办公室"]
    assert [f.rule for f in report.findings] == ["hidden.metadata"]  # informational, nothing else


def test_python_docx_document_with_only_visible_layers_passes() -> None:
    """The clean counterpart: seed prose with tables, header, footer; default properties."""
    seed = next(iter(sorted(SEED))).read_text(encoding="utf-8").splitlines()
    doc = DocxDocument()
    for line in seed[:40]:
        doc.add_paragraph(line)
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "单位", "联系电话"
    table.cell(1, 0).text, table.cell(1, 1).text = "办公室", "0571-87001234"
    doc.sections[0].header.paragraphs[0].text = "某某市保密局"
    doc.sections[0].footer.paragraphs[0].text = "第1页"
    buf = io.BytesIO()
    doc.save(buf)
    report = scan(buf.getvalue())
    assert parts(report, PartKind.METADATA) == []  # python-docx defaults are not a leak
    assert {p.kind for p in report.parts} >= {PartKind.BODY, PartKind.TABLE, PartKind.HEADER, PartKind.FOOTER}
    assert report.verdict is Verdict.PASS, [(f.rule, f.text) for f in report.findings]


def test_python_docx_comment_api_and_core_properties() -> None:
    doc = DocxDocument()
    para = doc.add_paragraph("关于召开全市安全生产工作会议的通知")
    doc.add_comment(para.runs, text="名单涉及考察人选,请勿外传", author="赵六", initials="ZL")
    doc.core_properties.author = "赵六"
    buf = io.BytesIO()
    doc.save(buf)
    report = scan(buf.getvalue())
    (comment,) = parts(report, PartKind.COMMENT)
    assert comment.text.startswith("赵六:")
    assert found(report, "comment", "internal_marking")
    assert "author: 赵六" in parts(report, PartKind.METADATA)[0].text


# -- xlsx ----------------------------------------------------------------------------------

ROWS = [["序号", "单位", "联系人"], ["1", "办公室", "王五"]]

XLSX_CASES = [
    ("hidden_row", {"hidden_row": ["2", "综合科", ID]}, "hidden_cells", "personal_info"),
    ("hidden_column", {"hidden_col": f"身份证号{ID}"}, "hidden_cells", "personal_info"),
    ("hidden_sheet", {"hidden_sheet": ["考察对象", MARK]}, "hidden_sheet", "classification_marking"),
    ("very_hidden_sheet", {"very_hidden_sheet": ["请勿外传"]}, "hidden_sheet", "internal_marking"),
    ("cell_comment", {"comment": ("张三", "此表请勿外传")}, "comment", "internal_marking"),
    ("defined_name", {"defined_name": ("密级", '"机密★10年"')}, "hidden_text", "classification_marking"),
    ("metadata", {"creator": "张三 某某局人事科"}, "metadata", None),
]


@pytest.mark.parametrize(("case", "kwargs", "part", "category"), XLSX_CASES, ids=[c[0] for c in XLSX_CASES])
def test_xlsx_hidden_place_is_found_with_its_part(case, kwargs, part, category) -> None:
    report = scan(od.xlsx(visible_rows=ROWS, **kwargs), "名册.xlsx")
    assert report.errors == ()
    assert any(f.rule == f"hidden.{part}" for f in report.findings)
    if category:
        assert found(report, part, category), [(f.rule, f.location.part) for f in report.findings]
        assert report.verdict is Verdict.BLOCK
    (sheet,) = [p for p in parts(report, PartKind.SHEET) if p.label == "花名册"]
    assert sheet.text == "序号\t单位\t联系人\n1\t办公室\t王五"
    _assert_offsets(report)


def test_xlsx_sheet_labels_and_very_hidden_marker() -> None:
    report = scan(od.xlsx(visible_rows=ROWS, very_hidden_sheet=["底稿"]), "a.xlsx")
    assert [p.label for p in parts(report, PartKind.HIDDEN_SHEET)] == ["底稿veryHidden(深度隐藏)"]
    assert report.media_type.endswith("spreadsheetml.sheet")


def test_clean_xlsx_passes() -> None:
    report = scan(od.xlsx(visible_rows=[*ROWS, ["2", "财务科", "赵六"]]), "名册.xlsx")
    assert report.verdict is Verdict.PASS, [(f.rule, f.text) for f in report.findings]


# -- pptx ----------------------------------------------------------------------------------

SLIDES = ["2026年工作要点", "重点任务分解", "下一步安排"]


@pytest.mark.parametrize(
    ("kwargs", "part", "label", "category"),
    [
        ({"notes": {1: "讲到此处强调:本材料请勿外传"}}, "notes", "第2张", "internal_marking"),
        ({"hidden": {2}}, "hidden_slide", "第3张", None),
        ({"comments": {0: ("张三", f"联系人身份证号{ID}")}}, "comment", "第1张", "personal_info"),
    ],
    ids=["notes", "hidden_slide", "comment"],
)
def test_pptx_hidden_place_is_found_with_its_part(kwargs, part, label, category) -> None:
    report = scan(od.pptx(SLIDES, **kwargs), "汇报.pptx")
    assert report.errors == ()
    layer = [f for f in report.findings if f.rule == f"hidden.{part}"]
    assert layer and layer[0].location.label == label
    if category:
        assert found(report, part, category)
        assert report.verdict is Verdict.BLOCK
    else:
        assert report.verdict is Verdict.REVIEW
    visible = [p.label for p in parts(report, PartKind.SLIDE)]
    assert visible == [f"第{i}张" for i in range(1, 4) if f"第{i}张" != (label if part == "hidden_slide" else "")]
    _assert_offsets(report)


def test_pptx_comment_author_and_slide_text() -> None:
    report = scan(od.pptx(SLIDES, comments={1: ("李四", "数字待核")}, author="李四"), "汇报.pptx")
    assert parts(report, PartKind.COMMENT)[0].text == "李四:数字待核"
    assert parts(report, PartKind.SLIDE)[0].text == "2026年工作要点\n汇报人:综合处"
    assert "author: 李四" in parts(report, PartKind.METADATA)[0].text


def test_clean_pptx_passes() -> None:
    report = scan(od.pptx(SLIDES), "汇报.pptx")
    assert report.verdict is Verdict.PASS, [(f.rule, f.text) for f in report.findings]


# -- hostile and broken OOXML ------------------------------------------------------------------


def test_docx_with_a_dtd_is_refused_not_expanded() -> None:
    laughs = ('<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "机密机密机密机密">'
              '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
              f'<w:document {od.NS}><w:body><w:p><w:r><w:t>&c;</w:t></w:r></w:p></w:body></w:document>')
    data = od.docx(od.p(LEAD), members={"word/document.xml": laughs.encode()})
    report = scan(data)
    assert [e.kind for e in report.errors] == [ErrorKind.CORRUPT]
    assert "DTD" in report.errors[0].message
    assert report.verdict is not Verdict.PASS


def test_external_entity_is_not_fetched(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("机密★10年", encoding="utf-8")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
           f'<w:document {od.NS}><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>')
    doc = extract_bytes(od.docx(od.p(LEAD), members={"word/document.xml": xxe.encode()}), "x.docx", Limits())
    assert all("机密" not in p.text for p in doc.parts)
    assert doc.errors and doc.errors[0].kind is ErrorKind.CORRUPT


def test_docx_bomb_member_is_refused() -> None:
    bomb = od.docx(od.p(LEAD), members={"word/media/pad.xml": b"\x00" * (40 << 20)})
    doc = extract_bytes(bomb, "bomb.docx", Limits())
    assert [e.kind for e in doc.errors] == [ErrorKind.TOO_LARGE]
    assert "压缩炸弹" in doc.errors[0].message


@pytest.mark.parametrize("cut", [0.3, 0.7, 0.97])
def test_truncated_office_files_are_errors(cut: float) -> None:
    for data, name in ((od.docx(od.p(LEAD)), "a.docx"), (od.xlsx(visible_rows=ROWS), "a.xlsx"),
                       (od.pptx(SLIDES), "a.pptx")):
        report = scan(data[: int(len(data) * cut)], name)
        assert report.errors and report.verdict is not Verdict.PASS, name


def test_extension_that_lies_is_ignored() -> None:
    report = scan(od.docx(od.p(LEAD, od.deleted(MARK))), "公告.pdf")
    assert report.media_type.endswith("wordprocessingml.document")
    assert found(report, "tracked_deletion", "classification_marking")


def test_encrypted_ooxml_is_reported_encrypted() -> None:
    if os.environ.get("CI") != "true":
        pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = io.BytesIO(od.docx(od.p(LEAD, MARK)))
    out = io.BytesIO()
    OOXMLFile(plain).encrypt("123456", out)
    report = scan(out.getvalue(), "加密.docx")
    assert [e.kind for e in report.errors] == [ErrorKind.ENCRYPTED]
    assert report.verdict is Verdict.REVIEW

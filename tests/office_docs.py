"""Office, OFD and zip fixtures built by code for the extraction tests.

WordprocessingML is written out as XML here (python-docx cannot write tracked changes,
footnotes or text boxes); xlsx and pptx come from openpyxl and python-pptx, with the
parts those libraries do not write added through their own packaging API.
"""

from __future__ import annotations

import io
import random
import zipfile
from xml.sax.saxutils import escape

NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
)
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml"
_PARTS = {  # name → (relationship type, content type, root element)
    "header": ("header", f"{_CT_MAIN}.header+xml", "hdr"),
    "footer": ("footer", f"{_CT_MAIN}.footer+xml", "ftr"),
    "comments": ("comments", f"{_CT_MAIN}.comments+xml", "comments"),
    "footnotes": ("footnotes", f"{_CT_MAIN}.footnotes+xml", "footnotes"),
    "endnotes": ("endnotes", f"{_CT_MAIN}.endnotes+xml", "endnotes"),
    "settings": ("settings", f"{_CT_MAIN}.settings+xml", "settings"),
}
_SEPARATORS = {
    "footnotes": '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>',
    "endnotes": '<w:endnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:endnote>',
}


def resident_id(body17: str = "11010519900307123") -> str:
    """A valid GB 11643-1999 number for a made-up person (check digit computed here)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]


def t(text: str) -> str:
    return f'<w:t xml:space="preserve">{escape(text)}</w:t>'


def p(*runs: str) -> str:
    """A paragraph; plain strings become runs, XML fragments (starting with '<') stay as they are."""
    return "<w:p>" + "".join(r if r.startswith("<") else f"<w:r>{t(r)}</w:r>" for r in runs) + "</w:p>"


def deleted(text: str) -> str:
    return f'<w:del w:id="91" w:author="李四" w:date="2026-03-01T09:00:00Z"><w:r><w:delText xml:space="preserve">{escape(text)}</w:delText></w:r></w:del>'


def inserted(text: str) -> str:
    return f'<w:ins w:id="92" w:author="李四" w:date="2026-03-01T09:00:00Z"><w:r>{t(text)}</w:r></w:ins>'


def vanished(text: str) -> str:
    return f"<w:r><w:rPr><w:vanish/></w:rPr>{t(text)}</w:r>"


def textbox(text: str) -> str:
    """A DrawingML text box with its VML fallback, as Word writes it (same text twice)."""
    inner = f"<w:txbxContent>{p(text)}</w:txbxContent>"
    return (
        '<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData>'
        f"<wps:wsp><wps:txbx>{inner}</wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>"
        f'</mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>{inner}</v:textbox></v:shape></w:pict></mc:Fallback>'
        "</mc:AlternateContent></w:r>"
    )


def watermark(text: str) -> str:
    return f'<w:r><w:pict><v:shape><v:textpath string="{escape(text)}"/></v:shape></w:pict></w:r>'


def field(code: str, shown: str) -> str:
    return (
        f'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">{escape(code)}</w:instrText></w:r>'
        f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r>{t(shown)}</w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def comment(cid: int, author: str, text: str) -> str:
    return f'<w:comment w:id="{cid}" w:author="{escape(author)}" w:initials="ZS">{p(text)}</w:comment>'


def note(kind: str, nid: int, text: str) -> str:
    return f'<w:{kind} w:id="{nid}">{p(text)}</w:{kind}>'


def section_break(header_rid: str | None = None) -> str:
    ref = f'<w:headerReference w:type="default" r:id="{header_rid}"/>' if header_rid else ""
    return f"<w:p><w:pPr><w:sectPr>{ref}</w:sectPr></w:pPr></w:p>"


def core_xml(**fields: str) -> str:
    tags = {"creator": "dc:creator", "lastModifiedBy": "cp:lastModifiedBy", "title": "dc:title",
            "revision": "cp:revision", "keywords": "cp:keywords"}
    body = "".join(f"<{tags[k]}>{escape(v)}</{tags[k]}>" for k, v in fields.items())
    return (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/">{body}</cp:coreProperties>'
    )


def docx(body: str, *, headers: dict[str, str] | None = None, footers: dict[str, str] | None = None,
         parts: dict[str, str] | None = None, final_sect: str = "", core: dict[str, str] | None = None,
         app: dict[str, str] | None = None, custom: dict[str, str] | None = None,
         members: dict[str, bytes] | None = None, links: dict[str, str] | None = None) -> bytes:
    """A .docx from WordprocessingML fragments.

    ``headers``/``footers`` map a relationship id to the story's inner XML; ``parts``
    maps comments/footnotes/endnotes/settings to their inner XML; ``links`` maps a
    relationship id to an external hyperlink target.
    """
    rels: list[str] = []
    overrides = [f'<Override PartName="/word/document.xml" ContentType="{_CT_MAIN}.document.main+xml"/>']
    files: dict[str, bytes] = {}

    def add(kind: str, rid: str, name: str, inner: str) -> None:
        rel_type, ctype, root = _PARTS[kind]
        rels.append(f'<Relationship Id="{rid}" Type="{REL}/{rel_type}" Target="{name}"/>')
        overrides.append(f'<Override PartName="/word/{name}" ContentType="{ctype}"/>')
        files[f"word/{name}"] = f'<?xml version="1.0" encoding="UTF-8"?><w:{root} {NS}>{inner}</w:{root}>'.encode()

    for i, (rid, inner) in enumerate((headers or {}).items(), 1):
        add("header", rid, f"header{i}.xml", inner)
    for i, (rid, inner) in enumerate((footers or {}).items(), 1):
        add("footer", rid, f"footer{i}.xml", inner)
    for kind, inner in (parts or {}).items():
        add(kind, f"rId{kind}", f"{kind}.xml", _SEPARATORS.get(kind, "") + inner)
    for rid, target in (links or {}).items():
        rels.append(f'<Relationship Id="{rid}" Type="{REL}/hyperlink" Target="{escape(target)}" TargetMode="External"/>')
    files["word/document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:document {NS}><w:body>{body}<w:sectPr>{final_sect}</w:sectPr>'
        "</w:body></w:document>"
    ).encode()
    files["word/_rels/document.xml.rels"] = _rels(rels)
    pkg_rels = [f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="word/document.xml"/>']
    if core:
        files["docProps/core.xml"] = core_xml(**core).encode()
        pkg_rels.append('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>')
        overrides.append('<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>')
    if app:
        body_app = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in app.items())
        files["docProps/app.xml"] = f'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">{body_app}</Properties>'.encode()
        pkg_rels.append(f'<Relationship Id="rId3" Type="{REL}/extended-properties" Target="docProps/app.xml"/>')
        overrides.append('<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>')
    if custom:
        props = "".join(
            f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i}" name="{escape(k)}"><vt:lpwstr>{escape(v)}</vt:lpwstr></property>'
            for i, (k, v) in enumerate(custom.items(), 2)
        )
        files["docProps/custom.xml"] = (
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
            f'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">{props}</Properties>'
        ).encode()
        pkg_rels.append(f'<Relationship Id="rId4" Type="{REL}/custom-properties" Target="docProps/custom.xml"/>')
        overrides.append('<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>')
    files["_rels/.rels"] = _rels(pkg_rels)
    files["[Content_Types].xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="xlsx" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>'
        + "".join(overrides) + "</Types>"
    ).encode()
    files.update(members or {})
    return zip_bytes(files)


def _rels(items: list[str]) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><Relationships '
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' + "".join(items)
            + "</Relationships>").encode()


def zip_bytes(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def gbk_zip(files: dict[str, bytes]) -> bytes:
    """A zip as Chinese Windows tools write it: GBK member names, no UTF-8 flag.

    zipfile writes non-ASCII names as UTF-8 and flags them, so each name is written as an
    ASCII placeholder of the same byte length and replaced afterwards.
    """
    placeholders = {}
    for i, name in enumerate(files):
        raw = name.encode("gbk")
        placeholders[f"{i:03d}".ljust(len(raw), "_").encode()] = raw
    data = zip_bytes({ph.decode(): blob for ph, blob in zip(placeholders, files.values(), strict=True)})
    for ph, raw in placeholders.items():
        data = data.replace(ph, raw)
    return data


def xlsx(*, visible_rows: list[list[str]], hidden_row: list[str] | None = None, hidden_col: str | None = None,
         hidden_sheet: list[str] | None = None, very_hidden_sheet: list[str] | None = None,
         comment: tuple[str, str] | None = None, defined_name: tuple[str, str] | None = None,
         creator: str | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.workbook.defined_name import DefinedName

    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    for row in visible_rows:
        ws.append(row)
    if hidden_row is not None:
        ws.append(hidden_row)
        ws.row_dimensions[ws.max_row].hidden = True
    if hidden_col is not None:
        ws["E1"] = hidden_col
        ws.column_dimensions["E"].hidden = True
    for state, rows in (("hidden", hidden_sheet), ("veryHidden", very_hidden_sheet)):
        if rows is not None:
            extra = wb.create_sheet(f"底稿{state}")
            for value in rows:
                extra.append([value])
            extra.sheet_state = state
    if comment is not None:
        ws["A1"].comment = Comment(comment[1], comment[0])
    if defined_name is not None:
        wb.defined_names[defined_name[0]] = DefinedName(defined_name[0], attr_text=defined_name[1])
    wb.properties.creator = creator or "openpyxl"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def pptx(slides: list[str], *, notes: dict[int, str] | None = None, hidden: set[int] = frozenset(),
         comments: dict[int, tuple[str, str]] | None = None, author: str | None = None) -> bytes:
    from pptx import Presentation
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT
    from pptx.opc.package import Part
    from pptx.opc.packuri import PackURI
    from pptx.util import Inches

    prs = Presentation()
    layout = prs.slide_layouts[5]  # title only
    authors_part = None
    for i, title in enumerate(slides):
        slide = prs.slides.add_slide(layout)
        slide.shapes.title.text = title
        slide.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1)).text_frame.text = "汇报人:综合处"
        if notes and i in notes:
            slide.notes_slide.notes_text_frame.text = notes[i]
        if i in hidden:
            slide._element.set("show", "0")
        if comments and i in comments:
            who, text = comments[i]
            if authors_part is None:
                authors_xml = (
                    '<p:cmAuthorLst xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
                    f'<p:cmAuthor id="0" name="{escape(who)}" initials="ZS" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>'
                )
                authors_part = Part(PackURI("/ppt/commentAuthors.xml"),
                                    "application/vnd.openxmlformats-officedocument.presentationml.commentAuthors+xml",
                                    prs.part.package, authors_xml.encode())
                prs.part.relate_to(authors_part, RT.COMMENT_AUTHORS)
            cm_xml = (
                '<p:cmLst xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
                f'<p:cm authorId="0" dt="2026-03-01T09:00:00.000" idx="1"><p:pos x="10" y="10"/><p:text>{escape(text)}</p:text></p:cm></p:cmLst>'
            )
            cm_part = Part(PackURI(f"/ppt/comments/comment{i + 1}.xml"),
                           "application/vnd.openxmlformats-officedocument.presentationml.comments+xml",
                           prs.part.package, cm_xml.encode())
            slide.part.relate_to(cm_part, RT.COMMENTS)
    if author:
        prs.core_properties.author = author
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


OFD_NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def ofd_text_object(lines: list[str], y0: float = 20.0) -> str:
    return "".join(
        f'<ofd:TextObject ID="{10 + i}" Boundary="20 {y0 + 8 * i} 170 8" Font="3" Size="4.2">'
        f'<ofd:TextCode X="0" Y="4">{escape(line)}</ofd:TextCode></ofd:TextObject>'
        for i, line in enumerate(lines)
    )


def ofd(pages: list[list[str] | None], *, doc_info: dict[str, str] | None = None, annot: str | None = None,
        attachment: tuple[str, bytes] | None = None, custom: dict[str, str] | None = None) -> bytes:
    """An OFD per GB/T 33190-2016; a page given as None is a scanned image without text."""
    info = "".join(f"<ofd:{k}>{escape(v)}</ofd:{k}>" for k, v in (doc_info or {}).items())
    if custom:
        info += "<ofd:CustomDatas>" + "".join(
            f'<ofd:CustomData Name="{escape(k)}">{escape(v)}</ofd:CustomData>' for k, v in custom.items()
        ) + "</ofd:CustomDatas>"
    files: dict[str, bytes] = {
        "OFD.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {OFD_NS} Version="1.0" DocType="OFD"><ofd:DocBody>'
            f"<ofd:DocInfo><ofd:DocID>6c1a1c9f</ofd:DocID>{info}</ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        ).encode()
    }
    page_list = ""
    for i, lines in enumerate(pages):
        page_list += f'<ofd:Page ID="{100 + i}" BaseLoc="Pages/Page_{i}/Content.xml"/>'
        content = (
            '<ofd:ImageObject ID="9" Boundary="0 0 210 297" ResourceID="5"/>' if lines is None
            else ofd_text_object(lines)
        )
        files[f"Doc_0/Pages/Page_{i}/Content.xml"] = (
            f'<ofd:Page {OFD_NS}><ofd:Content><ofd:Layer ID="2">{content}</ofd:Layer></ofd:Content></ofd:Page>'
        ).encode()
    extra = ""
    if annot is not None:
        extra += "<ofd:Annotations>Annots/Annotations.xml</ofd:Annotations>"
        files["Doc_0/Annots/Annotations.xml"] = (
            f'<ofd:Annotations {OFD_NS}><ofd:Page PageID="100"><ofd:FileLoc>Page_0/Annotation.xml</ofd:FileLoc>'
            "</ofd:Page></ofd:Annotations>"
        ).encode()
        files["Doc_0/Annots/Page_0/Annotation.xml"] = (
            f'<ofd:PageAnnot {OFD_NS}><ofd:Annot ID="50" Type="Highlight" Creator="张三">'
            f"<ofd:Remark>{escape(annot)}</ofd:Remark></ofd:Annot></ofd:PageAnnot>"
        ).encode()
    if attachment is not None:
        extra += "<ofd:Attachments>Attachs/Attachments.xml</ofd:Attachments>"
        files["Doc_0/Attachs/Attachments.xml"] = (
            f'<ofd:Attachments {OFD_NS}><ofd:Attachment ID="60" Name="{escape(attachment[0])}" Format="docx">'
            "<ofd:FileLoc>att_0.docx</ofd:FileLoc></ofd:Attachment></ofd:Attachments>"
        ).encode()
        files["Doc_0/Attachs/att_0.docx"] = attachment[1]
    files["Doc_0/Document.xml"] = (
        f'<ofd:Document {OFD_NS}><ofd:CommonData><ofd:MaxUnitID>200</ofd:MaxUnitID><ofd:PageArea>'
        f'<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages>{page_list}</ofd:Pages>'
        f"{extra}</ofd:Document>"
    ).encode()
    return zip_bytes(files)


def noise_text(n: int, seed: int = 7) -> bytes:
    """Text that does not compress much (so a size cap, not the ratio check, is what trips)."""
    rng = random.Random(seed)
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(n)).encode()

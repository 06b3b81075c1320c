"""Word .docx: body paragraphs and tables in document order, headers, footers, footnotes.

python-docx opens the package; the text is read from the XML with XPath so that runs
inside ``w:ins``, hyperlinks and fields are all kept (``w:t``), and tracked deletions
(``w:delText``) stay out of the visible body.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from secscan.extract.base import ExtractionAborted, Limits
from secscan.types import Document, ErrorKind, Part, PartKind

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
_TEXT_XPATH = etree.XPath(".//w:t|.//w:tab|.//w:br|.//w:cr", namespaces=NS)


def paragraph_text(p: etree._Element) -> str:
    out = []
    for node in _TEXT_XPATH(p):
        tag = etree.QName(node).localname
        if tag == "t":
            out.append(node.text or "")
        elif tag == "tab":
            out.append("\t")
        else:
            out.append(" ")
    return "".join(out)


def table_rows(tbl: etree._Element) -> list[str]:
    rows = []
    for tr in tbl.iterchildren(f"{{{W}}}tr"):
        cells = []
        for tc in tr.iterchildren(f"{{{W}}}tc"):
            cells.append(" ".join(paragraph_text(p) for p in tc.iter(f"{{{W}}}p")).strip())
        rows.append("\t".join(cells))
    return rows


def _open(data: bytes):  # noqa: ANN202
    import docx

    try:
        return docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise ExtractionAborted(ErrorKind.CORRUPT, f"Word文档结构损坏:{type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # python-docx raises its own PackageNotFoundError and others
        raise ExtractionAborted(ErrorKind.CORRUPT, f"Word文档无法打开:{type(exc).__name__}: {exc}") from exc


def extract(data: bytes, name: str, limits: Limits) -> Document:
    document = _open(data)
    body = document.element.body
    parts: list[Part] = []
    paragraphs: list[str] = []
    tables = 0
    for child in body.iterchildren():
        tag = etree.QName(child).localname
        if tag == "p":
            paragraphs.append(paragraph_text(child))
        elif tag == "tbl":
            tables += 1
            rows = table_rows(child)
            if any(r.strip() for r in rows):
                parts.append(Part(PartKind.TABLE, "\n".join(rows), label=f"表格{tables}"))
        limits.check_time()
    parts.insert(0, Part(PartKind.BODY, "\n".join(paragraphs)))
    seen: set[str] = set()
    for number, section in enumerate(document.sections, 1):
        for kind, attrs in (
            (PartKind.HEADER, ("header", "first_page_header", "even_page_header")),
            (PartKind.FOOTER, ("footer", "first_page_footer", "even_page_footer")),
        ):
            for attr in attrs:
                hf = getattr(section, attr)
                if hf.is_linked_to_previous:
                    continue
                element = hf._element
                lines = [paragraph_text(p) for p in element.iter(f"{{{W}}}p")]
                text = "\n".join(lines)
                key = f"{kind}:{text}"
                if text.strip() and key not in seen:
                    seen.add(key)
                    parts.append(Part(kind, text, label=f"第{number}节"))
    parts.extend(_notes(document, "footnotes", PartKind.FOOTNOTE))
    parts.extend(_notes(document, "endnotes", PartKind.ENDNOTE))
    return Document(name, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", tuple(parts))


def _notes(document, which: str, kind: PartKind) -> list[Part]:  # noqa: ANN001
    partname = f"/word/{which}.xml"
    for rel in document.part.rels.values():
        target = rel.target_part if not rel.is_external else None
        if target is not None and str(target.partname) == partname:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
            root = etree.fromstring(target.blob, parser)
            lines = []
            for note in root.iterchildren(f"{{{W}}}{which[:-1]}"):
                if note.get(f"{{{W}}}type") in ("separator", "continuationSeparator"):
                    continue
                lines.append(" ".join(paragraph_text(p) for p in note.iter(f"{{{W}}}p")).strip())
            text = "\n".join(lines)
            return [Part(kind, text)] if text.strip() else []
    return []

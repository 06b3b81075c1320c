"""Excel .xlsx (ECMA-376 SpreadsheetML): every sheet, and what a reader does not see.

Each visible sheet is a ``sheet`` part (one line per row, cells joined by tabs) labelled
with its name; cells in hidden rows or columns go to ``hidden_cells``; sheets whose
state is ``hidden`` or ``veryHidden`` (the latter only visible through the VBA editor)
are ``hidden_sheet`` parts.  Cells whose format hides their value (the ``;;;`` number
format, white font on a white or empty fill: :mod:`secscan.extract.xlsx_style`) are
``hidden_cells`` too, labelled with the format.  Drop-down lists typed into a data
validation rule and its prompt/error messages are ``hidden_text``; text boxes and chart
text (titles, cached series names and categories) are ``textbox`` parts
(:mod:`secscan.extract.xlsx_drawing`).  Cell comments (legacy notes and threaded
comments, with their authors), user-defined names, embedded objects and the document
properties are read too.  Worksheets are streamed (iterparse) so a large sheet stays bounded in memory.
"""

from __future__ import annotations

import re

from lxml import etree
from msgspec import Struct, field

from secscan.extract.archive import embedded_parts
from secscan.extract.base import ExtractionAborted, Limits
from secscan.extract.ooxml import NS_R, Package, local, metadata_part
from secscan.extract.xlsx_drawing import DrawingReader
from secscan.extract.xlsx_style import HidingFormat, hiding_formats
from secscan.types import Document, ErrorKind, Part, PartKind

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_S = f"{{{S}}}"
_TC = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
_REF_RE = re.compile(r"([A-Z]+)(\d+)")
_TRUE = frozenset({"1", "true"})
_IS, _V, _C = f"{_S}is", f"{_S}v", f"{_S}c"


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


_RICH_TEXT = etree.XPath("./s:t/text() | ./s:r/s:t/text()", namespaces={"s": S})


def _rich_text(el: etree._Element) -> str:
    """Text of a shared or inline string: plain and rich runs; phonetic guides (``rPh``) left out."""
    return "".join(_RICH_TEXT(el))


class _Sheet(Struct):
    name: str
    state: str
    visible_rows: list[str] = field(default_factory=list)
    hidden_rows: list[str] = field(default_factory=list)
    styled_rows: list[str] = field(default_factory=list)  # cells a format hides: ";;;", white on white
    styled_why: dict[str, None] = field(default_factory=dict)
    validations: list[str] = field(default_factory=list)


def extract(data: bytes, name: str, limits: Limits) -> Document:
    pkg = Package(data, limits, "Excel工作簿")
    main = pkg.main_part("xl/workbook.xml")
    workbook = pkg.xml(main)
    rels = pkg.rel_map(main)
    shared = _shared_strings(pkg, [r.target for r in rels.values() if r.type == "sharedStrings"])
    formats = hiding_formats(pkg, next((r.target for r in rels.values() if r.type == "styles" and not r.external), None))

    parts: list[Part] = []
    hidden: list[Part] = []
    drawings: list[Part] = []
    drawing_reader = DrawingReader(pkg)
    budget = limits.max_chars
    for sheet_el in workbook.iter(f"{_S}sheet"):
        rel = rels.get(sheet_el.get(f"{{{NS_R}}}id") or "")
        if rel is None or rel.external or not pkg.has(rel.target):
            continue
        sheet = _Sheet(sheet_el.get("name") or "?", sheet_el.get("state") or "visible")
        budget -= _read_sheet(pkg, rel.target, _Styles(shared, formats), sheet, limits, budget)
        kind = PartKind.SHEET if sheet.state == "visible" else PartKind.HIDDEN_SHEET
        label = sheet.name if sheet.state == "visible" else f"{sheet.name}({'深度隐藏' if sheet.state == 'veryHidden' else '隐藏'})"
        if any(r.strip() for r in sheet.visible_rows):
            (parts if kind is PartKind.SHEET else hidden).append(Part(kind, "\n".join(sheet.visible_rows), label=label))
        if any(r.strip() for r in sheet.hidden_rows):
            # In a hidden sheet everything is hidden already: one part for it all.
            target_kind = PartKind.HIDDEN_CELLS if kind is PartKind.SHEET else PartKind.HIDDEN_SHEET
            hidden.append(Part(target_kind, "\n".join(sheet.hidden_rows), label=label, first_paragraph=None))
        if sheet.styled_rows:
            styled_kind = PartKind.HIDDEN_CELLS if kind is PartKind.SHEET else PartKind.HIDDEN_SHEET
            why = "、".join(sheet.styled_why)
            hidden.append(Part(styled_kind, "\n".join(sheet.styled_rows), label=f"{label}:{why}", first_paragraph=None))
        if sheet.validations:
            hidden.append(Part(PartKind.HIDDEN_TEXT, "\n".join(dict.fromkeys(sheet.validations)), label=f"{label}:数据验证",
                               first_paragraph=None))
        hidden += _comments(pkg, rel.target, sheet.name)
        drawings += drawing_reader.for_sheet(rel.target, label, hidden=kind is not PartKind.SHEET)

    names = _defined_names(workbook)
    if names:
        hidden.append(Part(PartKind.HIDDEN_TEXT, "\n".join(names), label="定义的名称", first_paragraph=None))
    hidden += metadata_part(pkg)
    embedded = embedded_parts(pkg, ("xl/embeddings/",), limits)
    links = tuple(r.target for r in rels.values() if r.external)
    drawings += drawing_reader.rest()
    return Document(
        name, MEDIA_TYPE, (*parts, *drawings, *hidden, *embedded.parts), embedded.errors, (*links, *embedded.links),
    )


def _shared_strings(pkg: Package, targets: list[str]) -> list[str]:
    if not targets or not pkg.has(targets[0]):
        return []
    out = []
    for si in pkg.iterparse(targets[0], (f"{_S}si",)):
        out.append(_rich_text(si))
        si.clear()
    return out


class _Styles(Struct, frozen=True):
    shared: list[str]
    formats: dict[int, HidingFormat]


_X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
_XM = "http://schemas.microsoft.com/office/excel/2006/main"
_VALIDATION_TAGS = (f"{_S}dataValidation", f"{{{_X14}}}dataValidation")
_TEXT_TYPES = frozenset({"s", "inlineStr", "str"})


def _read_sheet(pkg: Package, part: str, styles: _Styles, sheet: _Sheet, limits: Limits, budget: int) -> int:
    """Fill the sheet's rows; returns the characters read."""
    hidden_cols: set[int] = set()
    used = 0
    for el in pkg.iterparse(part, (f"{_S}col", f"{_S}row", *_VALIDATION_TAGS)):
        name = local(el)
        if name == "col":
            if el.get("hidden") in _TRUE:
                lo, hi = int(el.get("min") or 0), int(el.get("max") or 0)
                hidden_cols.update(range(lo, min(hi, lo + 16384) + 1))
            continue
        if name == "dataValidation":
            lines = _validation(el)
            sheet.validations.extend(lines)
            used += sum(map(len, lines))
            el.clear()
            continue
        row_hidden = el.get("hidden") in _TRUE
        shown: list[str] = []
        concealed: list[str] = []
        styled: list[str] = []
        for c in el.iterchildren(_C):
            value = _cell_value(c, styles.shared)
            if not value:
                continue
            ref = c.get("r") or ""
            m = _REF_RE.match(ref) if hidden_cols and not row_hidden else None
            why = _format_reason(c, styles.formats)
            if row_hidden or (m and col_index(m.group(1)) in hidden_cols):
                concealed.append(f"{ref}:{value}" if ref else value)
            elif why:
                styled.append(f"{ref}:{value}" if ref else value)
                sheet.styled_why.setdefault(why, None)
            else:
                shown.append(value)
        for cells, rows in ((shown, sheet.visible_rows), (concealed, sheet.hidden_rows), (styled, sheet.styled_rows)):
            if cells:
                rows.append("\t".join(cells))
                used += sum(map(len, cells))
        if used > budget:
            raise ExtractionAborted(ErrorKind.TOO_LARGE, f"工作表“{sheet.name}”文字超过上限{limits.max_chars}字符")
        el.clear()
        while el.getprevious() is not None:  # drop rows already read: memory stays flat
            del el.getparent()[0]
        limits.check_time()
    return used


def _format_reason(c: etree._Element, formats: dict[int, HidingFormat]) -> str | None:
    if not formats:
        return None
    try:
        found = formats.get(int(c.get("s") or 0))
    except ValueError:
        return None
    return found.reason(c.get("t") in _TEXT_TYPES) if found else None


def _validation(el: etree._Element) -> list[str]:
    """A drop-down list typed into the rule (``"甲,乙"``), and its prompt and error messages.

    A list taken from a range (``=Sheet2!$A$1:$A$9``) is in those cells, read already.
    """
    where = el.get("sqref") or el.findtext(f"{{{_XM}}}sqref") or ""
    out = []
    for tag in ("promptTitle", "prompt", "errorTitle", "error"):
        text = " ".join((el.get(tag) or "").split())
        if text:
            out.append(f"{where} {tag}:{text}")
    if el.get("type") == "list":
        formula = el.findtext(f"{_S}formula1") or el.findtext(f"{{{_X14}}}formula1/{{{_XM}}}f") or ""
        formula = formula.strip()
        if formula.startswith('"') and formula.endswith('"') and len(formula) > 1:
            items = formula[1:-1].replace('""', '"')
            out.append(f"{where} 下拉列表:{items}")
    return out


def _cell_value(c: etree._Element, shared: list[str]) -> str:
    kind = c.get("t")
    if kind == "inlineStr":
        is_el = c.find(_IS)
        return _rich_text(is_el).strip() if is_el is not None else ""
    v = c.findtext(_V)
    if not v:
        return ""
    if kind == "s":
        try:
            return shared[int(v)].strip()
        except (ValueError, IndexError):
            return ""
    return "" if kind == "b" else v.strip()


def _comments(pkg: Package, sheet_part: str, sheet_name: str) -> list[Part]:
    lines = []
    for rel in pkg.rels(sheet_part):
        if rel.external or not pkg.has(rel.target):
            continue
        if rel.type == "comments":
            root = pkg.xml(rel.target)
            authors = [(a.text or "").strip() for a in root.iter(f"{_S}author")]
            for cm in root.iter(f"{_S}comment"):
                try:
                    author = authors[int(cm.get("authorId") or 0)] or "(无作者)"
                except (ValueError, IndexError):
                    author = "(无作者)"
                text = _rich_text(cm.find(f"{_S}text")) if cm.find(f"{_S}text") is not None else ""
                lines.append(f"{cm.get('ref') or ''} {author}:{' '.join(text.split())}")
        elif rel.type == "threadedComment":
            root = pkg.xml(rel.target)
            for cm in root.iter(f"{{{_TC}}}threadedComment"):
                text = " ".join("".join(t.itertext() for t in cm.iter(f"{{{_TC}}}text")).split())
                lines.append(f"{cm.get('ref') or ''} {text}")
    lines = [line for line in dict.fromkeys(lines) if line.strip()]
    return [Part(PartKind.COMMENT, "\n".join(lines), label=sheet_name, first_paragraph=None)] if lines else []


def _defined_names(workbook: etree._Element) -> list[str]:
    """User-defined names (built-in ``_xlnm.*`` print areas and filters are left out)."""
    out = []
    for dn in workbook.iter(f"{_S}definedName"):
        name = dn.get("name") or ""
        if name.startswith("_xlnm.") or not name:
            continue
        flag = "(隐藏)" if dn.get("hidden") in _TRUE else ""
        out.append(f"{name}{flag} = {(dn.text or '').strip()}")
    return out

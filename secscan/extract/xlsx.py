"""Excel .xlsx (ECMA-376 SpreadsheetML): every sheet, and what a reader does not see.

Each visible sheet is a ``sheet`` part (one line per row, cells joined by tabs) labelled
with its name; cells in hidden rows or columns go to ``hidden_cells``; sheets whose
state is ``hidden`` or ``veryHidden`` (the latter only visible through the VBA editor)
are ``hidden_sheet`` parts.  Cell comments (legacy notes and threaded comments, with
their authors), user-defined names, embedded objects and the document properties are
read too.  Worksheets are streamed (iterparse) so a large sheet stays bounded in memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from secscan.extract.archive import embedded_parts
from secscan.extract.base import ExtractionAborted, Limits
from secscan.extract.ooxml import NS_R, Package, local, metadata_part
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


@dataclass
class _Sheet:
    name: str
    state: str
    visible_rows: list[str] = field(default_factory=list)
    hidden_rows: list[str] = field(default_factory=list)


def extract(data: bytes, name: str, limits: Limits) -> Document:
    pkg = Package(data, limits, "Excel工作簿")
    main = pkg.main_part("xl/workbook.xml")
    workbook = pkg.xml(main)
    rels = pkg.rel_map(main)
    shared = _shared_strings(pkg, [r.target for r in rels.values() if r.type == "sharedStrings"])

    parts: list[Part] = []
    hidden: list[Part] = []
    budget = limits.max_chars
    for sheet_el in workbook.iter(f"{_S}sheet"):
        rel = rels.get(sheet_el.get(f"{{{NS_R}}}id") or "")
        if rel is None or rel.external or not pkg.has(rel.target):
            continue
        sheet = _Sheet(sheet_el.get("name") or "?", sheet_el.get("state") or "visible")
        budget -= _read_sheet(pkg, rel.target, shared, sheet, limits, budget)
        kind = PartKind.SHEET if sheet.state == "visible" else PartKind.HIDDEN_SHEET
        label = sheet.name if sheet.state == "visible" else f"{sheet.name}({'深度隐藏' if sheet.state == 'veryHidden' else '隐藏'})"
        if any(r.strip() for r in sheet.visible_rows):
            (parts if kind is PartKind.SHEET else hidden).append(Part(kind, "\n".join(sheet.visible_rows), label=label))
        if any(r.strip() for r in sheet.hidden_rows):
            # In a hidden sheet everything is hidden already: one part for it all.
            target_kind = PartKind.HIDDEN_CELLS if kind is PartKind.SHEET else PartKind.HIDDEN_SHEET
            hidden.append(Part(target_kind, "\n".join(sheet.hidden_rows), label=label, first_paragraph=None))
        hidden += _comments(pkg, rel.target, sheet.name)

    names = _defined_names(workbook)
    if names:
        hidden.append(Part(PartKind.HIDDEN_TEXT, "\n".join(names), label="定义的名称", first_paragraph=None))
    hidden += metadata_part(pkg)
    embedded = embedded_parts(pkg, ("xl/embeddings/",), limits)
    links = tuple(r.target for r in rels.values() if r.external)
    return Document(name, MEDIA_TYPE, (*parts, *hidden, *embedded.parts), embedded.errors, (*links, *embedded.links))


def _shared_strings(pkg: Package, targets: list[str]) -> list[str]:
    if not targets or not pkg.has(targets[0]):
        return []
    out = []
    for si in pkg.iterparse(targets[0], (f"{_S}si",)):
        out.append(_rich_text(si))
        si.clear()
    return out


def _read_sheet(pkg: Package, part: str, shared: list[str], sheet: _Sheet, limits: Limits, budget: int) -> int:
    """Fill the sheet's rows; returns the characters read."""
    hidden_cols: set[int] = set()
    used = 0
    for el in pkg.iterparse(part, (f"{_S}col", f"{_S}row")):
        if local(el) == "col":
            if el.get("hidden") in _TRUE:
                lo, hi = int(el.get("min") or 0), int(el.get("max") or 0)
                hidden_cols.update(range(lo, min(hi, lo + 16384) + 1))
            continue
        row_hidden = el.get("hidden") in _TRUE
        shown: list[str] = []
        concealed: list[str] = []
        for c in el.iterchildren(_C):
            value = _cell_value(c, shared)
            if not value:
                continue
            ref = c.get("r") or ""
            m = _REF_RE.match(ref) if hidden_cols and not row_hidden else None
            if row_hidden or (m and col_index(m.group(1)) in hidden_cols):
                concealed.append(f"{ref}:{value}" if ref else value)
            else:
                shown.append(value)
        if shown:
            sheet.visible_rows.append("\t".join(shown))
        if concealed:
            sheet.hidden_rows.append("\t".join(concealed))
        used += sum(map(len, shown)) + sum(map(len, concealed))
        if used > budget:
            raise ExtractionAborted(ErrorKind.TOO_LARGE, f"工作表“{sheet.name}”文字超过上限{limits.max_chars}字符")
        el.clear()
        while el.getprevious() is not None:  # drop rows already read: memory stays flat
            del el.getparent()[0]
        limits.check_time()
    return used


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

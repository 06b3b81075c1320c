"""Text in a workbook's drawings and charts (ECMA-376 Part 1 §20.5 SpreadsheetDrawing, §21.2 charts).

Text boxes and shapes float over a sheet; a chart carries its titles, axis titles and
labels, and caches of the series names and categories it was drawn from — a cache
outlives the cells (deleted or never in the file), so it is read too.  A shape marked
``hidden`` is ``hidden_text``; anything on a hidden sheet is ``hidden_sheet``; the rest
is ``textbox``, scanned like the cells.
"""

from __future__ import annotations

import posixpath

from lxml import etree

from secscan.extract.ooxml import NS_R, Package, local
from secscan.types import Part, PartKind

A = "http://schemas.openxmlformats.org/drawingml/2006/main"
C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_STRING_CACHES = (f"{{{C}}}strCache", f"{{{C}}}multiLvlStrCache")
_TRUE = frozenset({"1", "true"})


def _paragraphs(el: etree._Element) -> list[str]:
    lines = []
    for para in el.iter(f"{{{A}}}p"):
        line = "".join(t.text or "" for t in para.iter(f"{{{A}}}t")).strip()
        if line:
            lines.append(line)
    return lines


def chart_lines(root: etree._Element) -> list[str]:
    """Rich text (titles, labels) and the cached series names and categories of a chart."""
    lines = _paragraphs(root)
    for cache in root.iter(*_STRING_CACHES):
        for v in cache.iter(f"{{{C}}}v"):
            text = (v.text or "").strip()
            if text:
                lines.append(text)
    return list(dict.fromkeys(lines))


class DrawingReader:
    """Reads each drawing and chart once, labelled by the sheet that shows it."""

    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        self.seen: set[str] = set()

    def for_sheet(self, sheet_part: str, label: str, *, hidden: bool) -> list[Part]:
        parts: list[Part] = []
        for rel in self.pkg.rels(sheet_part):
            if rel.type == "drawing" and not rel.external and self.pkg.has(rel.target):
                parts += self._drawing(rel.target, label, hidden)
        return parts

    def rest(self) -> list[Part]:
        """Drawings and charts no sheet points at: still in the file, still published."""
        parts: list[Part] = []
        for name in self.pkg.names():
            if name in self.seen or not name.endswith(".xml"):
                continue
            if name.startswith("xl/drawings/") and "/_rels/" not in name:
                parts += self._drawing(name, "未被引用", hidden=False)
            elif name.startswith("xl/charts/chart"):
                parts += self._chart(name, "未被引用", hidden=False)
        return parts

    def _drawing(self, part: str, label: str, hidden: bool) -> list[Part]:
        if part in self.seen:
            return []
        self.seen.add(part)
        root = self.pkg.xml(part)
        shown: list[str] = []
        concealed: list[str] = []
        for shape in root.iter(f"{{{XDR}}}sp", f"{{{XDR}}}cxnSp"):
            lines = _paragraphs(shape)
            if not lines:
                continue
            props = next(shape.iter(f"{{{XDR}}}cNvPr"), None)
            name = props.get("name") if props is not None else None
            text = f"[{name}] {' '.join(lines)}" if name else " ".join(lines)
            (concealed if props is not None and props.get("hidden") in _TRUE else shown).append(text)
        parts = []
        where = f"{label}:{posixpath.basename(part)}"
        if shown:
            kind = PartKind.HIDDEN_SHEET if hidden else PartKind.TEXTBOX
            parts.append(Part(kind, "\n".join(shown), label=f"{where} 文本框", first_paragraph=None))
        if concealed:
            parts.append(Part(PartKind.HIDDEN_TEXT, "\n".join(concealed), label=f"{where} 隐藏的图形", first_paragraph=None))
        rels = self.pkg.rel_map(part)
        for frame in root.iter(f"{{{C}}}chart"):
            rel = rels.get(frame.get(f"{{{NS_R}}}id") or "")
            if rel is not None and not rel.external and self.pkg.has(rel.target):
                parts += self._chart(rel.target, label, hidden)
        return parts

    def _chart(self, part: str, label: str, hidden: bool) -> list[Part]:
        if part in self.seen:
            return []
        self.seen.add(part)
        root = self.pkg.xml(part)
        if local(root) != "chartSpace":
            return []
        lines = chart_lines(root)
        if not lines:
            return []
        kind = PartKind.HIDDEN_SHEET if hidden else PartKind.TEXTBOX
        return [Part(kind, "\n".join(lines), label=f"{label}:图表 {posixpath.basename(part)}", first_paragraph=None)]


"""OFD (GB/T 33190-2016, 电子文件存储与交换格式 版式文档): text, metadata, annotations, attachments.

An OFD is a zip package: ``OFD.xml`` holds each document's ``DocInfo`` (title,
author, keywords, custom data — reported as ``metadata``) and the path of its
``Document.xml``, which lists the pages, template pages, annotations and attachments.
Page text is in ``TextObject/TextCode`` elements of each page's content (layers and
nested page blocks included); one line per baseline.  A page that draws images and no
text is a scan: reported ``image_only`` with its number, never passed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from lxml import etree

from secscan.extract.archive import extract_nested
from secscan.extract.base import ExtractionAborted, Limits, meaningful
from secscan.extract.ooxml import Package, resolve
from secscan.types import Document, ErrorKind, Part, PartKind, ReadError

MEDIA_TYPE = "application/ofd"
OFD_NS = "http://www.ofdspec.org/2016"
_O = f"{{{OFD_NS}}}"
_DOCINFO_FIELDS = (
    ("Title", "title"), ("Author", "author"), ("Subject", "subject"), ("Abstract", "abstract"),
    ("DocUsage", "usage"), ("Creator", "creator"),
)
_TOOLS = frozenset({"suwell", "数科", "福昕", "foxit", "ofdrw", "书生"})


def _find(el: etree._Element, name: str) -> etree._Element | None:
    """OFD files in the wild use the namespace, or none at all."""
    found = el.find(f"{_O}{name}")
    return found if found is not None else el.find(name)


def _iter(el: etree._Element, *names: str) -> Iterator[etree._Element]:
    return el.iter(*[f"{_O}{n}" for n in names], *names)


def _loc(base_part: str, loc: str | None) -> str:
    return resolve(posixpath.dirname(base_part), (loc or "").strip())


def page_lines(content: etree._Element) -> tuple[list[str], bool]:
    """Lines of text on a page (one per baseline, in drawing order) and whether it draws images."""
    lines: list[str] = []
    current: list[str] = []
    last_y: float | None = None
    for obj in _iter(content, "TextObject"):
        top = _boundary_top(obj.get("Boundary"))
        for code in _iter(obj, "TextCode"):
            y = round(top + _float(code.get("Y")), 1)
            if last_y is not None and abs(y - last_y) > 0.5 and current:
                lines.append("".join(current))
                current = []
            current.append(code.text or "")
            last_y = y
    if current:
        lines.append("".join(current))
    images = next(_iter(content, "ImageObject"), None) is not None
    return [line for line in lines if line.strip()], images


def _float(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


def _boundary_top(boundary: str | None) -> float:
    fields = (boundary or "").split()
    return _float(fields[1]) if len(fields) > 1 else 0.0


def extract(data: bytes, name: str, limits: Limits) -> Document:
    pkg = Package(data, limits, "OFD文件")
    root = pkg.xml("OFD.xml")
    parts: list[Part] = []
    hidden: list[Part] = []
    errors: list[ReadError] = []
    for number, body in enumerate(_iter(root, "DocBody"), 1):
        info = _find(body, "DocInfo")
        meta = _docinfo(info) if info is not None else []
        if meta:
            hidden.append(Part(PartKind.METADATA, "\n".join(meta), first_paragraph=None,
                               label=f"文档{number}" if number > 1 else None))
        doc_root = _find(body, "DocRoot")
        if doc_root is None or not (doc_root.text or "").strip():
            errors.append(ReadError(ErrorKind.CORRUPT, "OFD.xml 缺少 DocRoot,无法找到文档正文"))
            continue
        doc_part = resolve("", doc_root.text.strip())
        _document(pkg, doc_part, limits, parts, hidden, errors)
    return Document(name, MEDIA_TYPE, (*parts, *hidden), tuple(errors))


def _docinfo(info: etree._Element) -> list[str]:
    lines = []
    for key, label in _DOCINFO_FIELDS:
        el = _find(info, key)
        value = (el.text or "").strip() if el is not None else ""
        if meaningful(value) and not (key == "Creator" and any(t in value.lower() for t in _TOOLS)):
            lines.append(f"{label}: {value}")
    keywords = [(k.text or "").strip() for k in _iter(info, "Keyword") if (k.text or "").strip()]
    if keywords:
        lines.append(f"keywords: {' '.join(keywords)}")
    for custom in _iter(info, "CustomData"):
        if meaningful(custom.text):
            lines.append(f"{custom.get('Name') or '?'}: {(custom.text or '').strip()}")
    return lines


def _document(pkg: Package, doc_part: str, limits: Limits, parts: list[Part], hidden: list[Part],
              errors: list[ReadError]) -> None:
    doc = pkg.xml(doc_part)
    page_ids: dict[str, int] = {}
    image_pages: list[int] = []
    for number, page in enumerate(_iter(doc, "Page"), 1):
        page_ids[page.get("ID") or ""] = number
        limits.check_time()
        lines, images = page_lines(pkg.xml(_loc(doc_part, page.get("BaseLoc"))))
        if lines:
            parts.append(Part(PartKind.BODY, "\n".join(lines), page=number, first_paragraph=None))
        elif images:
            image_pages.append(number)
    if image_pages:
        listed = "、".join(map(str, image_pages[:20])) + ("等" if len(image_pages) > 20 else "")
        errors.append(ReadError(ErrorKind.IMAGE_ONLY, f"第{listed}页只有图像没有文字层(扫描件),无法审查其中文字(需人工或OCR)"))
    template_lines: list[str] = []
    for tpl in _iter(doc, "TemplatePage"):
        template_lines += page_lines(pkg.xml(_loc(doc_part, tpl.get("BaseLoc"))))[0]
    if template_lines:
        parts.append(Part(PartKind.BODY, "\n".join(template_lines), label="模板页", first_paragraph=None))
    annotations = _find(doc, "Annotations")
    if annotations is not None and (annotations.text or "").strip():
        hidden += _annotations(pkg, _loc(doc_part, annotations.text), page_ids)
    attachments = _find(doc, "Attachments")
    if attachments is not None and (attachments.text or "").strip():
        _attachments(pkg, _loc(doc_part, attachments.text), limits, parts, errors)


def _annotations(pkg: Package, index_part: str, page_ids: dict[str, int]) -> list[Part]:
    out = []
    for page in _iter(pkg.xml(index_part), "Page"):
        loc = _find(page, "FileLoc")
        if loc is None or not (loc.text or "").strip():
            continue
        lines = []
        for annot in _iter(pkg.xml(_loc(index_part, loc.text)), "Annot"):
            remark = _find(annot, "Remark")
            if remark is not None and (remark.text or "").strip():
                lines.append(remark.text.strip())
            lines += page_lines(annot)[0]
        if lines:
            out.append(Part(PartKind.ANNOTATION, "\n".join(lines), page=page_ids.get(page.get("PageID") or ""),
                            first_paragraph=None))
    return out


def _attachments(pkg: Package, index_part: str, limits: Limits, parts: list[Part], errors: list[ReadError]) -> None:
    names = []
    for att in _iter(pkg.xml(index_part), "Attachment"):
        loc = _find(att, "FileLoc")
        if loc is None or not (loc.text or "").strip():
            continue
        label = att.get("Name") or loc.text.strip()
        names.append(label)
        try:
            nested = extract_nested(pkg.read(_loc(index_part, loc.text)), label, limits)
        except ExtractionAborted as exc:
            if exc.kind is ErrorKind.TIMEOUT:
                raise
            errors.append(ReadError(exc.kind, f"{label}:{exc.message}"))
            continue
        parts.extend(nested.parts)
        errors.extend(nested.errors)
    if names:
        parts.append(Part(PartKind.ATTACHMENT, "\n".join(names), label="OFD附件"))

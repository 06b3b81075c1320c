"""PowerPoint .pptx (ECMA-376 PresentationML): slides, notes, hidden slides, comments.

Slides are read in the order of the presentation's slide list, each a ``slide`` part
labelled 第N张 (one line per paragraph, tables by row); a slide with ``show="0"`` is a
``hidden_slide``.  Speaker notes (``notes``), legacy and modern comments with their
authors (``comment``), text placed on masters and layouts outside placeholders (shown on
every slide), embedded objects and the document properties are read too.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from secscan.extract.archive import embedded_parts
from secscan.extract.base import Limits
from secscan.extract.ooxml import NS_R, Package, Rel, local, metadata_part
from secscan.types import Document, Part, PartKind

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
P188 = "http://schemas.microsoft.com/office/powerpoint/2018/8/main"
_P, _A = f"{{{P}}}", f"{{{A}}}"
_NOTES_SKIP = frozenset({"sldNum", "sldImg", "hdr", "ftr", "dt"})


def paragraphs(root: etree._Element) -> Iterator[str]:
    """Text of each DrawingML paragraph (``a:p``) in document order; table cells included."""
    for p in root.iter(f"{_A}p"):
        # Tabs are literal characters inside a:t (a:tab elements are tab stops, not text);
        # a slide-number field shows only a number, and LibreOffice writes "<number>" there.
        text = "".join(
            (el.text or "") if local(el) == "t" else " "
            for el in p.iter(f"{_A}t", f"{_A}br")
            if not (local(el) == "t" and el.getparent() is not None and local(el.getparent()) == "fld"
                    and el.getparent().get("type") == "slidenum")
        )
        if text.strip():
            yield text


def _shapes(root: etree._Element, placeholders: bool, skip: frozenset[str] = frozenset()) -> Iterator[str]:
    """Lines of each shape with text; ``placeholders=False`` keeps only free-standing shapes."""
    for shape in root.iter(f"{_P}sp", f"{_P}graphicFrame"):
        ph = shape.find(f"./*/{_P}nvPr/{_P}ph")
        if ph is not None and (not placeholders or (ph.get("type") or "body") in skip):
            continue
        yield from paragraphs(shape)


def extract(data: bytes, name: str, limits: Limits) -> Document:
    pkg = Package(data, limits, "PowerPoint演示文稿")
    main = pkg.main_part("ppt/presentation.xml")
    pres = pkg.xml(main)
    rels = pkg.rel_map(main)
    authors = _authors(pkg, list(rels.values()))

    parts: list[Part] = []
    hidden: list[Part] = []
    links: list[str] = []
    for number, sld in enumerate(pres.iter(f"{_P}sldId"), 1):
        rel = rels.get(sld.get(f"{{{NS_R}}}id") or "")
        if rel is None or rel.external or not pkg.has(rel.target):
            continue
        limits.check_time()
        slide = pkg.xml(rel.target)
        label = f"第{number}张"
        lines = list(_shapes(slide, placeholders=True))
        if lines:
            kind = PartKind.HIDDEN_SLIDE if slide.get("show") in ("0", "false") else PartKind.SLIDE
            target = hidden if kind is PartKind.HIDDEN_SLIDE else parts
            target.append(Part(kind, "\n".join(lines), label=label))
        slide_rels = pkg.rels(rel.target)
        links += [r.target for r in slide_rels if r.external and r.type == "hyperlink"]
        for srel in slide_rels:
            if srel.external or not pkg.has(srel.target):
                continue
            if srel.type == "notesSlide":
                notes = list(_shapes(pkg.xml(srel.target), placeholders=True, skip=_NOTES_SKIP))
                if notes:
                    hidden.append(Part(PartKind.NOTES, "\n".join(notes), label=label, first_paragraph=None))
            elif srel.type == "comments":
                hidden += _comments(pkg.xml(srel.target), authors, label)
    hidden += _template_text(pkg, rels)
    hidden += metadata_part(pkg)
    embedded = embedded_parts(pkg, ("ppt/embeddings/",), limits)
    return Document(name, MEDIA_TYPE, (*parts, *hidden, *embedded.parts), embedded.errors,
                    tuple(dict.fromkeys([*links, *embedded.links])))


def _authors(pkg: Package, rels: list[Rel]) -> dict[str, str]:
    out: dict[str, str] = {}
    for rel in rels:
        if rel.external or not pkg.has(rel.target) or rel.type not in ("commentAuthors", "authors"):
            continue
        for author in pkg.xml(rel.target):
            if local(author) in ("cmAuthor", "author"):
                out[author.get("id") or ""] = author.get("name") or ""
    return out


def _comments(root: etree._Element, authors: dict[str, str], label: str) -> list[Part]:
    lines = []
    for cm in root:
        if local(cm) != "cm":
            continue
        author = authors.get(cm.get("authorId") or "", "") or "(无作者)"
        legacy = cm.find(f"{_P}text")
        text = (legacy.text or "") if legacy is not None else " ".join(paragraphs(cm))
        if text.strip():
            lines.append(f"{author}:{' '.join(text.split())}")
    return [Part(PartKind.COMMENT, "\n".join(lines), label=label, first_paragraph=None)] if lines else []


def _template_text(pkg: Package, rels: dict[str, Rel]) -> list[Part]:
    """Free text on masters and layouts appears on every slide that uses them."""
    names = [r.target for r in rels.values() if r.type == "slideMaster" and not r.external and pkg.has(r.target)]
    for master in list(names):
        names += [r.target for r in pkg.rels(master) if r.type == "slideLayout" and pkg.has(r.target)]
    lines = list(dict.fromkeys(line for part in dict.fromkeys(names) for line in _shapes(pkg.xml(part), False)))
    return [Part(PartKind.SLIDE, "\n".join(lines), label="母版与版式", first_paragraph=None)] if lines else []

"""Word .docx (ECMA-376 WordprocessingML): the visible text and every hidden layer.

Visible: body paragraphs (one line each) and tables in document order, headers and
footers of every section, footnotes, endnotes, text boxes and WordArt/watermarks.
Hidden, each its own part so that the pipeline reports it and scans it: tracked
deletions (``w:del``/``w:delText``, ``w:moveFrom``) and insertions (``w:ins``,
``w:moveTo``; their text also stays in the visible line), comments with their
authors, hidden text (``w:vanish``, directly or by style), field codes that are not
mere page numbering, document variables, the glossary, custom XML data parts, and the
core/app/custom properties.  Files imported with ``w:altChunk`` are read with their own
extractor (:mod:`secscan.extract.docx_data`).  Hyperlink targets become ``Document.links``; embedded objects are listed
and read (see :mod:`secscan.extract.archive`).

The XML is read through :class:`secscan.extract.ooxml.Package` (capped zip, hardened
parser), never with regular expressions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lxml import etree
from msgspec import Struct, field

from secscan.extract.archive import embedded_parts
from secscan.extract.base import Limits
from secscan.extract.docx_data import alt_chunks, custom_xml_parts
from secscan.extract.ooxml import NS_MC, NS_R, Package, Rel, local, metadata_part
from secscan.types import Document, Part, PartKind

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
V = "urn:schemas-microsoft-com:vml"
_W = f"{{{W}}}"
_OFF = frozenset({"0", "false", "off"})
_RUN_CONTAINERS = frozenset({"hyperlink", "smartTag", "sdt", "sdtContent", "fldSimple", "customXml", "bdo", "dir"})
_BLOCK_CONTAINERS = frozenset({"sdt", "sdtContent", "customXml"})
# Field codes every document has; anything else (DOCPROPERTY, QUOTE, ADDIN …) is shown.
_PLAIN_FIELDS = frozenset(
    "PAGE NUMPAGES SECTIONPAGES SECTION TOC PAGEREF REF SEQ DATE TIME CREATEDATE SAVEDATE PRINTDATE "
    "NOTEREF STYLEREF FORMTEXT FORMCHECKBOX FORMDROPDOWN EQ LISTNUM AUTONUM AUTONUMLGL INDEX XE TC =".split()
)


class _Sink(Struct):
    """The hidden layers met while walking one story (body, a header, the notes …)."""

    story: str
    deleted: list[str] = field(default_factory=list)
    inserted: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    textbox: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    field_code: list[str] = field(default_factory=list)  # instrText runs of the open field


class _Walker:
    """Walks WordprocessingML content; visible text is returned, the rest goes to a sink."""

    def __init__(self, hidden_styles: frozenset[str], rels: dict[str, Rel]) -> None:
        self.hidden_styles = hidden_styles
        self.rels = rels

    def for_part(self, pkg: Package, part: str) -> _Walker:
        """The same walker with the hyperlink relationships of another part (header, notes)."""
        return _Walker(self.hidden_styles, pkg.rel_map(part))

    # -- blocks -----------------------------------------------------------------------
    def blocks(self, container: etree._Element) -> Iterator[etree._Element]:
        """Paragraphs and tables directly in a story, through content controls."""
        for child in container:
            name = local(child)
            if name in ("p", "tbl"):
                yield child
            elif name in _BLOCK_CONTAINERS:
                yield from self.blocks(child)

    def paragraphs(self, container: etree._Element) -> Iterator[etree._Element]:
        """Every paragraph of a story, tables flattened, text boxes left to the runs."""
        for block in self.blocks(container):
            if local(block) == "p":
                yield block
            else:
                for tc in block.iter(f"{_W}tc"):
                    yield from self.paragraphs(tc)

    def story_lines(self, container: etree._Element, sink: _Sink) -> list[str]:
        return [self.paragraph(p, sink) for p in self.paragraphs(container)]

    def table_rows(self, tbl: etree._Element, sink: _Sink) -> list[str]:
        rows = []
        for tr in tbl.iterchildren(f"{_W}tr"):
            cells = [" ".join(self.story_lines(tc, sink)).strip() for tc in tr.iterchildren(f"{_W}tc")]
            rows.append("\t".join(cells))
        return rows

    # -- inline -----------------------------------------------------------------------
    def paragraph(self, p: etree._Element, sink: _Sink) -> str:
        style = p.find(f"{_W}pPr/{_W}pStyle")
        hidden_para = style is not None and style.get(f"{_W}val") in self.hidden_styles
        out: list[str] = []
        deleted: list[str] = []
        inserted: list[str] = []
        hidden: list[str] = []
        self._inline(p, out, deleted, inserted, hidden, sink, mode="")
        text = "".join(out)
        if hidden_para and text.strip():
            hidden.append(text)
            text = ""
        for bucket, target in ((deleted, sink.deleted), (inserted, sink.inserted), (hidden, sink.hidden)):
            joined = " ".join(s for s in bucket if s.strip())
            if joined:
                target.append(joined)
        return text

    def _inline(self, el: etree._Element, out: list[str], deleted: list[str], inserted: list[str],
                hidden: list[str], sink: _Sink, mode: str) -> None:
        for child in el:
            name = local(child)
            if name == "r":
                self._run(child, out, deleted, inserted, hidden, sink, mode)
            elif name in ("del", "moveFrom"):
                buf: list[str] = []
                self._inline(child, buf, deleted, inserted, hidden, sink, mode="del")
                deleted.append("".join(buf))
            elif name in ("ins", "moveTo"):
                buf = []
                self._inline(child, buf, deleted, inserted, hidden, sink, mode=mode)
                inserted.append("".join(buf))
                out.extend(buf if mode != "del" else ())
            elif name in _RUN_CONTAINERS:
                if name == "hyperlink":
                    self._link(child, sink)
                self._inline(child, out, deleted, inserted, hidden, sink, mode)
            elif name == "AlternateContent":
                self._alternate(child, out, deleted, inserted, hidden, sink, mode)

    def _alternate(self, el: etree._Element, *args) -> None:
        # Choice and Fallback hold the same content twice (DrawingML and VML): one only.
        choice = el.find(f"{{{NS_MC}}}Choice")
        chosen = choice if choice is not None else el.find(f"{{{NS_MC}}}Fallback")
        if chosen is not None:
            self._inline(chosen, *args)

    def _run(self, r: etree._Element, out: list[str], deleted: list[str], inserted: list[str],
             hidden: list[str], sink: _Sink, mode: str) -> None:
        text: list[str] = []
        for child in r:
            name = local(child)
            if name in ("t", "delText"):
                text.append(child.text or "")
            elif name == "tab":
                text.append("\t")
            elif name in ("br", "cr"):
                text.append(" ")
            elif name == "noBreakHyphen":
                text.append("-")
            elif name in ("instrText", "delInstrText"):
                sink.field_code.append(child.text or "")
            elif name == "fldChar" and child.get(f"{_W}fldCharType") in ("separate", "end") and sink.field_code:
                self._field("".join(sink.field_code), sink)
                sink.field_code.clear()
            elif name in ("drawing", "pict", "object", "AlternateContent"):
                self._shapes(child, sink)
        run_text = "".join(text)
        if not run_text:
            return
        if mode == "del":
            out.append(run_text)
        elif self._vanished(r):
            hidden.append(run_text)
        else:
            out.append(run_text)

    def _vanished(self, r: etree._Element) -> bool:
        rpr = r.find(f"{_W}rPr")
        if rpr is None:
            return False
        for tag in ("vanish", "specVanish"):
            v = rpr.find(f"{_W}{tag}")
            if v is not None and (v.get(f"{_W}val") or "1").lower() not in _OFF:
                return True
        style = rpr.find(f"{_W}rStyle")
        return style is not None and style.get(f"{_W}val") in self.hidden_styles

    def _shapes(self, el: etree._Element, sink: _Sink) -> None:
        for node in _skip_fallback(el):
            name = local(node)
            if name == "txbxContent":
                lines = [s for s in self.story_lines(node, sink) if s.strip()]
                if lines:
                    sink.textbox.append(" ".join(lines))
            elif name == "textpath" and node.get("string"):  # WordArt and watermarks (VML)
                sink.textbox.append(node.get("string") or "")

    def _field(self, code: str, sink: _Sink) -> None:
        words = field_words(code)
        if not words:
            return
        kind = words[0].upper()
        if kind == "HYPERLINK":
            if len(words) > 1 and "\\l" not in code:
                sink.links.append(words[1])
        elif kind not in _PLAIN_FIELDS and not kind.startswith("="):
            # Arguments without quotes and switches, so a quoted value reads as it shows.
            sink.fields.append(" ".join(words))

    def _link(self, el: etree._Element, sink: _Sink) -> None:
        rel = self.rels.get(el.get(f"{{{NS_R}}}id") or "")
        if rel is not None and rel.external:
            sink.links.append(rel.target)


_FIELD_TOKEN_RE = re.compile(r'"([^"]*)"|(\S+)')


def field_words(code: str) -> list[str]:
    """``DOCPROPERTY 密级 "机密★10年" \\* MERGEFORMAT`` → ``["DOCPROPERTY", "密级", "机密★10年"]``."""
    words: list[str] = []
    after_switch = False
    for quoted, bare in _FIELD_TOKEN_RE.findall(code):
        if bare.startswith("\\"):
            after_switch = bare in ("\\*", "\\@", "\\#")
            continue
        if not after_switch:
            words.append(quoted or bare)
        after_switch = False
    return words


def _skip_fallback(el: etree._Element) -> Iterator[etree._Element]:
    """Descendants of ``el`` in document order, without ``mc:Fallback`` subtrees."""
    for child in el:
        if not isinstance(child.tag, str) or local(child) == "Fallback":
            continue
        yield child
        if local(child) != "txbxContent":  # its paragraphs are walked by _shapes
            yield from _skip_fallback(child)


def _hidden_styles(pkg: Package, styles_name: str) -> frozenset[str]:
    root = pkg.xml_or_none(styles_name)
    if root is None:
        return frozenset()
    out = set()
    for style in root.iter(f"{_W}style"):
        v = style.find(f"{_W}rPr/{_W}vanish")
        if v is not None and (v.get(f"{_W}val") or "1").lower() not in _OFF:
            out.add(style.get(f"{_W}styleId") or "")
    return frozenset(out)


_SINK_KINDS = (
    ("deleted", PartKind.TRACKED_DELETION),
    ("inserted", PartKind.TRACKED_INSERTION),
    ("hidden", PartKind.HIDDEN_TEXT),
    ("textbox", PartKind.TEXTBOX),
)


def _sink_parts(sink: _Sink) -> list[Part]:
    parts = []
    for attr, kind in _SINK_KINDS:
        lines = [s for s in getattr(sink, attr) if s.strip()]
        if lines:
            parts.append(Part(kind, "\n".join(lines), label=sink.story, first_paragraph=None))
    if sink.fields:
        parts.append(Part(PartKind.HIDDEN_TEXT, "\n".join(sink.fields), label=f"{sink.story}域代码",
                          first_paragraph=None))
    return parts


_HF_TYPES = {"default": "", "first": "首页", "even": "偶数页"}


def _section_refs(body: etree._Element) -> dict[str, str]:
    """Header/footer relationship id → 第N节(首页) label, sections in order."""
    sects = body.xpath("./w:p/w:pPr/w:sectPr | ./w:sectPr", namespaces={"w": W})
    labels: dict[str, str] = {}
    for number, sect in enumerate(sects, 1):
        for ref in sect:
            if local(ref) in ("headerReference", "footerReference"):
                rid = ref.get(f"{{{NS_R}}}id") or ""
                labels.setdefault(rid, f"第{number}节{_HF_TYPES.get(ref.get(f'{_W}type') or 'default', '')}")
    return labels


def extract(data: bytes, name: str, limits: Limits) -> Document:
    pkg = Package(data, limits, "Word文档")
    main = pkg.main_part("word/document.xml")
    root = pkg.xml(main)
    body = root.find(f"{_W}body")
    rels = pkg.rels(main)
    rel_map = {r.id: r for r in rels}
    walker = _Walker(_hidden_styles(pkg, _first(rels, "styles") or "word/styles.xml"), rel_map)

    parts: list[Part] = []
    hidden_parts: list[Part] = []
    links: list[str] = []

    sink = _Sink("正文")
    paragraphs: list[str] = []
    tables = 0
    for block in walker.blocks(body) if body is not None else ():
        if local(block) == "p":
            paragraphs.append(walker.paragraph(block, sink))
        else:
            tables += 1
            rows = walker.table_rows(block, sink)
            if any(r.strip() for r in rows):
                parts.append(Part(PartKind.TABLE, "\n".join(rows), label=f"表格{tables}"))
        limits.check_time()
    parts.insert(0, Part(PartKind.BODY, "\n".join(paragraphs)))
    hidden_parts += _sink_parts(sink)
    links += sink.links

    refs = _section_refs(body) if body is not None else {}
    for rel in rels:
        if rel.type not in ("header", "footer") or rel.external or not pkg.has(rel.target):
            continue
        kind = PartKind.HEADER if rel.type == "header" else PartKind.FOOTER
        label = refs.get(rel.id, "未被引用")
        story = _Sink(f"{label}{kind.zh}")
        text = "\n".join(walker.for_part(pkg, rel.target).story_lines(pkg.xml(rel.target), story))
        if text.strip():
            parts.append(Part(kind, text, label=label))
        hidden_parts += _sink_parts(story)
        links += story.links

    for note_type, kind in (("footnotes", PartKind.FOOTNOTE), ("endnotes", PartKind.ENDNOTE)):
        target = _first(rels, note_type)
        if target:
            story = _Sink(kind.zh)
            text = _notes(pkg.xml(target), walker.for_part(pkg, target), story)
            if text.strip():
                parts.append(Part(kind, text, first_paragraph=None))
            hidden_parts += _sink_parts(story)
            links += story.links

    target = _first(rels, "comments")
    if target:
        story = _Sink("批注")
        text = _comments(pkg.xml(target), walker.for_part(pkg, target), story)
        if text.strip():
            hidden_parts.append(Part(PartKind.COMMENT, text, first_paragraph=None))
        hidden_parts += _sink_parts(story)

    hidden_parts += _glossary(pkg, rels, walker)
    settings_extra, variables = _settings(pkg, rels)
    if variables:
        hidden_parts.append(Part(PartKind.HIDDEN_TEXT, "\n".join(variables), label="文档变量", first_paragraph=None))
    hidden_parts += custom_xml_parts(pkg)
    hidden_parts += metadata_part(pkg, settings_extra)
    chunks = alt_chunks(pkg, limits)
    embedded = embedded_parts(pkg, ("word/embeddings/",), limits)
    return Document(
        name, MEDIA_TYPE, (*parts, *chunks.parts, *hidden_parts, *embedded.parts), (*chunks.errors, *embedded.errors),
        tuple(dict.fromkeys([*links, *chunks.links, *embedded.links])),
    )


def _first(rels: Iterable[Rel], rel_type: str) -> str | None:
    return next((r.target for r in rels if r.type == rel_type and not r.external), None)


def _notes(root: etree._Element, walker: _Walker, sink: _Sink) -> str:
    lines = []
    for note in root:
        if local(note) not in ("footnote", "endnote"):
            continue
        if note.get(f"{_W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        lines.append(" ".join(walker.story_lines(note, sink)).strip())
    return "\n".join(lines)


def _comments(root: etree._Element, walker: _Walker, sink: _Sink) -> str:
    lines = []
    for comment in root.iter(f"{_W}comment"):
        author = (comment.get(f"{_W}author") or "").strip() or "(无作者)"
        text = " ".join(s for s in walker.story_lines(comment, sink) if s.strip())
        lines.append(f"{author}:{text}")
    return "\n".join(lines)


def _glossary(pkg: Package, rels: list[Rel], walker: _Walker) -> list[Part]:
    target = _first(rels, "glossaryDocument")
    if not target or not pkg.has(target):
        return []
    sink = _Sink("文档部件库")
    lines = []
    for doc_part in pkg.xml(target).iter(f"{_W}docPartBody"):
        lines += [s for s in walker.story_lines(doc_part, sink) if s.strip()]
    parts = [Part(PartKind.HIDDEN_TEXT, "\n".join(lines), label="文档部件库", first_paragraph=None)] if lines else []
    return parts + _sink_parts(sink)


def _settings(pkg: Package, rels: list[Rel]) -> tuple[list[str], list[str]]:
    """The attached template's path (often a user's folder) and the document variables."""
    target = _first(rels, "settings")
    if not target or not pkg.has(target):
        return [], []
    root = pkg.xml(target)
    extra = []
    attached = root.find(f"{_W}attachedTemplate")
    if attached is not None:
        rel = pkg.rel_map(target).get(attached.get(f"{{{NS_R}}}id") or "")
        if rel is not None and rel.target and not rel.target.lower().startswith("normal"):
            extra.append(f"attached_template: {rel.target}")
    variables = [f"{v.get(f'{_W}name')}: {v.get(f'{_W}val')}" for v in root.iter(f"{_W}docVar") if v.get(f"{_W}val")]
    return extra, variables

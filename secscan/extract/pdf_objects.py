"""The PDF layers outside the page content: annotations, form fields, metadata, files.

Everything here walks pdfminer's object graph, which a hostile file can make cyclic or
arbitrarily deep: every walk keeps a visited set and a node budget.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree
from msgspec import Struct
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import PSLiteral
from pdfminer.utils import decode_text

from secscan.extract.base import Limits, meaningful

_MAX_NODES = 20_000
_MAX_XMP_BYTES = 4 * 1024 * 1024
_MAX_VALUE_CHARS = 20_000

# Info-dict keys (ISO 32000-1 §14.3.3) and the names a reviewer reads.
INFO_LABELS = {
    "Title": "标题", "Author": "作者", "Subject": "主题", "Keywords": "关键词",
    "Creator": "创建程序", "Producer": "生成程序", "Company": "单位", "SourceModified": "源文件修改",
}
# Dates and the names of the producing software are not leaks; the people are.
_INFO_SKIP = frozenset({"CreationDate", "ModDate", "Trapped", "Producer", "Creator"})
# XMP properties that never carry prose: dates, identifiers, technical flags.
_XMP_SKIP = frozenset({
    "CreateDate", "ModifyDate", "MetadataDate", "DocumentID", "InstanceID", "OriginalDocumentID",
    "format", "Trapped", "PDFVersion", "part", "conformance", "about", "lang", "li-lang",
    "CreatorTool", "Producer",
})
_XMP_PARSER_OPTS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False, "remove_comments": True, "recover": True}


def resolve(value: Any) -> Any:
    """Follow indirect references; a dangling or broken one is ``None``."""
    try:
        return resolve1(value)
    except Exception:  # pdfminer raises several kinds on a broken xref
        return None


def as_dict(value: Any) -> dict[Any, Any]:
    value = resolve(value)
    if isinstance(value, PDFStream):
        return value.attrs
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    value = resolve(value)
    return list(value) if isinstance(value, (list, tuple)) else []


def stream_size(value: Any) -> int | None:
    """A stream's stored (possibly compressed) length, or None when it is not a stream."""
    value = resolve(value)
    if not isinstance(value, PDFStream):
        return None
    return len(value.rawdata if value.rawdata is not None else value.data or b"")


def stream_data(value: Any, cap: int) -> bytes | None:
    """A stream's decoded bytes, or None when it is not a stream or is over ``cap``.

    The stored length is checked first; the decoded length is bounded by the extraction
    process's memory cap (see :mod:`secscan.extract.isolate`).
    """
    size = stream_size(value)
    if size is None or size > cap:
        return None
    data = resolve(value).get_data()
    return data if len(data) <= cap else None


def pdf_text(value: Any) -> str:
    """A PDF text string or name as ``str`` (UTF-16BE/UTF-8 BOM, PDFDocEncoding, or GB18030).

    Chinese producers often write GB18030 bytes without a BOM; those are tried before
    falling back to PDFDocEncoding.
    """

    value = resolve(value)
    if isinstance(value, PSLiteral):
        return str(value.name)
    if isinstance(value, str):
        return value
    if not isinstance(value, bytes):
        return "" if value is None else str(value) if isinstance(value, (int, float)) else ""
    if value.startswith((b"\xfe\xff", b"\xff\xfe")):
        return value.decode("utf-16", "replace")[:_MAX_VALUE_CHARS]
    if value.startswith(b"\xef\xbb\xbf"):
        return value[3:].decode("utf-8", "replace")[:_MAX_VALUE_CHARS]
    if value.isascii():
        return value.decode("ascii")[:_MAX_VALUE_CHARS]
    for encoding in ("utf-8", "gb18030"):
        try:
            return value.decode(encoding)[:_MAX_VALUE_CHARS]
        except UnicodeDecodeError:
            continue
    return decode_text(value)[:_MAX_VALUE_CHARS]


def _clean(text: str) -> str:
    return " ".join(text.replace("\x00", "").split())


# -- metadata --------------------------------------------------------------------------
def info_lines(doc: Any) -> list[str]:

    lines = []
    for info in doc.info[:4]:
        for key, value in as_dict(info).items():
            key = str(key)
            text = _clean(pdf_text(value))
            if key not in _INFO_SKIP and meaningful(text):
                lines.append(f"{INFO_LABELS.get(key, key)}: {text}")
    return lines


def xmp_lines(doc: Any, limits: Limits) -> list[str]:
    """Property values of the catalog's XMP packet, read with a hardened XML parser.

    No DTD, no entity expansion, no network; malformed packets are read in recover mode.
    """
    meta = resolve(as_dict(doc.catalog).get("Metadata"))
    raw = stream_data(meta, _MAX_XMP_BYTES)
    if not raw:
        return []
    parser = etree.XMLParser(**_XMP_PARSER_OPTS)
    try:
        root = etree.fromstring(raw.strip(), parser=parser)
    except etree.XMLSyntaxError:
        return []
    if root is None:
        return []
    lines = []
    for n, el in enumerate(root.iter()):
        if n % 2000 == 0:
            limits.check_time()
        if not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        for attr, value in el.attrib.items():
            attr_name = etree.QName(attr).localname
            if attr_name not in _XMP_SKIP and _clean(value) and not attr.startswith("{http://www.w3.org/1999/02/22-rdf"):
                lines.append(f"XMP {attr_name}: {_clean(value)}")
        children = list(el)
        if any(isinstance(c.tag, str) for c in children):
            continue  # not a leaf; unresolved entity references are children too
        text = _clean((el.text or "") + "".join(c.tail or "" for c in children))
        if text:
            parent = el.getparent()
            while parent is not None and etree.QName(parent).namespace in {"http://www.w3.org/1999/02/22-rdf-syntax-ns#"}:
                parent = parent.getparent()
            prop = etree.QName(parent).localname if name == "li" and parent is not None else name
            if prop not in _XMP_SKIP and meaningful(text):
                lines.append(f"XMP {prop}: {text}")
    return lines


def metadata_lines(doc: Any, limits: Limits) -> list[str]:
    lines = info_lines(doc)
    seen = {line.split(": ", 1)[1] for line in lines}
    for line in xmp_lines(doc, limits):
        if line.split(": ", 1)[1] not in seen:
            seen.add(line.split(": ", 1)[1])
            lines.append(line)
    return lines


# -- annotations -----------------------------------------------------------------------
class Annotation(Struct, frozen=True):
    subtype: str
    text: str
    author: str
    link: str | None
    filespec: Any


_SKIP_ANNOTS = frozenset({"Popup", "Widget"})  # popups repeat their parent; widgets are form fields


def annotations(page: Any) -> Iterator[Annotation]:

    for raw in as_list(page.annots)[:_MAX_NODES]:
        annot = as_dict(raw)
        subtype = pdf_text(annot.get("Subtype"))
        if subtype in _SKIP_ANNOTS:
            continue
        pieces = [pdf_text(annot.get(k)) for k in ("Subj", "Contents")]
        if not pieces[1]:
            pieces.append(_rich_text(pdf_text(annot.get("RC"))))
        text = _clean(" ".join(p for p in pieces if p))
        action = as_dict(annot.get("A"))
        link = pdf_text(action.get("URI")) or _filespec_name(action.get("F")) or None
        filespec = resolve(annot.get("FS")) if subtype == "FileAttachment" else None
        yield Annotation(subtype, text, _clean(pdf_text(annot.get("T"))), link, filespec)


def _rich_text(xhtml: str) -> str:
    if not xhtml:
        return ""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True)
    try:
        root = etree.fromstring(xhtml.encode("utf-8"), parser=parser)
    except etree.XMLSyntaxError:
        return ""
    return "" if root is None else " ".join(root.itertext())


# -- form fields -----------------------------------------------------------------------
def form_lines(doc: Any, limits: Limits) -> list[str]:
    """``name: value`` for every AcroForm field with a value or tooltip (fully qualified names)."""

    form = as_dict(as_dict(doc.catalog).get("AcroForm"))
    stack = [(f, "") for f in reversed(as_list(form.get("Fields")))]
    seen: set[int] = set()
    lines = []
    while stack and len(seen) < _MAX_NODES:
        ref, prefix = stack.pop()
        field = resolve(ref)
        if not isinstance(field, dict) or id(field) in seen:
            continue
        seen.add(id(field))
        if len(seen) % 500 == 0:
            limits.check_time()
        partial = pdf_text(field.get("T"))
        name = f"{prefix}.{partial}" if prefix and partial else partial or prefix
        value = resolve(field.get("V"))
        values = [pdf_text(v) for v in value] if isinstance(value, list) else [pdf_text(value)]
        shown = _clean(" ".join(v for v in values if v and v != "Off"))
        tooltip = _clean(pdf_text(field.get("TU")))
        if shown or tooltip:
            lines.append(f"{name or '未命名域'}: {shown}" + (f"({tooltip})" if tooltip else ""))
        stack.extend((kid, name) for kid in reversed(as_list(field.get("Kids"))))
    return lines


# -- embedded files --------------------------------------------------------------------
def _filespec_name(spec: Any) -> str:

    spec = resolve(spec)
    if isinstance(spec, bytes):
        return pdf_text(spec)
    spec = as_dict(spec)
    for key in ("UF", "F", "Unix", "DOS"):
        name = pdf_text(spec.get(key))
        if name:
            return name
    return ""


def embedded_files(doc: Any) -> Iterator[tuple[str, Any]]:
    """(file name, file stream or None) from the catalog's EmbeddedFiles name tree."""

    names = as_dict(as_dict(doc.catalog).get("Names"))
    stack = [names.get("EmbeddedFiles")]
    seen: set[int] = set()
    while stack and len(seen) < _MAX_NODES:
        node = resolve(stack.pop())
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        pairs = as_list(node.get("Names"))
        for i in range(0, len(pairs) - 1, 2):
            yield filespec_entry(pairs[i + 1], pdf_text(pairs[i]))
        stack.extend(reversed(as_list(node.get("Kids"))))


def filespec_entry(spec: Any, fallback: str = "") -> tuple[str, Any]:

    d = as_dict(spec)
    streams = as_dict(d.get("EF"))
    stream = resolve(streams.get("UF") or streams.get("F"))
    return _filespec_name(spec) or fallback or "未命名附件", stream

"""Word package parts outside the document's stories: custom XML data and imported chunks.

* ``customXml/item*.xml`` (ECMA-376 Part 1 §15.2.5) hold data the document carries but
  does not print: values bound to content controls, Word's cover-page properties
  (abstract, company address and phone), SharePoint columns (owners, 密级 fields).
  Every element with text becomes a ``name: value`` line of a ``hidden_text`` part.
* ``w:altChunk`` (§17.17.2.1) imports another file — HTML, MHT, plain text, another
  docx — that Word merges into the page when it opens the document.  The chunk is read
  with the extractor for its own format (:func:`secscan.extract.archive.extract_nested`),
  so its text and its own hidden layers are scanned, labelled with the chunk's path.

Both are read through :class:`secscan.extract.ooxml.Package` (capped zip, hardened XML).
"""

from __future__ import annotations

import email
import email.policy
import posixpath
import re

from msgspec import Struct

from secscan.extract.archive import extract_nested
from secscan.extract.base import ExtractionAborted, Limits, meaningful
from secscan.extract.ooxml import Package, local
from secscan.types import ErrorKind, Part, PartKind, ReadError

_ITEM_RE = re.compile(r"^customXml/item\d+\.xml$", re.I)
# Schemas and references, not data: SharePoint's content-type schema, an empty XSD.
_SCHEMA_ROOTS = frozenset({"contentTypeSchema", "schema", "schemaLibrary"})
MAX_LINE_CHARS = 2_000


class Chunks(Struct, frozen=True):
    parts: tuple[Part, ...]
    errors: tuple[ReadError, ...]
    links: tuple[str, ...]


def custom_xml_parts(pkg: Package) -> list[Part]:
    """One ``hidden_text`` part per custom XML data item that holds text."""
    parts = []
    for name in sorted(n for n in pkg.names() if _ITEM_RE.match(n)):
        root = pkg.xml(name)
        if local(root) in _SCHEMA_ROOTS:
            continue
        lines = []
        for el in root.iter():
            text = " ".join((el.text or "").split())[:MAX_LINE_CHARS]
            if isinstance(el.tag, str) and meaningful(text):
                lines.append(f"{local(el)}: {text}")
        if lines:
            parts.append(Part(PartKind.HIDDEN_TEXT, "\n".join(lines), label=f"自定义XML数据 {name}", first_paragraph=None))
    return parts


def alt_chunks(pkg: Package, limits: Limits) -> Chunks:
    """Every file imported with ``w:altChunk``, from any story of the document, read."""
    targets: dict[str, None] = {}
    for name in pkg.names():
        folder, base = posixpath.split(name)
        if folder.startswith("word") and folder.endswith("_rels") and base.endswith(".rels"):
            source = posixpath.join(posixpath.dirname(folder), base[: -len(".rels")])
            for rel in pkg.rels(source):
                if rel.type.lower() == "afchunk" and not rel.external and pkg.has(rel.target):
                    targets.setdefault(rel.target, None)
    parts: list[Part] = []
    errors: list[ReadError] = []
    links: list[str] = []
    for target in targets:
        label = f"导入内容(altChunk) {target}"
        try:
            data = _unwrap_mht(pkg.read(target))
        except ExtractionAborted as exc:
            if exc.kind is ErrorKind.TIMEOUT:
                raise
            errors.append(ReadError(exc.kind, f"{label}:{exc.message}"))
            continue
        if data.lstrip()[:5] == b"{\\rtf":
            errors.append(ReadError(ErrorKind.UNSUPPORTED, f"{label}:导入的RTF内容未能读取,请人工核对"))
            continue
        nested = extract_nested(data, label, limits)
        parts += nested.parts
        errors += nested.errors
        links += nested.links
    return Chunks(tuple(parts), tuple(errors), tuple(links))


def _unwrap_mht(data: bytes) -> bytes:
    """The HTML inside an MHT (MIME HTML, RFC 2557) chunk; other data unchanged."""
    head = data[:2048].lower()
    if b"mime-version" not in head or b"multipart/related" not in head:
        return data
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for piece in message.walk():
        if piece.get_content_type() == "text/html":
            payload = piece.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = piece.get_content_charset()
                if charset and b"charset" not in payload[:1024].lower():
                    # The charset is in the MIME header only: say it where the HTML reader looks.
                    payload = f'<meta charset="{charset}">'.encode("ascii", "replace") + payload
                return payload
    return data

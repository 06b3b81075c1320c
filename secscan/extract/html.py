"""HTML: visible text by blocks, the title, and every layer a reader does not see.

Parsed with lxml's HTML parser: no network, no DTD, entities never expanded (a
billion-laughs or external-entity DOCTYPE stays inert text).  The tree is walked without
recursion, so nesting depth costs no Python stack; a page the parser had to cut short
(nesting beyond libxml2's hard limit) gets an error instead of a silent partial read.

Parts besides ``title`` and ``body``:

* ``html_comment`` — ``<!-- … -->`` comments;
* ``html_hidden`` — elements hidden by the ``hidden`` attribute, a hiding utility class,
  or an inline style (``display:none``, ``visibility:hidden``, ``opacity:0``, zero font
  size, zero size with overflow clipped, off-screen positioning, ``clip``) or by a rule
  of the page's own ``<style>`` blocks (:mod:`secscan.extract.html_css`), plus
  ``<noscript>``, ``<template>`` and ``<input type=hidden>`` values that hold data;
* ``html_script`` — string literals and comments in ``<script>`` that hold data (CJK text
  or long digit runs: names, ID numbers, phone numbers), JSON blocks included;
* ``html_attribute`` — ``alt``, ``title``, ``aria-label``, ``placeholder`` and data
  attributes that hold data;
* ``metadata`` — ``<meta name|property=… content=…>``.

Links to attachments (office files, PDF, OFD, archives) become ``Document.links`` so an
audit can follow them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

import lxml.html
from lxml import etree
from msgspec import Struct, field

from secscan.extract.base import ExtractionAborted, Limits
from secscan.extract.html_css import declarations, hidden_by_style, is_zero, stylesheet_hiding
from secscan.extract.text import clean_newlines, decode
from secscan.types import Document, ErrorKind, Part, PartKind, ReadError

BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table tr td th ul caption tbody thead tfoot".split()
)
# Never rendered as text; ``script``, ``noscript`` and ``template`` are read separately.
SKIP_TAGS = frozenset({"style", "title", "svg", "object", "iframe", "math", "embed", "audio", "video", "canvas"})
HIDDEN_CONTAINERS = frozenset({"noscript", "template"})
HIDING_CLASSES = frozenset({"hidden", "hide", "d-none", "invisible", "visually-hidden", "sr-only"})
TEXT_ATTRIBUTES = frozenset({"alt", "title", "aria-label", "placeholder", "summary", "label"})
ATTACHMENT_EXTENSIONS = frozenset(
    "pdf doc docx docm dot dotx xls xlsx xlsm xlt et ppt pptx pps ppsx dps wps wpt ofd rtf txt csv zip rar 7z gz tar".split()
)
_LINK_ATTRIBUTES = (("a", "href"), ("area", "href"), ("iframe", "src"), ("embed", "src"), ("object", "data"))

_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([-\w]+)", re.I)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
_SPACES_RE = re.compile(r"[ \t\r\f\v]+")
# Text "holds data" when it has CJK characters or a digit run as long as a mobile number.
_DATA_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]|\d{11,}")
# One left-to-right pass over script source: strings, template literals and comments.
# Each alternative is linear (no nested quantifiers), so hostile scripts cannot backtrack.
_JS_TOKEN_RE = re.compile(
    r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'|`((?:[^`\\]|\\.)*)`|/\*(.*?)\*/|//([^\n]*)',
    re.S,
)
_JS_ESCAPE_RE = re.compile(r"\\(u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_JS_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "", "b": "", "f": "", "v": "", "0": ""}


def decode_html(data: bytes) -> tuple[str, list[ReadError]]:
    declared = _CHARSET_RE.search(data[:4096])
    if declared:
        encoding = declared.group(1).decode("ascii", "replace").lower()
        if encoding in {"gbk", "gb2312", "gb_2312-80", "x-gbk"}:
            encoding = "gb18030"
        try:
            return data.decode(encoding), []
        except (UnicodeDecodeError, LookupError):
            pass
    text, _enc, errors = decode(data)
    return text, errors


def holds_data(text: str) -> bool:
    return bool(_DATA_RE.search(text))


# -- hidden by attributes ------------------------------------------------------------
def hiding_reason(attrs: Mapping[str, str]) -> str | None:
    """Why an element with these attributes is not shown (a short label), or None."""
    if "hidden" in attrs:
        return "hidden属性"
    style = attrs.get("style") or ""
    classes = HIDING_CLASSES.intersection(attrs.get("class", "").lower().split())
    if classes and declarations(style).get("display", "none") == "none":  # style="display:block" wins
        return f"class={min(classes)}"
    if is_zero(attrs.get("width")) and is_zero(attrs.get("height")):
        return "零尺寸"
    return hidden_by_style(style) if style else None


# -- script ----------------------------------------------------------------------------
def _unescape_js(raw: str) -> str:
    def one(match: re.Match[str]) -> str:
        esc = match.group(1)
        if esc[0] == "u" and len(esc) > 1:
            code = int(esc[2:-1] if esc[1] == "{" else esc[1:], 16)
            return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        if esc[0] == "x" and len(esc) == 3:
            return chr(int(esc[1:], 16))
        return _JS_SIMPLE_ESCAPES.get(esc, esc if esc != "\n" else "")

    return _JS_ESCAPE_RE.sub(one, raw) if "\\" in raw else raw


def script_data(source: str) -> list[str]:
    """String literals and comments of a script (or JSON) that hold data, decoded."""
    out = []
    for match in _JS_TOKEN_RE.finditer(source):
        group = match.lastindex or 1
        raw = match.group(group) or ""
        text = _unescape_js(raw) if group <= 3 else raw
        text = " ".join(text.split())
        if text and holds_data(text):
            out.append(text)
    return out


# -- links -----------------------------------------------------------------------------
def is_attachment(url: str) -> bool:
    path = url.split("#", 1)[0]
    path, _, query = path.partition("?")
    candidates = [path, *query.replace("&", "=").split("=")]
    for item in candidates:
        stem, dot, ext = item.rpartition(".")
        if dot and stem and ext.lower() in ATTACHMENT_EXTENSIONS:
            return True
    return False


def attachment_links(root: etree._Element) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for tag, attr in _LINK_ATTRIBUTES:
        for el in root.iter(tag):
            url = (el.get(attr) or "").strip()
            if url and not url.lower().startswith(("javascript:", "mailto:", "data:")) and (
                is_attachment(url) or (tag == "a" and el.get("download") is not None)
            ):
                seen.setdefault(url, None)
    return tuple(seen)


# -- the walk --------------------------------------------------------------------------
class _Layers(Struct):
    hidden: list[tuple[str, str]] = field(default_factory=list)  # (label, text)
    comments: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)
    styled: dict[etree._Element, str] = field(default_factory=dict)  # input: hidden by the page's <style>


def _attribute_lines(attrs: Mapping[str, str], tag: str) -> Iterator[str]:
    for name, value in attrs.items():
        if (name in TEXT_ATTRIBUTES or name.startswith("data-")) and holds_data(value):
            yield f"{tag}@{name}: {' '.join(value.split())}"


def _walk(root: etree._Element, body: list[str], layers: _Layers, limits: Limits) -> None:
    """Depth-first over the tree with an explicit stack; ``body`` gets visible text.

    A hidden element collects its whole subtree into a buffer of its own, which becomes
    one ``html_hidden`` entry when the element closes.
    """
    # Frames: ("open", element, parent_buffer) or ("close", element, parent_buffer, own_buffer, label).
    stack: list[tuple] = [("open", root, body)]
    steps = 0
    while stack:
        frame = stack.pop()
        steps += 1
        if steps % 2000 == 0:
            limits.check_time()
        if frame[0] == "close":
            _, el, parent, own, label = frame
            if el.tag.lower() in BLOCK_TAGS:
                own.append("\n")
            if label:
                text = tidy("".join(own))
                if text:
                    layers.hidden.append((label, text))
            if el.tail:
                parent.append(el.tail)
            continue
        _, el, parent = frame
        if isinstance(el, etree._Comment):
            text = tidy(el.text or "")
            if text:
                layers.comments.append(text)
        elif isinstance(el.tag, str):
            _open(el, parent, stack, layers)
            continue
        if el.tail:  # comments, processing instructions, entities
            parent.append(el.tail)


def _open(el: etree._Element, parent: list[str], stack: list[tuple], layers: _Layers) -> None:
    tag = el.tag.lower()
    attrs = dict(el.items())
    if attrs:
        layers.attributes.extend(_attribute_lines(attrs, tag))
    if tag == "script":
        found = script_data(el.text or "")
        if found:
            layers.scripts.append("\n".join(found))
    elif tag == "input" and attrs.get("type", "").lower() == "hidden":
        value = attrs.get("value", "").strip()
        if value and holds_data(value):
            layers.hidden.append((f"<input type=hidden name={attrs.get('name', '')}>", value))
    if tag == "script" or tag in SKIP_TAGS:
        if el.tail:
            parent.append(el.tail)
        return
    reason = tag if tag in HIDDEN_CONTAINERS else (hiding_reason(attrs) if attrs else None) or layers.styled.get(el)
    label = f"<{tag}> {reason}" if reason and reason != tag else (f"<{tag}>" if reason else None)
    own: list[str] = [] if label else parent
    if tag in BLOCK_TAGS:
        own.append("\n")
    if el.text:
        own.append(el.text)
    stack.append(("close", el, parent, own, label))
    children = list(el)
    if children:
        stack.extend([("open", child, own) for child in reversed(children)])


def tidy(text: str) -> str:
    lines = (_SPACES_RE.sub(" ", line).strip() for line in clean_newlines(text).split("\n"))
    return "\n".join(line for line in lines if line)


def _meta_lines(root: etree._Element) -> list[str]:
    lines = []
    for meta in root.iter("meta"):
        key = meta.get("name") or meta.get("property") or meta.get("itemprop")
        value = " ".join((meta.get("content") or "").split())
        if key and value:
            lines.append(f"{key}: {value}")
    return lines


def _parse(text: str) -> tuple[etree._Element, list[ReadError]]:
    # huge_tree lifts libxml2's 256-level depth cap (the walk is iterative); the text
    # length was bounded before parsing, and the HTML parser never expands entities.
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=False, remove_pis=True, huge_tree=True)
    try:
        root = lxml.html.document_fromstring(text or "<html></html>", parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionAborted(ErrorKind.CORRUPT, f"网页无法解析:{exc}") from exc
    fatal = [e for e in parser.error_log if e.level_name == "FATAL"]
    errors = []
    if fatal:
        errors.append(ReadError(ErrorKind.CORRUPT, f"网页结构异常(如嵌套过深),第{fatal[0].line}行起的内容未能读取:{fatal[0].message}"))
    return root, errors


def extract(data: bytes, name: str, limits: Limits) -> Document:
    text, errors = decode_html(data)
    text = _XML_DECL_RE.sub("", text).replace("\x00", "\ufffd")
    if len(text) > limits.max_chars:
        raise ExtractionAborted(ErrorKind.TOO_LARGE, f"网页长度超过上限{limits.max_chars}字符")
    root, parse_errors = _parse(text)
    errors.extend(parse_errors)
    layers = _Layers(styled=stylesheet_hiding(root, limits))
    body_out: list[str] = []
    for top in root:
        _walk(top, body_out, layers, limits)
    parts = []
    title = tidy(" ".join(t.text_content() for t in root.iter("title")))
    if title:
        parts.append(Part(PartKind.TITLE, title))
    body = tidy("".join(body_out))
    if body:
        parts.append(Part(PartKind.BODY, body))
    meta = _meta_lines(root)
    if meta:
        # <meta> description/keywords are on every CMS page and shown by search engines:
        # scanned by every detector, but not a hidden layer of their own.
        parts.append(Part(PartKind.HTML_ATTRIBUTE, "\n".join(meta), first_paragraph=None, label="meta"))
    if layers.attributes:
        parts.append(Part(PartKind.HTML_ATTRIBUTE, "\n".join(dict.fromkeys(layers.attributes)), first_paragraph=None))
    for i, (label, hidden) in enumerate(layers.hidden, 1):
        parts.append(Part(PartKind.HTML_HIDDEN, hidden, first_paragraph=None, label=f"#{i} {label}"))
    for kind, texts, prefix in ((PartKind.HTML_COMMENT, layers.comments, "注释"), (PartKind.HTML_SCRIPT, layers.scripts, "脚本")):
        for i, text in enumerate(texts, 1):
            parts.append(Part(kind, text, first_paragraph=None, label=f"{prefix}{i}"))
    return Document(name, "text/html", tuple(parts), tuple(errors), attachment_links(root))

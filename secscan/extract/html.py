"""HTML: visible text by blocks, the title, and the hidden layers as their own parts.

Parsed with lxml's HTML parser (no network, no entities resolved).  Hidden layers:
comments (``html_comment``) and elements hidden by the ``hidden`` attribute or an inline
``display:none`` / ``visibility:hidden`` style (``html_hidden``).
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from secscan.extract.base import ExtractionAborted, Limits
from secscan.extract.text import clean_newlines, decode
from secscan.types import Document, ErrorKind, Part, PartKind

BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table tr td th ul caption tbody thead tfoot".split()
)
SKIP_TAGS = frozenset({"script", "style", "template", "head", "noscript", "svg", "object", "iframe"})
_HIDDEN_STYLE_RE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d])|(?<![-\w])(?:width|height)\s*:\s*0(?:px)?\s*(?:;|$)",
    re.I,
)
_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([-\w]+)", re.I)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
_SPACES_RE = re.compile(r"[ \t\r\f\v]+")


def is_hidden(el: etree._Element) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true" and el.get("style"):
        return True
    if (el.get("type") or "").lower() == "hidden":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE_RE.search(style))


def decode_html(data: bytes) -> tuple[str, list]:
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


class _Collector:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.visible: list[str] = []
        self.hidden: list[str] = []
        self.comments: list[str] = []
        self.nodes = 0

    def walk(self, el: etree._Element, out: list[str]) -> None:
        self.nodes += 1
        if self.nodes % 2000 == 0:
            self.limits.check_time()
        if isinstance(el, etree._Comment):
            text = (el.text or "").strip()
            if text:
                self.comments.append(text)
            if el.tail:
                out.append(el.tail)
            return
        if not isinstance(el.tag, str):  # processing instructions, entities
            if el.tail:
                out.append(el.tail)
            return
        tag = el.tag.lower()
        if tag in SKIP_TAGS:
            if el.tail:
                out.append(el.tail)
            return
        target = out
        if is_hidden(el):
            target = []
        block = tag in BLOCK_TAGS
        if block:
            target.append("\n")
        if el.text:
            target.append(el.text)
        for child in el:
            self.walk(child, target)
        if block:
            target.append("\n")
        if target is not out:
            text = _tidy("".join(target))
            if text:
                self.hidden.append(text)
        if el.tail:
            out.append(el.tail)


def _tidy(text: str) -> str:
    lines = (_SPACES_RE.sub(" ", line).strip() for line in clean_newlines(text).split("\n"))
    return "\n".join(line for line in lines if line)


def extract(data: bytes, name: str, limits: Limits) -> Document:
    text, errors = decode_html(data)
    text = _XML_DECL_RE.sub("", text)
    if len(text) > limits.max_chars:
        raise ExtractionAborted(ErrorKind.TOO_LARGE, f"网页长度超过上限{limits.max_chars}字符")
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=False, huge_tree=False)
    try:
        root = lxml.html.document_fromstring(text or "<html></html>", parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionAborted(ErrorKind.CORRUPT, f"网页无法解析:{exc}") from exc
    collector = _Collector(limits)
    title = _tidy(" ".join(t.text_content() for t in root.iter("title")))
    body_out: list[str] = []
    for top in root:
        collector.walk(top, body_out)
    parts = []
    if title:
        parts.append(Part(PartKind.TITLE, title))
    body = _tidy("".join(body_out))
    if body:
        parts.append(Part(PartKind.BODY, body))
    for kind, texts in ((PartKind.HTML_HIDDEN, collector.hidden), (PartKind.HTML_COMMENT, collector.comments)):
        for i, hidden in enumerate(texts, 1):
            parts.append(Part(kind, _tidy(hidden), first_paragraph=None, label=f"#{i}"))
    return Document(name, "text/html", tuple(parts), tuple(errors))

"""The PDF reader behind :mod:`secscan.extract.pdf` (which documents what it reads)."""

from __future__ import annotations

import io
import re
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace
from pdfminer.layout import LAParams, LTImage, LTTextContainer
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser

from secscan.extract.archive import extract_nested
from secscan.extract.base import ExtractionAborted, Limits
from secscan.extract.pdf_cover import cover_text, drop_objects, find_covers, glyph_lines, paint_order
from secscan.extract.pdf_invisible import TaggingAggregator, find_unseen
from secscan.extract.pdf_objects import (
    annotations,
    as_dict,
    embedded_files,
    filespec_entry,
    form_lines,
    metadata_lines,
    stream_data,
    stream_size,
)
from secscan.types import Document, ErrorKind, Part, PartKind, ReadError

MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024
# A page is a scan when images cover most of it and its text is no more than a page
# number or a stamp.
_SCAN_IMAGE_SHARE = 0.5
_SCAN_MAX_CHARS = 20
# pdfminer writes a glyph it cannot map to Unicode as "(cid:123)".
_CID_RE = re.compile(r"\(cid:\d+\)")


class _Reader(Struct):
    name: str
    limits: Limits
    parts: list[Part] = field(default_factory=list)
    errors: list[ReadError] = field(default_factory=list)
    links: dict[str, None] = field(default_factory=dict)
    image_pages: list[int] = field(default_factory=list)
    attachments: list[tuple[str, Any]] = field(default_factory=list)
    chars: int = 0
    pages: int = 0

    def add(self, part: Part) -> None:
        self.chars += len(part.text)
        if self.chars > self.limits.max_chars:
            raise ExtractionAborted(ErrorKind.TOO_LARGE, f"文本长度超过上限{self.limits.max_chars}字符")
        self.parts.append(part)

    # -- pages ------------------------------------------------------------------------
    def read_pages(self, doc: Any) -> None:
        manager = PDFResourceManager(caching=True)
        # No layout analysis at render time: the raw objects keep their paint order,
        # which the redaction check needs; the page is analysed afterwards.
        device = TaggingAggregator(manager, laparams=None)
        interpreter = PDFPageInterpreter(manager, device)
        pages = PDFPage.create_pages(doc)
        while True:
            try:
                page = next(pages, None)
            except ExtractionAborted:
                raise
            except Exception as exc:  # a broken page tree: keep what was read
                self._broken(exc)
                return
            if page is None:
                return
            self.pages += 1
            self.limits.check_time()
            try:
                interpreter.process_page(page)
                self._page(self.pages, device.get_result())
            except (ExtractionAborted, MemoryError):
                raise
            except Exception as exc:  # pdfminer raises many kinds on hostile pages
                self.errors.append(ReadError(ErrorKind.CORRUPT, f"第{self.pages}页无法解析,该页内容未审查:{type(exc).__name__}: {exc}"))
            self._annotations(self.pages, page)

    def _broken(self, exc: Exception) -> None:
        where = f"第{self.pages + 1}页起" if self.pages else "页面树"
        self.errors.append(ReadError(ErrorKind.CORRUPT, f"PDF结构损坏,{where}的内容未能读取:{type(exc).__name__}: {exc}"))

    def _page(self, number: int, layout: Any) -> None:
        objects = list(paint_order(layout))
        unseen = find_unseen(objects, layout)
        doomed = {id(ch) for group in unseen for ch in group.chars}
        covers = find_covers([o for o in objects if id(o) not in doomed])
        doomed.update(id(ch) for cover in covers for ch in cover.chars)
        if doomed:
            drop_objects(layout, doomed)
        layout.analyze(LAParams(all_texts=True))
        texts: list[str] = []
        stack = list(layout)
        while stack:
            obj = stack.pop()
            if isinstance(obj, LTTextContainer):
                texts.append(obj.get_text())
            elif hasattr(obj, "_objs"):
                stack.extend(obj)
        text = "".join(reversed(texts)).replace("\x0c", "").strip("\n")
        if text.strip():
            self.add(Part(PartKind.BODY, text, page=number))
        undecodable = len(_CID_RE.findall(text))
        if undecodable:
            self.errors.append(ReadError(ErrorKind.CORRUPT, f"第{number}页有{undecodable}个字符无法解码为文字(字体缺少编码映射),该页未能完整审查"))
        for k, cover in enumerate(covers, 1):
            hidden = cover_text(cover)
            if hidden:
                shade = "黑色" if cover.dark else ""
                self.add(Part(PartKind.REDACTED, hidden, page=number, first_paragraph=None, label=f"第{number}页{shade}遮盖框{k}"))
        for group in unseen:
            hidden = glyph_lines(group.chars)
            if hidden:
                self.add(Part(PartKind.HIDDEN_TEXT, hidden, page=number, first_paragraph=None, label=f"第{number}页{group.why}"))
        page_area = max(1.0, layout.width * layout.height)
        image_area = sum(o.width * o.height for o in objects if isinstance(o, LTImage))
        visible_chars = len("".join(text.split()))
        if (image_area and not visible_chars) or (image_area >= _SCAN_IMAGE_SHARE * page_area and visible_chars <= _SCAN_MAX_CHARS):
            self.image_pages.append(number)

    def _annotations(self, number: int, page: Any) -> None:
        lines = []
        for annot in annotations(page):
            if annot.link:
                self.links.setdefault(annot.link, None)
            if annot.filespec is not None:
                self.attachments.append(filespec_entry(annot.filespec))
            if annot.text:
                who = f"{annot.subtype} {annot.author}".strip()
                lines.append(f"[{who}] {annot.text}")
        if lines:
            self.add(Part(PartKind.ANNOTATION, "\n".join(lines), page=number, first_paragraph=None, label=f"第{number}页注释"))

    # -- document-level layers ----------------------------------------------------------
    def read_layers(self, doc: Any) -> None:
        for kind, read, label in (
            (PartKind.FORM_FIELD, form_lines, "表单域"),
            (PartKind.METADATA, metadata_lines, "PDF文档属性"),
        ):
            try:
                lines = read(doc, self.limits)
            except (ExtractionAborted, MemoryError):
                raise
            except Exception as exc:
                self.errors.append(ReadError(ErrorKind.CORRUPT, f"{label}无法读取:{type(exc).__name__}: {exc}"))
                continue
            if lines:
                self.add(Part(kind, "\n".join(lines), first_paragraph=None, label=label))
        expected = as_dict(as_dict(doc.catalog).get("Pages")).get("Count")
        if isinstance(expected, int) and 0 <= self.pages < expected and not self.errors:
            self.errors.append(ReadError(ErrorKind.CORRUPT, f"PDF声明{expected}页,只读到{self.pages}页,其余页未审查"))
        try:
            self.attachments[0:0] = list(embedded_files(doc))
        except (ExtractionAborted, MemoryError):
            raise
        except Exception as exc:
            self.errors.append(ReadError(ErrorKind.CORRUPT, f"嵌入文件列表无法读取:{type(exc).__name__}: {exc}"))
        for file_name, stream in self.attachments:
            self._attachment(file_name, stream)

    def _attachment(self, file_name: str, stream: Any) -> None:
        label = f"附件 {file_name}"
        self.links.setdefault(f"embedded:{file_name}", None)
        size = stream_size(stream)
        if size is None:
            self.errors.append(ReadError(ErrorKind.CORRUPT, f"{label}:嵌入文件内容缺失,未审查"))
            return
        data = stream_data(stream, MAX_ATTACHMENT_BYTES) if size <= MAX_ATTACHMENT_BYTES else None
        if data is None:
            self.errors.append(ReadError(ErrorKind.TOO_LARGE, f"{label}:嵌入文件超过{MAX_ATTACHMENT_BYTES}字节,未审查"))
            return
        nested = extract_nested(data, label, self.limits)
        for part in nested.parts:
            # The attachment's own text is not on any page of this PDF: not ``body``.
            self.add(replace(part, kind=PartKind.ATTACHMENT) if part.kind is PartKind.BODY else part)
        self.errors.extend(nested.errors)

    def document(self) -> Document:
        errors = list(self.errors)
        if self.image_pages:
            pages = "、".join(str(p) for p in self.image_pages[:20]) + ("等" if len(self.image_pages) > 20 else "")
            errors.append(ReadError(ErrorKind.IMAGE_ONLY, f"第{pages}页只有图像没有文字层(扫描件),未做OCR,无法审查其内容"))
        if not any(p.kind is PartKind.BODY for p in self.parts) and not errors:
            errors.append(ReadError(ErrorKind.IMAGE_ONLY, "PDF没有可提取的正文文字,无法审查"))
        return Document(self.name, "application/pdf", tuple(self.parts), tuple(errors), tuple(self.links))


def open_document(data: bytes) -> Any:
    """A pdfminer ``PDFDocument``; password-protected and broken files raise ExtractionAborted."""
    try:
        return PDFDocument(PDFParser(io.BytesIO(data)), password="")
    except PDFPasswordIncorrect as exc:
        raise ExtractionAborted(ErrorKind.ENCRYPTED, "PDF受密码保护(需要打开密码),无法读取内容") from exc
    except PDFEncryptionError as exc:
        raise ExtractionAborted(ErrorKind.ENCRYPTED, f"PDF使用了不支持的加密方式,无法读取内容:{exc}") from exc
    except MemoryError:
        raise
    except Exception as exc:  # PDFSyntaxError, PSException, and worse on hostile files
        raise ExtractionAborted(ErrorKind.CORRUPT, f"PDF结构损坏,无法打开:{type(exc).__name__}: {exc}") from exc


def read(data: bytes, name: str, limits: Limits) -> Document:
    doc = open_document(data)
    reader = _Reader(name, limits)
    reader.read_pages(doc)
    reader.read_layers(doc)
    return reader.document()

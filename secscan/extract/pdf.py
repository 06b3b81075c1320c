"""PDF with pdfminer.six, page by page.

A page whose text layer is empty but that carries images is image-only: an
``image_only`` error names the page, so the file is at least ``review`` (secscan does no
OCR).  Encrypted PDFs that need a password, and broken ones, are errors too.
"""

from __future__ import annotations

import io

from secscan.extract.base import ExtractionAborted, Limits
from secscan.types import Document, ErrorKind, Part, PartKind, ReadError


def _layout_text(layout, limits: Limits) -> tuple[str, bool]:  # noqa: ANN001
    from pdfminer.layout import LTFigure, LTImage, LTTextContainer

    texts: list[str] = []
    has_image = False
    stack = list(layout)
    while stack:
        obj = stack.pop(0)
        if isinstance(obj, LTTextContainer):
            texts.append(obj.get_text())
        elif isinstance(obj, (LTFigure, LTImage)):
            has_image = True
            if isinstance(obj, LTFigure):
                stack[0:0] = list(obj)
    return "".join(texts), has_image


def extract(data: bytes, name: str, limits: Limits) -> Document:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException

    parts: list[Part] = []
    errors: list[ReadError] = []
    image_pages: list[int] = []
    total = 0
    try:
        for number, layout in enumerate(extract_pages(io.BytesIO(data), laparams=LAParams()), 1):
            limits.check_time()
            text, has_image = _layout_text(layout, limits)
            text = text.replace("\x0c", "").rstrip("\n")
            total += len(text)
            if total > limits.max_chars:
                raise ExtractionAborted(ErrorKind.TOO_LARGE, f"文本长度超过上限{limits.max_chars}字符")
            if text.strip():
                parts.append(Part(PartKind.BODY, text, page=number))
            elif has_image:
                image_pages.append(number)
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise ExtractionAborted(ErrorKind.ENCRYPTED, f"PDF已加密,需要密码才能读取:{type(exc).__name__}") from exc
    except (PDFSyntaxError, PSException) as exc:
        if not parts:
            raise ExtractionAborted(ErrorKind.CORRUPT, f"PDF结构损坏:{exc}") from exc
        errors.append(ReadError(ErrorKind.CORRUPT, f"PDF在第{len(parts) + 1}页附近损坏,之后的内容未能读取:{exc}"))
    except ExtractionAborted:
        raise
    except Exception as exc:  # pdfminer raises many kinds on hostile files
        msg = f"PDF无法完整读取:{type(exc).__name__}: {exc}"
        if not parts:
            raise ExtractionAborted(ErrorKind.CORRUPT, msg) from exc
        errors.append(ReadError(ErrorKind.CORRUPT, msg))
    if image_pages:
        pages = "、".join(str(p) for p in image_pages[:20]) + ("等" if len(image_pages) > 20 else "")
        errors.append(ReadError(ErrorKind.IMAGE_ONLY, f"第{pages}页只有图像没有文字层,未做OCR,无法审查其内容"))
    if not parts and not errors:
        errors.append(ReadError(ErrorKind.IMAGE_ONLY, "PDF没有可提取的文字"))
    return Document(name, "application/pdf", tuple(parts), tuple(errors))

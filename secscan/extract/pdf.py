"""PDF with pdfminer.six: page text, text under redaction boxes, and the hidden layers.

Parts:

* ``body`` per page — the visible text layer (layout analysis, text in form XObjects too);
* ``hidden_text`` per page — glyphs no reader sees: rendering mode 3, white on white,
  outside the crop box, zero size (:mod:`secscan.extract.pdf_invisible`; the OCR layer
  of a scanned page is not one of them);
* ``redacted`` per covering shape — glyphs painted before a filled shape that hides them
  (:mod:`secscan.extract.pdf_cover`), with the page;
* ``annotation`` per page — comments, notes, free text, stamps (with their authors);
* ``form_field`` — AcroForm field values and tooltips;
* ``metadata`` — the Info dictionary and the XMP packet (ISO 32000-1 §14.3);
* embedded files (the EmbeddedFiles name tree and FileAttachment annotations) are read
  with the same extractors: their body text is ``attachment``, their hidden layers keep
  their kind, each labelled with the file name.

Errors: a PDF that needs a password is ``encrypted``; a page without a text layer but with
an image (a scan) is ``image_only`` — secscan does no OCR; broken structure is ``corrupt``
and the pages read before the break are kept.  Link targets go to ``Document.links``.
"""

from __future__ import annotations

from secscan.extract.base import Limits
from secscan.types import Document


def extract(data: bytes, name: str, limits: Limits) -> Document:
    # pdfminer takes ~150 ms to import: load it only when a PDF is actually read.
    from secscan.extract.pdf_reader import read

    return read(data, name, limits)

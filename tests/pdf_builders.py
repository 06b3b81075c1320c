"""Builders for the hidden-layer and hostile-input tests: PDFs, HTML, ID numbers.

Two ways to make a PDF: reportlab (real pages with a CJK font, annotations, form fields,
encryption) and :func:`raw_pdf`, which writes objects by hand for what reportlab cannot
make (XMP packets, embedded files, hostile object graphs), with a correct xref table.
"""

from __future__ import annotations

import io
import random
import zlib
from collections.abc import Callable

# GB 11643-1999: weights 2^(17-i) mod 11, check character "10X98765432"[sum mod 11].
_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_CHECK = "10X98765432"


def resident_id(seed: int = 1, area: str = "110105", birth: str = "19800101") -> str:
    """A valid, made-up resident ID number (GB 11643 check digit)."""
    body = f"{area}{birth}{random.Random(seed).randint(0, 999):03d}"
    return body + _CHECK[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


def reportlab_pdf(draw: Callable[..., None], **canvas_kwargs: object) -> bytes:
    """A PDF drawn by ``draw(canvas)``; the STSong-Light CID font is registered and set."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, **canvas_kwargs)
    c.setFont("STSong-Light", 14)
    draw(c)
    c.save()
    return buf.getvalue()


def text_pages(pages: list[list[str]]) -> Callable[..., None]:
    def draw(c) -> None:
        for lines in pages:
            c.setFont("STSong-Light", 14)
            for i, line in enumerate(lines):
                c.drawString(72, 800 - 24 * i, line)
            c.showPage()

    return draw


def image_page(c) -> None:
    """A page that holds only a picture, as a scanner makes it."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    img = Image.new("RGB", (400, 560), "white")
    c.drawImage(ImageReader(img), 36, 36, width=520, height=770)
    c.showPage()


def pdf_string(text: str) -> bytes:
    """A PDF text string: UTF-16BE with BOM, hex-encoded."""
    return b"<" + ("\ufeff" + text).encode("utf-16-be").hex().encode() + b">"


def stream(data: bytes, extra: bytes = b"", *, compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def raw_pdf(objects: list[bytes], *, catalog_extra: bytes = b"", content: bytes = b"BT ET", info: bytes | None = None) -> bytes:
    """A one-page PDF; ``objects`` are numbered from 5 (1–4: catalog, pages, page, content).

    ``catalog_extra`` goes into the catalog dictionary (e.g. ``/Names 5 0 R``).
    """
    base = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        stream(content),
    ]
    all_objects = base + list(objects)
    if info is not None:
        all_objects.append(info)
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(all_objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(all_objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    info_ref = b" /Info %d 0 R" % len(all_objects) if info is not None else b""
    out.write(b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(all_objects) + 1, info_ref, xref))
    return out.getvalue()


def html_page(body: str, head: str = "") -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>关于做好政务公开工作的通知</title>{head}</head>\n<body>\n{body}\n</body></html>"
    ).encode()

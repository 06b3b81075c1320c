"""Glyphs a PDF reader cannot see although they are in the text layer.

ISO 32000-1 §9.3.6 text rendering mode 3 (and 7) paints nothing; white text on a white
page, text placed outside the page's crop box (§14.11.2) and text at a zero or
sub-point size are invisible too, yet all are copied, searched and indexed.  Each such
glyph is taken out of the visible text and reported as ``hidden_text`` with its page.

One exception: the OCR layer of a scanned page is invisible text drawn over the page
image, by design — it *is* what the reader sees on the image.  Invisible glyphs over an
image covering most of the page stay in the page's body.

pdfminer does not keep the rendering mode on its ``LTChar``; :class:`TaggingAggregator`
records it on each glyph, and the crop box of each page, while the page is rendered.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from msgspec import Struct
from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LTChar, LTCurve, LTImage
from pdfminer.utils import apply_matrix_rect

_INVISIBLE_MODES = frozenset({3, 7})
_FILL_ONLY_MODES = frozenset({0, 4})  # fill (and clip): the glyph shows in its fill colour
_WHITE = 0.95
_MIN_SIZE = 1.0  # pt: nothing smaller is legible on screen or in print
_SCAN_IMAGE_SHARE = 0.5
_EDGE = 1.0  # pt of tolerance at the crop box edge


class TaggingAggregator(PDFPageAggregator):
    """A raw-layout aggregator that tags glyphs with ``render_mode`` and pages with ``crop``."""

    def begin_page(self, page: Any, ctm: Any) -> None:
        super().begin_page(page, ctm)
        x0, y0, x1, y1 = apply_matrix_rect(ctm, _intersect(page.cropbox, page.mediabox))
        self.cur_item.crop = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))  # type: ignore[attr-defined]

    def render_string(self, textstate: Any, seq: Any, ncs: Any, graphicstate: Any) -> None:
        self._render_mode = textstate.render
        super().render_string(textstate, seq, ncs, graphicstate)

    def render_char(self, *args: Any, **kwargs: Any) -> float:
        adv = super().render_char(*args, **kwargs)
        self.cur_item._objs[-1].render_mode = getattr(self, "_render_mode", 0)  # type: ignore[attr-defined]
        return adv


def _intersect(a: Any, b: Any) -> tuple[float, float, float, float]:
    try:
        box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    except (TypeError, IndexError):
        return tuple(b)  # type: ignore[return-value]
    return box if box[0] < box[2] and box[1] < box[3] else tuple(b)  # type: ignore[return-value]


class Unseen(Struct, frozen=True):
    """Glyphs hidden one way, in paint order, and the way (a short Chinese label)."""

    chars: tuple[object, ...]  # pdfminer LTChar
    why: str


def _white(color: object) -> bool:
    values = color if isinstance(color, (list, tuple)) else (color,)
    if not values or not all(isinstance(v, (int, float)) for v in values):
        return False
    if len(values) == 4:  # CMYK: no ink at all
        return max(values) <= 1 - _WHITE
    return min(values) >= _WHITE


def _inside(x: float, y: float, box: Any) -> bool:
    return box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1


def find_unseen(objects: list[object], page: Any) -> list[Unseen]:
    """Glyphs of a raw page layout (``objects`` in paint order) that no reader sees."""
    crop = getattr(page, "crop", page.bbox)
    page_area = max(1.0, page.width * page.height)
    scans = [o for o in objects if isinstance(o, LTImage) and o.width * o.height >= _SCAN_IMAGE_SHARE * page_area]
    groups: dict[str, list[object]] = {}
    white: list[tuple[int, object]] = []  # white glyphs: hidden unless painted over a background
    backgrounds: list[tuple[int, object]] = []  # images and non-white fills, with their paint order
    for order, obj in enumerate(objects):
        if isinstance(obj, LTImage) or (isinstance(obj, LTCurve) and obj.fill and not _white(obj.non_stroking_color)):
            backgrounds.append((order, obj))
        elif isinstance(obj, LTChar) and obj.get_text().strip():
            why = _why(obj, crop, scans)
            if why == _WHITE_TEXT:
                white.append((order, obj))
            elif why:
                groups.setdefault(why, []).append(obj)
    on_white = _not_on_background(white, backgrounds)
    if on_white:
        groups[_WHITE_TEXT] = on_white
    return [Unseen(tuple(chars), why) for why, chars in groups.items()]


_WHITE_TEXT = "白底白字"


def _centre(obj: Any) -> tuple[float, float]:
    return (obj.x0 + obj.x1) / 2, (obj.y0 + obj.y1) / 2


def _why(ch: Any, crop: tuple[float, float, float, float], scans: list[Any]) -> str | None:
    x, y = _centre(ch)
    mode = getattr(ch, "render_mode", 0)
    if mode in _INVISIBLE_MODES:
        if any(_inside(x, y, image) for image in scans):
            return None  # the OCR layer of a scanned page
        return "不可见渲染模式"
    if not (crop[0] - _EDGE <= x <= crop[2] + _EDGE and crop[1] - _EDGE <= y <= crop[3] + _EDGE):
        return "页面可见区域外"
    if ch.size < _MIN_SIZE:
        return "字号为零或过小"
    if mode in _FILL_ONLY_MODES and _white(ch.graphicstate.ncolor):
        return _WHITE_TEXT
    return None


def _not_on_background(glyphs: list[tuple[int, Any]], backgrounds: list[tuple[int, Any]]) -> list[object]:
    """White glyphs with no image or dark fill painted under them before (vectorised: pages can hold thousands)."""
    if not glyphs or not backgrounds:
        return [ch for _, ch in glyphs]
    xy = np.array([(*_centre(ch), order) for order, ch in glyphs], dtype=float)
    covered = np.zeros(len(glyphs), dtype=bool)
    for order, bg in backgrounds:
        covered |= (xy[:, 2] > order) & (xy[:, 0] >= bg.x0) & (xy[:, 0] <= bg.x1) & (xy[:, 1] >= bg.y0) & (xy[:, 1] <= bg.y1)
    return [ch for (_, ch), hit in zip(glyphs, covered, strict=True) if not hit]

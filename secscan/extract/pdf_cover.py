"""Text drawn under a filled shape: the classic failed redaction.

A PDF page paints in order; a glyph painted *before* a filled rectangle (or any filled
path) that covers it is invisible on screen and in print, yet stays in the text layer for
anyone who copies or searches it.  Working on the page's raw objects in paint order
(pdfminer with no layout analysis), each glyph whose centre lies inside a later filled
shape is taken out of the visible text and reported as ``redacted``.  Transparency is not
modelled: a translucent highlight painted over text would be reported too, which is the
safe side for a reviewer.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from msgspec import Struct

_MIN_FILL_AREA = 4.0  # pt²: hairlines and dots cover nothing readable
_DARK = 0.25


class Cover(Struct, frozen=True):
    """The glyphs one filled shape hides, in paint order, and how it looks."""

    chars: tuple[object, ...]  # pdfminer LTChar
    dark: bool


def paint_order(container: object) -> Iterator[object]:
    """Every leaf object of a raw (unanalysed) layout, figures flattened, in paint order."""
    from pdfminer.layout import LTFigure

    stack = [iter(container)]  # type: ignore[call-overload]
    while stack:
        obj = next(stack[-1], None)
        if obj is None:
            stack.pop()
        elif isinstance(obj, LTFigure):
            stack.append(iter(obj))
        else:
            yield obj


def is_dark(color: object) -> bool:
    values = color if isinstance(color, (list, tuple)) else (color,)
    if not values or not all(isinstance(v, (int, float)) for v in values):
        return False
    if len(values) == 4:  # CMYK: dark when black ink is high or all inks are
        return values[3] >= 1 - _DARK or min(values) >= 1 - _DARK
    return max(values) <= _DARK


def find_covers(objects: list[object]) -> list[Cover]:
    """Filled shapes that hide glyphs painted before them."""
    from pdfminer.layout import LTChar, LTCurve

    chars: list[object] = []
    centres: list[tuple[float, float, int]] = []
    fills: list[tuple[int, object]] = []
    for order, obj in enumerate(objects):
        if isinstance(obj, LTChar):
            if obj.get_text().strip():
                chars.append(obj)
                centres.append(((obj.x0 + obj.x1) / 2, (obj.y0 + obj.y1) / 2, order))
        elif isinstance(obj, LTCurve) and obj.fill and chars and obj.width * obj.height >= _MIN_FILL_AREA:
            fills.append((order, obj))
    if not fills:
        return []
    xy = np.array(centres, dtype=float)
    taken = np.zeros(len(chars), dtype=bool)
    covers = []
    for order, shape in fills:
        inside = (
            (xy[:, 2] < order) & ~taken
            & (xy[:, 0] >= shape.x0) & (xy[:, 0] <= shape.x1)
            & (xy[:, 1] >= shape.y0) & (xy[:, 1] <= shape.y1)
        )
        if inside.any():
            taken |= inside
            hidden = tuple(chars[i] for i in np.flatnonzero(inside))
            covers.append(Cover(hidden, is_dark(shape.non_stroking_color)))
    return covers


def cover_text(cover: Cover) -> str:
    return glyph_lines(cover.chars)


def glyph_lines(chars: tuple[object, ...]) -> str:
    """Glyphs in paint order as lines: a new line where the baseline moves by half a glyph."""
    lines: list[list[str]] = []
    last_y: float | None = None
    for ch in chars:
        y = ch.y0  # type: ignore[attr-defined]
        if last_y is None or abs(y - last_y) > ch.height / 2:  # type: ignore[attr-defined]
            lines.append([])
        lines[-1].append(ch.get_text())  # type: ignore[attr-defined]
        last_y = y
    return "\n".join("".join(line).strip() for line in lines if "".join(line).strip())


def drop_objects(container: object, doomed: set[int]) -> None:
    """Remove the objects whose ``id`` is in ``doomed`` from a raw layout, figures included.

    pdfminer has no public removal API; its containers keep children in ``_objs``.
    """
    from pdfminer.layout import LTFigure

    stack = [container]
    while stack:
        box = stack.pop()
        box._objs = [o for o in box._objs if id(o) not in doomed]  # type: ignore[attr-defined]
        stack.extend(o for o in box._objs if isinstance(o, LTFigure))  # type: ignore[attr-defined]

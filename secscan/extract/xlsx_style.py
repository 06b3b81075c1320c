"""Cell formats that hide a value in plain sight (ECMA-376 Part 1 §18.8, SpreadsheetML styles).

A cell's ``s`` attribute indexes ``cellXfs`` in ``xl/styles.xml``; the format record
names a number format, a font and a fill.  Two are used to hide what a cell holds while
it stays in the file: the custom number format ``;;;`` (every section empty, §18.8.31:
positive;negative;zero;text) and a white font on a white or empty fill.
"""

from __future__ import annotations

from lxml import etree
from msgspec import Struct

from secscan.extract.ooxml import Package

S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_S = f"{{{S}}}"
# Legacy palette (§18.8.27): indexes 1 and 9 are white; 64 is the system background.
_WHITE_INDEXED = frozenset({"1", "9", "64"})
# Theme colour 0 is lt1 ("Background 1"), white in every built-in theme.
_WHITE_THEME = "0"
_TINT_DARKER = -0.05


class HidingFormat(Struct, frozen=True):
    """Why cells with this format show nothing: for numbers, and for text."""

    numbers: str | None
    text: str | None

    def reason(self, is_text: bool) -> str | None:
        return self.text if is_text else self.numbers


def format_sections(code: str) -> list[str]:
    """A number format split at ``;`` outside quotes, escapes and ``[…]``."""
    sections, current, quoted, bracket, escaped = [], [], False, False, False
    for ch in code:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\" and not quoted:
            current.append(ch)
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch == "[" and not quoted:
            bracket = True
            current.append(ch)
        elif ch == "]" and not quoted:
            bracket = False
            current.append(ch)
        elif ch == ";" and not quoted and not bracket:
            sections.append("".join(current))
            current = []
        else:
            current.append(ch)
    sections.append("".join(current))
    return sections


def _empty(section: str) -> bool:
    """A section of literals only shows them, not the value; a colour ("[Red]") alone shows nothing."""
    return not _strip_literals(section).strip()


def _strip_brackets(section: str) -> str:
    out, depth = [], 0
    for ch in section:
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


def number_format_hides(code: str) -> HidingFormat | None:
    """``;;;`` hides everything; ``;;`` numbers only; a text section without ``@`` hides text.

    A text section of literals only (``;;;"-"``) shows the literal, never the cell's text.
    """
    sections = format_sections(code)
    label = f"自定义格式{code}"
    numbers = label if len(sections) >= 3 and all(_empty(s) for s in sections[:3]) else None
    text = label if len(sections) >= 4 and "@" not in _strip_literals(sections[3]) else None
    return HidingFormat(numbers, text) if numbers or text else None


def _strip_literals(section: str) -> str:
    """A format section without its quoted literals, escaped characters and ``[…]`` codes."""
    out, quoted, escaped = [], False, False
    for ch in _strip_brackets(section):
        if escaped:
            escaped = False
        elif ch == "\\" and not quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted:
            out.append(ch)
    return "".join(out)


def _white(color: etree._Element | None, default: bool) -> bool:
    if color is None:
        return default
    rgb = (color.get("rgb") or "").upper()
    if rgb:
        return rgb[-6:] == "FFFFFF"
    if color.get("indexed") is not None:
        return color.get("indexed") in _WHITE_INDEXED
    if color.get("theme") is not None:
        try:
            tint = float(color.get("tint") or 0)
        except ValueError:
            tint = 0.0
        return color.get("theme") == _WHITE_THEME and tint > _TINT_DARKER
    return color.get("auto") in ("1", "true") and default


def _fill_white(fill: etree._Element | None) -> bool:
    """No fill shows the sheet's white grid; a solid white fill is white too."""
    pattern = fill.find(f"{_S}patternFill") if fill is not None else None
    if pattern is None:
        return fill is None or fill.find(f"{_S}gradientFill") is None
    kind = pattern.get("patternType") or "none"
    if kind == "none":
        return True
    return kind == "solid" and _white(pattern.find(f"{_S}fgColor"), default=False)


def hiding_formats(pkg: Package, styles_part: str | None) -> dict[int, HidingFormat]:
    """``cellXfs`` index → how that format hides a cell's value, for the formats that do."""
    if not styles_part or not pkg.has(styles_part):
        return {}
    root = pkg.xml(styles_part)
    codes = {nf.get("numFmtId"): nf.get("formatCode") or "" for nf in root.iter(f"{_S}numFmt")}
    fonts = root.find(f"{_S}fonts")
    fills = root.find(f"{_S}fills")
    font_list = list(fonts.iterchildren(f"{_S}font")) if fonts is not None else []
    fill_list = list(fills.iterchildren(f"{_S}fill")) if fills is not None else []
    xfs = root.find(f"{_S}cellXfs")
    out: dict[int, HidingFormat] = {}
    for i, xf in enumerate(xfs.iterchildren(f"{_S}xf") if xfs is not None else ()):
        by_format = number_format_hides(codes.get(xf.get("numFmtId"), ""))
        if by_format is not None:
            out[i] = by_format
            continue
        font = _nth(font_list, xf.get("fontId"))
        if font is not None and _white(font.find(f"{_S}color"), default=False) and _fill_white(_nth(fill_list, xf.get("fillId"))):
            out[i] = HidingFormat("白色字体(白底)", "白色字体(白底)")
    return out


def _nth(items: list[etree._Element], index: str | None) -> etree._Element | None:
    try:
        return items[int(index or 0)]
    except (ValueError, IndexError):
        return None

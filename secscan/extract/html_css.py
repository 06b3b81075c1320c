"""Which elements a page's CSS hides: inline ``style`` attributes and its own ``<style>`` blocks.

CMS templates rarely write ``style="display:none"`` inline; they write
``<style>.hide{display:none}</style>`` once and put ``class="hide"`` on what the reader
must not see.  The page's ``<style>`` blocks are parsed with tinycss2 and their selectors
matched with cssselect (CSS Selectors Level 3 → XPath over the lxml tree); then, for each
matched element, the declarations that decide visibility are cascaded (importance,
specificity, order, inline style on top — CSS Cascading Level 3 §6) and the winner is
judged by :func:`hiding`.  Only what the screen shows counts: ``@media print`` and
viewport-dependent ``@media`` blocks are left out, and text that a hover, focus or a
state class (``.active``, ``.show``, ``.on`` …) reveals is not reported as hidden.
External stylesheets are never fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import cssselect
import tinycss2
from lxml import etree
from msgspec import Struct

from secscan.extract.base import Limits
from secscan.extract.html_select import Index

# The declarations :func:`hiding` reads; a rule that sets none of them cannot hide.
HIDE_PROPS = frozenset({
    "display", "visibility", "opacity", "font-size", "color", "width", "height", "max-width", "max-height",
    "overflow", "transform", "clip", "position", "left", "top", "right", "text-indent",
})
# Inherited properties: a descendant may set them back and show its text again.
_INHERITED = frozenset({"visibility", "font-size", "color"})
# tinycss2 is pure Python (~0.5 s per 100 kB here).  Past the cap, rules are not read: the
# text they would hide stays in ``body``, scanned all the same, so nothing goes unread.
MAX_CSS_CHARS = 400_000
MAX_RULES = 5_000
_SCREEN_MEDIA = frozenset({"", "all", "screen", "only screen"})
_DYNAMIC_RE = re.compile(r":(?:hover|focus-within|focus-visible|focus|active|target|checked)\b", re.I)
# Classes scripts add to show a tab, a dropdown, a carousel item or a faded-in block.
_STATE_CLASS_RE = re.compile(
    r"\.(?:active|show|shown|in|open|opened|on|cur|current|selected|expanded|visible|is-active|is-open)(?![-\w])", re.I,
)
_ZERO_CLIP_RE = re.compile(r"rect\(\s*0(?:px)?[\s,]+0(?:px)?[\s,]+0(?:px)?[\s,]+0(?:px)?\s*\)")
_NUMBER_RE = re.compile(r"^\s*(-?\d*\.?\d+)\s*([a-z%]*)\s*$", re.I)


# -- what hides ------------------------------------------------------------------------
def declarations(style: str) -> dict[str, str]:
    """An inline ``style`` attribute as ``{property: value}`` (lower case, ``!important`` dropped)."""
    out = {}
    for decl in style.split(";"):
        prop, sep, value = decl.partition(":")
        if sep:
            out[prop.strip().lower()] = value.replace("!important", "").strip().lower()
    return out


def _length(value: str | None) -> float | None:
    """A CSS length or number as a float (units ignored), or None if not one."""
    if value is None:
        return None
    match = _NUMBER_RE.match(value)
    return float(match.group(1)) if match else None


def is_zero(value: str | None) -> bool:
    return _length(value) == 0.0


def hiding(d: Mapping[str, str]) -> tuple[str, tuple[str, ...]] | None:
    """Why these declarations hide an element (a short label) and the properties that do it."""
    if d.get("display") == "none":
        return "display:none", ("display",)
    if d.get("visibility") in {"hidden", "collapse"}:
        return f"visibility:{d['visibility']}", ("visibility",)
    for prop in ("opacity", "font-size"):
        if is_zero(d.get(prop)):
            return f"{prop}:0", (prop,)
    if d.get("color") == "transparent":
        return "color:transparent", ("color",)
    clipped = d.get("overflow") in {"hidden", "clip"}
    zero_w = [p for p in ("width", "max-width") if is_zero(d.get(p))]
    zero_h = [p for p in ("height", "max-height") if is_zero(d.get(p))]
    if (zero_w and zero_h) or (clipped and (zero_w or zero_h)):
        return "零尺寸", (*zero_w, *zero_h)
    if "scale(0)" in d.get("transform", "").replace(" ", ""):
        return "transform:scale(0)", ("transform",)
    if _ZERO_CLIP_RE.match(d.get("clip", "")):
        return "clip:rect(0)", ("clip",)
    if d.get("position") in {"absolute", "fixed"}:
        for side in ("left", "top", "right"):
            offset = _length(d.get(side))
            if offset is not None and offset <= -999:
                return f"{side}:{d[side]}(移出屏幕)", (side,)
    indent = _length(d.get("text-indent"))
    if indent is not None and indent <= -999:
        return f"text-indent:{d['text-indent']}", ("text-indent",)
    return None


def hidden_by_style(style: str) -> str | None:
    """The inline-style declaration that hides an element, or None."""
    found = hiding(declarations(style))
    return found[0] if found else None


# -- the page's stylesheet -------------------------------------------------------------
class Rule(Struct, frozen=True):
    """One selector of a style rule, with the visibility declarations it sets."""

    selector: str
    parsed: cssselect.Selector
    specificity: tuple[int, int, int]
    order: int
    values: Mapping[str, tuple[str, bool]]  # property → (value, !important)


def _serialize(nodes: Iterable[object]) -> str:
    return " ".join(tinycss2.serialize(nodes).split())  # type: ignore[arg-type]


def _screen_media(prelude: list[object]) -> bool:
    """``@media screen`` or ``all`` with no conditions; print and viewport-dependent blocks are not."""
    queries = [q.strip().lower() for q in _serialize(prelude).split(",")]
    return all(q in _SCREEN_MEDIA for q in queries)


def _style_rules(nodes: list[object], out: list[tuple[str, dict[str, tuple[str, bool]]]]) -> None:
    for node in nodes:
        kind = getattr(node, "type", "")
        if kind == "qualified-rule":
            values = {}
            for decl in tinycss2.parse_blocks_contents(node.content, skip_comments=True, skip_whitespace=True):  # type: ignore[attr-defined]
                if getattr(decl, "type", "") == "declaration" and decl.lower_name in HIDE_PROPS:
                    values[decl.lower_name] = (_serialize(decl.value).lower(), bool(decl.important))
            if values:
                out.append((_serialize(node.prelude), values))  # type: ignore[attr-defined]
        elif kind == "at-rule" and node.content is not None:  # type: ignore[attr-defined]
            keyword = node.lower_at_keyword  # type: ignore[attr-defined]
            if keyword == "supports" or (keyword == "media" and _screen_media(node.prelude)):  # type: ignore[attr-defined]
                _style_rules(tinycss2.parse_rule_list(node.content, skip_comments=True, skip_whitespace=True), out)  # type: ignore[attr-defined]


def _stylesheet_text(root: etree._Element) -> str:
    """The text of the page's screen ``<style>`` blocks, capped."""
    texts = []
    for style in root.iter("style"):
        media = (style.get("media") or "").strip().lower()
        kind = (style.get("type") or "text/css").strip().lower()
        if kind == "text/css" and all(q.strip() in _SCREEN_MEDIA for q in media.split(",")):
            texts.append(style.text or "")
    return "\n".join(texts)[:MAX_CSS_CHARS]


def parse_rules(css: str) -> list[Rule]:
    """Style rules that set a visibility property, one per selector, in source order."""
    raw: list[tuple[str, dict[str, tuple[str, bool]]]] = []
    try:
        _style_rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True), raw)
    except RecursionError:  # absurdly nested blocks: keep the rules read so far
        pass
    rules = []
    for prelude, values in raw[:MAX_RULES]:
        try:
            selectors = cssselect.parse(prelude)
        except cssselect.SelectorError:
            continue
        groups = [g.strip() for g in prelude.split(",")]
        if len(groups) != len(selectors):  # a comma inside :not(…) or :is(…)
            groups = [sel.canonical() for sel in selectors]
        for text, sel in zip(groups, selectors, strict=True):
            if sel.pseudo_element is None:
                a, b, c = sel.specificity()
                rules.append(Rule(text, sel, (a, b, c), len(rules), values))
    return rules


def _select(index: Index, selector: str) -> list[etree._Element]:
    try:
        return [el for sel in cssselect.parse(selector) for el in index.select(sel)]
    except cssselect.SelectorError:
        return []


def _revealed(index: Index, rules: list[Rule]) -> set[etree._Element]:
    """Elements a hover, focus or state class shows: ``li:hover > ul{display:block}``."""
    out: set[etree._Element] = set()
    for rule in rules:
        display = rule.values.get("display", ("", False))[0]
        shows = (display and display != "none") or rule.values.get("visibility", ("", False))[0] == "visible"
        if not shows:
            continue
        stripped = _STATE_CLASS_RE.sub("", _DYNAMIC_RE.sub("", rule.selector))
        if stripped != rule.selector and stripped.strip() and not stripped.rstrip().endswith((">", "+", "~")):
            out.update(_select(index, stripped))
    return out


def _cascade(matched: list[Rule], inline: str | None) -> dict[str, tuple[str, str]]:
    """property → (value, where it came from): the winner of each visibility property."""
    entries = [(rule.values, (0, *rule.specificity), rule.order, rule.selector) for rule in matched]
    if inline:
        important = {p.strip().lower() for p, _, v in (d.partition(":") for d in inline.split(";")) if "!important" in v}
        values = {p: (v, p in important) for p, v in declarations(inline).items()}
        entries.append((values, (1, 0, 0, 0), MAX_RULES, "style"))  # inline outranks every selector
    best: dict[str, tuple[tuple[bool, tuple[int, ...], int], str, str]] = {}
    for values, specificity, order, source in entries:
        for prop, (value, important) in values.items():
            key = (important, specificity, order)
            if prop not in best or key > best[prop][0]:
                best[prop] = (key, value, source)
    return {prop: (value, source) for prop, (_, value, source) in best.items()}


def stylesheet_hiding(root: etree._Element, limits: Limits) -> dict[etree._Element, str]:
    """Elements the page's ``<style>`` blocks hide → a label naming the rule."""
    css = _stylesheet_text(root)
    if not css.strip():
        return {}
    rules = parse_rules(css)
    index = Index(root)
    matched: dict[etree._Element, list[Rule]] = {}
    for i, rule in enumerate(rules):
        if i % 50 == 0:
            limits.check_time()
        for el in index.select(rule.parsed):
            matched.setdefault(el, []).append(rule)
    if not matched:
        return {}
    computed = {el: _cascade(found, el.get("style")) for el, found in matched.items()}
    revealed = _revealed(index, rules)
    out = {}
    for el, values in computed.items():
        verdict = hiding({prop: value for prop, (value, _) in values.items()})
        if verdict is None or el in revealed:
            continue
        label, props = verdict
        sources = {values[p][1] for p in props if p in values}
        if sources == {"style"}:
            continue  # the inline style alone hides it: reported as such by the caller
        if any(p in _INHERITED for p in props) and _reset_below(el, props, computed):
            continue
        selector = next(iter(sorted(sources - {"style"})))
        out[el] = f"样式表 {selector}{{{label}}}"
    return out


def _reset_below(el: etree._Element, props: tuple[str, ...], computed: Mapping[etree._Element, dict[str, tuple[str, str]]]) -> bool:
    """A descendant sets an inherited hiding property back (``ul{font-size:0} li{font-size:14px}``)."""
    for child in el.iterdescendants():
        if not isinstance(child.tag, str):
            continue
        values = computed.get(child)
        own = {p: v for p, (v, _) in values.items()} if values else declarations(child.get("style") or "")
        if any(p in own and hiding({p: own[p]}) is None for p in props):
            return True
    return False

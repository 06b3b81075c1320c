"""CSS selectors matched against an lxml HTML tree, fast enough for a whole stylesheet.

cssselect translates any selector to XPath, but evaluating one XPath per rule over every
element costs seconds on a large page.  So the tree is indexed once (tag, class, id), a
rule whose rightmost compound names a class, id or tag absent from the page is skipped
at once, and the common simple selectors (type, ``.class``, ``#id``, compounds of them,
joined by descendant or child combinators) are matched right to left with memoised
ancestor checks — linear in the tree even for hostile selectors and deep pages.
Anything richer (attributes, pseudo-classes, sibling combinators) falls back to
cssselect's XPath.
"""

from __future__ import annotations

from collections import defaultdict

import cssselect
from cssselect import parser as css
from lxml import etree
from msgspec import Struct

_TRANSLATOR = cssselect.HTMLTranslator()
MAX_COMPOUNDS = 8


class Compound(Struct, frozen=True):
    """``tag.class#id`` — every part optional."""

    tag: str | None
    classes: frozenset[str]
    ids: frozenset[str]


class Simple(Struct, frozen=True):
    """A chain of compounds, left to right, and the combinators (" " or ">") between them."""

    compounds: tuple[Compound, ...]
    combinators: tuple[str, ...]


def _compound(node: object) -> Compound | None:
    tag, classes, ids = None, set(), set()
    while not isinstance(node, css.Element):
        if isinstance(node, css.Class):
            classes.add(node.class_name)
        elif isinstance(node, css.Hash):
            ids.add(node.id)
        else:
            return None
        node = node.selector
    if node.namespace is not None:
        return None
    if node.element not in (None, "*"):
        tag = node.element.lower()
    return Compound(tag, frozenset(classes), frozenset(ids))


def simple(selector: css.Selector) -> Simple | None:
    """The selector as a :class:`Simple` chain, or None when it needs the XPath fallback."""
    compounds: list[Compound] = []
    combinators: list[str] = []
    node = selector.parsed_tree
    while isinstance(node, css.CombinedSelector):
        if node.combinator not in (" ", ">"):
            return None
        right = _compound(node.subselector)
        if right is None:
            return None
        compounds.append(right)
        combinators.append(node.combinator)
        node = node.selector
    first = _compound(node)
    if first is None or len(compounds) >= MAX_COMPOUNDS:
        return None
    compounds.append(first)
    return Simple(tuple(reversed(compounds)), tuple(reversed(combinators)))


def _rightmost_key(selector: css.Selector) -> tuple[str, str] | None:
    """A class, id or tag the matched element must carry, for the index pre-check."""
    node = selector.parsed_tree
    while isinstance(node, css.CombinedSelector):
        node = node.subselector
    tag = None
    while node is not None:
        if isinstance(node, css.Hash):
            return "id", node.id
        if isinstance(node, css.Class):
            return "class", node.class_name
        if isinstance(node, css.Element):
            tag = node.element
            break
        node = getattr(node, "selector", None)
    return ("tag", tag.lower()) if tag and tag != "*" else None


class Index:
    """The page's elements by tag, class and id, built in one pass."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.by: dict[tuple[str, str], list[etree._Element]] = defaultdict(list)
        self.every: list[etree._Element] = []
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            self.every.append(el)
            self.by["tag", el.tag.lower()].append(el)
            for name in (el.get("class") or "").split():
                self.by["class", name].append(el)
            if el.get("id"):
                self.by["id", el.get("id") or ""].append(el)

    def select(self, selector: css.Selector) -> list[etree._Element]:
        key = _rightmost_key(selector)
        if key is not None and key not in self.by:
            return []
        chain = simple(selector)
        if chain is None:
            try:
                found = self.root.xpath(_TRANSLATOR.selector_to_xpath(selector))
            except (cssselect.ExpressionError, etree.XPathError):
                return []
            return [el for el in found if isinstance(el, etree._Element) and isinstance(el.tag, str)]
        return _Matcher(chain).filter(self._candidates(chain))

    def _candidates(self, chain: Simple) -> list[etree._Element]:
        """Elements that can end a match: under the chain's rarest compound when that is not the last."""
        sizes = [(len(self.by.get(k, ())) if k else len(self.every), i) for i, k in enumerate(map(_key, chain.compounds))]
        size, rarest = min(sizes)
        last = len(chain.compounds) - 1
        key = _key(chain.compounds[rarest])
        anchors = self.by.get(key, []) if key else self.every
        if rarest == last or size == 0:
            return anchors
        seen: dict[etree._Element, None] = {}
        for anchor in anchors:
            if anchor in seen:  # nested anchors: its subtree is walked already
                continue
            for el in anchor.iterdescendants():
                if isinstance(el.tag, str):
                    seen[el] = None
        end = chain.compounds[last]
        return [el for el in seen if _fits(el, end)]


def _key(c: Compound) -> tuple[str, str] | None:
    if c.ids:
        return "id", min(c.ids)
    if c.classes:
        return "class", min(c.classes)
    return ("tag", c.tag) if c.tag else None


def _fits(el: etree._Element, c: Compound) -> bool:
    if c.tag is not None and el.tag.lower() != c.tag:
        return False
    if c.ids and el.get("id") not in c.ids:
        return False
    return not c.classes or c.classes.issubset((el.get("class") or "").split())


class _Matcher:
    """Right-to-left matching of one :class:`Simple` chain with memo tables.

    ``match[i]`` memoises "el matches compounds[0..i] ending at el"; ``below[i]``
    memoises "some ancestor of el matches compounds[0..i]".  Ancestor walks stop at the
    first memoised ancestor, so each element is visited once per compound.
    """

    def __init__(self, chain: Simple) -> None:
        self.chain = chain
        self.match: list[dict[etree._Element, bool]] = [{} for _ in chain.compounds]
        self.below: list[dict[etree._Element, bool]] = [{} for _ in chain.compounds]

    def filter(self, candidates: list[etree._Element]) -> list[etree._Element]:
        last = len(self.chain.compounds) - 1
        return [el for el in candidates if self.matches(el, last)]

    def matches(self, el: etree._Element, i: int) -> bool:
        memo = self.match[i]
        if el in memo:
            return memo[el]
        ok = _fits(el, self.chain.compounds[i])
        if ok and i > 0:
            if self.chain.combinators[i - 1] == ">":
                parent = el.getparent()
                ok = parent is not None and self.matches(parent, i - 1)
            else:
                ok = self.has_ancestor(el, i - 1)
        memo[el] = ok
        return ok

    def has_ancestor(self, el: etree._Element, j: int) -> bool:
        """Whether an ancestor of ``el`` matches compounds[0..j], without recursion on depth."""
        memo = self.below[j]
        chain: list[etree._Element] = []
        node = el
        answer = False
        while True:
            if node in memo:
                answer = memo[node]
                break
            chain.append(node)
            parent = node.getparent()
            if parent is None:
                break
            if self.matches(parent, j):
                answer = True
                break
            node = parent
        # Every node on the walk has the same answer: its ancestors are the ones tested.
        for seen in chain:
            memo[seen] = answer
        return answer

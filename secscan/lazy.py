"""A name → function table whose modules are imported on first lookup.

The extractors and the report formats are chosen per file / per run; importing all of
them up front (lxml, pdfminer, rich …) would make every start-up pay for all of them.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast


class LazyTable(Mapping[str, Any]):
    """``{"txt": "secscan.extract.text:extract", …}``; a value is imported when first looked up."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self._table = dict(table)
        self._loaded: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        try:
            return self._loaded[key]
        except KeyError:
            module, attr = self._table[key].split(":")
            value = self._loaded[key] = getattr(importlib.import_module(module), attr)
            return value

    def load_all(self) -> None:
        for key in self._table:
            self[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, key: object) -> bool:  # without importing anything
        return key in self._table


class _LazyRegex:
    """Compiled on first use; afterwards its methods are this object's own attributes.

    ``pattern`` is readable before: reading it compiles nothing.
    """

    def __init__(self, pattern: str | None, make: Callable[[], re.Pattern[str]]) -> None:
        self.pattern = pattern
        self._make = make

    def __getattr__(self, name: str) -> Any:  # only called until the first compile
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = self._make()
        for attr in _PATTERN_ATTRS:
            setattr(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_regex({self.pattern!r})"


_PATTERN_ATTRS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner",
                  "pattern", "flags", "groups", "groupindex")


def lazy_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """A module-level regex compiled the first time it is used.

    A detector holds dozens of patterns and a scan usually needs few of them (no ``@`` in
    the text, no e-mail pattern): compiling them all at import costs every start-up
    ~25 ms.  Pass it where a ``re.Pattern``'s methods are called, not to ``re.sub(rx, …)``.
    """
    return cast(re.Pattern[str], _LazyRegex(pattern, functools.partial(re.compile, pattern, flags)))


def lazy_compiled(make: Callable[[], re.Pattern[str]]) -> re.Pattern[str]:
    """A regex that ``make()`` compiles the first time it is used (e.g. from a parse tree)."""
    return cast(re.Pattern[str], _LazyRegex(None, make))

"""A name → function table whose modules are imported on first lookup.

The extractors and the report formats are chosen per file / per run; importing all of
them up front (lxml, pdfminer, rich …) would make every start-up pay for all of them.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
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
    """``re.compile`` on first use; afterwards its methods are this object's own attributes."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:  # only called until the first compile
        compiled = re.compile(*self._source)
        for attr in _PATTERN_ATTRS:
            setattr(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_regex({self._source[0]!r}, {self._source[1]})"


_PATTERN_ATTRS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner",
                  "pattern", "flags", "groups", "groupindex")


def lazy_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """A module-level regex compiled the first time it is used.

    A detector holds dozens of patterns and a scan usually needs few of them (no ``@`` in
    the text, no e-mail pattern): compiling them all at import costs every start-up
    ~25 ms.  Pass it where a ``re.Pattern``'s methods are called, not to ``re.sub(rx, …)``.
    """
    return cast(re.Pattern[str], _LazyRegex(pattern, flags))

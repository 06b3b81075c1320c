"""A name → function table whose modules are imported on first lookup.

The extractors and the report formats are chosen per file / per run; importing all of
them up front (lxml, pdfminer, rich …) would make every start-up pay for all of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any


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

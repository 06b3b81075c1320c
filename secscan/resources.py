"""The one place that finds the shipped data: ``lexicons/`` and ``models/``.

In a wheel they live in ``secscan/_data/`` (hatchling ``force-include``); in a checkout
or an editable install they are the repository's top-level folders.
"""

from __future__ import annotations

import functools
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"secscan data folder {name!r} not found beside {_PACKAGE}")


def lexicon_dir() -> Path:
    return data_dir("lexicons")


def model_dir() -> Path:
    return data_dir("models")


def read_version(folder: Path) -> str:
    path = folder / "VERSION"
    return path.read_text(encoding="utf-8").strip() if path.is_file() else "unknown"

"""A frozen configuration, loaded from TOML and passed explicitly: never global.

See ``examples/secscan.toml`` for every key with a comment.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Config:
    extra_lexicons: tuple[Path, ...] = ()
    disabled_rules: tuple[str, ...] = ()
    allow_phrases: tuple[str, ...] = ()
    allow_regexes: tuple[str, ...] = ()
    review_threshold: int = 40
    block_threshold: int = 80
    max_file_bytes: int = 200 * 1024 * 1024
    timeout_seconds: float = 120.0
    max_text_chars: int = 50_000_000
    use_model: bool = True
    model_path: Path | None = None
    head_lines: int = 10
    today: str | None = None  # ISO date; None means the real today (tests pin it)
    source: Path | None = field(default=None, compare=False)

    def rule_disabled(self, rule_id: str) -> bool:
        return any(rule_id == d or rule_id.startswith(d.rstrip(".") + ".") for d in self.disabled_rules)

    def compiled_allow_regexes(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(r) for r in self.allow_regexes)


_SCANNER_KEYS = {f.name for f in fields(Config)} - {"source"}


def load_config(path: str | Path | None) -> Config:
    """Read a TOML file (keys at the top level or under ``[secscan]``)."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return config_from_mapping(raw.get("secscan", raw), base=path.parent, source=path)


def config_from_mapping(raw: dict[str, Any], base: Path = Path("."), source: Path | None = None) -> Config:
    unknown = sorted(set(raw) - _SCANNER_KEYS)
    if unknown:
        raise ConfigError(f"unknown key(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        default = getattr(Config(), key)
        if key in {"extra_lexicons", "disabled_rules", "allow_phrases", "allow_regexes"}:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{key}: expected a list of strings")
            if key == "extra_lexicons":
                value = tuple((base / v).resolve() for v in value)
            else:
                value = tuple(value)
            if key == "allow_regexes":
                for pattern in value:
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        raise ConfigError(f"allow_regexes: {pattern!r}: {exc}") from exc
        elif key == "model_path":
            if not isinstance(value, str):
                raise ConfigError("model_path: expected a path string")
            value = (base / value).resolve()
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{key}: expected true or false")
        elif isinstance(default, (int, float)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{key}: expected a number")
            value = type(default)(value)
        elif key == "today" and not isinstance(value, str):
            raise ConfigError("today: expected an ISO date string")
        values[key] = value
    cfg = Config(**values, source=source)
    if not 0 < cfg.review_threshold < cfg.block_threshold <= 100:
        raise ConfigError("thresholds: need 0 < review_threshold < block_threshold <= 100")
    return cfg

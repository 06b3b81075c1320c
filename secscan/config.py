"""A frozen configuration, loaded from TOML and passed explicitly: never global.

See ``examples/secscan.toml`` for every key with a comment, ``docs/configuration.md``
for the reference.  Keys stand at the top level or under ``[secscan]``.  Every problem
found in a file is reported with its line (:class:`ConfigProblem`), so that
``secscan config check`` can say exactly which line is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct
from msgspec.structs import replace

from secscan.lazy import lazy_regex

if TYPE_CHECKING:
    import tomllib

DEFAULT_CONFIG_NAME = "secscan.toml"


class ConfigProblem(Struct, frozen=True):
    """One thing wrong in a configuration: where (key path, line) and what."""

    message: str
    key: tuple[str, ...] = ()
    line: int | None = None
    column: int | None = None
    needle: str | None = None  # the bad list element, to find its own line
    warning: bool = False  # usable, but probably not what was meant


    def describe(self, source: str | Path | None = None) -> str:
        where = ":".join(str(x) for x in (source, self.line, self.column) if x is not None)
        key = ".".join(f'"{k}"' if "." in k or not k else k for k in self.key)
        text = ("warning: " if self.warning else "") + (f"{key}: " if key else "") + self.message
        return f"{where}: {text}" if where else text


class ConfigError(ValueError):
    """A configuration that cannot be used; ``problems`` lists each with its line."""

    def __init__(self, problems: list[ConfigProblem] | str, source: Path | None = None) -> None:
        if isinstance(problems, str):
            problems = [ConfigProblem(problems)]
        self.problems = problems
        self.source = source
        super().__init__("; ".join(p.describe(source) for p in problems))


class RuleAllow(Struct, frozen=True):
    """Allow-list entries that apply to one rule id or a prefix (``pii`` covers ``pii.*``).

    A phrase allows a hit it covers (matched on normalized text, so 機密 and 机 密 are
    the same); a regex allows a hit whose matched text it finds (``re.search``).
    """

    rule: str
    phrases: tuple[str, ...] = ()
    regexes: tuple[str, ...] = ()


def rule_matches(rule_id: str, selector: str) -> bool:
    """``selector`` is a rule id or a dotted prefix of one (flake8-style select)."""
    selector = selector.rstrip(".")
    return rule_id == selector or rule_id.startswith(selector + ".")


class Config(Struct, frozen=True):
    """Every setting of a scan: the defaults, overridden by ``secscan.toml`` (see :func:`load_config`)."""

    extra_lexicons: tuple[Path, ...] = ()
    disabled_rules: tuple[str, ...] = ()
    allow_phrases: tuple[str, ...] = ()
    allow_regexes: tuple[str, ...] = ()
    allow_rules: tuple[RuleAllow, ...] = ()
    review_threshold: int = 40
    block_threshold: int = 80
    max_file_bytes: int = 200 * 1024 * 1024
    timeout_seconds: float = 120.0
    max_text_chars: int = 50_000_000
    use_model: bool = True
    model_path: Path | None = None
    head_lines: int = 10
    isolate: bool = True  # read each file in a child process killed at the time limit
    max_memory_mb: int = 2048  # address-space cap of that child
    today: str | None = None  # ISO date; None means the real today (tests pin it)
    source: Path | None = None  # where it was read from: not a setting, see __eq__
    warnings: tuple[ConfigProblem, ...] = ()  # what the file got wrong but could still be used: not a setting

    # Two configurations with the same settings scan alike, wherever they were read from:
    # they are equal (a worker's scanner cache keys on them).
    def __eq__(self, other: object) -> bool:
        return self.settings() == other.settings() if isinstance(other, Config) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.settings())

    def settings(self) -> tuple[tuple[str, object], ...]:
        """Every setting that can change a scan, by name (all fields but ``source`` and ``warnings``)."""
        return tuple((name, getattr(self, name)) for name in SETTINGS)

    def rule_disabled(self, rule_id: str) -> bool:
        return any(rule_matches(rule_id, d) for d in self.disabled_rules)

    def compiled_allow_regexes(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(r) for r in self.allow_regexes)


SETTINGS = tuple(name for name in Config.__struct_fields__ if name not in ("source", "warnings"))
_KEYS = set(SETTINGS)
_STR_LISTS = ("extra_lexicons", "disabled_rules", "allow_phrases", "allow_regexes")
_TOML_ALLOW_TABLE = "allow"  # [allow."pii.mobile"] phrases = [...] regexes = [...]
_LIMITS = {  # key: (lowest allowed, highest allowed)
    "review_threshold": (1, 99),
    "block_threshold": (2, 100),
    "max_file_bytes": (1, 1 << 40),
    "timeout_seconds": (0.1, 86_400),
    "max_text_chars": (1, 1 << 34),
    "head_lines": (1, 200),
    "max_memory_mb": (64, 1 << 20),
}


def find_config(start: Path | None = None) -> Path | None:
    """``secscan.toml`` in ``start`` (default: the working folder), if there is one."""
    candidate = (start or Path.cwd()) / DEFAULT_CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(path: str | Path | None) -> Config:
    """Read a TOML file; raise :class:`ConfigError` listing every problem with its line."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", path) from exc
    return config_from_toml(source, base=path.parent, source=path)


def config_from_toml(text: str, base: Path = Path("."), source: Path | None = None) -> Config:
    import tomllib  # only runs that read a configuration file pay for its import

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(exc, text)], source) from exc
    prefix: tuple[str, ...] = ()
    if isinstance(raw.get("secscan"), dict):
        extra = sorted(set(raw) - {"secscan"})
        if extra:
            raise ConfigError(
                _locate_all([ConfigProblem("keys outside [secscan] are not read; move them inside", (k,)) for k in extra], text),
                source,
            )
        raw, prefix = raw["secscan"], ("secscan",)
    def located(problems: tuple[ConfigProblem, ...] | list[ConfigProblem]) -> list[ConfigProblem]:
        return _locate_all([replace(p, key=prefix + p.key) for p in problems], text)

    try:
        cfg = config_from_mapping(raw, base=base, source=source)
    except ConfigError as exc:
        raise ConfigError(located(exc.problems), source) from None
    return replace(cfg, warnings=tuple(located(cfg.warnings)))


def _syntax_problem(exc: tomllib.TOMLDecodeError, text: str) -> ConfigProblem:
    # Python 3.14 exposes lineno/colno; before that they are only in the message.
    line, col = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    message = getattr(exc, "msg", None) or str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    if m:
        line, col = int(m.group(1)), int(m.group(2))
        message = str(exc)[: m.start()].strip()
    elif "end of document" in str(exc):  # unclosed array, string or table: the last line
        line = len(text.splitlines()) or 1
        message = str(exc).replace(" (at end of document)", "") + " (at end of file)"
    return ConfigProblem(f"TOML syntax error: {message}", (), line, col)


def config_from_mapping(raw: dict[str, Any], base: Path = Path("."), source: Path | None = None) -> Config:
    """Validate a parsed mapping; every problem is collected before raising."""
    problems: list[ConfigProblem] = []
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == _TOML_ALLOW_TABLE:
            values["allow_rules"] = _rule_allows(value, problems)
            continue
        if key not in _KEYS or key == "allow_rules":
            import difflib

            close = difflib.get_close_matches(key, sorted((_KEYS - {"allow_rules"}) | {_TOML_ALLOW_TABLE}), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(ConfigProblem(f"unknown key{hint}", (key,)))
            continue
        checked = _check_value(key, value, base, problems)
        if checked is not None:
            values[key] = checked
    warnings: list[ConfigProblem] = []
    _check_rule_ids(values, warnings)
    if problems:
        raise ConfigError(problems + warnings, source)
    cfg = Config(**values, source=source, warnings=tuple(warnings))
    if not cfg.review_threshold < cfg.block_threshold:
        key = "block_threshold" if "block_threshold" in raw else "review_threshold"
        raise ConfigError([ConfigProblem(
            f"review_threshold ({cfg.review_threshold}) must be below block_threshold ({cfg.block_threshold})", (key,),
        )], source)
    return cfg


def _check_value(key: str, value: Any, base: Path, problems: list[ConfigProblem]) -> Any:
    default = getattr(Config(), key)
    if key in _STR_LISTS:
        items = _str_list(value, (key,), problems)
        if items is None:
            return None
        if key == "extra_lexicons":
            return _lexicon_paths(items, base, problems)
        if key == "allow_regexes":
            _check_regexes(items, (key,), problems)
        if key == "allow_phrases":
            _check_phrases(items, (key,), problems)
        return items
    if key == "model_path":
        if not isinstance(value, str):
            problems.append(ConfigProblem("expected a path string", (key,)))
            return None
        return (base / value).resolve()
    if key == "today":
        try:
            import datetime as dt

            dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            problems.append(ConfigProblem("expected an ISO date string such as \"2026-01-31\"", (key,)))
            return None
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            problems.append(ConfigProblem("expected true or false", (key,)))
            return None
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append(ConfigProblem(f"expected a number, got {type(value).__name__}", (key,)))
        return None
    if isinstance(default, int) and isinstance(value, float) and not value.is_integer():
        problems.append(ConfigProblem("expected a whole number", (key,)))
        return None
    lo, hi = _LIMITS[key]
    if not lo <= value <= hi:
        problems.append(ConfigProblem(f"{value} is out of range {lo}..{hi}", (key,)))
        return None
    return type(default)(value)


def _str_list(value: Any, key: tuple[str, ...], problems: list[ConfigProblem]) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        problems.append(ConfigProblem("expected a list of strings, e.g. [\"…\"]", key))
        return None
    bad = [v for v in value if not isinstance(v, str)]
    if bad:
        problems.append(ConfigProblem(f"expected strings only, got {bad[0]!r}", key, needle=str(bad[0]).lower()))
        return None
    return tuple(value)


def _check_regexes(patterns: tuple[str, ...], key: tuple[str, ...], problems: list[ConfigProblem]) -> None:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(ConfigProblem(f"bad regular expression {pattern!r}: {exc}", key, needle=pattern))


def _check_phrases(phrases: tuple[str, ...], key: tuple[str, ...], problems: list[ConfigProblem]) -> None:
    from secscan.normalize import fold_term

    for phrase in phrases:
        if not fold_term(phrase):
            problems.append(ConfigProblem(f"empty allow phrase {phrase!r}", key, needle=phrase))


def _lexicon_paths(items: tuple[str, ...], base: Path, problems: list[ConfigProblem]) -> tuple[Path, ...]:
    from secscan.lexicon import LexiconError, parse_lexicon_file

    paths = []
    for item in items:
        path = (base / item).resolve()
        if not path.is_file():
            problems.append(ConfigProblem(f"lexicon file not found: {path}", ("extra_lexicons",), needle=item))
            continue
        try:
            parse_lexicon_file(path)
        except (LexiconError, UnicodeDecodeError) as exc:
            problems.append(ConfigProblem(f"lexicon file is invalid: {exc}", ("extra_lexicons",), needle=item))
            continue
        paths.append(path)
    return tuple(paths)


def _rule_allows(value: Any, problems: list[ConfigProblem]) -> tuple[RuleAllow, ...]:
    if not isinstance(value, dict):
        problems.append(ConfigProblem("expected tables such as [allow.\"pii.mobile\"]", (_TOML_ALLOW_TABLE,)))
        return ()
    out = []
    for rule, entry in value.items():
        key = (_TOML_ALLOW_TABLE, rule)
        if not isinstance(entry, dict):
            problems.append(ConfigProblem("expected a table with phrases = [...] and/or regexes = [...]", key))
            continue
        for sub in sorted(set(entry) - {"phrases", "regexes"}):
            problems.append(ConfigProblem("unknown key; expected phrases or regexes", (*key, sub)))
        phrases = _str_list(entry.get("phrases", []), (*key, "phrases"), problems) or ()
        regexes = _str_list(entry.get("regexes", []), (*key, "regexes"), problems) or ()
        _check_phrases(phrases, (*key, "phrases"), problems)
        _check_regexes(regexes, (*key, "regexes"), problems)
        out.append(RuleAllow(rule, phrases, regexes))
    return tuple(out)


def _check_rule_ids(values: dict[str, Any], problems: list[ConfigProblem]) -> None:
    """A selector that matches no rule is a typo that would silently do nothing.

    Rule ids declared by the configured extra lexicons count as known.
    """
    from secscan.lexicon import parse_lexicon_file
    from secscan.rules import rule_table

    known = set(rule_table())
    for path in values.get("extra_lexicons", ()):
        known.update(e.rule for e in parse_lexicon_file(path))
    for rule in values.get("disabled_rules", ()):
        if not any(rule_matches(r, rule) for r in known):
            problems.append(ConfigProblem(f"no rule has the id or prefix {rule!r} (see `secscan rules`)",
                                          ("disabled_rules",), needle=rule, warning=True))
    for allow in values.get("allow_rules", ()):
        if not any(rule_matches(r, allow.rule) for r in known):
            problems.append(ConfigProblem("no rule has this id or prefix (see `secscan rules`)",
                                          (_TOML_ALLOW_TABLE, allow.rule), warning=True))


# -- finding the line of a key ---------------------------------------------------------
_HEADER_RE = lazy_regex(r"^\s*\[\[?\s*(?P<key>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN_RE = lazy_regex(r"^\s*(?P<key>(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_.\- \t])+?)\s*=")


def _key_path(dotted: str) -> tuple[str, ...] | None:
    """Split a TOML key (``a."b.c"``) the way TOML does, by letting tomllib parse it."""
    import tomllib

    try:
        node: Any = tomllib.loads(f"{dotted} = 0")
    except tomllib.TOMLDecodeError:
        return None
    path = []
    while isinstance(node, dict) and len(node) == 1:
        (k, node), = node.items()
        path.append(k)
    return tuple(path)


def _key_lines(text: str) -> Iterator[tuple[tuple[str, ...], int]]:
    """Every table header and assignment, as (full key path, 1-based line)."""
    table: tuple[str, ...] = ()
    for lineno, line in enumerate(text.splitlines(), 1):
        header = _HEADER_RE.match(line)
        if header:
            table = _key_path(header.group("key")) or table
            yield table, lineno
            continue
        assign = _ASSIGN_RE.match(line)
        if assign:
            key = _key_path(assign.group("key").strip())
            if key:
                yield table + key, lineno


def _locate_all(problems: list[ConfigProblem], text: str) -> list[ConfigProblem]:
    lines = list(_key_lines(text))
    source_lines = text.splitlines()
    out = []
    for p in problems:
        line = _locate(p, lines, source_lines)
        out.append(replace(p, line=line))
    return out


def _locate(p: ConfigProblem, lines: list[tuple[tuple[str, ...], int]], source_lines: list[str]) -> int | None:
    if p.line is not None or not p.key:
        return p.line
    starts = [n for key, n in lines if key == p.key]
    if not starts:  # e.g. a key set inside an inline table: fall back to its parent
        starts = [n for key, n in lines if key and p.key[: len(key)] == key]
        starts = starts[-1:]
    if not starts:
        return None
    start = starts[0]
    if p.needle is None:
        return start
    following = [n for _, n in lines if n > start]
    stop = following[0] if following else len(source_lines) + 1
    for n in range(start, stop):
        if p.needle in source_lines[n - 1] or _escaped(p.needle) in source_lines[n - 1]:
            return n
    return start


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def check_config(path: str | Path) -> list[ConfigProblem]:
    """Every problem in a configuration file, each with its line; empty when all is well.

    The file is usable when no problem is an error (``warning`` false)."""
    try:
        return list(load_config(path).warnings)
    except ConfigError as exc:
        return exc.problems

"""Configuration: every key loads, every mistake is reported with its line, and the
allow-lists and thresholds change what a scan reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from secscan import Scanner
from secscan.config import Config, ConfigError, RuleAllow, check_config, load_config
from secscan.types import Verdict

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "secscan.toml"
DRAFT = "机密★10年\n关于召开年度工作会议的通知\n本通知请勿外传\n"


def _write(tmp_path: Path, text: str, name: str = "secscan.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_commented_example_is_valid_and_sets_every_key() -> None:
    cfg = load_config(EXAMPLE)
    assert not [w for w in cfg.warnings if not w.warning]
    defaults = Config()
    changed = {k for k in ("extra_lexicons", "disabled_rules", "allow_phrases", "allow_regexes", "allow_rules",
                           "review_threshold", "block_threshold", "max_file_bytes", "timeout_seconds")
               if getattr(cfg, k) != getattr(defaults, k)}
    assert len(changed) == 9, changed
    assert all(p.is_file() for p in cfg.extra_lexicons)


def test_keys_at_top_level_or_under_secscan(tmp_path: Path) -> None:
    top = load_config(_write(tmp_path, "review_threshold = 30\nblock_threshold = 70\n"))
    nested = load_config(_write(tmp_path, "[secscan]\nreview_threshold = 30\nblock_threshold = 70\n", "b.toml"))
    assert top == nested and top.review_threshold == 30


def test_per_rule_allow_tables_load(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, '[allow."internal.no_forward"]\nphrases = ["本通知请勿外传"]\nregexes = ["^x"]\n'))
    assert cfg.allow_rules == (RuleAllow("internal.no_forward", ("本通知请勿外传",), ("^x",)),)


@pytest.mark.parametrize(("text", "line", "needle"), [
    ("review_threshold = 30\nblok_threshold = 70\n", 2, "did you mean 'block_threshold'"),
    ("# comment\n\nmax_file_bytes = \"big\"\n", 3, "expected a number"),
    ("review_threshold = 90\nblock_threshold = 80\n", 2, "must be below"),
    ("timeout_seconds = -1\n", 1, "out of range"),
    ('allow_regexes = [\n  "ok",\n  "(unclosed",\n]\n', 3, "bad regular expression"),
    ('disabled_rules = "marking"\n', 1, "expected a list of strings"),
    ('[secscan]\nreview_threshold = 30\n\n[secscan.allow."internal.no_forward"]\nphrase = ["x"]\n', 5, "unknown key"),
    ('extra_lexicons = ["missing.tsv"]\n', 1, "lexicon file not found"),
    ("use_model = 1\n", 1, "expected true or false"),
    ("today = \"tomorrow\"\n", 1, "ISO date"),
    ("review_threshold = 30\nblock_threshold = [\n", 2, "TOML syntax error"),
    ("review_threshold = 30\nblock_threshold 80\n", 2, "TOML syntax error"),
])
def test_check_names_the_wrong_line(tmp_path: Path, text: str, line: int, needle: str) -> None:
    path = _write(tmp_path, text)
    problems = [p for p in check_config(path) if not p.warning]
    assert problems, text
    assert problems[0].line == line, problems
    assert needle in problems[0].message
    assert problems[0].describe(path).startswith(f"{path}:{line}")
    with pytest.raises(ConfigError):
        load_config(path)


def test_bad_lexicon_line_is_reported(tmp_path: Path) -> None:
    _write(tmp_path, "绝密文件\tclassification_marking\tcustom.x\thigh\teverywhere\n", "office.tsv")
    problems = check_config(_write(tmp_path, 'extra_lexicons = ["office.tsv"]\n'))
    assert problems and "scope" in problems[0].message and problems[0].line == 1


def test_unknown_rule_ids_are_warnings_not_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, 'disabled_rules = ["marking.nonexistent"]\n')
    cfg = load_config(path)
    assert [w.line for w in cfg.warnings] == [1]
    assert check_config(path)[0].warning
    assert check_config(_write(tmp_path, 'disabled_rules = ["marking"]\n', "ok.toml")) == []


def test_allow_lists_and_thresholds_change_the_scan() -> None:
    plain = Scanner(Config(use_model=False)).scan_text(DRAFT)
    assert {f.rule for f in plain.findings} == {"marking.star_period", "internal.no_forward"}
    per_rule = Scanner(Config(use_model=False, allow_rules=(RuleAllow("internal", ("本通知请勿外传",)),))).scan_text(DRAFT)
    assert {f.rule for f in per_rule.findings} == {"marking.star_period"}
    # the same phrase allowed for another rule does nothing
    other = Scanner(Config(use_model=False, allow_rules=(RuleAllow("marking", ("本通知请勿外传",)),))).scan_text(DRAFT)
    assert {f.rule for f in other.findings} == {"marking.star_period", "internal.no_forward"}
    regex = Scanner(Config(use_model=False, allow_regexes=(r"^机密★\d+年$",))).scan_text(DRAFT)
    assert {f.rule for f in regex.findings} == {"internal.no_forward"}
    rule_regex = Scanner(Config(use_model=False, allow_rules=(RuleAllow("internal.no_forward", (), ("外传",)),))).scan_text(DRAFT)
    assert {f.rule for f in rule_regex.findings} == {"marking.star_period"}
    disabled = Scanner(Config(use_model=False, disabled_rules=("marking", "internal"))).scan_text(DRAFT)
    assert disabled.verdict is Verdict.PASS
    lenient = Scanner(Config(use_model=False, review_threshold=40, block_threshold=95)).scan_text(DRAFT)
    assert lenient.verdict is Verdict.REVIEW


def test_size_limit_from_config_fails_closed(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, "max_file_bytes = 10\nuse_model = false\n"))
    report = Scanner(cfg).scan_bytes("关于召开年度工作会议的通知".encode(), "big.txt")
    assert report.verdict is not Verdict.PASS and report.errors[0].kind.value == "too_large"


def test_configs_with_the_same_settings_are_equal_wherever_they_were_read(tmp_path: Path) -> None:
    # a worker's scanner cache keys on the configuration: the file's path and warnings are not settings
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text("review_threshold = 30\n", encoding="utf-8")
    second.write_text("review_threshold = 30\n", encoding="utf-8")
    a, b = load_config(first), load_config(second)
    assert a.source != b.source and a == b and hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert a != Config() and a != Config(review_threshold=31) and a == Config(review_threshold=30)
    assert [name for name, _ in a.settings()] == [n for n in Config.__struct_fields__ if n not in ("source", "warnings")]

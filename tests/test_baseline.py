"""Baseline: reviewed findings stay recognised after edits elsewhere; new ones show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secscan import Config, Scanner
from secscan.baseline import (
    BaselineError,
    apply_baseline,
    baseline_dict,
    baseline_from_report,
    load_baseline,
    write_baseline,
)
from secscan.types import Verdict

CONFIG = Config(use_model=False)
V1 = "机密★10年\n关于召开年度工作会议的通知\n各处室:请按时参会。\n"
# an edit above and around the marking: offsets and line numbers all move
V2 = "(2026年11月修订)\n\n机密★10年\n关于召开年度工作会议的通知\n各处室:请按时参会,并提前报送材料。\n"
V3 = V2 + "此件请勿外传\n"


def _report(tmp_path: Path, text: str):
    path = tmp_path / "notice.txt"
    path.write_text(text, encoding="utf-8")
    scanner = Scanner(CONFIG)
    return scanner.report([scanner.scan_path(path, display="site/notice.txt")])


def test_reviewed_finding_survives_edits_and_new_one_shows(tmp_path: Path) -> None:
    first = _report(tmp_path, V1)
    assert first.verdict is Verdict.BLOCK
    write_baseline(baseline_from_report(first), tmp_path / "baseline.json")
    baseline = load_baseline(tmp_path / "baseline.json")
    edited = apply_baseline(_report(tmp_path, V2), baseline, CONFIG)
    assert edited.files[0].findings == () and edited.verdict is Verdict.PASS and edited.files[0].score < 40
    grown = apply_baseline(_report(tmp_path, V3), baseline, CONFIG)
    assert [f.rule for f in grown.files[0].findings] == ["internal.no_forward"]
    assert grown.verdict is Verdict.BLOCK


def test_a_second_copy_of_a_reviewed_marking_is_new(tmp_path: Path) -> None:
    baseline = baseline_from_report(_report(tmp_path, V1))
    doubled = apply_baseline(_report(tmp_path, V1 + "\n附件\n机密★10年\n"), baseline, CONFIG)
    assert [f.text for f in doubled.files[0].findings] == ["机密★10年"]


def test_baseline_is_per_file_and_holds_no_matched_text(tmp_path: Path) -> None:
    report = _report(tmp_path, V1)
    data = baseline_dict(baseline_from_report(report))
    assert list(data["files"]) == ["site/notice.txt"]
    assert "机密" not in json.dumps(data, ensure_ascii=False)
    other = Scanner(CONFIG)
    elsewhere = other.report([other.scan_text(V1, "site/other.txt")])
    assert apply_baseline(elsewhere, baseline_from_report(report), CONFIG).verdict is Verdict.BLOCK


def test_read_errors_are_never_baselined(tmp_path: Path) -> None:
    scanner = Scanner(CONFIG)
    broken = scanner.report([scanner.scan_bytes(b"PK\x03\x04garbage", "a.docx")])
    assert broken.files[0].errors
    kept = apply_baseline(broken, baseline_from_report(broken), CONFIG)
    assert kept.verdict is not Verdict.PASS


@pytest.mark.parametrize("content", ["not json", "{}", '{"secscan_baseline": 1, "files": {"a": [{"rule": "x"}]}}'])
def test_malformed_baseline_is_an_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError):
        load_baseline(path)

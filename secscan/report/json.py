"""The SPEC's JSON report (``json``) and one file report per line (``jsonl``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from secscan.types import FileReport, Finding, ScanReport

if TYPE_CHECKING:
    from secscan.report import RenderOptions


def finding_dict(f: Finding, mask: bool = False) -> dict[str, Any]:
    from secscan.report.mask import shown_context, shown_text

    location: dict[str, Any] = {
        "part": f.location.part.value,
        "page": f.location.page,
        "paragraph": f.location.paragraph,
        "line": f.location.line,
    }
    if f.location.label:
        location["label"] = f.location.label
    return {
        "category": f.category.value,
        "severity": f.severity.value,
        "rule": f.rule,
        "text": shown_text(f, mask),
        "start": f.start,
        "end": f.end,
        "location": location,
        "context": shown_context(f, mask),
        "reason": f.reason,
        "score": f.score,
        "fingerprint": f.fingerprint,
    }


def file_dict(r: FileReport, mask: bool = False) -> dict[str, Any]:
    return {
        "path": r.path,
        "verdict": r.verdict.value,
        "score": r.score,
        "findings": [finding_dict(f, mask) for f in r.findings],
        "errors": [{"kind": e.kind.value, "message": e.message} for e in r.errors],
    }


def report_dict(report: ScanReport, mask: bool = False) -> dict[str, Any]:
    return {
        "secscan_version": report.secscan_version,
        "lexicon_version": report.lexicon_version,
        "model_version": report.model_version,
        "files": [file_dict(f, mask) for f in report.files],
    }


def render(report: ScanReport, options: RenderOptions) -> str:
    return json.dumps(report_dict(report, options.mask), ensure_ascii=False, indent=2) + "\n"


def render_lines(report: ScanReport, options: RenderOptions) -> str:
    return "".join(json.dumps(file_dict(f, options.mask), ensure_ascii=False) + "\n" for f in report.files)

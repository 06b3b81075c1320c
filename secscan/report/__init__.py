"""Output formats, one module each, fed only the finished report and render options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from secscan.report import html as html_report
from secscan.report import json as json_report
from secscan.report import sarif as sarif_report
from secscan.report import text as text_report
from secscan.types import ScanReport


@dataclass(frozen=True)
class RenderOptions:
    """What a person asked of the rendering itself (not of the scan)."""

    mask: bool = False
    color: bool = False


Renderer = Callable[[ScanReport, RenderOptions], str]

FORMATS: dict[str, Renderer] = {
    "text": text_report.render,
    "json": json_report.render,
    "jsonl": json_report.render_lines,
    "html": html_report.render,
    "sarif": sarif_report.render,
}


def render(report: ScanReport, fmt: str, options: RenderOptions | None = None) -> str:
    return FORMATS[fmt](report, options or RenderOptions())

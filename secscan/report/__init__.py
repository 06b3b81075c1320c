"""Output formats, one module each, fed only the finished report and render options.

A format's module is imported when it is first used: the JSON report does not load rich.
"""

from __future__ import annotations

from collections.abc import Callable

from msgspec import Struct

from secscan.lazy import LazyTable
from secscan.types import ScanReport


class RenderOptions(Struct, frozen=True):
    """What a person asked of the rendering itself (not of the scan)."""

    mask: bool = False
    color: bool = False


Renderer = Callable[[ScanReport, RenderOptions], str]

FORMATS = LazyTable({
    "text": "secscan.report.text:render",
    "json": "secscan.report.json:render",
    "jsonl": "secscan.report.json:render_lines",
    "html": "secscan.report.html:render",
    "sarif": "secscan.report.sarif:render",
})


def render(report: ScanReport, fmt: str, options: RenderOptions | None = None) -> str:
    renderer: Renderer = FORMATS[fmt]
    return renderer(report, options or RenderOptions())

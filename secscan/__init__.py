"""secscan: 信息公开保密审查 — the mechanical first pass before anything is published.

    from secscan import Scanner
    report = Scanner().scan_path("draft.docx")
    print(report.verdict.zh, [f.rule for f in report.findings])
"""

__version__ = "0.1.0"

from secscan.config import Config, load_config
from secscan.pipeline import Scanner
from secscan.types import (
    Category,
    FileReport,
    Finding,
    ScanReport,
    Severity,
    Verdict,
)

__all__ = [
    "Category",
    "Config",
    "FileReport",
    "Finding",
    "ScanReport",
    "Scanner",
    "Severity",
    "Verdict",
    "__version__",
    "load_config",
]

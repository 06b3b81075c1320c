"""secscan: 信息公开保密审查 — the mechanical first pass before anything is published.

    from secscan import Scanner
    report = Scanner().scan_path("draft.docx")
    print(report.verdict.zh, [f.rule for f in report.findings])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from secscan.config import Config, load_config
    from secscan.pipeline import Scanner
    from secscan.types import Category, FileReport, Finding, ScanReport, Severity, Verdict

# Resolved on first use (PEP 562): `import secscan.cli` or `secscan.report` must not pay
# for the pipeline, the detectors and every extractor before it knows what it will do.
_LAZY = {
    "Config": "secscan.config",
    "load_config": "secscan.config",
    "Scanner": "secscan.pipeline",
    "Category": "secscan.types",
    "FileReport": "secscan.types",
    "Finding": "secscan.types",
    "ScanReport": "secscan.types",
    "Severity": "secscan.types",
    "Verdict": "secscan.types",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'secscan' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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

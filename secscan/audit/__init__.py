"""The batch audit: sweep a published site or archive and rank what must come down.

* :mod:`~secscan.audit.sources` — folders, WARC files, URL lists, sitemaps → :class:`Item`s
  (streamed, never a list of the whole corpus);
* :mod:`~secscan.audit.fetch` — the polite HTTP fetcher behind URL lists and sitemaps;
* :mod:`~secscan.audit.worker` — the one scan function both engines run;
* :mod:`~secscan.audit.store` — the SQLite database (WAL) that makes an audit resumable;
* :mod:`~secscan.audit.runner` — a local process pool or a Dask cluster, fed from a
  bounded window of in-flight documents;
* :mod:`~secscan.audit.report` — the ranked list (csv, jsonl, html).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from secscan.audit.runner import AuditSummary, run_audit
    from secscan.audit.store import AuditStore

__all__ = ["AuditStore", "AuditSummary", "run_audit"]
_HOMES = {"AuditStore": "secscan.audit.store", "AuditSummary": "secscan.audit.runner", "run_audit": "secscan.audit.runner"}


def __getattr__(name: str) -> Any:
    """Loaded on first use, so ``secscan --help`` and ``secscan scan`` do not import the
    audit machinery (PEP 562)."""
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'secscan.audit' has no attribute {name!r}")

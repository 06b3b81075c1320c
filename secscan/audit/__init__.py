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

from secscan.audit.runner import AuditSummary, run_audit
from secscan.audit.store import AuditStore

__all__ = ["AuditStore", "AuditSummary", "run_audit"]

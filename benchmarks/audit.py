"""Audit throughput: documents/s and MB/s of the local engine with 1 and 2 processes, and Dask.

    .venv/bin/python benchmarks/audit.py --dask 2        # 10,000 generated documents
    .venv/bin/python benchmarks/audit.py --docs 2000 --jobs 1 2 4 --dask 2
    .venv/bin/python benchmarks/audit.py --docs 2000 --jobs --dask 2 --batch 1 16 64 128   # choose the batch size

The corpus is the test suite's generated site (tests/audit_site.py): HTML pages plus
txt/docx/pdf attachments in the proportions of a 政务公开 site, some with planted
markings and ID numbers.  It is written once to --corpus and reused.  Each run audits it
into a fresh database, so nothing is reused between runs; the classifier is off unless
--model is given (it is measured in its own benchmark).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from msgspec.structs import replace

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the site generator lives with the tests

from audit_site import build_site  # noqa: E402

from secscan import Config  # noqa: E402
from secscan.audit import AuditStore, run_audit  # noqa: E402
from secscan.audit.fetch import Fetcher  # noqa: E402
from secscan.audit.sources import open_source  # noqa: E402


def corpus(root: Path, docs: int) -> Path:
    marker = root / f".built-{docs}"
    if not marker.exists():
        attachments = docs // 5
        build_site(root, pages=docs - attachments - 5, attachments=attachments, seed=11, duplicates=5)
        marker.write_text("ok", encoding="utf-8")
    return root


def run(root: Path, jobs: int, config: Config, engine: str = "local", batch: int | None = None) -> dict:
    """One audit of the corpus into a fresh database; ``engine="dask"`` on a LocalCluster of ``jobs`` workers.

    The cluster is started before the clock starts (a real cluster is already up).
    """
    with tempfile.TemporaryDirectory() as tmp, AuditStore(Path(tmp) / "bench.db") as store:
        cluster = None
        if engine == "dask":
            from distributed import LocalCluster

            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        try:
            summary = run_audit([open_source(str(root), Fetcher())], store, config, jobs=jobs, engine=engine,
                                scheduler=cluster.scheduler_address if cluster else None,
                                progress=sys.stderr.isatty(), batch_docs=batch)
            wall = time.perf_counter() - started
        finally:
            if cluster is not None:
                cluster.close()
    result = {
        "engine": engine, "jobs": jobs, "batch": batch, "batches": summary.batches, "documents": summary.documents,
        "scanned": summary.scanned, "mb": round(summary.bytes / 1e6, 2), "seconds": round(wall, 2),
        "docs_per_second": round(summary.documents / wall, 1), "mb_per_second": round(summary.bytes / 1e6 / wall, 3),
        "docs_per_second_per_worker": round(summary.documents / wall / jobs, 1), "load_before": round(load_before, 2),
    }
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "secscan-bench-audit")
    parser.add_argument("--model", action="store_true", help="Keep the classifier on.")
    parser.add_argument("--dask", type=int, nargs="*", default=[], help="Also run Dask LocalClusters of these sizes.")
    parser.add_argument("--batch", type=int, nargs="*", default=[0],
                        help="Documents per task to try (0: the engine's default).")
    args = parser.parse_args()
    config = Config() if args.model else replace(Config(), use_model=False)
    started = time.perf_counter()
    root = corpus(args.corpus / str(args.docs), args.docs)
    print(f"corpus {root} ready in {time.perf_counter() - started:.1f}s; cpus {os.cpu_count()}", file=sys.stderr)
    runs = [run(root, jobs, config, batch=b or None) for b in args.batch for jobs in args.jobs]
    runs += [run(root, workers, config, "dask", b or None) for b in args.batch for workers in args.dask]
    base = runs[0]["docs_per_second"]
    for r in runs:
        r["scaling"] = round(r["docs_per_second"] / base, 2) if base else None
    print(json.dumps({"corpus_docs": args.docs, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()

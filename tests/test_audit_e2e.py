"""The audit end to end on a generated site of a few hundred pages and attachments.

Folder, WARC and a loopback web server give the same findings; an audit killed with
SIGKILL resumes with nothing lost and nothing scanned twice; Dask equals local.
"""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from audit_site import Planted, build_site
from loopback import QuietLog, loopback_server
from msgspec.structs import replace

from secscan import Config
from secscan.audit import AuditStore, run_audit
from secscan.audit.fetch import Fetcher, FetchPolicy
from secscan.audit.report import ReportOptions, build_report
from secscan.audit.sources import Filters, open_source
from secscan.rules import rule_table
from secscan.types import Verdict

CONFIG = Config(use_model=False, today="2026-11-23")
WARC_HOST = "http://www.example.gov.cn"
VENV_SECSCAN = Path(sys.executable).with_name("secscan")


class QuietHandler(QuietLog, SimpleHTTPRequestHandler):
    """Serves the site folder without an access log."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Planted]]:
    root = tmp_path_factory.mktemp("site")
    return root, build_site(root)


@pytest.fixture(scope="module")
def server(site: tuple[Path, list[Planted]]) -> Iterator[str]:
    root, _ = site
    with loopback_server(partial(QuietHandler, directory=str(root))) as base:
        yield base


def write_warc(path: Path, root: Path, planted: list[Planted]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record("crawl.warc.gz", {"software": "test"}))
        for p in planted:
            url = f"{WARC_HOST}/{p.rel}"
            headers = StatusAndHeaders("200 OK", [("Content-Type", "application/octet-stream")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"), warc_content_type="application/http; msgtype=request"))
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO((root / p.rel).read_bytes()), http_headers=headers))
        # a dead link in the crawl: not published content, not a document
        gone = StatusAndHeaders("404 Not Found", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            f"{WARC_HOST}/gone.html", "response", payload=io.BytesIO(b"<p>not here</p>"), http_headers=gone))


def audit(db: Path, specs: list[str], *, jobs: int = 2, config: Config = CONFIG, **kw: object):
    fetcher = Fetcher(FetchPolicy(concurrency=8, per_host_delay=0.0, timeout=10))
    with AuditStore(db) as store:
        sources = [open_source(s, fetcher, Filters()) for s in specs]
        return run_audit(sources, store, config, jobs=jobs, progress=False, **kw)


def results(db: Path, rel_of) -> dict[str, tuple[str, tuple[tuple[str, str], ...]]]:
    """rel path → (verdict, sorted (rule, text) of every finding)."""
    with AuditStore(db, readonly=True) as store:
        report = build_report(store, ReportOptions(min_verdict=Verdict.PASS, top=10_000), CONFIG)
        return {
            rel_of(row.doc): (row.verdict.value, tuple(sorted((f.rule, f.text) for f in row.findings)))
            for row in report.rows
        }


def url_rel(doc) -> str:
    return urlsplit(doc.url).path.lstrip("/")


def test_folder_warc_and_web_give_the_same_findings(site, server, tmp_path: Path) -> None:
    root, planted = site
    warc = tmp_path / "crawl.warc.gz"
    write_warc(warc, root, planted)
    urls = tmp_path / "urls.txt"
    urls.write_text("# 本站全部页面和附件\n" + "".join(f"{server}/{p.rel}\n" for p in planted), encoding="utf-8")

    folder = audit(tmp_path / "folder.db", [str(root)])
    from_warc = audit(tmp_path / "warc.db", [str(warc)])
    from_web = audit(tmp_path / "web.db", [str(urls)])

    by_folder = results(tmp_path / "folder.db", lambda d: Path(d.path).relative_to(root).as_posix())
    by_warc = results(tmp_path / "warc.db", url_rel)
    by_web = results(tmp_path / "web.db", url_rel)
    assert len(by_folder) == len(planted) >= 300
    assert by_warc == by_folder
    assert by_web == by_folder
    # byte-identical attachments under other names are scanned once
    for summary in (folder, from_warc, from_web):
        assert summary.documents == len(planted)
        assert summary.reused >= 5 and summary.scanned == len(planted) - summary.reused

    has_pii = "pii.resident_id" in rule_table()
    for p in planted:
        verdict, findings = by_folder[p.rel]
        texts = {text for _, text in findings}
        rules = {rule for rule, _ in findings}
        if p.marking:
            assert verdict == "block" and p.marking in texts, p
            assert any(r.startswith("marking.") for r in rules), p
        if p.internal:
            assert verdict == "block" and any(r.startswith("internal.") for r in rules), p
        if p.ids and has_pii:
            assert verdict == "block" and set(p.ids) <= texts, p
        if not p.flagged:
            assert not any(r.startswith(("marking.", "internal.", "pii.resident")) for r in rules), p
    clean_pages = [p for p in planted if not p.flagged and p.kind == "page"]
    assert clean_pages and all(by_folder[p.rel][0] == "pass" for p in clean_pages)

    # every origin is kept: the WARC record id, the fetched URL
    with AuditStore(tmp_path / "warc.db", readonly=True) as store:
        doc = next(store.documents(1))
        assert doc.warc_record and doc.warc_record.startswith("<urn:uuid:") and doc.url.startswith(WARC_HOST)


def _recorded(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_killed_audit_resumes_without_loss_or_rescan(site, tmp_path: Path) -> None:
    root, planted = site
    db = tmp_path / "audit.db"
    proc = subprocess.Popen(
        [str(VENV_SECSCAN), "audit", "run", str(root), "--db", str(db), "--jobs", "2", "--no-model", "--quiet"],
        cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while _recorded(db) < 10 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI, its forkserver and its workers: kill -9 mid-run
    proc.wait()
    before = _recorded(db)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    assert 0 < before < len(planted), "the audit must be killed mid-run"
    with AuditStore(db, readonly=True) as store:
        hashes_before = len(store.scan_counts())
        assert store.audits()[0].status == "running"

    cli_config = replace(Config(), use_model=False)  # what `--no-model` gives the CLI
    summary = audit(db, [str(root)], config=cli_config, resume=True)

    assert summary.resumed and summary.audit_id == 1
    assert summary.documents == len(planted) - before  # nothing recorded is read again
    with AuditStore(db, readonly=True) as store:
        counts = store.scan_counts()
        assert set(counts.values()) == {1}  # no content scanned twice
        assert summary.scanned == len(counts) - hashes_before
        assert store.documents_recorded(1) == len(planted)  # nothing lost
        assert store.audits()[0].status == "finished"
        origins = {d.origin for d in store.documents(1)}
    assert origins == {str((root / p.rel).resolve()) for p in planted}


def test_dask_engine_equals_local(site, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    root, planted = site
    subset = Filters(include=("xxgk/202[01]/*", "xxgk/fj/*"))  # a few dozen documents: the cluster start dominates
    part = [p for p in planted if subset.wants(p.rel)]
    fetcher = Fetcher()
    local_db, dask_db = tmp_path / "local.db", tmp_path / "dask.db"
    with AuditStore(local_db) as store:
        run_audit([open_source(str(root), fetcher, subset)], store, CONFIG, jobs=2, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with AuditStore(dask_db) as store:
            summary = run_audit([open_source(str(root), fetcher, subset)], store, CONFIG, engine="dask",
                                scheduler=cluster.scheduler_address, progress=False, batch_docs=4)
    assert summary.documents == len(part) >= 30
    assert summary.scanned / 4 <= summary.batches < summary.scanned  # batched: up to 4 documents a task
    with AuditStore(dask_db, readonly=True) as store:
        workers = {row[0] for row in store._db.execute("SELECT worker FROM results")}
    assert len(workers) == 2  # both Dask workers took a share
    rel = lambda d: Path(d.path).relative_to(root).as_posix()  # noqa: E731
    assert results(dask_db, rel) == results(local_db, rel)

"""Attachments linked from fetched pages are followed: same host, once each, one level deep, resumable."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest
from audit_site import resident_id
from builders import docx_bytes, pdf_lines
from click.testing import CliRunner
from loopback import QuietLog, loopback_server

from secscan import Config
from secscan.audit import AuditStore, run_audit
from secscan.audit.fetch import Fetcher, FetchPolicy
from secscan.audit.follow import attachment_urls
from secscan.audit.report import ReportOptions, build_report, render_csv, render_jsonl
from secscan.audit.sources import Filters, open_source
from secscan.audit.worker import Batch, scan_batch
from secscan.cli import main
from secscan.types import Verdict

CONFIG = Config(use_model=False, today="2026-11-23")
NOTICE = "关于公布2024年度优秀志愿者名单的通知\n经各单位推荐、评审,现将名单予以公布。\n"
PID = resident_id(random.Random(21))


def _page(title: str, links: list[str]) -> bytes:
    anchors = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f"<h1>{title}</h1><p>各单位要认真贯彻落实,及时报送工作进展情况。</p><ul>{anchors}</ul></body></html>").encode()


class Site(QuietLog, BaseHTTPRequestHandler):
    """path → (content type, body); every GET is counted."""

    routes: ClassVar[dict[str, tuple[str, bytes]]] = {}
    hits: ClassVar[Counter[str]] = Counter()

    def do_GET(self) -> None:
        Site.hits[self.path] += 1
        content_type, body = self.routes.get(self.path, ("text/plain", b"not found"))
        self.send_response(200 if self.path in self.routes else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    with loopback_server(Site) as base:
        Site.routes = _site_routes(base)
        yield base


def _site_routes(base: str) -> dict[str, tuple]:
    # The same server under another host name: an external site as far as the audit knows.
    other = base.replace("127.0.0.1", "localhost")
    return {
        "/tzgg/t1.html": ("text/html; charset=utf-8", _page("关于召开专题会议的通知", [
            ("/tzgg/fj/meeting.docx", "附件1:会议方案"),
            ("fj/list.pdf#page=2", "附件2:人员名单"),  # relative, with a fragment
            ("/tzgg/t2.html", "下一篇"),  # a page, not an attachment
            (f"{other}/ext/leak.pdf", "外站附件"),  # another host
            ("/download.jsp?id=7&file=plan.txt", "附件3"),
        ])),
        "/tzgg/t2.html": ("text/html; charset=utf-8", _page("关于公布志愿者名单的通知", [
            ("/tzgg/fj/list.pdf", "附件:名单"),  # linked again: fetched once
            ("/tzgg/fj/soft404.doc", "附件:旧文件"),
            ("/tzgg/fj/missing.xlsx", "附件:已删除"),
        ])),
        "/tzgg/fj/meeting.docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                  docx_bytes(["机密★10年", "关于调整专项资金使用的会议方案", "请各单位严格落实。"])),
        "/tzgg/fj/list.pdf": ("application/pdf", pdf_lines(["获奖志愿者名单", f"王芳 身份证号:{PID}"])),
        "/download.jsp?id=7&file=plan.txt": ("text/plain; charset=utf-8",
                                             ("工作秘密\n" + NOTICE).encode()),
        # A server answering a dead attachment link with an HTML page that links further.
        "/tzgg/fj/soft404.doc": ("text/html; charset=utf-8", _page("页面不存在", [("/tzgg/fj/deeper.pdf", "x")])),
        "/tzgg/fj/deeper.pdf": ("application/pdf", pdf_lines(["秘密★5年"])),
        "/ext/leak.pdf": ("application/pdf", pdf_lines(["绝密★长期"])),
        "/sitemap.xml": ("application/xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{base}/tzgg/t2.html</loc></url></urlset>""".encode()),
    }


def _urls(tmp_path: Path, web: str) -> Path:
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{web}/tzgg/t1.html\n{web}/tzgg/t2.html\n", encoding="utf-8")
    return listing


def _audit(db: Path, spec: Path, **kw: object):
    fetcher = Fetcher(FetchPolicy(concurrency=4, per_host_delay=0.0, timeout=10))
    with AuditStore(db) as store:
        return run_audit([open_source(str(spec), fetcher, Filters(exclude=("*.xlsx",)))], store, CONFIG, jobs=1,
                         progress=False, **kw)


def _rows(db: Path) -> dict[str, dict]:
    with AuditStore(db, readonly=True) as store:
        report = build_report(store, ReportOptions(min_verdict=Verdict.PASS, top=50), CONFIG)
        return {d["url"]: d for d in map(json.loads, render_jsonl(report))}


def test_attachment_urls_resolve_on_the_same_host_only() -> None:
    page = "http://www.x.gov.cn/xxgk/2024/t1.html"
    links = ["fj/a.pdf#p2", "/zcwj/b.docx", "../c.xls", "http://WWW.X.GOV.CN/d.zip", "https://www.x.gov.cn/e.ofd",
             "http://other.gov.cn/f.pdf", "ftp://www.x.gov.cn/g.pdf", "fj/a.pdf", page]
    assert attachment_urls(page, links) == [
        "http://www.x.gov.cn/xxgk/2024/fj/a.pdf", "http://www.x.gov.cn/zcwj/b.docx", "http://www.x.gov.cn/xxgk/c.xls",
        "http://WWW.X.GOV.CN/d.zip", "https://www.x.gov.cn/e.ofd",  # the host decides, not the scheme
    ]
    assert attachment_urls(page, links, Filters(exclude=("*.docx", "*.zip"))) == [
        "http://www.x.gov.cn/xxgk/2024/fj/a.pdf", "http://www.x.gov.cn/xxgk/c.xls", "https://www.x.gov.cn/e.ofd",
    ]


def test_pages_lead_to_their_attachments_once_each_one_level_deep(web: str, tmp_path: Path) -> None:
    Site.hits.clear()
    summary = _audit(tmp_path / "a.db", _urls(tmp_path, web))
    rows = _rows(tmp_path / "a.db")
    t1, t2 = f"{web}/tzgg/t1.html", f"{web}/tzgg/t2.html"
    assert set(rows) == {t1, t2, f"{web}/tzgg/fj/meeting.docx", f"{web}/tzgg/fj/list.pdf",
                         f"{web}/download.jsp?id=7&file=plan.txt", f"{web}/tzgg/fj/soft404.doc"}
    assert summary.documents == 6 and summary.attachments == 4
    # each recorded with its own URL and the page that linked it (the first one, for a shared attachment)
    assert rows[f"{web}/tzgg/fj/meeting.docx"]["linked_from"] == t1
    assert rows[f"{web}/tzgg/fj/list.pdf"]["linked_from"] in (t1, t2)  # the pages are fetched concurrently
    assert rows[f"{web}/tzgg/fj/soft404.doc"]["linked_from"] == t2
    assert "linked_from" not in rows[t1] and "linked_from" not in rows[t2]
    # what is inside the attachments is found; the pages themselves are clean
    docx_row = rows[f"{web}/tzgg/fj/meeting.docx"]
    assert docx_row["verdict"] == "block" and any(f["text"] == "机密★10年" for f in docx_row["findings"])
    pdf_row = rows[f"{web}/tzgg/fj/list.pdf"]
    assert pdf_row["verdict"] == "block" and any(f["text"] == PID for f in pdf_row["findings"])
    plan = rows[f"{web}/download.jsp?id=7&file=plan.txt"]
    assert plan["verdict"] == "block" and any(f["rule"].startswith("internal.") for f in plan["findings"])
    assert rows[t1]["verdict"] == rows[t2]["verdict"] == "pass"
    # once each; no other host, no page, no second level, nothing excluded by the globs
    assert Site.hits["/tzgg/fj/list.pdf"] == 1
    for never in ("/tzgg/fj/deeper.pdf", "/ext/leak.pdf", "/tzgg/fj/missing.xlsx"):
        assert Site.hits[never] == 0, never
    assert Site.hits["/tzgg/t2.html"] == 1  # listed once, linked from t1 as a page: not fetched again

    # a re-audit follows the links of unchanged pages too (their results are reused, not rescanned)
    again = _audit(tmp_path / "a.db", _urls(tmp_path, web))
    assert again.documents == 6 and again.attachments == 4 and again.scanned == 0


def test_no_follow_attachments_audits_only_the_listed_pages(web: str, tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    out = CliRunner().invoke(main, ["audit", "run", str(_urls(tmp_path, web)), "--db", str(db), "--no-model", "--jobs",
                                    "1", "--delay", "0", "--no-follow-attachments"])
    assert out.exit_code == 0, out.output  # both pages are clean
    assert set(_rows(db)) == {f"{web}/tzgg/t1.html", f"{web}/tzgg/t2.html"}
    out = CliRunner().invoke(main, ["audit", "run", str(_urls(tmp_path, web)), "--db", str(db), "--no-model", "--jobs",
                                    "1", "--delay", "0"])
    assert out.exit_code == 4 and "其中附件 5" in out.output  # followed by default (the .xlsx 404 included)


def test_a_sitemap_audit_follows_the_attachments_too(web: str, tmp_path: Path) -> None:
    fetcher = Fetcher(FetchPolicy(per_host_delay=0.0, timeout=10))
    with AuditStore(tmp_path / "s.db") as store:
        summary = run_audit([open_source(f"{web}/sitemap.xml", fetcher)], store, CONFIG, jobs=1, progress=False)
    rows = _rows(tmp_path / "s.db")
    assert summary.attachments == 3  # list.pdf, soft404.doc, missing.xlsx (fetched: a 404 is a review)
    assert rows[f"{web}/tzgg/fj/list.pdf"]["linked_from"] == f"{web}/tzgg/t2.html"
    missing = rows[f"{web}/tzgg/fj/missing.xlsx"]
    assert missing["verdict"] == "review" and "404" in missing["errors"][0]["message"]


class StopOnAttachments:
    """Scans pages in this process and dies, like a killed client, at the first batch of attachments."""

    slots = 1
    window = 2
    batch_docs = 8
    batch_bytes = 1 << 20

    def __init__(self, die: bool) -> None:
        self.die = die

    def submit(self, batch: Batch) -> Future:
        if self.die and any(not job.name.endswith(".html") for job in batch.jobs):
            raise KeyboardInterrupt
        future: Future = Future()
        future.set_result(scan_batch(batch, CONFIG))
        return future

    def wait_some(self, futures: set, block: bool = True) -> tuple[set, set]:
        return set(futures), set()

    def close(self) -> None:
        pass


def test_a_stopped_audit_resumes_with_the_attachments_of_recorded_pages(web: str, tmp_path: Path) -> None:
    db, listing = tmp_path / "c.db", _urls(tmp_path, web)
    with pytest.raises(KeyboardInterrupt):
        _audit(db, listing, engine=StopOnAttachments(die=True))
    assert set(_rows(db)) == {f"{web}/tzgg/t1.html", f"{web}/tzgg/t2.html"}
    Site.hits.clear()
    summary = _audit(db, listing, engine=StopOnAttachments(die=False), resume=True)
    assert summary.resumed and summary.documents == 4 and summary.attachments == 4
    assert Site.hits["/tzgg/t1.html"] == Site.hits["/tzgg/t2.html"] == 0  # pages are not fetched again
    assert Site.hits["/tzgg/fj/meeting.docx"] == 1
    assert len(_rows(db)) == 6
    with AuditStore(db, readonly=True) as store:
        assert set(store.scan_counts().values()) == {1}
        csv_text = "".join(render_csv(build_report(store, ReportOptions(), CONFIG)))
    assert f"{web}/tzgg/t1.html" in csv_text  # the linked_from column of the attachments

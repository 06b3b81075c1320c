"""Audit sources: globs, WARC records, URL lists, hardened sitemaps and the polite fetcher."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest
from loopback import QuietLog, loopback_server

from secscan.audit.fetch import Fetcher, FetchPolicy
from secscan.audit.sources import (
    Filters,
    FolderSource,
    SitemapSource,
    UrlListSource,
    WarcSource,
    open_source,
    url_section,
)
from secscan.types import ErrorKind

PAGE = "<html><body><p>关于开展便民服务的通知</p></body></html>".encode()
BIG = b"<p>" + "政务公开".encode() * 5000 + b"</p>"


class Routes(QuietLog, BaseHTTPRequestHandler):
    """A loopback site: path → (status, body, seconds to wait before answering)."""

    routes: ClassVar[dict[str, tuple[int, bytes, float]]] = {}
    hits: ClassVar[list[tuple[str, float]]] = []

    def do_GET(self) -> None:
        Routes.hits.append((self.path, time.monotonic()))
        status, body, wait = self.routes.get(self.path, (404, b"not found", 0.0))
        time.sleep(wait)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    with loopback_server(Routes) as base:
        Routes.routes = _routes(base)
        yield base


def _routes(base: str) -> dict[str, tuple]:
    return {
        "/xxgk/a.html": (200, PAGE, 0.0),
        "/xxgk/b.html": (200, PAGE + b"<p>b</p>", 0.0),
        "/tzgg/c.html": (200, PAGE + b"<p>c</p>", 0.0),
        "/big.html": (200, BIG, 0.0),
        "/slow.html": (200, PAGE, 2.0),
        "/sitemap.xml": (200, f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{base}/sm1.xml</loc></sitemap>
  <sitemap><loc>{base}/missing.xml</loc></sitemap>
</sitemapindex>""".encode(), 0.0),
        "/sm1.xml": (200, f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{base}/xxgk/a.html</loc><lastmod>2024-05-01</lastmod></url>
  <url><loc> {base}/tzgg/c.html </loc></url>
</urlset>""".encode(), 0.0),
    }


def never(key: str) -> bool:
    return False


@pytest.mark.parametrize(
    ("include", "exclude", "rel", "wanted"),
    [
        ((), (), "xxgk/2024/a.html", True),
        (("*.pdf",), (), "xxgk/fj/a.pdf", True),
        (("*.pdf",), (), "xxgk/a.html", False),
        (("xxgk/*",), (), "xxgk/2024/a.html", True),
        (("xxgk/*",), (), "tzgg/a.html", False),
        ((), ("*.css", "*.js"), "static/site.css", False),
        ((), ("*.css",), "xxgk/a.html", True),
        (("xxgk/*",), ("*/fj/*",), "xxgk/fj/a.docx", False),
    ],
)
def test_filters(include: tuple[str, ...], exclude: tuple[str, ...], rel: str, wanted: bool) -> None:
    assert Filters(include, exclude).wants(rel) is wanted


@pytest.mark.parametrize(
    ("url", "section"),
    [
        ("http://www.x.gov.cn/xxgk/2024/a.html", "www.x.gov.cn/xxgk"),
        ("http://www.x.gov.cn/index.html", "www.x.gov.cn"),
        ("https://www.x.gov.cn/%E5%85%AC%E5%91%8A/a.html", "www.x.gov.cn/公告"),
    ],
)
def test_url_section(url: str, section: str) -> None:
    assert url_section(url) == section


def test_folder_streams_with_globs_sections_and_skip(tmp_path: Path) -> None:
    (tmp_path / "xxgk" / "fj").mkdir(parents=True)
    (tmp_path / "xxgk" / "a.html").write_bytes(PAGE)
    (tmp_path / "xxgk" / "fj" / "b.txt").write_text("机密★10年", encoding="utf-8")
    (tmp_path / "site.css").write_text("body{}", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("x", encoding="utf-8")
    source = FolderSource(tmp_path, Filters(exclude=("*.css",)))
    assert source.estimate() == 2
    items = list(source.items(never))
    assert [i.origin.section for i in items] == ["xxgk", "xxgk"]
    assert items[1].data == "机密★10年".encode()
    asked: list[str] = []
    skipped = list(source.items(lambda key: asked.append(key) or key.endswith("a.html")))
    assert [i.name for i in skipped] == ["b.txt"] and len(asked) == 2


def test_folder_too_large_is_an_error_not_a_read(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_bytes(b"x" * 100)
    (item,) = FolderSource(tmp_path, max_bytes=10).items(never)
    assert item.data is None and item.error is not None and item.error.kind is ErrorKind.TOO_LARGE


def test_warc_keeps_responses_and_resources_with_their_record_ids(tmp_path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "crawl.warc"  # uncompressed this time
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=False)
        ok = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        moved = StatusAndHeaders("301 Moved", [("Location", "/b")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record("http://x.gov.cn/xxgk/a.html", "response", payload=io.BytesIO(PAGE),
                                            http_headers=ok))
        w.write_record(w.create_warc_record("http://x.gov.cn/old", "response", payload=io.BytesIO(b""),
                                            http_headers=moved))
        w.write_record(w.create_warc_record("http://x.gov.cn/fj/b.txt", "resource", payload=io.BytesIO("秘密★5年".encode()),
                                            warc_content_type="text/plain"))
        w.write_record(w.create_warc_record("http://x.gov.cn/site.css", "response", payload=io.BytesIO(b"p{}"),
                                            http_headers=ok))
    source = open_source(str(path), Fetcher(), Filters(exclude=("*.css",)))
    assert isinstance(source, WarcSource)
    items = list(source.items(never))
    assert [i.origin.url for i in items] == ["http://x.gov.cn/xxgk/a.html", "http://x.gov.cn/fj/b.txt"]
    assert items[0].data == PAGE and items[1].data == "秘密★5年".encode()
    assert all(i.origin.warc_record and i.origin.key.endswith(i.origin.warc_record) for i in items)
    assert items[0].origin.section == "x.gov.cn/xxgk"


def test_url_list_fetches_pages_and_reads_paths(web: str, tmp_path: Path) -> None:
    local = tmp_path / "note.txt"
    local.write_text("工作秘密\n关于某事的通知", encoding="utf-8")
    listing = tmp_path / "urls.txt"
    listing.write_text(f"# 网站页面\n{web}/xxgk/a.html\n\n{web}/nope.html\n{local}\n", encoding="utf-8")
    source = open_source(str(listing), Fetcher(FetchPolicy(per_host_delay=0)))
    assert isinstance(source, UrlListSource) and source.estimate() == 3
    items = {i.origin.key: i for i in source.items(never)}
    assert items[f"{web}/xxgk/a.html"].data == PAGE
    gone = items[f"{web}/nope.html"]
    assert gone.data is None and gone.error is not None and "404" in gone.error.message
    assert items[str(local.resolve())].data == "工作秘密\n关于某事的通知".encode()


def test_sitemap_index_is_followed_and_a_missing_sitemap_is_reported(web: str) -> None:
    source = open_source(f"{web}/sitemap.xml", Fetcher(FetchPolicy(per_host_delay=0)))
    assert isinstance(source, SitemapSource)
    items = list(source.items(never))
    fetched = sorted(i.origin.url for i in items if i.data is not None)
    assert fetched == [f"{web}/tzgg/c.html", f"{web}/xxgk/a.html"]
    (failed,) = [i for i in items if i.data is None]
    assert failed.origin.url == f"{web}/missing.xml" and "404" in failed.error.message


def test_sitemap_parsing_resolves_no_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("http://evil.example/leak", encoding="utf-8")
    sitemap = tmp_path / "sitemap.xml"
    sitemap.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{secret}"><!ENTITY lol "lol">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>&xxe;</loc></url>
  <url><loc>http://x.gov.cn/&lol;.html</loc></url>
</urlset>""", encoding="utf-8")
    source = open_source(str(sitemap), Fetcher())
    urls = list(source._locations(str(sitemap), 0, []))
    assert not any("evil" in u for u in urls)
    assert urls == ["http://x.gov.cn/"]  # the entity reference is left unexpanded, text stops there


def test_fetcher_is_polite_per_host(web: str) -> None:
    fetcher = Fetcher(FetchPolicy(concurrency=3, per_host_delay=0.3))
    Routes.hits.clear()
    got = list(fetcher.fetch_many([f"{web}/xxgk/a.html", f"{web}/xxgk/b.html", f"{web}/tzgg/c.html"]))
    assert all(f.data for f in got)
    times = sorted(t for _, t in Routes.hits)
    assert len(times) == 3 and times[1] - times[0] >= 0.27 and times[2] - times[1] >= 0.27


def test_fetcher_limits_size_time_and_schemes(web: str) -> None:
    fetcher = Fetcher(FetchPolicy(per_host_delay=0, timeout=0.5, max_bytes=1000))
    big = fetcher.fetch(f"{web}/big.html")
    assert big.data is None and big.error.kind is ErrorKind.TOO_LARGE
    slow = fetcher.fetch(f"{web}/slow.html")
    assert slow.data is None and slow.error.kind is ErrorKind.TIMEOUT
    local = fetcher.fetch("file:///etc/passwd")
    assert local.data is None and local.error.kind is ErrorKind.UNSUPPORTED
    assert fetcher.fetch(f"{web}/xxgk/a.html").data == PAGE

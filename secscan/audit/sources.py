"""Where an audit's documents come from: folders, WARC files, URL lists, sitemaps.

Every source streams :class:`Item`s (never a list of the whole corpus) and asks a
``skip`` predicate before it reads or fetches anything, so a resumed audit does not even
download what it has already recorded.  Each item keeps its origin — the path, the URL,
the WARC record id — and the site section it belongs to.
"""

from __future__ import annotations

import fnmatch
import gzip
import io
import mimetypes
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Protocol
from urllib.parse import unquote, urlsplit

from lxml import etree
from msgspec import Struct

from secscan.audit.fetch import WEB_SCHEMES, Fetched, Fetcher, bounded_map
from secscan.types import ErrorKind, ReadError

Skip = Callable[[str], bool]
ROOT_SECTION = "/"
_SITEMAP_MAX_DEPTH = 3
_SITEMAP_MAX_BYTES = 50 * 1024 * 1024  # the sitemaps.org protocol's own limit, uncompressed


class Origin(Struct, frozen=True):
    """Where a document came from.  ``key`` is unique within an audit."""

    key: str
    kind: str  # "file" | "url" | "warc"
    section: str
    path: str | None = None
    url: str | None = None
    warc_record: str | None = None
    referrer: str | None = None  # for a followed attachment: the page that linked it


class Item(Struct, frozen=True):
    origin: Origin
    name: str
    data: bytes | None
    error: ReadError | None = None


class Filters(Struct, frozen=True):
    """Globs on a folder-relative path or a URL path; ``*`` also crosses ``/``."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def wants(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]

        def hit(globs: tuple[str, ...]) -> bool:
            return any(fnmatch.fnmatchcase(rel, g) or fnmatch.fnmatchcase(name, g) for g in globs)

        return (not self.include or hit(self.include)) and not hit(self.exclude)


EVERY_PATH = Filters()


class Source(Protocol):
    label: str

    def estimate(self) -> int | None:
        """How many items to expect, when that is cheap to know (for the ETA)."""

    def items(self, skip: Skip) -> Iterator[Item]: ...


# -- folders -------------------------------------------------------------------------
class FolderSource(Struct, frozen=True):
    root: Path
    filters: Filters = EVERY_PATH
    max_bytes: int = 200 * 1024 * 1024

    @property
    def label(self) -> str:
        return str(self.root)

    def _walk(self) -> Iterator[tuple[str, str]]:
        """(absolute path, relative posix path) of every wanted file, in sorted order."""
        root = str(self.root.resolve())
        cut = len(root) + 1
        for top, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                path = os.path.join(top, name)
                rel = path[cut:].replace(os.sep, "/")
                if self.filters.wants(rel):
                    yield path, rel

    def estimate(self) -> int | None:
        return sum(1 for _ in self._walk())

    def items(self, skip: Skip) -> Iterator[Item]:
        for path, rel in self._walk():
            if skip(path):
                continue
            section = rel.split("/", 1)[0] if "/" in rel else ROOT_SECTION
            yield _read_file(Origin(path, "file", section, path=path), Path(path), self.max_bytes)


def _read_file(origin: Origin, path: Path, max_bytes: int) -> Item:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return Item(origin, path.name, None, ReadError(ErrorKind.TOO_LARGE, f"文件大小{size}字节超过上限{max_bytes}字节"))
        return Item(origin, path.name, path.read_bytes())
    except OSError as exc:
        return Item(origin, path.name, None, ReadError(ErrorKind.CORRUPT, f"无法读取文件:{exc.strerror or exc}"))


# -- WARC ----------------------------------------------------------------------------
class WarcSource(Struct, frozen=True):
    """HTML pages and attachments inside a WARC / WARC.gz crawl (responses with HTTP 200)."""

    path: Path
    filters: Filters = EVERY_PATH
    max_bytes: int = 200 * 1024 * 1024

    @property
    def label(self) -> str:
        return str(self.path)

    def estimate(self) -> int | None:
        return None

    def items(self, skip: Skip) -> Iterator[Item]:
        from warcio.archiveiterator import ArchiveIterator

        with self.path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type not in ("response", "resource"):
                    continue
                if record.rec_type == "response" and (record.http_headers is None or record.http_headers.get_statuscode() != "200"):
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                record_id = record.rec_headers.get_header("WARC-Record-ID") or ""
                if not self.filters.wants(url_path(url)):
                    continue
                key = f"{self.path.resolve()}#{record_id}"
                if skip(key):
                    continue
                origin = Origin(key, "warc", url_section(url), url=url, warc_record=record_id)
                data = record.content_stream().read(self.max_bytes + 1)
                if len(data) > self.max_bytes:
                    error = ReadError(ErrorKind.TOO_LARGE, f"WARC记录超过大小上限{self.max_bytes}字节")
                    yield Item(origin, url_name(url), None, error)
                else:
                    yield Item(origin, url_name(url), data)


# -- URL lists and sitemaps ----------------------------------------------------------
class UrlListSource(Struct, frozen=True):
    """A text file of URLs (or local paths), one a line; ``#`` starts a comment."""

    path: Path
    fetcher: Fetcher
    filters: Filters = EVERY_PATH
    max_bytes: int = 200 * 1024 * 1024

    @property
    def label(self) -> str:
        return str(self.path)

    def _lines(self) -> Iterator[str]:
        with self.path.open(encoding="utf-8-sig") as fh:
            for raw in fh:
                line = raw.strip()
                if line and not line.startswith("#") and self.filters.wants(url_path(line)):
                    yield line

    def estimate(self) -> int | None:
        return sum(1 for _ in self._lines())

    def items(self, skip: Skip) -> Iterator[Item]:
        wanted = (line for line in self._lines() if not skip(_line_key(line)))
        yield from bounded_map(self._load, wanted, self.fetcher.policy.concurrency)

    def _load(self, line: str) -> Item:
        if urlsplit(line).scheme in WEB_SCHEMES:
            return fetched_item(self.fetcher.fetch(line))
        path = Path(line)
        origin = Origin(_line_key(line), "file", path.parent.name or ROOT_SECTION, path=line)
        return _read_file(origin, path, self.max_bytes)


class SitemapSource(Struct, frozen=True):
    """A sitemap.xml (or a sitemap index) by URL or path; every ``<loc>`` page is fetched."""

    location: str
    fetcher: Fetcher
    filters: Filters = EVERY_PATH

    @property
    def label(self) -> str:
        return self.location

    def estimate(self) -> int | None:
        return None

    def items(self, skip: Skip) -> Iterator[Item]:
        failures: list[Item] = []
        urls = (
            u for u in self._locations(self.location, 0, failures)
            if self.filters.wants(url_path(u)) and not skip(u)
        )
        yield from (fetched_item(f) for f in self.fetcher.fetch_many(urls))
        yield from failures

    def _locations(self, location: str, depth: int, failures: list[Item]) -> Iterator[str]:
        data, error = self._read(location)
        if error is None and data is not None:
            try:
                root = parse_sitemap(data)
            except etree.XMLSyntaxError as exc:
                error = ReadError(ErrorKind.CORRUPT, f"sitemap不是有效的XML:{exc}")
        if error is not None:
            origin = Origin(location, "url", url_section(location), url=location)
            failures.append(Item(origin, url_name(location), None, error))
            return
        index = etree.QName(root).localname == "sitemapindex"
        for loc in root.iter("{*}loc"):
            url = (loc.text or "").strip()
            if not url:
                continue
            if index and depth < _SITEMAP_MAX_DEPTH:
                yield from self._locations(url, depth + 1, failures)
            elif not index:
                yield url

    def _read(self, location: str) -> tuple[bytes | None, ReadError | None]:
        if urlsplit(location).scheme in WEB_SCHEMES:
            fetched = self.fetcher.fetch(location)
            data, error = fetched.data, fetched.error
        else:
            try:
                data, error = Path(location).read_bytes(), None
            except OSError as exc:
                return None, ReadError(ErrorKind.CORRUPT, f"无法读取sitemap:{exc.strerror or exc}")
        if data is not None and data[:2] == b"\x1f\x8b":
            try:
                data = gzip.GzipFile(fileobj=io.BytesIO(data)).read(_SITEMAP_MAX_BYTES + 1)
            except (OSError, EOFError) as exc:
                return None, ReadError(ErrorKind.CORRUPT, f"sitemap压缩包损坏:{exc}")
        if data is not None and len(data) > _SITEMAP_MAX_BYTES:
            return None, ReadError(ErrorKind.TOO_LARGE, "sitemap超过50MB上限")
        return data, error


def parse_sitemap(data: bytes) -> etree._Element:
    """Hardened parse: no entities resolved, no DTD loaded, no network (XXE, billion laughs)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(data, parser)


def fetched_item(fetched: Fetched) -> Item:
    origin = Origin(fetched.url, "url", url_section(fetched.url), url=fetched.url)
    name = url_name(fetched.url)
    if "." not in name and fetched.content_type:
        # /download?id=5 served as application/pdf: the name says what the server said.
        name += mimetypes.guess_extension(fetched.content_type, strict=False) or ""
    return Item(origin, name, fetched.data, fetched.error)


# -- naming --------------------------------------------------------------------------
def url_section(url: str) -> str:
    """``http://www.x.gov.cn/xxgk/2024/a.html`` → ``www.x.gov.cn/xxgk``."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    first = segments[0] if len(segments) > 1 else ""
    return f"{parts.netloc}/{unquote(first)}".rstrip("/") or ROOT_SECTION


def url_name(url: str) -> str:
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return name or "index.html"


def url_path(url: str) -> str:
    return unquote(urlsplit(url).path).lstrip("/") if "://" in url else url


def _line_key(line: str) -> str:
    return line if urlsplit(line).scheme in WEB_SCHEMES else str(Path(line).resolve())


# -- choosing a source ---------------------------------------------------------------
def open_source(spec: str, fetcher: Fetcher, filters: Filters = EVERY_PATH, max_bytes: int = 200 * 1024 * 1024) -> Source:
    """Pick the source from what ``spec`` is: a folder, a WARC, a sitemap, or a URL list."""
    if urlsplit(spec).scheme in WEB_SCHEMES:
        return SitemapSource(spec, fetcher, filters)
    path = Path(spec)
    if path.is_dir():
        return FolderSource(path, filters, max_bytes)
    if not path.is_file():
        raise FileNotFoundError(spec)
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.startswith(b"WARC/") or (head[:2] == b"\x1f\x8b" and _gzip_head(path).startswith(b"WARC/")):
        return WarcSource(path, filters, max_bytes)
    if _looks_like_sitemap(head):
        return SitemapSource(str(path), fetcher, filters)
    return UrlListSource(path, fetcher, filters, max_bytes)


def _gzip_head(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read(16)
    except OSError:
        return b""


def _looks_like_sitemap(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"<?xml") or text.startswith(b"<urlset") or text.startswith(b"<sitemapindex")


__all__: Sequence[str] = (
    "Filters", "FolderSource", "Item", "Origin", "SitemapSource", "Source", "UrlListSource", "WarcSource",
    "fetched_item", "open_source", "parse_sitemap", "url_path", "url_section",
)

"""A polite HTTP fetcher for URL lists and sitemaps: stdlib only, so the core install suffices.

Polite means: a fixed number of connections in flight, a minimum delay between two
requests to the same host, a timeout per request and a size limit per response.  It does
not read robots.txt: an audit is run by (or for) the site's owner on its own site.
Nothing that fails is dropped: a failed fetch becomes a :class:`ReadError`, so the page
lands in the report as ``review`` (secscan fails closed).
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar
from urllib.parse import urlsplit

from msgspec import Struct

from secscan import __version__
from secscan.types import ErrorKind, ReadError

WEB_SCHEMES = ("http", "https")
T = TypeVar("T")
R = TypeVar("R")


class FetchPolicy(Struct, frozen=True):
    concurrency: int = 4
    per_host_delay: float = 0.5
    timeout: float = 30.0
    max_bytes: int = 50 * 1024 * 1024
    user_agent: str = f"secscan-audit/{__version__} (site self-audit)"


class Fetched(Struct, frozen=True):
    url: str
    data: bytes | None
    error: ReadError | None = None
    content_type: str = ""


class _WebOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in WEB_SCHEMES:
            raise urllib.error.HTTPError(newurl, code, "redirect to a non-web scheme refused", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Fetcher:
    """Fetch URLs politely; thread-safe, one instance per audit."""

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self._opener = urllib.request.build_opener(_WebOnlyRedirects())
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}

    def _wait_turn(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + self.policy.per_host_delay
        if slot > now:
            time.sleep(slot - now)

    def fetch(self, url: str) -> Fetched:
        parts = urlsplit(url)
        if parts.scheme not in WEB_SCHEMES or not parts.netloc:
            return Fetched(url, None, ReadError(ErrorKind.UNSUPPORTED, f"不是网页地址(只支持http/https):{url}"))
        self._wait_turn(parts.netloc.lower())
        request = urllib.request.Request(url, headers={"User-Agent": self.policy.user_agent})
        limit = self.policy.max_bytes
        try:
            with self._opener.open(request, timeout=self.policy.timeout) as response:
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > limit:
                    return Fetched(url, None, _too_large(int(declared), limit))
                data = response.read(limit + 1)
                content_type = response.headers.get_content_type()
        except urllib.error.HTTPError as exc:
            return Fetched(url, None, ReadError(ErrorKind.CORRUPT, f"无法获取网页(HTTP {exc.code})"))
        except TimeoutError:
            return Fetched(url, None, ReadError(ErrorKind.TIMEOUT, f"获取网页超过{self.policy.timeout:g}秒时限"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                return Fetched(url, None, ReadError(ErrorKind.TIMEOUT, f"获取网页超过{self.policy.timeout:g}秒时限"))
            return Fetched(url, None, ReadError(ErrorKind.CORRUPT, f"无法获取网页:{reason}"))
        if len(data) > limit:
            return Fetched(url, None, _too_large(len(data), limit))
        return Fetched(url, data, None, content_type)

    def fetch_many(self, urls: Iterable[str]) -> Iterator[Fetched]:
        """Fetch in completion order, ``concurrency`` at a time."""
        return bounded_map(self.fetch, urls, self.policy.concurrency)


def bounded_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``map`` on a thread pool, in completion order, with at most ``2 × workers`` queued.

    The input is consumed lazily, so memory stays bounded whatever its length.
    """
    workers = max(1, workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="secscan-fetch") as pool:
        pending: set[Future[R]] = set()
        for item in items:
            pending.add(pool.submit(fn, item))
            if len(pending) >= 2 * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in done)


def _too_large(size: int, limit: int) -> ReadError:
    return ReadError(ErrorKind.TOO_LARGE, f"网页或附件大小{size}字节超过下载上限{limit}字节")

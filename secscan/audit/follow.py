"""Following attachment links: fetched pages → the attachments they link, one level deep.

A published page is often a short notice whose substance is in its attachments (附件:
a PDF, a Word file, a spreadsheet of names).  An audit from a URL list or a sitemap
therefore also fetches the attachments a page links to — on the page's own host, each
once per audit, with the same polite fetcher and limits — and records each under its own
URL with the page that linked it.  Attachments' own links are not followed (depth one).

The queue lives in the audit database (``links``), written with the page's document row,
so a killed audit resumes with the attachments of pages it had already recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urldefrag, urljoin, urlsplit

from msgspec import Struct
from msgspec.structs import replace

from secscan.audit.fetch import WEB_SCHEMES, Fetcher, bounded_map
from secscan.audit.sources import Filters, Item, Origin, Skip, fetched_item, url_path
from secscan.audit.store import AuditStore


def is_followed_page(origin: Origin) -> bool:
    """Only pages fetched from the web are followed, and never a followed attachment."""
    return origin.kind == "url" and origin.referrer is None and origin.url is not None


def attachment_urls(page_url: str, links: list[str], filters: Filters | None = None) -> list[str]:
    """Absolute URLs of ``links`` (as written in the page) on the page's host, within ``filters``."""
    filters = filters or Filters()
    host = urlsplit(page_url).netloc.lower()
    out: dict[str, None] = {}
    for link in links:
        url, _ = urldefrag(urljoin(page_url, link.strip()))
        parts = urlsplit(url)
        if parts.scheme in WEB_SCHEMES and parts.netloc.lower() == host and url != page_url and filters.wants(url_path(url)):
            out.setdefault(url, None)
    return list(out)


class FollowedLinks(Struct, frozen=True):
    """The queued attachment links of one audit as a source, streamed from the database."""

    store: AuditStore
    audit_id: int
    fetcher: Fetcher
    page: int = 200

    @property
    def label(self) -> str:
        return "attachments"

    def estimate(self) -> int | None:
        return None

    def items(self, skip: Skip) -> Iterator[Item]:
        yield from bounded_map(self._fetch, self._queued(skip), self.fetcher.policy.concurrency)

    def _queued(self, skip: Skip) -> Iterator[tuple[str, str]]:
        # Paged by rowid: the connection keeps writing while the queue is read, and a
        # queue of a whole province's attachments is never held in memory.
        after = 0
        while rows := self.store.queued_links(self.audit_id, after, self.page):
            for rowid, url, referrer in rows:
                after = rowid
                if not skip(url):
                    yield url, referrer

    def _fetch(self, link: tuple[str, str]) -> Item:
        url, referrer = link
        item = fetched_item(self.fetcher.fetch(url))
        return replace(item, origin=replace(item.origin, referrer=referrer))

"""WSGI middleware for sites that cannot change their CMS: hold pages secscan blocks.

Wrap the site's WSGI application (Django, Flask, …)::

    from examples.wsgi_gate import SecscanGate
    application = SecscanGate(application, url="http://127.0.0.1:8787")

Every ``200`` HTML response is sent to the hook before it leaves the server.  On
``block`` — or when the hook gives no answer and ``fail_closed`` is set — the visitor
gets ``503`` and a short holding page instead, and the page's path, verdict and rule
ids go to the log for the site's reviewer.  Answers are cached by the page's SHA-256,
so an unchanged page is scanned once (pages with per-visitor content are not cached
usefully: put the gate in front of published content, not of personalised views).
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from secscan.client import Client, HookError
from secscan.types import Verdict

log = logging.getLogger("secscan.gate")

HOLD_PAGE = (
    "<!doctype html><html lang=zh><meta charset=utf-8><title>页面审核中</title>"
    "<p>本页面正在进行发布前保密审查,暂不提供访问。</p></html>"
).encode()

StartResponse = Callable[..., Any]


class SecscanGate:
    def __init__(self, app: Callable[..., Iterable[bytes]], url: str = "http://127.0.0.1:8787",
                 token: str | None = None, *, hold_on: Verdict = Verdict.BLOCK, fail_closed: bool = True,
                 cache_size: int = 4096, client: Client | None = None) -> None:
        self.app = app
        self.client = client or Client(url, token, timeout=30.0, busy_retries=1)
        self.hold_on = hold_on
        self.fail_closed = fail_closed
        self._cache: OrderedDict[str, Verdict] = OrderedDict()
        self._cache_size = cache_size

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return lambda _data: None  # the legacy write() callable is not supported by the gate

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        status, headers = captured["status"], captured["headers"]
        ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
        if status.startswith("200") and ctype.lower().startswith("text/html") and self._held(body, environ):
            start_response("503 Service Unavailable", [("Content-Type", "text/html; charset=utf-8"),
                                                       ("Content-Length", str(len(HOLD_PAGE))),
                                                       ("Retry-After", "3600"), ("Cache-Control", "no-store")])
            return [HOLD_PAGE]
        start_response(status, headers, captured.get("exc_info"))
        return [body]

    def _held(self, body: bytes, environ: dict[str, Any]) -> bool:
        digest = hashlib.sha256(body).hexdigest()
        verdict = self._cache.get(digest)
        path = environ.get("PATH_INFO", "")
        if verdict is None:
            try:
                result = self.client.scan_bytes(body, "page.html")
            except HookError as exc:
                log.error("secscan gave no answer for %s: %s", path, exc)
                return self.fail_closed  # not cached: the next request asks again
            verdict = result.verdict
            if verdict is not Verdict.PASS:
                log.warning("page %s: %s, rules %s", path, verdict.value, ",".join(result.rules))
            self._cache[digest] = verdict
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        self._cache.move_to_end(digest)
        return verdict.rank >= self.hold_on.rank

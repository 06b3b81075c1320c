"""A small client for the CMS hook (``secscan serve``), standard library only.

    from secscan.client import Client
    result = Client("http://127.0.0.1:8787").scan_file("draft.docx")
    if result.verdict != "pass":
        hold_the_page(result.report["findings"])

Anything that is not a report — server down, 401, 413, 422, still busy after the
retries — raises :class:`HookError`: a publishing system must treat that as "not
cleared", never as ``pass``.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from msgspec import Struct

from secscan.types import Verdict

DEFAULT_URL = "http://127.0.0.1:8787"
TOKEN_ENV = "SECSCAN_TOKEN"
_MAX_RETRY_WAIT = 30.0


class HookError(Exception):
    """The hook gave no report; ``status`` is the HTTP status (None if unreachable)."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class HookResult(Struct, frozen=True):
    verdict: Verdict
    score: int
    report: Mapping[str, Any]  # the SPEC's file report, read-only

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(f["rule"] for f in self.report.get("findings", ()))


class Client:
    """One secscan server.  ``token`` defaults to ``$SECSCAN_TOKEN``; ``busy_retries``
    is how many times a ``503`` is retried after the server's ``Retry-After``."""

    def __init__(self, url: str = DEFAULT_URL, token: str | None = None, timeout: float = 120.0,
                 busy_retries: int = 3) -> None:
        self.url = url.rstrip("/")
        self.token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        self.timeout = timeout
        self.busy_retries = busy_retries

    # -- scanning -------------------------------------------------------------------
    def scan_file(self, path: str | os.PathLike[str], *, mask: bool = False) -> HookResult:
        path = Path(path)
        return self.scan_bytes(path.read_bytes(), path.name, mask=mask)

    def scan_bytes(self, data: bytes, filename: str = "upload", *, mask: bool = False) -> HookResult:
        body, ctype = _multipart("file", filename, data)
        return self._scan(body, ctype, mask)

    def scan_text(self, text: str, filename: str = "text.txt", *, mask: bool = False) -> HookResult:
        return self._scan_json({"text": text, "filename": filename}, mask)

    def scan_html(self, html: str, filename: str = "page.html", *, mask: bool = False) -> HookResult:
        return self._scan_json({"html": html, "filename": filename}, mask)

    # -- service --------------------------------------------------------------------
    def healthy(self) -> bool:
        try:
            return self._request("GET", "/healthz")[0] == 200
        except HookError:
            return False

    def version(self) -> dict[str, Any]:
        return self._request("GET", "/v1/version")[1]

    def rules(self) -> dict[str, Any]:
        return self._request("GET", "/v1/rules")[1]

    # -- plumbing -------------------------------------------------------------------
    def _scan_json(self, payload: dict[str, str], mask: bool) -> HookResult:
        return self._scan(json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json", mask)

    def _scan(self, body: bytes, ctype: str, mask: bool) -> HookResult:
        path = "/v1/scan?mask=true" if mask else "/v1/scan"
        for attempt in range(self.busy_retries + 1):
            try:
                _, report = self._request("POST", path, body, ctype)
            except HookError as exc:
                if exc.status != 503 or attempt == self.busy_retries:
                    raise
                time.sleep(min(exc.retry_after or 1.0, _MAX_RETRY_WAIT))
                continue
            return HookResult(Verdict(report["verdict"]), int(report["score"]), MappingProxyType(report))
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self, method: str, path: str, body: bytes | None = None,
                 ctype: str | None = None) -> tuple[int, dict[str, Any]]:
        headers = {"Accept": "application/json"}
        if ctype:
            headers["Content-Type"] = ctype
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url + path, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = _detail(exc.read())
            retry = exc.headers.get("Retry-After")
            raise HookError(f"secscan answered {exc.code}: {detail}", exc.code,
                            float(retry) if retry and retry.isdigit() else None) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise HookError(f"secscan unreachable at {self.url}: {reason}") from None


def scan_file(path: str | os.PathLike[str], url: str = DEFAULT_URL, token: str | None = None) -> HookResult:
    """The one-call form: scan a file on the hook at ``url``."""
    return Client(url, token).scan_file(path)


def _multipart(field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = f"secscan-{uuid.uuid4().hex}"
    # RFC 7578: a UTF-8 file name is sent as is in a quoted string; quotes and line
    # breaks are escaped so a name cannot break the header.
    quoted = filename.replace("\\", "%5C").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{quoted}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _detail(raw: bytes) -> str:
    try:
        detail = json.loads(raw).get("detail", "")
    except (ValueError, AttributeError):
        return raw[:200].decode("utf-8", "replace")
    return detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)[:300]


__all__ = ["DEFAULT_URL", "Client", "HookError", "HookResult", "scan_file"]

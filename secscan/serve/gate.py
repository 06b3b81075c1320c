"""Pure ASGI middleware in front of the app: bearer token, size limit, body read timeout.

It wraps the whole FastAPI application, so nothing behind it — routing, form parsing,
error handlers — ever sees a request that is unauthenticated or too large.  The body is
read here, within the limit and the time allowed, and replayed to the app.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/healthz"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# How much of an over-long body is read and discarded so that the client, still
# writing, receives the 413 instead of a reset connection.
_DRAIN_BYTES = 64 * 1024 * 1024


class _TooLarge(Exception):
    pass


class RequestGate:
    def __init__(self, app: ASGIApp, *, token: str | None, max_body: int, body_timeout: float) -> None:
        self.app = app
        self._token = token.encode() if token else None
        self.max_body = max_body
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        if self._token is not None and scope["path"] not in OPEN_PATHS and not self._authorized(headers):
            await _reply(send, 401, "需要有效的访问令牌(Authorization: Bearer <token>)",
                         [(b"www-authenticate", b'Bearer realm="secscan"')])
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit()):
            await _reply(send, 400, "Content-Length 无效")
            return
        try:
            if declared is not None and int(declared) > self.max_body:
                raise _TooLarge
            body = await asyncio.wait_for(self._read(receive), self.body_timeout)
        except _TooLarge:
            await self._drain(receive)
            await _reply(send, 413, f"请求超过大小上限{self.max_body}字节",
                         [(b"connection", b"close")])
            return
        except TimeoutError:
            await _reply(send, 408, f"{self.body_timeout:g}秒内未收到完整请求", [(b"connection", b"close")])
            return
        if body is None:  # the client went away
            return
        await self.app(scope, _replay(body, receive), send)

    def _authorized(self, headers: dict[str, bytes]) -> bool:
        assert self._token is not None
        scheme, _, given = headers.get("authorization", b"").partition(b" ")
        # hmac.compare_digest: constant time, so the token cannot be guessed byte by byte.
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self._token)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _drain(self, receive: Receive) -> None:
        async def drain() -> None:
            seen = 0
            while seen < _DRAIN_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    return
                seen += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return

        try:
            await asyncio.wait_for(drain(), min(self.body_timeout, 10.0))
        except TimeoutError:
            pass


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _reply(send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

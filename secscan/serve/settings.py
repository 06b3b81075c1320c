"""How the server runs: a frozen settings object and the rules on tokens and listening."""

from __future__ import annotations

import ipaddress
import logging
import os
import stat
from pathlib import Path

from msgspec import Struct, field

from secscan.config import Config

TOKEN_ENV = "SECSCAN_TOKEN"
MIN_TOKEN_CHARS = 16

log = logging.getLogger("secscan.serve")


class SettingsError(ValueError):
    """Settings the server refuses to start with; the message says what to change."""


class ServeSettings(Struct, frozen=True):
    host: str = "127.0.0.1"
    port: int = 8787
    workers: int = 2
    queue: int = 16  # requests that may wait for a free worker; beyond that, 503
    max_request_bytes: int = 50 * 1024 * 1024
    scan_timeout: float = 60.0
    body_timeout: float = 30.0  # a client that trickles its upload slower than this gets 408
    token: str | None = None  # never shown: see __repr__
    config: Config = field(default_factory=Config)

    def __repr__(self) -> str:  # settings get logged; the token must not be
        shown = (f"{name}={'…' if name == 'token' and self.token else repr(getattr(self, name))}" for name in self.__struct_fields__)
        return f"{type(self).__name__}({', '.join(shown)})"

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise SettingsError("--workers must be at least 1")
        if self.queue < 0:
            raise SettingsError("--queue must be 0 or more")
        if self.max_request_bytes < 1:
            raise SettingsError("--max-request-mb must be positive")
        if not self.scan_timeout > 0:
            raise SettingsError("--timeout must be positive")
        if self.token is None and not is_loopback(self.host):
            raise SettingsError(
                f"listening on {self.host} (beyond loopback) needs a token: set {TOKEN_ENV} or --token-file"
            )

    @property
    def capacity(self) -> int:
        """Requests admitted at once: one per worker plus the waiting queue."""
        return self.workers + self.queue

    @property
    def hard_timeout(self) -> float:
        """When the worker is killed.  The scan itself is told ``scan_timeout`` so that
        extractors stop on their own and report how far they got; this is the backstop for
        a parser stuck in C code."""
        return self.scan_timeout + 1.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def load_token(token_file: str | os.PathLike[str] | None, environ: dict[str, str] | None = None) -> str | None:
    """The bearer token from ``--token-file`` (preferred) or ``$SECSCAN_TOKEN``; None if neither."""
    env = os.environ if environ is None else environ
    if token_file is not None:
        path = Path(token_file)
        try:
            token = path.read_text(encoding="utf-8").strip()
            mode = path.stat().st_mode
        except OSError as exc:
            raise SettingsError(f"cannot read token file {path}: {exc.strerror}") from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("token file %s is readable by group or others; chmod 600 it", path)
    else:
        token = env.get(TOKEN_ENV, "").strip()
        if not token:
            return None
    if not token:
        raise SettingsError(f"token file {token_file} is empty")
    if any(c.isspace() or not c.isprintable() for c in token):
        raise SettingsError("the token must be printable and without spaces")
    if len(token) < MIN_TOKEN_CHARS:
        log.warning("the token has fewer than %d characters; use a long random one", MIN_TOKEN_CHARS)
    return token

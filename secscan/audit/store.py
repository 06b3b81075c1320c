"""The audit database: one SQLite file in WAL mode, safe to kill at any moment.

Tables:

* ``audits`` — one row per ``audit run``: sources, versions, status, counts;
* ``results`` — one scan result per (content hash, scan key): verdict, score, findings
  and errors as JSON, the secscan/lexicon/model versions and the time.  Identical bytes
  met under many URLs are scanned once; a re-audit with the same versions scans nothing
  it has already seen; a new lexicon or model changes the scan key, so exactly the
  results made under the old one are redone;
* ``documents`` — one row per (audit, origin): where a document was met and which result
  it has;
* ``finding_history`` — the first audit in which each (origin, finding fingerprint) was
  seen, which is what ``report --since`` reads;
* ``links`` — per audit, the attachment URLs found on fetched pages and the page that
  linked each, written with the page's document row: the queue the audit follows after
  its sources, which a resumed audit picks up where it stopped.

A document row and its result are committed together, so a killed audit loses only
what was still in flight; ``--resume`` continues the same audit and skips every origin it
already holds.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from msgspec import Struct

from secscan.audit.sources import Origin
from secscan.audit.worker import Outcome, Versions

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audits (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    sources TEXT NOT NULL,
    scan_key TEXT NOT NULL,
    secscan_version TEXT NOT NULL,
    lexicon_version TEXT NOT NULL,
    model_version TEXT NOT NULL,
    stats TEXT
);
CREATE TABLE IF NOT EXISTS results (
    content_hash TEXT NOT NULL,
    scan_key TEXT NOT NULL,
    verdict TEXT NOT NULL,
    score INTEGER NOT NULL,
    findings TEXT NOT NULL,
    errors TEXT NOT NULL,
    media_type TEXT NOT NULL,
    links TEXT NOT NULL DEFAULT '[]',
    size INTEGER NOT NULL,
    seconds REAL NOT NULL,
    worker TEXT NOT NULL,
    scans INTEGER NOT NULL DEFAULT 1,
    audit_id INTEGER NOT NULL,
    scanned_at TEXT NOT NULL,
    secscan_version TEXT NOT NULL,
    lexicon_version TEXT NOT NULL,
    model_version TEXT NOT NULL,
    PRIMARY KEY (content_hash, scan_key)
);
CREATE TABLE IF NOT EXISTS documents (
    audit_id INTEGER NOT NULL,
    origin TEXT NOT NULL,
    kind TEXT NOT NULL,
    section TEXT NOT NULL,
    path TEXT,
    url TEXT,
    warc_record TEXT,
    content_hash TEXT NOT NULL,
    scan_key TEXT NOT NULL,
    size INTEGER NOT NULL,
    seen_at TEXT NOT NULL,
    referrer TEXT,
    PRIMARY KEY (audit_id, origin)
);
CREATE INDEX IF NOT EXISTS documents_by_hash ON documents (content_hash, scan_key);
CREATE TABLE IF NOT EXISTS links (
    audit_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    referrer TEXT NOT NULL,
    PRIMARY KEY (audit_id, url)
);
CREATE TABLE IF NOT EXISTS finding_history (
    origin TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    rule TEXT NOT NULL,
    first_audit INTEGER NOT NULL,
    PRIMARY KEY (origin, fingerprint)
);
"""

# Columns added since schema 1 first shipped, added in place to older databases.
_ADDED_COLUMNS = (("results", "links", "TEXT NOT NULL DEFAULT '[]'"), ("documents", "referrer", "TEXT"))


class StoreError(RuntimeError):
    pass


class AuditInfo(Struct, frozen=True):
    id: int
    started: str
    finished: str | None
    status: str
    sources: tuple[str, ...]
    scan_key: str
    secscan_version: str
    lexicon_version: str
    model_version: str
    stats: dict


class StoredDocument(Struct, frozen=True):
    """A document of an audit joined with its scan result, as the report reads it."""

    origin: str
    kind: str
    section: str
    path: str | None
    url: str | None
    warc_record: str | None
    content_hash: str
    verdict: str
    score: int
    findings: tuple[dict, ...]
    errors: tuple[dict, ...]
    media_type: str
    size: int
    scanned_at: str
    referrer: str | None = None  # the page that linked a followed attachment


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AuditStore:
    """The database of one or many audits.  Use from one thread; readers may open it too."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly:
            if not self.path.is_file():
                raise StoreError(f"audit database not found: {self.path}")
            self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        else:
            self._db = sqlite3.connect(self.path, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a committed transaction survives a killed process; only
            # a power loss can take the last few, and those are simply scanned again.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._add_columns()
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            self._db.commit()
        version = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if version is None or version[0] != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: not a secscan audit database of schema {SCHEMA_VERSION}")
        # A database from before the referrer column, opened read-only, is still readable.
        self._referrer = "d.referrer" if "referrer" in self._columns("documents") else "NULL"
        self._pending = 0
        self._last_commit = time.monotonic()

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}

    def _add_columns(self) -> None:
        for table, column, declaration in _ADDED_COLUMNS:
            if column not in self._columns(table):
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def close(self) -> None:
        self.commit()
        self._db.close()

    def __enter__(self) -> AuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- audits ---------------------------------------------------------------------
    def begin_audit(self, sources: list[str], versions: Versions, *, resume: bool) -> tuple[int, bool]:
        """Start an audit, or with ``resume`` continue the last unfinished one. Returns (id, resumed)."""
        if resume:
            row = self._db.execute(
                "SELECT id, scan_key FROM audits WHERE status='running' ORDER BY id DESC LIMIT 1"
            ).fetchone()
            if row is not None:
                if row[1] != versions.scan_key:
                    raise StoreError(
                        f"audit {row[0]} was started with other lexicon/model/settings; "
                        "resume it with the same ones, or start a new audit without --resume"
                    )
                return row[0], True
        cur = self._db.execute(
            "INSERT INTO audits (started, status, sources, scan_key, secscan_version, lexicon_version, model_version)"
            " VALUES (?, 'running', ?, ?, ?, ?, ?)",
            (_now(), json.dumps(sources, ensure_ascii=False), versions.scan_key, versions.secscan,
             versions.lexicon, versions.model),
        )
        self._db.commit()
        return int(cur.lastrowid or 0), False

    def finish_audit(self, audit_id: int, stats: dict) -> None:
        self._db.execute(
            "UPDATE audits SET status='finished', finished=?, stats=? WHERE id=?",
            (_now(), json.dumps(stats, ensure_ascii=False), audit_id),
        )
        self.commit()

    def audits(self) -> list[AuditInfo]:
        rows = self._db.execute(
            "SELECT id, started, finished, status, sources, scan_key, secscan_version, lexicon_version,"
            " model_version, stats FROM audits ORDER BY id"
        ).fetchall()
        return [
            AuditInfo(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], r[6], r[7], r[8], json.loads(r[9] or "{}"))
            for r in rows
        ]

    def latest_audit(self) -> int | None:
        row = self._db.execute("SELECT max(id) FROM audits").fetchone()
        return row[0] if row else None

    # -- lookups on the hot path ----------------------------------------------------
    def has_origin(self, audit_id: int, origin: str) -> bool:
        return self._db.execute(
            "SELECT 1 FROM documents WHERE audit_id=? AND origin=?", (audit_id, origin)
        ).fetchone() is not None

    def documents_recorded(self, audit_id: int) -> int:
        return int(self._db.execute("SELECT count(*) FROM documents WHERE audit_id=?", (audit_id,)).fetchone()[0])

    def has_result(self, content_hash: str, scan_key: str) -> bool:
        return self._db.execute(
            "SELECT 1 FROM results WHERE content_hash=? AND scan_key=?", (content_hash, scan_key)
        ).fetchone() is not None

    # -- writing --------------------------------------------------------------------
    def record_result(self, outcome: Outcome, size: int, audit_id: int, versions: Versions) -> None:
        self._db.execute(
            "INSERT INTO results (content_hash, scan_key, verdict, score, findings, errors, media_type, links, size,"
            " seconds, worker, audit_id, scanned_at, secscan_version, lexicon_version, model_version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (content_hash, scan_key) DO UPDATE SET scans = scans + 1",
            (outcome.content_hash, outcome.scan_key, outcome.verdict, outcome.score, outcome.findings_json,
             outcome.errors_json, outcome.media_type, outcome.links_json, size, outcome.seconds, outcome.worker,
             audit_id, _now(), versions.secscan, versions.lexicon, versions.model),
        )

    def record_document(self, audit_id: int, origin: Origin, content_hash: str, scan_key: str, size: int) -> str:
        """Record where a document was met (after its result is recorded); returns its verdict."""
        self._db.execute(
            "INSERT OR REPLACE INTO documents (audit_id, origin, kind, section, path, url, warc_record, content_hash,"
            " scan_key, size, seen_at, referrer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (audit_id, origin.key, origin.kind, origin.section, origin.path, origin.url, origin.warc_record,
             content_hash, scan_key, size, _now(), origin.referrer),
        )
        row = self._db.execute(
            "SELECT verdict, findings FROM results WHERE content_hash=? AND scan_key=?", (content_hash, scan_key)
        ).fetchone()
        if row is None:
            raise StoreError(f"no result recorded for {content_hash}")
        for finding in json.loads(row[1]):
            self._db.execute(
                "INSERT OR IGNORE INTO finding_history VALUES (?, ?, ?, ?)",
                (origin.key, finding.get("fingerprint", ""), finding.get("rule", ""), audit_id),
            )
        self._pending += 1
        return str(row[0])

    def page_links(self, content_hash: str, scan_key: str) -> list[str]:
        """The attachment links a result found, when it is an HTML page (the only kind followed)."""
        row = self._db.execute(
            "SELECT links FROM results WHERE content_hash=? AND scan_key=? AND media_type='text/html'",
            (content_hash, scan_key),
        ).fetchone()
        return json.loads(row[0]) if row else []

    def queue_links(self, audit_id: int, referrer: str, urls: list[str]) -> int:
        """Queue attachment URLs to follow (the first page to link one is its referrer); returns how many are new."""
        before = self._db.total_changes
        self._db.executemany(
            "INSERT OR IGNORE INTO links (audit_id, url, referrer) VALUES (?, ?, ?)",
            [(audit_id, url, referrer) for url in urls],
        )
        return self._db.total_changes - before

    def queued_links(self, audit_id: int, after: int = 0, limit: int = 500) -> list[tuple[int, str, str]]:
        """(rowid, url, referrer) of queued links not yet recorded as documents, in queue order from ``after``."""
        return self._db.execute(
            "SELECT l.rowid, l.url, l.referrer FROM links l WHERE l.audit_id=? AND l.rowid>? AND NOT EXISTS"
            " (SELECT 1 FROM documents d WHERE d.audit_id=l.audit_id AND d.origin=l.url) ORDER BY l.rowid LIMIT ?",
            (audit_id, after, limit),
        ).fetchall()

    def count_queued(self, audit_id: int) -> int:
        return int(self._db.execute(
            "SELECT count(*) FROM links l WHERE l.audit_id=? AND NOT EXISTS"
            " (SELECT 1 FROM documents d WHERE d.audit_id=l.audit_id AND d.origin=l.url)", (audit_id,),
        ).fetchone()[0])

    def maybe_commit(self, every: int = 200, seconds: float = 0.5) -> None:
        if self._pending >= every or time.monotonic() - self._last_commit >= seconds:
            self.commit()

    def commit(self) -> None:
        self._db.commit()
        self._pending = 0
        self._last_commit = time.monotonic()

    # -- reading --------------------------------------------------------------------
    def documents(self, audit_id: int) -> Iterator[StoredDocument]:
        """The audit's documents, highest score first (streamed from the database)."""
        cur = self._db.execute(
            "SELECT d.origin, d.kind, d.section, d.path, d.url, d.warc_record, d.content_hash, r.verdict, r.score,"
            f" r.findings, r.errors, r.media_type, d.size, r.scanned_at, {self._referrer}"
            " FROM documents d JOIN results r ON r.content_hash = d.content_hash AND r.scan_key = d.scan_key"
            " WHERE d.audit_id = ? ORDER BY r.score DESC, d.section, d.origin",
            (audit_id,),
        )
        for row in cur:
            yield StoredDocument(*row[:9], tuple(json.loads(row[9])), tuple(json.loads(row[10])), *row[11:])

    def new_fingerprints(self, origin: str, since_audit: int) -> set[str]:
        """Fingerprints of ``origin`` first seen after audit ``since_audit``."""
        rows = self._db.execute(
            "SELECT fingerprint FROM finding_history WHERE origin=? AND first_audit>?", (origin, since_audit)
        )
        return {r[0] for r in rows}

    def counts(self, audit_id: int) -> tuple[dict[str, int], dict[str, int]]:
        """(documents by verdict, findings by category) over the whole audit."""
        verdicts = dict(self._db.execute(
            "SELECT r.verdict, count(*) FROM documents d JOIN results r"
            " ON r.content_hash = d.content_hash AND r.scan_key = d.scan_key WHERE d.audit_id=? GROUP BY 1",
            (audit_id,),
        ).fetchall())
        categories = dict(self._db.execute(
            "SELECT json_extract(f.value, '$.category'), count(*) FROM documents d JOIN results r"
            " ON r.content_hash = d.content_hash AND r.scan_key = d.scan_key, json_each(r.findings) f"
            " WHERE d.audit_id=? GROUP BY 1",
            (audit_id,),
        ).fetchall())
        return verdicts, categories

    def scan_counts(self) -> dict[str, int]:
        """How often each stored result was scanned: every value 1 means nothing was scanned twice."""
        return dict(self._db.execute("SELECT content_hash || ':' || scan_key, scans FROM results").fetchall())

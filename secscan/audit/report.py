"""The audit's ranked list of what must come down: csv, jsonl or a self-contained html page.

Highest score first; each document with its origin (path, URL, WARC record), its site
section and its top findings.  ``since`` keeps only findings first seen after a given
audit; a baseline of reviewed findings (fingerprints, as ``secscan scan
--write-baseline`` records them) drops what a reviewer has already cleared.  Both
re-score the document on what is left, so the ranking stays honest.
"""

from __future__ import annotations

import csv
import html
import io
import json
import posixpath
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from secscan.audit.store import AuditStore, StoredDocument
from secscan.baseline import Baseline, path_key
from secscan.config import Config
from secscan.report.json import finding_dict
from secscan.score import score_file
from secscan.types import Category, ErrorKind, Finding, Location, PartKind, ReadError, Severity, Verdict


class ReviewedFindings:
    """A baseline (``secscan scan --write-baseline``) matched against audit documents.

    A baseline entry applies to a document when its path is the document's path or URL,
    or a relative path the document's path ends with (a baseline written from inside the
    site's folder matches the audit's absolute paths).
    """

    def __init__(self, baseline: Baseline) -> None:
        self._exact = {key: {e.fingerprint for e in entries} for key, entries in baseline.files.items()}
        self._by_name: dict[str, list[str]] = {}
        for key in self._exact:
            if not key.startswith("/") and "://" not in key:
                self._by_name.setdefault(posixpath.basename(key), []).append(key)

    def fingerprints(self, doc: StoredDocument) -> set[str]:
        found: set[str] = set()
        for origin in (doc.path, doc.url, doc.origin):
            if origin:
                found |= self._exact.get(path_key(origin) if origin == doc.path else origin, set())
        if doc.path:
            full = path_key(doc.path)
            for key in self._by_name.get(posixpath.basename(full), ()):
                if full.endswith("/" + key):
                    found |= self._exact[key]
        return found


class ReportOptions(Struct, frozen=True):
    audit: int | None = None  # None: the latest
    since: int | None = None
    baseline: ReviewedFindings | None = None
    min_verdict: Verdict = Verdict.REVIEW
    top: int = 5
    limit: int | None = None
    mask: bool = False


class Row(Struct, frozen=True):
    doc: StoredDocument
    verdict: Verdict
    score: int
    findings: tuple[Finding, ...]
    errors: tuple[ReadError, ...]

    @property
    def categories(self) -> dict[str, int]:
        return dict(Counter(f.category.value for f in self.findings))


class AuditReport(Struct, frozen=True):
    audit: int
    rows: Iterable[Row]
    verdict_counts: dict[str, int] = field(default_factory=dict)
    category_counts: dict[str, int] = field(default_factory=dict)
    options: ReportOptions = ReportOptions()


def finding_from_dict(d: dict[str, Any]) -> Finding:
    loc = d.get("location") or {}
    return Finding(
        Category(d["category"]), Severity(d["severity"]), d["rule"], d.get("text", ""), d.get("start", 0),
        d.get("end", 0),
        Location(PartKind(loc.get("part", "body")), loc.get("page"), loc.get("paragraph"), loc.get("line"),
                 loc.get("label")),
        d.get("context", ""), d.get("reason", ""), int(d.get("score", 0)), d.get("fingerprint", ""),
    )


def _error_from_dict(d: dict[str, Any]) -> ReadError:
    try:
        kind = ErrorKind(d.get("kind"))
    except ValueError:
        kind = ErrorKind.INTERNAL
    return ReadError(kind, d.get("message", ""))


def build_report(store: AuditStore, options: ReportOptions, config: Config | None = None) -> AuditReport:
    config = config or Config()
    audit = options.audit if options.audit is not None else store.latest_audit()
    if audit is None:
        return AuditReport(0, (), options=options)
    verdicts, categories = store.counts(audit)
    rows: Iterable[Row] = _rows(store, audit, options, config)
    if options.since is not None or options.baseline is not None:
        # Filtering re-scores, which can change the order: rank what is left.
        rows = sorted(rows, key=lambda r: (-r.score, r.doc.section, r.doc.origin))
    if options.limit is not None:
        rows = _take(rows, options.limit)
    return AuditReport(audit, rows, verdicts, categories, options)


def _take(rows: Iterable[Row], n: int) -> Iterator[Row]:
    for i, row in enumerate(rows):
        if i >= n:
            return
        yield row


def _rows(store: AuditStore, audit: int, options: ReportOptions, config: Config) -> Iterator[Row]:
    filtering = options.since is not None or options.baseline is not None
    for doc in store.documents(audit):
        findings = [finding_from_dict(d) for d in doc.findings]
        errors = [_error_from_dict(e) for e in doc.errors]
        verdict, score = Verdict(doc.verdict), doc.score
        if filtering:
            if options.since is not None:
                fresh = store.new_fingerprints(doc.origin, options.since)
                findings = [f for f in findings if f.fingerprint in fresh]
                errors = []  # an error is not a finding: "new since" lists findings
            if options.baseline is not None:
                reviewed = options.baseline.fingerprints(doc)
                findings = [f for f in findings if f.fingerprint not in reviewed]
            scored = score_file(findings, errors, config)
            verdict, score = scored.verdict, scored.score
        elif verdict.rank < options.min_verdict.rank:
            break  # ordered by score, and the verdict follows the score: nothing below will qualify
        if verdict.rank < options.min_verdict.rank:
            continue
        findings.sort(key=lambda f: -f.score)
        yield Row(doc, verdict, score, tuple(findings), tuple(errors))


# -- rendering -----------------------------------------------------------------------
def row_dict(rank: int, row: Row, top: int, mask: bool) -> dict[str, Any]:
    doc = row.doc
    out: dict[str, Any] = {"rank": rank}
    if doc.url:
        out["url"] = doc.url
    if doc.path:
        out["path"] = doc.path
    if doc.warc_record:
        out["warc_record"] = doc.warc_record
    if doc.referrer:
        out["linked_from"] = doc.referrer  # a followed attachment: the page that links it
    out.update({
        "section": doc.section,
        "verdict": row.verdict.value,
        "verdict_zh": row.verdict.zh,
        "score": row.score,
        "findings": [finding_dict(f, mask) for f in row.findings[:top]],
        "finding_count": len(row.findings),
        "categories": row.categories,
        "errors": [{"kind": e.kind.value, "message": e.message} for e in row.errors],
        "content_hash": doc.content_hash,
        "media_type": doc.media_type,
        "size": doc.size,
        "scanned_at": doc.scanned_at,
    })
    return out


def render_jsonl(report: AuditReport) -> Iterator[str]:
    o = report.options
    for rank, row in enumerate(report.rows, 1):
        yield json.dumps(row_dict(rank, row, o.top, o.mask), ensure_ascii=False) + "\n"


CSV_COLUMNS = ("rank", "section", "verdict", "verdict_zh", "score", "origin", "warc_record", "linked_from",
               "categories", "top_findings", "reasons", "errors")


def _cell(value: str) -> str:
    # A cell opened in a spreadsheet must not run as a formula (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def render_csv(report: AuditReport) -> Iterator[str]:
    o = report.options
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + buf.getvalue()  # BOM: Excel on a Chinese desktop reads UTF-8 correctly
    for rank, row in enumerate(report.rows, 1):
        d = row_dict(rank, row, o.top, o.mask)
        buf.seek(0)
        buf.truncate()
        writer.writerow([_cell(str(v)) for v in (
            rank, d["section"], d["verdict"], d["verdict_zh"], d["score"], d.get("url") or d.get("path", ""),
            d.get("warc_record", ""), d.get("linked_from", ""), ";".join(f"{k}:{v}" for k, v in d["categories"].items()),
            " | ".join(f"{f['rule']} {f['text']}" for f in d["findings"]),
            " | ".join(f["reason"] for f in d["findings"]),
            " | ".join(e["message"] for e in d["errors"]),
        )])
        yield buf.getvalue()


_HTML_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:2em}th,td{border:1px solid #ccc;padding:4px 6px;
vertical-align:top;font-size:14px}th{background:#f3f3f3}.block{background:#c62828;color:#fff}
.review{background:#f9a825}.pass{background:#2e7d32;color:#fff}.badge{padding:1px 6px;border-radius:3px}
.ctx{color:#555;font-size:12px}mark{background:#ffeb3b}.counts td{text-align:right}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _href(doc: StoredDocument) -> str | None:
    if doc.url and doc.url.lower().startswith(("http://", "https://")):
        return doc.url
    if doc.path:
        path = Path(doc.origin if doc.kind == "file" else doc.path)
        return path.as_uri() if path.is_absolute() else None
    return None


def render_html(report: AuditReport) -> Iterator[str]:
    o = report.options
    yield (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>保密审查 审计报告 #{report.audit}'
           f"</title><style>{_HTML_STYLE}</style></head><body>")
    yield f"<h1>信息公开保密审查 — 审计 #{report.audit} 待处理清单</h1>"
    if o.since is not None:
        yield f"<p>只列出第{_e(o.since)}次审计之后新出现的问题。</p>"
    if o.baseline is not None:
        yield "<p>已复核(基线)中的问题不再列出。</p>"
    yield '<h2>统计</h2><table class="counts"><tr><th>结论</th><th>文件数</th></tr>'
    for v in Verdict:
        yield f'<tr><td><span class="badge {v.value}">{_e(v.zh)}</span> {v.value}</td><td>{report.verdict_counts.get(v.value, 0)}</td></tr>'
    yield '</table><table class="counts"><tr><th>问题类别</th><th>发现数</th></tr>'
    for c in Category:
        yield f"<tr><td>{_e(c.zh)} {c.value}</td><td>{report.category_counts.get(c.value, 0)}</td></tr>"
    yield "</table>"
    by_section: dict[str, list[tuple[int, Row]]] = defaultdict(list)
    for rank, row in enumerate(report.rows, 1):
        by_section[row.doc.section].append((rank, row))
    yield f"<h2>待处理文件({sum(len(v) for v in by_section.values())}个,按风险分从高到低)</h2>"
    for section, rows in sorted(by_section.items(), key=lambda kv: kv[1][0][0]):
        yield f"<h3>栏目 {_e(section)}({len(rows)}个)</h3>"
        yield "<table><tr><th>序号</th><th>结论</th><th>分数</th><th>来源</th><th>主要发现</th></tr>"
        for rank, row in rows:
            yield _html_row(rank, row, o)
        yield "</table>"
    yield "</body></html>\n"


def _html_row(rank: int, row: Row, o: ReportOptions) -> str:
    d = row_dict(rank, row, o.top, o.mask)
    origin = d.get("url") or d.get("path", "")
    href = _href(row.doc)
    link = f'<a href="{_e(href)}">{_e(origin)}</a>' if href else _e(origin)
    if d.get("warc_record"):
        link += f'<div class="ctx">WARC {_e(d["warc_record"])}</div>'
    if d.get("linked_from"):
        page = d["linked_from"]
        href_page = f' href="{_e(page)}"' if page.lower().startswith(("http://", "https://")) else ""
        link += f'<div class="ctx">附件,链接自 <a{href_page}>{_e(page)}</a></div>'
    items = []
    for f in d["findings"]:
        context = _e(f["context"]).replace(_e(f["text"]), f"<mark>{_e(f['text'])}</mark>", 1) if f["text"] else _e(f["context"])
        items.append(
            f"<li><b>{_e(Category(f['category']).zh)}</b> <code>{_e(f['rule'])}</code> “{_e(f['text'])}”:"
            f"{_e(f['reason'])}<div class=\"ctx\">{context}</div></li>"
        )
    items.extend(f"<li><b>{_e(Category.UNREADABLE.zh)}</b> {_e(e['message'])}</li>" for e in d["errors"])
    more = len(row.findings) - len(d["findings"])
    if more > 0:
        items.append(f"<li>另有{more}处发现</li>")
    return (f'<tr><td>{rank}</td><td><span class="badge {row.verdict.value}">{_e(row.verdict.zh)}</span></td>'
            f"<td>{row.score}</td><td>{link}</td><td><ul>{''.join(items)}</ul></td></tr>")


RENDERERS = {"csv": render_csv, "jsonl": render_jsonl, "html": render_html}

"""The HTML report: one self-contained file a reviewer opens in a browser.

A summary (verdict, score and counts by category per file), then each file's extracted
text with every finding highlighted in place, coloured by category, with its rule,
reason and location on hover and in a side list; buttons (and keys n/p) step through
the findings.  Hidden layers (comments, tracked changes, metadata, …) have their own
section.

Everything that came from a document is escaped, and a Content-Security-Policy allows
only this report's own script (by its hash): a scanned page can never run script here.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
from collections import Counter
from collections.abc import Iterator
from html import escape
from importlib import resources
from typing import TYPE_CHECKING

from msgspec import Struct

from secscan.report.location import where_zh
from secscan.report.mask import MASKED_CATEGORIES, mask_value, shown_text
from secscan.types import Category, FileReport, Finding, Part, ScanReport, Verdict

if TYPE_CHECKING:
    from secscan.report import RenderOptions

# Parts longer than this show only the neighbourhood of their findings.
PART_LIMIT = 200_000
EXCERPT_CHARS = 400


@functools.cache
def _asset(name: str) -> str:
    return resources.files("secscan.report").joinpath("assets", name).read_text(encoding="utf-8")


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:; base-uri 'none'; form-action 'none'"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


class _Placed(Struct, frozen=True):
    """A finding with its id in the page and the index of the part it points into."""

    id: str
    finding: Finding
    part: int | None


def place_findings(r: FileReport) -> list[tuple[Finding, int | None]]:
    """The part each finding points into: same kind, page and label, and the text there."""
    out = []
    for f in r.findings:
        loc = f.location
        found = None
        for i, part in enumerate(r.parts):
            if (part.kind, part.page, part.label) == (loc.part, loc.page, loc.label) and part.text[f.start:f.end] == f.text:
                found = i
                break
        out.append((f, found))
    return out


def _title(f: Finding) -> str:
    return f"{f.category.zh} · {f.rule} · {f.severity.zh}\n{f.reason}\n位置:{where_zh(f)}"


def _windows(text_len: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The stretches of a part to show: all of it, or excerpts around findings."""
    if text_len <= PART_LIMIT:
        return [(0, text_len)]
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        lo, hi = max(0, s - EXCERPT_CHARS), min(text_len, e + EXCERPT_CHARS)
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged or [(0, min(text_len, EXCERPT_CHARS * 2))]


def _segments(lo: int, hi: int, placed: list[_Placed]) -> Iterator[tuple[int, int, list[_Placed]]]:
    """Cut ``[lo, hi)`` at every finding boundary; each piece with the findings covering it."""
    cuts = {lo, hi}
    for p in placed:
        cuts.update(x for x in (p.finding.start, p.finding.end) if lo < x < hi)
    points = sorted(cuts)
    for a, b in itertools.pairwise(points):
        yield a, b, [p for p in placed if p.finding.start <= a and b <= p.finding.end]


_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def _part_html(part: Part, placed: list[_Placed], mask: bool) -> str:
    text = part.text
    chunks = []
    windows = _windows(len(text), [(p.finding.start, p.finding.end) for p in placed])
    if windows[0][0] > 0:
        chunks.append(f'<span class="gap">…(略去{windows[0][0]}字)…</span>\n')
    for w, (lo, hi) in enumerate(windows):
        for a, b, covering in _segments(lo, hi, placed):
            starting = [p for p in placed if p.finding.start == a]
            chunks.extend(f'<span class="anchor" id="f-{p.id}"></span>' for p in starting)
            piece = text[a:b]
            if not covering:
                chunks.append(_e(piece))
                continue
            top = min(covering, key=lambda p: (_SEVERITY_ORDER[p.finding.severity.value], p.finding.start))
            for p in covering:
                if mask and p.finding.category in MASKED_CATEGORIES:
                    masked = mask_value(p.finding.text)
                    if len(masked) == len(p.finding.text):
                        piece = masked[a - p.finding.start: b - p.finding.start]
                    else:  # a labelled secret keeps only its label: show it once, whole
                        piece = masked if a == p.finding.start else ""
            ids = " ".join(p.id for p in covering)
            title = "\n\n".join(_title(p.finding) for p in covering)
            chunks.append(
                f'<mark class="cat-{top.finding.category.value} sev-{top.finding.severity.value}" data-f="{ids}"'
                f' title="{_e(title)}">{_e(piece)}</mark>'
            )
        following = windows[w + 1][0] if w + 1 < len(windows) else len(text)
        if following > hi:
            chunks.append(f'\n<span class="gap">…(略去{following - hi}字)…</span>\n')
    heading = " ".join(x for x in (part.kind.zh, part.label or "", f"第{part.page}页" if part.page else "") if x)
    return f'<div class="part"><h4>{_e(heading)}</h4><pre>{"".join(chunks)}</pre></div>'


def _finding_item(p: _Placed, mask: bool) -> str:
    f = p.finding
    target = f' data-target="{p.id}"' if p.part is not None else ""
    return (
        f'<li id="row-{p.id}" class="cat-{f.category.value}"{target}>'
        f'<span class="chip"></span><b>{_e(f.category.zh)}</b> · {_e(f.severity.zh)}'
        f' <span class="rule">{_e(f.rule)}</span><br>'
        f'「{_e(shown_text(f, mask))}」 <span class="meta">{_e(where_zh(f))}</span><br>{_e(f.reason)}</li>'
    )


def _file_section(index: int, r: FileReport, mask: bool) -> str:
    placed = [_Placed(f"{index}-{k}", f, part) for k, (f, part) in enumerate(place_findings(r))]
    out = [
        f'<section class="file" id="file-{index}"><h2><span class="verdict verdict-{r.verdict.value}">'
        f'{_e(r.verdict.zh)}</span> {_e(r.path)}</h2>',
        f'<p class="meta">风险分 {r.score} · {_e(r.media_type or "未知类型")} · 发现 {len(r.findings)} 处</p>',
    ]
    if r.errors:
        items = "".join(f"<li>{_e(e.kind.value)}:{_e(e.message)}</li>" for e in r.errors)
        out.append(f'<div class="errors"><b>无法完整审查,须人工查看原件:</b><ul>{items}</ul></div>')
    visible, hidden = [], []
    for i, part in enumerate(r.parts):
        html = _part_html(part, [p for p in placed if p.part == i], mask)
        (hidden if part.kind.hidden else visible).append(html)
    body = "".join(visible) or '<p class="meta">(没有可显示的正文)</p>'
    if hidden:
        body += f'<div class="hidden-parts"><h3>隐藏内容(读者看不到,但随文件一并发布)</h3>{"".join(hidden)}</div>'
    items = "".join(_finding_item(p, mask) for p in placed) or '<li class="meta">未发现问题</li>'
    out.append(f'<div class="layout"><div class="doc">{body}</div>'
               f'<aside class="panel"><h3>发现列表</h3><ol>{items}</ol></aside></div></section>')
    return "".join(out)


def _summary(report: ScanReport) -> str:
    categories = [c for c in Category if any(f.category is c for r in report.files for f in r.findings)]
    head = "".join(f'<th class="cat-{c.value}"><span class="chip"></span>{_e(c.zh)}</th>' for c in categories)
    rows = []
    totals: Counter[Category] = Counter()
    for i, r in enumerate(report.files):
        counts = Counter(f.category for f in r.findings)
        totals.update(counts)
        cells = "".join(f'<td class="num">{counts[c] or ""}</td>' for c in categories)
        rows.append(
            f'<tr><td><a href="#file-{i}">{_e(r.path)}</a></td>'
            f'<td><span class="verdict verdict-{r.verdict.value}">{_e(r.verdict.zh)}</span></td>'
            f'<td class="num">{r.score}</td>{cells}<td class="num">{len(r.errors) or ""}</td></tr>'
        )
    total_cells = "".join(f'<td class="num">{totals[c]}</td>' for c in categories)
    errors = sum(len(r.errors) for r in report.files)
    verdicts = Counter(r.verdict for r in report.files)
    overall = ",".join(f"{v.zh} {verdicts[v]}" for v in (Verdict.BLOCK, Verdict.REVIEW, Verdict.PASS))
    return (
        f'<h2>审查结论:<span class="verdict verdict-{report.verdict.value}">{_e(report.verdict.zh)}</span></h2>'
        f'<p>共 {len(report.files)} 个文件:{overall}。</p>'
        f'<table class="summary"><thead><tr><th>文件</th><th>结论</th><th>风险分</th>{head}<th>无法审查</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody>'
        f'<tfoot><tr><th colspan="3">合计</th>{total_cells}<td class="num">{errors}</td></tr></tfoot></table>'
    )


def render(report: ScanReport, options: RenderOptions) -> str:
    script = _asset("report.js")
    files = "".join(_file_section(i, r, options.mask) for i, r in enumerate(report.files))
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_csp(script))}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>secscan 保密审查报告</title><style>{_asset('report.css')}</style></head><body>"
        '<header class="top"><h1>secscan 信息公开保密审查报告</h1>'
        '<button id="nav-prev" type="button" title="上一处 (p)">◀ 上一处</button>'
        '<span class="counter" id="nav-counter"></span>'
        '<button id="nav-next" type="button" title="下一处 (n)">下一处 ▶</button></header><main>'
        f'{_summary(report)}'
        f'<p class="meta">secscan {_e(report.secscan_version)} · 词表 {_e(report.lexicon_version)}'
        f' · 模型 {_e(report.model_version)} · 本报告由机器初筛生成,结论须经审查人确认。</p>'
        f"{files}</main><script>{script}</script></body></html>\n"
    )

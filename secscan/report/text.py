"""The terminal report: verdict per file in Chinese, each finding with its place and a
highlighted snippet.  Rendered with rich; plain text when colour is off."""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console
from rich.text import Text

from secscan.report.mask import shown_context, shown_text
from secscan.types import FileReport, ScanReport, Verdict

VERDICT_STYLE = {Verdict.PASS: "bold green", Verdict.REVIEW: "bold yellow", Verdict.BLOCK: "bold white on red"}
SEVERITY_STYLE = {"high": "red", "medium": "yellow", "low": "dim"}


def _where(f) -> str:  # noqa: ANN001
    loc = f.location
    bits = [loc.part.zh]
    if loc.label:
        bits.append(loc.label)
    if loc.page is not None:
        bits.append(f"第{loc.page}页")
    if loc.paragraph is not None:
        bits.append(f"第{loc.paragraph}段")
    elif loc.line is not None:
        bits.append(f"第{loc.line}行")
    return " ".join(bits)


def _file(console: Console, r: FileReport, mask: bool) -> None:
    head = Text()
    head.append(f" {r.verdict.zh} ", style=VERDICT_STYLE[r.verdict])
    head.append(f" {r.path}  ", style="bold")
    head.append(f"风险分 {r.score}  ({r.verdict.value})")
    console.print(head)
    for f in r.findings:
        line = Text("  ")
        line.append(f"[{f.severity.zh}] ", style=SEVERITY_STYLE[f.severity.value])
        line.append(f"{f.category.zh} ", style="bold")
        line.append(f"{f.rule}  {_where(f)}\n", style="cyan")
        line.append(f"    {f.reason}\n")
        context = shown_context(f, mask)
        shown = shown_text(f, mask)
        line.append("    ")
        pos = context.find(shown)
        if pos >= 0:
            line.append(context[:pos])
            line.append(shown, style="bold reverse")
            line.append(context[pos + len(shown):])
        else:
            line.append(context)
        console.print(line)
    for e in r.errors:
        console.print(Text(f"  [无法审查] {e.kind.value}: {e.message}", style="yellow"))


def render(report: ScanReport, options) -> str:  # noqa: ANN001
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=options.color, no_color=not options.color,
                      width=120, highlight=False, soft_wrap=True)
    for r in report.files:
        _file(console, r, options.mask)
        console.print()
    counts = Counter(r.verdict for r in report.files)
    summary = ",".join(f"{v.zh} {counts[v]}" for v in (Verdict.BLOCK, Verdict.REVIEW, Verdict.PASS))
    console.print(f"共 {len(report.files)} 个文件:{summary}。词表 {report.lexicon_version},模型 {report.model_version}")
    return buffer.getvalue()

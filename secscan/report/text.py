"""The terminal report: verdict per file in Chinese, each finding with its place, reason
and a highlighted snippet, then counts by category.  Rendered with rich; colour only when
``options.color`` (the CLI sets it on a terminal), plain text when piped."""

from __future__ import annotations

import io
from collections import Counter
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from secscan.report.location import where_zh
from secscan.report.mask import shown_context, shown_text
from secscan.types import Category, FileReport, ScanReport, Severity, Verdict

if TYPE_CHECKING:
    from secscan.report import RenderOptions

VERDICT_STYLE = {Verdict.PASS: "bold white on green", Verdict.REVIEW: "bold black on yellow",
                 Verdict.BLOCK: "bold white on red"}
SEVERITY_STYLE = {Severity.HIGH: "bold red", Severity.MEDIUM: "yellow", Severity.LOW: "dim"}
CATEGORY_STYLE = {
    Category.CLASSIFICATION_MARKING: "red",
    Category.INTERNAL_MARKING: "dark_orange",
    Category.PERSONAL_INFO: "magenta",
    Category.CREDENTIAL: "deep_pink3",
    Category.SENSITIVE_MATTER: "yellow",
    Category.HIDDEN_CONTENT: "blue",
    Category.UNREADABLE: "grey50",
}

# Document text must not drive the terminal: escape sequences (ESC, C1 controls) and
# bidirectional overrides that would re-order what the reviewer reads become �.
_UNSAFE = {c: "\ufffd" for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0),
                                  *range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def _safe(text: str) -> str:
    return text.translate(_UNSAFE)


def _file(console: Console, r: FileReport, mask: bool) -> None:
    head = Text()
    head.append(f" {r.verdict.zh} ", style=VERDICT_STYLE[r.verdict])
    head.append(f" {_safe(r.path)}  ", style="bold")
    head.append(f"风险分 {r.score}  ({r.verdict.value})")
    console.print(head)
    for f in r.findings:
        line = Text("  ")
        line.append(f"[{f.severity.zh}] ", style=SEVERITY_STYLE[f.severity])
        line.append(f"{f.category.zh} ", style=f"bold {CATEGORY_STYLE[f.category]}")
        line.append(f"{f.rule}  {where_zh(f)}\n", style="cyan")
        line.append(f"    {_safe(f.reason)}\n")
        context, shown = _safe(shown_context(f, mask)), _safe(shown_text(f, mask))
        line.append("    ")
        pos = context.find(shown) if shown else -1
        if pos >= 0:
            line.append(context[:pos])
            line.append(shown, style=f"bold reverse {CATEGORY_STYLE[f.category]}")
            line.append(context[pos + len(shown):])
        else:
            line.append(context)
        console.print(line)
    for e in r.errors:
        console.print(Text(f"  [无法审查] {e.kind.value}: {_safe(e.message)}", style="yellow"))


def _summary(console: Console, report: ScanReport) -> None:
    verdicts = Counter(r.verdict for r in report.files)
    categories = Counter(f.category for r in report.files for f in r.findings)
    line = Text(f"共 {len(report.files)} 个文件:")
    for i, v in enumerate((Verdict.BLOCK, Verdict.REVIEW, Verdict.PASS)):
        line.append(("," if i else "") + f"{v.zh} {verdicts[v]}", style=VERDICT_STYLE[v] if verdicts[v] else "")
    line.append("。")
    console.print(line)
    if categories:
        counts = Text("发现:")
        for i, c in enumerate(c for c in Category if categories[c]):
            counts.append(("," if i else "") + f"{c.zh} {categories[c]}", style=CATEGORY_STYLE[c])
        errors = sum(len(r.errors) for r in report.files)
        counts.append(f"{f',读取错误 {errors}' if errors else ''}。")
        console.print(counts)
    console.print(f"词表 {report.lexicon_version},模型 {report.model_version}", style="dim")


def render(report: ScanReport, options: RenderOptions) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=options.color, no_color=not options.color, color_system=(
        "truecolor" if options.color else None), width=120, highlight=False, soft_wrap=True)
    for r in report.files:
        _file(console, r, options.mask)
        console.print()
    _summary(console, report)
    return buffer.getvalue()

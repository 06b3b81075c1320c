"""``secscan explain TEXT``: which rules fire on a snippet, and why.

Shows the text as the detectors see it (after folding), every lexicon term found with
the file and line that declares it and whether its scope lets it count here, then the
findings with their reasons and the verdict.  For a reviewer asking "why was this
flagged?" and for a lexicon maintainer asking "why was this not?".
"""

from __future__ import annotations

from secscan.config import Config
from secscan.detect.base import NormDocument
from secscan.pipeline import Scanner, normalize_document
from secscan.rules import rule_table
from secscan.types import Document, Part, PartKind

_SCOPE_ZH = {
    "anywhere": "出现即计",
    "line": "须单独成行才计",
    "head": "须在版头单独成行才计",
    "companion": "标识的陪衬词,不单独计",
    "trigger": "触发词,交由标志规则判断",
}


def explain_text(text: str, config: Config | None = None) -> str:
    scanner = Scanner(config or Config())
    report = scanner.scan_text(text, "explain.txt")
    norm: NormDocument = normalize_document(Document("explain.txt", "text/plain", (Part(PartKind.BODY, text),)),
                                            scanner._build().lexicon)
    npart = norm.parts[0]
    lines = []
    if npart.text != text:
        lines.append(f"归一化后 (as matched): {npart.text}")
    if npart.matches:
        lines.append("词表命中 (lexicon terms):")
        for m in npart.matches:
            e = m.entry
            s, t = npart.offsets.span(m.start, m.end)
            lines.append(f"  “{text[s:t]}” [{s}:{t}] → {e.rule} ({e.scope}: {_SCOPE_ZH[e.scope]}) "
                         f"— {e.source}:{e.line}{'  ' + e.note if e.note else ''}")
    else:
        lines.append("词表命中 (lexicon terms): 无")
    table = rule_table()
    if report.findings:
        lines.append("规则命中 (findings):")
        for f in report.findings:
            lines.append(f"  {f.rule} [{f.start}:{f.end}] “{f.text}” {f.category.zh}/{f.severity.zh} 分值 {f.score}")
            lines.append(f"    理由: {f.reason}")
            rule = table.get(f.rule)
            if rule and rule.description:
                lines.append(f"    规则说明: {rule.description}")
    else:
        lines.append("规则命中 (findings): 无")
    for e in report.errors:
        lines.append(f"无法审查 ({e.kind.value}): {e.message}")
    disabled = [r for r in table if scanner.config.rule_disabled(r)]
    if disabled:
        lines.append(f"已停用的规则 (disabled by config): {', '.join(disabled)}")
    lines.append(f"结论: {report.verdict.zh} ({report.verdict.value}), 风险分 {report.score}")
    return "\n".join(lines) + "\n"

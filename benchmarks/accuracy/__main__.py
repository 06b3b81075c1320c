"""Build the labelled corpus (txt/docx/pdf/html) and score secscan on it.

    python -m benchmarks.accuracy [--out DIR] [--per-family N] [--no-model]

Prints document-level verdict accuracy, block recall, the false-block and false-alarm
rates on publishable documents, and per-rule precision/recall against the labelled
spans.  A finding matches a span when the rule is the same and the texts overlap (one
holds the other after folding).  hidden.* findings (document layers) and model.*
findings (document-level, no span) are counted apart.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import random
import tempfile
from collections import Counter
from pathlib import Path

from msgspec.structs import replace

from benchmarks.accuracy.templates import FAMILIES, Labelled
from secscan.config import Config
from secscan.normalize import fold_term
from secscan.pipeline import Scanner

SEED = 20261123
FORMATS = ("txt", "docx", "pdf", "html")


def to_docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def to_pdf(text: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1)
    pdf.setFont("STSong-Light", 11)
    y = 800
    for line in text.split("\n"):
        for k in range(0, len(line) or 1, 40):  # 40 characters a row fit A4 at 11 pt
            pdf.drawString(50, y, line[k:k + 40])
            y -= 18
    pdf.save()
    return out.getvalue()


def to_html(text: str) -> bytes:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n"))
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>doc</title></head><body>{body}</body></html>".encode()


WRITERS = {"txt": lambda t: t.encode(), "docx": to_docx, "pdf": to_pdf, "html": to_html}


def build(out: Path, per_family: int) -> list[dict]:
    rng = random.Random(SEED)
    out.mkdir(parents=True, exist_ok=True)
    labels = []
    for family in FAMILIES:
        for k in range(per_family):
            doc: Labelled = family(rng)
            fmt = FORMATS[(k + len(labels)) % len(FORMATS)]
            name = f"{doc.family}_{k:02d}.{fmt}"
            (out / name).write_bytes(WRITERS[fmt](doc.text))
            labels.append({"file": name, "family": doc.family, "format": fmt, "verdict": doc.verdict,
                           "spans": [{"rule": r, "text": t} for r, t in doc.spans]})
    with (out / "labels.jsonl").open("w", encoding="utf-8") as fh:
        for row in labels:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return labels


def _overlaps(a: str, b: str) -> bool:
    a, b = fold_term(a), fold_term(b)
    return bool(a) and bool(b) and (a in b or b in a)


def score(out: Path, labels: list[dict], config: Config) -> dict:
    scanner = Scanner(config)
    verdicts = Counter()
    per_rule: dict[str, Counter] = {}
    model_fired = Counter()
    misses = []
    for row in labels:
        report = scanner.scan_path(out / row["file"])
        got, want = report.verdict.value, row["verdict"]
        verdicts[(want, got)] += 1
        if got != want:
            misses.append(f"{row['file']}: want {want}, got {got} ({', '.join(sorted({f.rule for f in report.findings}))})")
        findings = [f for f in report.findings if not f.rule.startswith(("hidden.", "model."))]
        if any(f.rule.startswith("model.") for f in report.findings):
            model_fired[want] += 1
        matched = set()
        for span in row["spans"]:
            counts = per_rule.setdefault(span["rule"], Counter())
            hit = next((i for i, f in enumerate(findings) if f.rule == span["rule"] and _overlaps(f.text, span["text"])), None)
            counts["tp" if hit is not None else "fn"] += 1
            if hit is not None:
                matched.add(hit)
        for i, f in enumerate(findings):
            if i not in matched:
                per_rule.setdefault(f.rule, Counter())["fp"] += 1
    return {"verdicts": verdicts, "per_rule": per_rule, "model": model_fired, "misses": misses,
            "by_label": Counter(row["verdict"] for row in labels)}


def render(result: dict, n: int) -> str:
    v, by = result["verdicts"], result["by_label"]
    correct = sum(c for (want, got), c in v.items() if want == got)
    lines = [f"documents: {n} ({', '.join(f'{k} {c}' for k, c in sorted(by.items()))})",
             f"verdict accuracy: {correct / n:.3f}",
             f"block recall: {v[('block', 'block')] / max(1, by['block']):.3f}",
             f"false-block rate on publishable: {v[('pass', 'block')] / max(1, by['pass']):.3f}",
             f"false-alarm rate on publishable (not pass): {(by['pass'] - v[('pass', 'pass')]) / max(1, by['pass']):.3f}",
             f"review-or-block recall on sensitive (review labels): "
             f"{(v[('review', 'review')] + v[('review', 'block')]) / max(1, by['review']):.3f}",
             f"model.* fired on: {dict(result['model'])} (by labelled verdict)",
             "", f"{'rule':<32}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}"]
    for rule, c in sorted(result["per_rule"].items()):
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
        lines.append(f"{rule:<32}{c['tp']:>5}{c['fp']:>5}{c['fn']:>5}{p:>11.3f}{r:>8.3f}")
    if result["misses"]:
        lines += ["", "verdict misses:", *(f"  {m}" for m in result["misses"])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.accuracy")
    parser.add_argument("--out", type=Path, help="where to write the corpus (default: a temporary folder)")
    parser.add_argument("--per-family", type=int, default=6)
    parser.add_argument("--no-model", action="store_true", help="rules only")
    args = parser.parse_args(argv)
    config = Config(today="2026-11-23")
    if args.no_model:
        config = replace(config, use_model=False)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        labels = build(out, args.per_family)
        print(render(score(out, labels, config), len(labels)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

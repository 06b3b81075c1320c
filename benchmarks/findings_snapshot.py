"""Findings of a fixed corpus, to prove that a performance change changed nothing else.

Run before a change with ``--write`` and after it without::

    .venv/bin/python -m benchmarks.findings_snapshot --write   # record
    .venv/bin/python -m benchmarks.findings_snapshot           # compare; exit 1 on any difference

The corpus: the seed articles, the context fixtures, ``examples/sample-draft.txt``, and
documents generated here with a fixed seed (benchmark prose with marking lines, a
multi-part document with header and footer, a personal-information table with valid
generated ID numbers).  Each document's verdict, score, findings (rule, offsets, text,
weight, reason) and the classifier's exact probability and top features are recorded.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

from benchmarks.corpus import ROOT, make_text
from secscan.config import Config
from secscan.detect.classifier import load_model, model_path, scored_parts
from secscan.lexicon import load_lexicon
from secscan.pipeline import Scanner, normalize_document
from secscan.types import Document, FileReport, Part, PartKind

DEFAULT = Path("/tmp/secscan-findings-snapshot.json")
TODAY = "2025-06-01"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(rnd: random.Random) -> str:
    """A made-up 18-digit number with a valid GB 11643-1999 check character."""
    body = f"{rnd.choice([110101, 320102, 440305, 510104])}{rnd.randint(1960, 2005)}{rnd.randint(1, 12):02d}"
    body += f"{rnd.randint(1, 28):02d}{rnd.randint(0, 999):03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    return body + check


def generated() -> Iterator[Document]:
    rnd = random.Random(7)
    for seed in (1, 2, 3):
        yield Document(f"gen_prose_{seed}.txt", "text/plain", (Part(PartKind.BODY, make_text(150_000, seed=seed)),))
    yield Document("gen_large.txt", "text/plain", (Part(PartKind.BODY, make_text(1_500_000, seed=11)),))
    seeds = sorted((ROOT / "tests/fixtures/seeds").glob("*.txt"))
    body = "\n".join(p.read_text(encoding="utf-8") for p in seeds)
    yield Document("gen_parts.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (
        Part(PartKind.HEADER, "机密★5年\n000123"),
        Part(PartKind.BODY, "内部\n关于做好保密工作的通知\n" + body + "\n请勿外传\n限本单位内部传达"),
        Part(PartKind.FOOTER, "工作秘密 注意保管"),
        Part(PartKind.COMMENT, "这一段先不要公开,等领导定稿后再说,涉及信访人员名单。"),
    ))
    rows = ["序号\t姓名\t身份证号\t手机\t住址"]
    for i in range(1, 40):
        name = rnd.choice("王李张刘陈杨赵黄周吴") + rnd.choice(["伟", "芳", "娜", "敏", "静", "强", "磊", "洋"])
        phone = f"1{rnd.choice([38, 39, 58, 86])}{rnd.randint(0, 99999999):08d}"
        rows.append(f"{i}\t{name}\t{_id_number(rnd)}\t{phone}\t某市某区某街道{rnd.randint(1, 300)}号")
    yield Document("gen_pii.txt", "text/plain", (Part(PartKind.BODY, "信访人员登记表(内部掌握)\n" + "\n".join(rows)),))


def _model_facts(scanner: Scanner, doc: Document) -> dict:
    norm = normalize_document(doc, load_lexicon())
    model = load_model(model_path(scanner.config))
    scored = model.score_parts(scored_parts(norm))
    best = scored.best
    return {
        "probability": repr(scored.probability),
        "best": None if best is None else [best.part, best.line, repr(best.total), [list(map(str, f)) for f in best.features]],
    }


def _record(report: FileReport) -> dict:
    return {
        "verdict": str(report.verdict), "score": report.score,
        "errors": [str(e) for e in report.errors],
        "findings": [[f.rule, f.start, f.end, f.text, f.score, f.reason, f.location.line] for f in report.findings],
    }


def snapshot() -> dict:
    scanner = Scanner(Config(today=TODAY, isolate=False))
    out: dict[str, dict] = {}
    paths = sorted((ROOT / "tests/fixtures/seeds").glob("*.txt")) + sorted((ROOT / "tests/fixtures/context").glob("*.txt"))
    paths.append(ROOT / "examples/sample-draft.txt")
    for path in paths:
        report = scanner.scan_path(path, display=path.name)
        doc = Document(path.name, "text/plain", report.parts)
        out[path.name] = _record(report) | _model_facts(scanner, doc)
    for doc in generated():
        out[doc.name] = _record(scanner.scan_document(doc)) | _model_facts(scanner, doc)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.findings_snapshot", description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="record the snapshot instead of comparing")
    parser.add_argument("--path", type=Path, default=DEFAULT)
    args = parser.parse_args(argv)
    current = snapshot()
    if args.write:
        args.path.write_text(json.dumps(current, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"wrote {len(current)} documents to {args.path}")
        return 0
    recorded = json.loads(args.path.read_text(encoding="utf-8"))
    differ = [name for name in sorted(set(recorded) | set(current)) if recorded.get(name) != current.get(name)]
    for name in differ:
        print(f"DIFFERS: {name}\n  before: {json.dumps(recorded.get(name), ensure_ascii=False)[:600]}\n"
              f"  after:  {json.dumps(current.get(name), ensure_ascii=False)[:600]}")
    findings = sum(len(v["findings"]) for v in current.values())
    print(f"{len(current)} documents, {findings} findings: " + ("identical" if not differ else f"{len(differ)} differ"))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())

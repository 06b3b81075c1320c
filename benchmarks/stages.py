"""Where the time of one ``secscan scan`` goes: each stage of the pipeline, timed in-process.

    .venv/bin/python -m benchmarks.stages [FILE]     # default: a generated 10 MB .txt

Start-up (imports, data, automata), extraction, normalization + matching, each detector,
the allow stage and finding placement, and the JSON report, as medians of ``--runs``.
This is the table the end-to-end target of issue 7 is worked against.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MB = 1_000_000


def _median(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def startup_seconds() -> float:
    code = (
        "import time; t=time.perf_counter(); from secscan.pipeline import Scanner; "
        "Scanner().warm_up(); print(time.perf_counter()-t)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as installed: .pyc kept
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stages", description=__doc__.split("\n")[0])
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    path = args.file
    if path is None:
        from benchmarks.corpus import make_text

        path = Path(tempfile.mkdtemp(prefix="secscan-stages-")) / "ten_mb.txt"
        path.write_text(make_text(10 * MB, seed=10), encoding="utf-8")

    startup_seconds()  # writes the byte code and the automaton caches
    startup = statistics.median(startup_seconds() for _ in range(args.runs))
    rows: list[tuple[str, float]] = [("start-up (fresh process: import + build)", startup)]
    from secscan.allowlist import allow
    from secscan.detect import DETECTORS
    from secscan.extract import extract_bytes
    from secscan.pipeline import Scanner, merge_overlaps, normalize_document, to_finding
    from secscan.report import render

    scanner = Scanner().warm_up()
    built = scanner._build()
    data = path.read_bytes()
    t, doc = _median(lambda: extract_bytes(data, path.name, scanner._limits()), args.runs)
    rows.append(("extract", t))
    t, norm = _median(lambda: normalize_document(doc, built.lexicon), args.runs)
    rows.append(("normalize + lexicon automaton", t))
    hits = []
    for spec, detect in zip(DETECTORS, built.detectors, strict=True):
        t, found = _median(lambda detect=detect: list(detect(norm)), args.runs)
        rows.append((f"detector {spec.name} ({len(found)} hits)", t))
        hits.extend(found)
    t, kept = _median(lambda: allow(hits, norm, scanner.config), args.runs)
    rows.append(("allow stage", t))
    t, _ = _median(lambda: [to_finding(h, norm, built, scanner.config) for h in merge_overlaps(kept)], args.runs)
    rows.append((f"merge + place findings ({len(kept)} hits)", t))
    report = scanner.scan_document(doc)
    t, _ = _median(lambda: render(scanner.report([report]), "json"), args.runs)
    rows.append(("JSON report", t))
    t, _ = _median(lambda: scanner.scan_document(doc), args.runs)
    rows.append(("scan_document in all", t))

    width = max(len(name) for name, _ in rows)
    print(f"{path} ({len(data) / MB:.1f} MB); engine {scanner.matcher_engine}; medians of {args.runs}")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

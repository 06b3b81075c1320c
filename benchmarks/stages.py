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


def startup_seconds() -> float:
    code = (
        "import time; t=time.perf_counter(); from secscan.pipeline import Scanner; "
        "Scanner().warm_up(); print(time.perf_counter()-t)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as installed: .pyc kept
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip())


def _matched(norm):
    """``norm`` with its lexicon matches found (they are found on first use): inside the clock."""
    for part in norm.parts:
        _ = part.found
    return norm


def stage_rows(path: Path, runs: int) -> list[tuple[str, float]]:
    """(stage, median seconds) for scanning ``path``, start-up first."""
    startup_seconds()  # writes the byte code and the automaton caches
    startup = statistics.median(startup_seconds() for _ in range(runs))
    rows: list[tuple[str, float]] = [("start-up (fresh process: import + build)", startup)]
    from secscan.allowlist import allow
    from secscan.detect import DETECTORS
    from secscan.detect.runner import run_detectors
    from secscan.extract import extract_bytes
    from secscan.pipeline import Scanner, merge_overlaps, normalize_document, to_finding
    from secscan.report import render

    scanner = Scanner().warm_up()
    built = scanner._build()
    data = path.read_bytes()
    # Each run scans a document of its own (one character appended), so that nothing a
    # stage caches per text (the classifier's score, the ASCII view, newline offsets)
    # carries over: every row is what one scan pays.
    times: dict[str, list[float]] = {}
    labels: dict[str, str] = {}

    def clock(key: str, fn, label: str | None = None):
        t0 = time.perf_counter()
        result = fn()
        times.setdefault(key, []).append(time.perf_counter() - t0)
        labels[key] = label or key
        return result

    for run in range(runs):
        raw = data + f"\n{run}".encode()
        doc = clock("extract", lambda raw=raw: extract_bytes(raw, path.name, scanner._limits()))
        norm = clock("normalize + lexicon automaton", lambda doc=doc: _matched(normalize_document(doc, built.lexicon)))
        hits = []
        for spec, detector in zip(DETECTORS, built.detectors, strict=True):
            found = clock(spec.name, lambda detect=detector.detect, norm=norm: list(detect(norm)))
            labels[spec.name] = f"detector {spec.name} ({len(found)} hits)"
            hits.extend(found)
        kept = clock("allow stage", lambda hits=hits, norm=norm: allow(hits, norm, scanner.config))
        clock("place", lambda kept=kept, norm=norm: [to_finding(h, norm, built, scanner.config) for h in merge_overlaps(kept)],
              f"merge + place findings ({len(kept)} hits)")
        fresh = extract_bytes(raw + b"\n", path.name, scanner._limits())
        clock("normalize + detectors as a scan runs them (split over two processes on a long text)",
              lambda fresh=fresh: run_detectors(built.detectors, normalize_document(fresh, built.lexicon),
                                                scanner.config.timeout_seconds))
        report = clock("scan_document in all (a fresh document)", lambda raw=raw: scanner.scan_document(
            extract_bytes(raw + b"\n", path.name, scanner._limits())))
        clock("JSON report", lambda report=report: render(scanner.report([report]), "json"))
    for key, values in times.items():
        rows.append((labels[key], statistics.median(values)))

    return rows


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
    rows = stage_rows(path, args.runs)
    width = max(len(name) for name, _ in rows)
    print(f"{path} ({path.stat().st_size / MB:.1f} MB); medians of {args.runs}")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

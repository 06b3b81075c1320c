"""The matcher benchmark: secscan's matching stage against raw engines and the floors.

Run from the repository root::

    .venv/bin/python -m benchmarks.matching            # full run (~8 min on 2 cores)
    .venv/bin/python -m benchmarks.matching --quick    # smaller text and stream, ~1 min

Prints a table per lexicon size and writes ``benchmarks/results.json`` and
``benchmarks/RESULTS.md``.  Throughput is always per MB of the *original* UTF-8 text, so
rows compare per unit of input; each figure is the median of ``--runs`` runs, with min–max.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import psutil

from benchmarks.corpus import lexicon_entries, make_text, text_document
from benchmarks.stages import stage_rows
from secscan.detect.lexicon import finding_candidates
from secscan.lexicon import Lexicon
from secscan.matcher import available_engines, build_matcher
from secscan.normalize import normalize
from secscan.pipeline import Scanner, normalize_document

HERE = Path(__file__).resolve().parent
MB = 1_000_000
_PROC = psutil.Process()


def timed(fn: Callable[[], object], runs: int, budget: float = 60.0) -> dict:
    """Median/min/max seconds of ``runs`` calls (fewer if ``budget`` seconds run out)."""
    times: list[float] = []
    result = None
    start = time.perf_counter()
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > budget and len(times) >= 1:
            break
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": len(times), "result": result}


def _row(name: str, t: dict, megabytes: float, note: str = "") -> dict:
    return {
        "name": name,
        "mb_s": megabytes / t["median"],
        "mb_s_min": megabytes / t["max"],
        "mb_s_max": megabytes / t["min"],
        "seconds": t["median"],
        "runs": t["runs"],
        "matches": t["result"] if isinstance(t["result"], int) else None,
        "note": note,
    }


def _rss() -> int:
    gc.collect()
    return _PROC.memory_info().rss


def build_lexicon(entries: list, engine: str) -> tuple[Lexicon, float, int]:
    before = _rss()
    t0 = time.perf_counter()
    matcher = build_matcher([e.folded for e in entries], engine)
    seconds = time.perf_counter() - t0
    return Lexicon("bench", tuple(entries), matcher), seconds, _rss() - before


def secscan_stage(lexicon: Lexicon, text: str) -> Callable[[], int]:
    """normalize + automaton, then the selection every lexicon rule starts with: the
    matches whose scope can make a finding, as ``LexMatch`` objects (trigger and companion
    matches stay arrays until a detector asks for them).

    The detectors are timed end to end (the html stream and the 10 MB ``secscan scan``).
    """
    doc = text_document(text)

    def run() -> int:
        norm = normalize_document(doc, lexicon)
        part = norm.parts[0]
        finding_candidates(part)
        return len(part.found)

    return run


def raw_engines(terms: list[str], norm_text: str, runs: int, megabytes: float) -> list[dict]:
    rows = []
    data = norm_text.encode()
    import ahocorasick

    auto = ahocorasick.Automaton()
    for k, word in enumerate(terms):
        auto.add_word(word, k)
    auto.make_automaton()
    rows.append(_row("raw pyahocorasick iter (str)", timed(lambda: sum(1 for _ in auto.iter(norm_text)), runs), megabytes))
    try:
        import ahocorasick_rs

        rs = ahocorasick_rs.BytesAhoCorasick([w.encode() for w in terms])
        t = timed(lambda: len(rs.find_matches_as_indexes(data, overlapping=True)), runs)
        rows.append(_row("raw ahocorasick_rs (UTF-8 bytes)", t, megabytes))
    except ImportError:
        pass
    try:
        import hyperscan

        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(expressions=[w.encode() for w in terms], ids=list(range(len(terms))), flags=0, literal=True)

        def scan() -> int:
            count = [0]

            def on_match(*_args: object) -> None:
                count[0] += 1

            db.scan(data, match_event_handler=on_match)
            return count[0]

        rows.append(_row("raw hyperscan (literal, UTF-8)", timed(scan, runs), megabytes))
    except ImportError:
        pass
    return rows


def flashtext_row(terms: list[str], norm_text: str, runs: int, slice_chars: int) -> dict | None:
    try:
        from flashtext import KeywordProcessor
    except ImportError:
        return None
    kp = KeywordProcessor()
    for w in terms:
        kp.add_keyword(w)
    part = norm_text[:slice_chars]
    t = timed(lambda: len(kp.extract_keywords(part)), runs, budget=20)
    return _row("flashtext (time-boxed slice)", t, len(part.encode()) / MB, f"first {len(part.encode()) / MB:.1f} MB")


def naive_re_row(terms: list[str], norm_text: str, budget: float = 10.0) -> dict:
    """re alternation of the first 1,000 terms over growing slices until ``budget`` is spent."""
    pattern = re.compile("|".join(re.escape(w) for w in sorted(terms[:1000], key=len, reverse=True)))
    size, spent, count = 50_000, 0.0, 0
    while spent < budget / 4 and size < len(norm_text):
        part = norm_text[:size]
        t0 = time.perf_counter()
        count = sum(1 for _ in pattern.finditer(part))
        spent = time.perf_counter() - t0
        size *= 2
    part_mb = len(part.encode()) / MB
    t = {"median": spent, "min": spent, "max": spent, "runs": 1, "result": count}
    return _row("naive re alternation (1,000 terms)", t, part_mb, f"first {part_mb:.2f} MB, time-boxed")


def floors(text: str, runs: int, megabytes: float) -> list[dict]:
    data = text.encode()
    return [
        _row("floor: UTF-8 decode", timed(lambda: len(data.decode()), runs), megabytes),
        _row("floor: bytes.find(absent byte)", timed(lambda: data.find(b"\xff"), runs), megabytes),
    ]


def lexicon_size_block(size: int, text: str, megabytes: float, args: argparse.Namespace) -> dict:
    entries = lexicon_entries(size)
    norm_text = normalize(text)[0]
    terms = list(dict.fromkeys(e.folded for e in entries))
    rows, builds = [], {}
    for engine in available_engines():
        if engine == "pyahocorasick" and size > 10_000 and args.quick:
            continue
        lexicon, seconds, memory = build_lexicon(entries, engine)
        builds[engine] = {"build_seconds": seconds, "rss_bytes": memory}
        t = timed(secscan_stage(lexicon, text), args.runs, budget=90)
        rows.append(_row(f"secscan stage [{engine}]", t, megabytes, f"build {seconds:.2f} s, +{memory / MB:.0f} MB RSS"))
        del lexicon
    rows.extend(raw_engines(terms, norm_text, args.runs, megabytes))
    flash = flashtext_row(terms, norm_text, args.runs, 700_000)
    if flash:
        rows.append(flash)
    if size == args.sizes[0]:
        rows.append(naive_re_row(terms, norm_text))
    return {"lexicon_terms": size, "distinct_folded": len(terms), "rows": rows, "builds": builds}


def scaling(entries_size: int, args: argparse.Namespace) -> dict:
    """MB/s of the matching stage on growing inputs; the log-log slope should be ~1.0."""
    lexicon, _, _ = build_lexicon(lexicon_entries(entries_size), "")
    sizes = [10_000, 100_000, 1 * MB, 10 * MB, (20 if args.quick else 100) * MB]
    points = []
    for size in sizes:
        text = make_text(size, seed=size)
        megabytes = len(text.encode()) / MB
        runs = args.runs if size <= 10 * MB else 3
        t = timed(secscan_stage(lexicon, text), runs)
        points.append({"bytes": len(text.encode()), "seconds": t["median"], "mb_s": megabytes / t["median"]})
    xs = [math.log(p["bytes"]) for p in points[1:]]
    ys = [math.log(p["seconds"]) for p in points[1:]]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return {"lexicon_terms": entries_size, "points": points, "loglog_slope_from_100KB": slope}


def html_stream(count: int) -> dict:
    """Documents per second for a stream of ~2 KB html pages through the whole scanner."""
    base = make_text(400_000, seed=7).split("\n")
    pages = []
    for i in range(min(count, 2000)):
        body = "".join(f"<p>{base[(i * 7 + k) % len(base)][:120]}</p>" for k in range(8))
        pages.append(f"<html><head><title>通知{i}</title></head><body><h1>关于第{i}项工作的通知</h1>{body}</body></html>".encode())
    scanner = Scanner().warm_up()
    t0 = time.perf_counter()
    for i in range(count):
        scanner.scan_bytes(pages[i % len(pages)], f"page{i}.html")
    seconds = time.perf_counter() - t0
    avg = sum(len(p) for p in pages) / len(pages)
    return {"documents": count, "avg_bytes": avg, "seconds": seconds, "docs_per_s": count / seconds}


def end_to_end(args: argparse.Namespace) -> dict:
    """`secscan scan` of a 10 MB .txt against decode + pyahocorasick (10,000 terms) by hand."""
    tmp = Path(tempfile.mkdtemp(prefix="secscan-bench-"))
    txt = tmp / "ten_mb.txt"
    txt.write_text(make_text(10 * MB, seed=10), encoding="utf-8")
    terms = tmp / "terms.txt"
    terms.write_text("\n".join(e.folded for e in lexicon_entries(10_000)), encoding="utf-8")
    script = tmp / "baseline.py"
    script.write_text(
        "import sys, ahocorasick\n"
        "a = ahocorasick.Automaton()\n"
        "for k, w in enumerate(open(sys.argv[2], encoding='utf-8').read().split('\\n')):\n"
        "    a.add_word(w, (k, len(w)))\n"
        "a.make_automaton()\n"
        "text = open(sys.argv[1], 'rb').read().decode('utf-8')\n"
        "found = [(end - n + 1, end + 1, k) for end, (k, n) in a.iter(text)]\n"
        "print(len(found))\n",
        encoding="utf-8",
    )
    secscan_bin = str(Path(sys.executable).with_name("secscan"))
    commands = {
        "secscan scan --format json": [secscan_bin, "scan", "--format", "json", str(txt)],
        "script: decode + pyahocorasick 10k": [sys.executable, str(script), str(txt), str(terms)],
        "python start-up only": [sys.executable, "-c", "pass"],
    }
    # As installed: with byte-code caching (some sandboxes set PYTHONDONTWRITEBYTECODE,
    # which recompiles every module of every run), after one untimed run of each command
    # (byte code written, files in the page cache, the hyperscan database in its cache).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def run(cmd: list[str]) -> tuple[float, int]:
        t0 = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        return time.perf_counter() - t0, done.returncode

    for cmd in commands.values():
        run(cmd)
    # Round by round, each command once: a shared machine's slow minutes fall on every
    # command alike, rather than on whichever ran its runs then.
    times: dict[str, list[float]] = {name: [] for name in commands}
    codes: dict[str, int] = {}
    start = time.perf_counter()
    for _ in range(args.e2e_runs):
        for name, cmd in commands.items():
            seconds, codes[name] = run(cmd)
            times[name].append(seconds)
        if time.perf_counter() - start > 480:
            break
    out: dict = {name: {"median": statistics.median(t), "min": min(t), "max": max(t), "runs": len(t), "exit": codes[name]}
                 for name, t in times.items()}
    secscan_name, script_name = "secscan scan --format json", "script: decode + pyahocorasick 10k"
    out["speedup"] = out[script_name]["median"] / out[secscan_name]["median"]
    # the same ratio taken round by round (each pair ran within the same second or two)
    out["speedup_paired"] = statistics.median(b / a for a, b in zip(times[secscan_name], times[script_name], strict=True))
    cold = subprocess.run(
        [sys.executable, "-c", "import time; t=time.perf_counter(); from secscan.pipeline import Scanner; "
         "Scanner().warm_up(); print(time.perf_counter()-t)"],
        capture_output=True, text=True, env=env, check=False,
    )
    out["cold_start_import_and_build_s"] = float(cold.stdout.strip() or "nan")
    out["stages"] = stage_rows(txt, args.e2e_runs)
    return out


def profile_stage(text: str, size: int) -> str:
    lexicon, _, _ = build_lexicon(lexicon_entries(size), "")
    stage = secscan_stage(lexicon, text)
    stage()  # the steady state: tables and scratch space already built
    prof = cProfile.Profile()
    prof.runcall(stage)
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(8)
    return buf.getvalue()


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("pyahocorasick", "ahocorasick-rs", "hyperscan", "flashtext", "numpy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(), "python": platform.python_version(), "packages": versions,
        "engines": available_engines(),
    }


def render(results: dict) -> str:
    lines = []
    for block in results["lexicons"]:
        lines.append(f"\n### {block['lexicon_terms']:,} terms ({block['distinct_folded']:,} distinct after folding)\n")
        lines.append("| what | MB/s (median) | min–max | matches | note |")
        lines.append("|---|---:|---:|---:|---|")
        for r in block["rows"] + results["floors"]:
            matches = "" if r["matches"] is None else f"{r['matches']:,}"
            lines.append(f"| {r['name']} | {r['mb_s']:.1f} | {r['mb_s_min']:.1f}–{r['mb_s_max']:.1f} | {matches} | {r['note']} |")
        lines.append("")
        for key, value in block.get("ratios", {}).items():
            lines.append(f"- {key}: **{value:.2f}×**")
    sc = results["scaling"]
    lines.append(f"\n### Scaling ({sc['lexicon_terms']:,} terms, default engine)\n")
    lines.append("| input | seconds | MB/s |")
    lines.append("|---:|---:|---:|")
    for p in sc["points"]:
        lines.append(f"| {p['bytes'] / MB:.2f} MB | {p['seconds']:.4f} | {p['mb_s']:.1f} |")
    lines.append(f"\nlog-log slope of time against size from 100 KB: **{sc['loglog_slope_from_100KB']:.3f}** (1.0 = linear)")
    st = results["stream"]
    lines.append(
        f"\n### Stream of small html pages\n\n{st['documents']:,} pages of ~{st['avg_bytes'] / 1000:.1f} KB through "
        f"`Scanner.scan_bytes` (extraction, all detectors, scoring): **{st['docs_per_s']:.0f} documents/s**"
    )
    e2e = results["end_to_end"]
    lines.append("\n### End to end, 10 MB .txt (wall time, median of runs taken round by round, start-up included)\n")
    lines.append("| command | seconds | min–max |")
    lines.append("|---|---:|---:|")
    for name, v in e2e.items():
        if isinstance(v, dict):
            lines.append(f"| {name} | {v['median']:.3f} | {v['min']:.3f}–{v['max']:.3f} |")
    lines.append(f"\nsecscan is **{e2e['speedup']:.2f}×** faster than the script (target ≥ 3×; the median of the "
                 f"rounds' own ratios: {e2e['speedup_paired']:.2f}×); "
                 f"cold start (import + build): {e2e['cold_start_import_and_build_s']:.3f} s")
    lines.append("\nWhere the scan's time goes (`benchmarks/stages.py`, in-process, a fresh document per run):\n")
    lines.append("| stage | ms |")
    lines.append("|---|---:|")
    lines.extend(f"| {name} | {seconds * 1000:.1f} |" for name, seconds in e2e["stages"])
    if results.get("profile"):
        lines.append("\n### Profile of the matching stage (10,000 terms, cProfile, steady state)\n")
        lines.append("```\n" + results["profile"].strip() + "\n```")
    return "\n".join(lines)


def ratios(block: dict) -> dict:
    by_name = {r["name"]: r["mb_s"] for r in block["rows"]}
    engines = [n for n in by_name if n.startswith("secscan stage [") and "pyahocorasick" not in n]
    if not engines:
        return {}
    best = max(engines, key=by_name.get)
    out = {}
    for raw, target in (("raw ahocorasick_rs (UTF-8 bytes)", 1.0), ("raw hyperscan (literal, UTF-8)", 0.3)):
        if raw in by_name:
            out[f"{best} / {raw} (target ≥ {target})"] = by_name[best] / by_name[raw]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.matching", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 MB text, 10,000-page stream, 20 MB top of the scaling run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--e2e-runs", type=int, default=7, help="runs of the 10 MB end-to-end commands (a shared VM moves a run by ±5%%: 7 steady the median)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--docs", type=int, default=None, help="pages in the html stream (default 100,000)")
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    parser.add_argument("--markdown", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the stage (10,000 terms)")
    args = parser.parse_args(argv)
    docs = args.docs or (10_000 if args.quick else 100_000)

    text = make_text((5 if args.quick else 20) * MB)
    megabytes = len(text.encode()) / MB
    print(f"text: {megabytes:.1f} MB, {len(text):,} characters; engines here: {', '.join(available_engines())}", flush=True)
    results: dict = {"machine": machine(), "text_mb": megabytes, "lexicons": []}
    results["floors"] = floors(text, args.runs, megabytes)
    for size in args.sizes:
        block = lexicon_size_block(size, text, megabytes, args)
        block["ratios"] = ratios(block)
        results["lexicons"].append(block)
        print(f"lexicon {size:,}: " + ", ".join(f"{r['name']} {r['mb_s']:.1f}" for r in block["rows"]), flush=True)
    results["scaling"] = scaling(10_000, args)
    print("scaling done", flush=True)
    results["stream"] = html_stream(docs)
    print("stream done", flush=True)
    results["end_to_end"] = end_to_end(args)
    if args.profile:
        results["profile"] = profile_stage(text, 10_000)
    table = render(results)
    print(table)
    if args.profile:
        print(results["profile"])
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    m = results["machine"]
    header = (
        "# Matcher benchmark results\n\n"
        f"Produced by `.venv/bin/python -m benchmarks.matching {' '.join(argv if argv is not None else sys.argv[1:])}` "
        f"on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['platform']}, Python {m['python']}; "
        f"packages {', '.join(f'{k} {v}' for k, v in m['packages'].items())}. Engines available: "
        f"{', '.join(m['engines'])}. Text: {results['text_mb']:.1f} MB generated from shipped data "
        "(seed 20240607). MB/s are per MB of original UTF-8 input; medians with min–max.\n"
    )
    args.markdown.write_text(header + table + "\n", encoding="utf-8")
    print(f"\nwrote {args.json} and {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

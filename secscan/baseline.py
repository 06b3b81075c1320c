"""A baseline of reviewed findings, so that a weekly re-audit shows only what is new.

As in detect-secrets, a finding's identity is its fingerprint (rule, part kind and a hash
of the normalized matched text — see ``pipeline.fingerprint``): no offsets and no line
numbers, so edits elsewhere in the file leave it recognised.  The baseline stores the
fingerprints per file path with how many times each occurred, never the matched text
itself (a baseline of 身份证号 must not be a list of 身份证号).

Read errors are never baselined: a file that could not be read is re-reviewed every time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from secscan.config import Config
from secscan.score import score_file
from secscan.types import FileReport, ScanReport

FORMAT_VERSION = 1


class BaselineError(ValueError):
    pass


class BaselineEntry(Struct, frozen=True):
    fingerprint: str
    rule: str
    part: str
    count: int
    line: int | None = None  # for a person reading the file; never used to match


class Baseline(Struct, frozen=True):
    files: Mapping[str, tuple[BaselineEntry, ...]] = field(default_factory=lambda: MappingProxyType({}))
    secscan_version: str = ""
    lexicon_version: str = ""
    generated_at: str = ""

    def counts(self, path: str) -> Counter[str]:
        return Counter({e.fingerprint: e.count for e in self.files.get(path_key(path), ())})

    @property
    def total(self) -> int:
        return sum(e.count for entries in self.files.values() for e in entries)


def path_key(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


def baseline_from_report(report: ScanReport) -> Baseline:
    files: dict[str, tuple[BaselineEntry, ...]] = {}
    for r in report.files:
        counts = Counter(f.fingerprint for f in r.findings)
        first = {}
        for f in r.findings:
            first.setdefault(f.fingerprint, f)
        entries = tuple(
            BaselineEntry(fp, first[fp].rule, first[fp].location.part.value, n, first[fp].location.line)
            for fp, n in sorted(counts.items(), key=lambda kv: (first[kv[0]].rule, kv[0]))
        )
        if entries:
            files[path_key(r.path)] = entries
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    return Baseline(MappingProxyType(files), report.secscan_version, report.lexicon_version, now)


def baseline_dict(baseline: Baseline) -> dict[str, Any]:
    return {
        "secscan_baseline": FORMAT_VERSION,
        "generated_at": baseline.generated_at,
        "secscan_version": baseline.secscan_version,
        "lexicon_version": baseline.lexicon_version,
        "files": {
            path: [
                {"fingerprint": e.fingerprint, "rule": e.rule, "part": e.part, "count": e.count, "line": e.line}
                for e in entries
            ]
            for path, entries in sorted(baseline.files.items())
        },
    }


def write_baseline(baseline: Baseline, path: str | Path) -> None:
    text = json.dumps(baseline_dict(baseline), ensure_ascii=False, indent=2) + "\n"
    Path(path).write_text(text, encoding="utf-8")


def load_baseline(path: str | Path) -> Baseline:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: not a JSON baseline: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("secscan_baseline") != FORMAT_VERSION:
        raise BaselineError(f"{path}: not a secscan baseline (format {FORMAT_VERSION})")
    try:
        files = {
            path_key(p): tuple(
                BaselineEntry(str(e["fingerprint"]), str(e["rule"]), str(e.get("part", "")), int(e.get("count", 1)),
                              e.get("line"))
                for e in entries
            )
            for p, entries in raw.get("files", {}).items()
        }
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise BaselineError(f"{path}: malformed entry: {exc!r}") from exc
    return Baseline(MappingProxyType(files), str(raw.get("secscan_version", "")),
                    str(raw.get("lexicon_version", "")), str(raw.get("generated_at", "")))


def apply_baseline(report: ScanReport, baseline: Baseline, config: Config) -> ScanReport:
    """Only the findings the baseline does not hold; verdicts and scores recomputed.

    A fingerprint seen ``n`` times in the baseline hides ``n`` occurrences: a second copy
    of a reviewed marking is new.
    """
    return replace(report, files=tuple(_apply_file(r, baseline.counts(r.path), config) for r in report.files))


def _apply_file(r: FileReport, budget: Counter[str], config: Config) -> FileReport:
    if not budget:
        return r
    kept = []
    for f in r.findings:
        if budget[f.fingerprint] > 0:
            budget[f.fingerprint] -= 1
        else:
            kept.append(f)
    scored = score_file(kept, r.errors, config)
    return replace(r, findings=tuple(kept), verdict=scored.verdict, score=scored.score)

"""``secscan lexicon check``: is every lexicon file valid, and does any term flood?

* Format errors (columns, category, severity, scope) — the loader's own checks.
* Duplicates: two lines whose terms fold to the same text (机密 and 機密 are one term);
  with different rules or categories they are a conflict, an error.
* Floods: each term is counted in a body of publishable text (articles about secrecy,
  published notices); a term that would be a finding and occurs there at more than
  ``max_rate`` times per 100,000 characters would bury reviewers in false findings.
  Findings the full scanner raises on that text are counted per rule as well, since
  ``line``/``head`` terms only count in place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from msgspec import Struct

from secscan.lexicon import LexEntry, LexiconError, parse_lexicon_file
from secscan.normalize import normalize

DEFAULT_MAX_RATE = 1.0  # occurrences per 100,000 characters of publishable text


class LexiconProblem(Struct, frozen=True):
    level: str  # "error" | "warning"
    where: str  # file:line
    message: str


class TermRate(Struct, frozen=True):
    entry: LexEntry
    occurrences: int
    per_100k: float


class LexiconCheck(Struct, frozen=True):
    files: tuple[Path, ...]
    terms: int
    corpus_chars: int
    problems: tuple[LexiconProblem, ...]
    rates: tuple[TermRate, ...]
    corpus_findings: tuple[tuple[str, int], ...]  # rule id, findings in the publishable text

    @property
    def ok(self) -> bool:
        return not any(p.level == "error" for p in self.problems)


def read_corpus(paths: Iterable[Path]) -> list[tuple[str, str]]:
    from secscan.pipeline import iter_files

    out = []
    for path in iter_files(paths):
        try:
            out.append((str(path), path.read_text(encoding="utf-8-sig")))
        except (OSError, UnicodeDecodeError):
            continue
    return out


def check_lexicons(
    files: Sequence[Path], corpus: Sequence[tuple[str, str]] = (), max_rate: float = DEFAULT_MAX_RATE
) -> LexiconCheck:
    problems: list[LexiconProblem] = []
    entries: list[LexEntry] = []
    for path in files:
        try:
            entries.extend(parse_lexicon_file(path))
        except (LexiconError, UnicodeDecodeError, OSError) as exc:
            problems.append(LexiconProblem("error", path.name, str(exc)))
    problems.extend(_duplicates(entries))
    problems.extend(
        LexiconProblem("warning", f"{e.source}:{e.line}", f"“{e.term}” is one character: as an `anywhere` term it will match inside words")
        for e in entries if e.scope == "anywhere" and len(e.folded) < 2
    )
    rates = _rates(entries, corpus)
    for rate in rates:
        e = rate.entry
        # line/head terms count only in place: their real effect is in the corpus findings below
        if e.scope == "anywhere" and rate.per_100k > max_rate:
            problems.append(LexiconProblem(
                "warning", f"{e.source}:{e.line}",
                f"“{e.term}” ({e.rule}, scope {e.scope}) occurs {rate.occurrences}× in publishable text "
                f"({rate.per_100k:.1f} per 100k chars): it would flood the results",
            ))
    findings = _corpus_findings(files, corpus)
    for rule, n in findings:
        problems.append(LexiconProblem("warning", rule, f"{n} finding(s) on publishable text that must pass"))
    chars = sum(len(t) for _, t in corpus)
    return LexiconCheck(tuple(files), len(entries), chars, tuple(problems), tuple(rates), tuple(findings))


def _duplicates(entries: list[LexEntry]) -> Iterable[LexiconProblem]:
    first: dict[str, LexEntry] = {}
    for e in entries:
        seen = first.setdefault(e.folded, e)
        if seen is e:
            continue
        here, there = f"{e.source}:{e.line}", f"{seen.source}:{seen.line}"
        if (seen.rule, seen.category, seen.scope) == (e.rule, e.category, e.scope):
            yield LexiconProblem("warning", here, f"duplicate of {there}: “{e.term}”")
        else:
            yield LexiconProblem(
                "error", here,
                f"“{e.term}” is also {there} with another rule/category/scope ({seen.rule}, {seen.scope}): "
                "one term must mean one thing",
            )


def _rates(entries: list[LexEntry], corpus: Sequence[tuple[str, str]]) -> list[TermRate]:
    if not corpus:
        return []
    folded = "\n".join(normalize(text)[0] for _, text in corpus)
    size = max(1, len(folded))
    out = []
    for e in entries:
        n = folded.count(e.folded)
        out.append(TermRate(e, n, n * 100_000 / size))
    out.sort(key=lambda r: -r.per_100k)
    return out


def _corpus_findings(files: Sequence[Path], corpus: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    """Findings of lexicon rules when the full scanner reads the publishable text."""
    if not corpus:
        return []
    from secscan.config import Config
    from secscan.lexicon import shipped_lexicon_files
    from secscan.pipeline import Scanner

    shipped = {p.resolve() for p in shipped_lexicon_files()}
    extra = tuple(p.resolve() for p in files if p.resolve() not in shipped)
    scanner = Scanner(Config(extra_lexicons=extra, use_model=False))
    rules = {e.rule for p in files for e in _safe_parse(p)}
    counts: Counter[str] = Counter()
    for name, text in corpus:
        counts.update(f.rule for f in scanner.scan_text(text, name).findings if f.rule in rules)
    return sorted(counts.items())


def _safe_parse(path: Path) -> list[LexEntry]:
    try:
        return parse_lexicon_file(path)
    except (LexiconError, UnicodeDecodeError, OSError):
        return []

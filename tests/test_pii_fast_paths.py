"""The personal-information and credential detectors look only where ASCII is.

* Each fast path equals the plain ``finditer`` over the whole text on random texts made
  of the characters that matter (digits, dashes, X, dots, @, spaces, CJK, astral, ſ, K).
* On long prose the patterns behind the number, address, e-mail and key checks run over
  a small fraction of the text: work is counted (characters handed to a regex), not timed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from secscan.config import Config
from secscan.detect import credentials, gaps, pii
from secscan.detect.gaps import ascii_view, finditer_at
from secscan.lexicon import load_lexicon
from secscan.pipeline import normalize_document
from secscan.types import Document, Part, PartKind

ALPHABET = "0123456789-Xx./:=@ '\"\t\n机密姓名𠀀ſKaZE_+%"
SEEDS = sorted((Path(__file__).parent / "fixtures" / "seeds").glob("*.txt"))


def random_texts(count: int, seed: int) -> Iterator[str]:
    rnd = random.Random(seed)
    for _ in range(count):
        yield "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 120)))


def spans(matches: Iterator[re.Match[str]]) -> list[tuple[int, int]]:
    return [m.span() for m in matches]


@pytest.mark.parametrize("small_text", [gaps.SMALL_TEXT, 0], ids=["regex path", "numpy path"])
def test_ascii_view_equals_scanning_the_text(small_text: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gaps, "SMALL_TEXT", small_text)
    for text in random_texts(1500, 1):
        view = gaps.AsciiView(text)
        assert view.positions("@X") == [i for i, c in enumerate(text) if c in "@X"]
        assert view.stretches("0123456789-", 3) == spans(re.finditer(r"[0-9-]{3,}", text))
        lowered = credentials._lower(text)
        for needle in ("pwd", "za", "://", "e_", "x."):  # absent first letter, and present in either case
            assert view.find_all(needle) == [m.start() for m in re.finditer(f"(?={re.escape(needle)})", lowered)]
        assert list(view.spans(credentials._JWT_RE)) == spans(credentials._JWT_RE.finditer(text))


@pytest.mark.parametrize("small_text", [gaps.SMALL_TEXT, 0], ids=["regex path", "numpy path"])
def test_windowed_scans_equal_finditer_over_the_text(small_text: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gaps, "SMALL_TEXT", small_text)
    ascii_view.cache_clear()
    for text in random_texts(3000, 2):
        assert spans(pii._long_runs(text)) == [sp for sp in spans(pii._RUN_RE.finditer(text)) if sp[1] - sp[0] >= 11]
        assert spans(pii._email_matches(text)) == spans(pii._EMAIL_RE.finditer(text))
        assert spans(credentials._secret_values(text)) == spans(credentials._SECRET_VALUE_RE.finditer(text))
        starts = ascii_view(text).positions(pii._PASSPORT_FIRST)
        assert spans(finditer_at(pii._PASSPORT_RE, text, starts)) == spans(pii._PASSPORT_RE.finditer(text))


def test_secret_values_across_spaces_and_quotes() -> None:
    value = "Ab3" * 50
    for sep in (":", "= '", ":\u3000\"", "=\n\t", ": x"):
        text = f"secret_key{sep}{value}"
        assert spans(credentials._secret_values(text)) == spans(credentials._SECRET_VALUE_RE.finditer(text))


def reference_tables(text: str) -> list[tuple[int, int, int, int, int]]:
    """person_tables as a walk over every line: header cells gathered, rows counted under them."""
    lines, pos = [], 0
    for line in text.split("\n"):
        lines.append((pos, pos + len(line)))
        pos += len(line) + 1
    cell = lambda k: pii._HEADER_CELL_RE.fullmatch(text[slice(*lines[k])]) is not None  # noqa: E731
    out, i = [], 0
    while i < len(lines):
        lo, hi = lines[i]
        if "姓名" not in text[lo:hi] or hi - lo > 80:
            i += 1
            continue
        first = last = i
        if cell(i):
            while first > 0 and cell(first - 1):
                first -= 1
            while last + 1 < len(lines) and cell(last + 1):
                last += 1
        width, limit = last - first + 1, (pii._MAX_CELL if cell(i) else pii._MAX_ROW)
        k, evidence = last + 1, 0
        while k < len(lines) and 0 < lines[k][1] - lines[k][0] <= limit:
            evidence += bool(pii._EVIDENCE_RE.search(text, *lines[k]))
            k += 1
        end = lines[k - 1][1] if k > last + 1 else lines[last][1]
        out.append((lines[first][0], lines[last][1], end, (k - last - 1) // width, evidence))
        i = k
    return out


def test_person_tables_equal_a_walk_over_every_line() -> None:
    rnd = random.Random(3)
    pieces = ["姓名", "住址", "电话", "序号", "张三", "12号", "13812345678", "\n", "\n", "\n", "\t", "村", "x" * 70]
    for _ in range(1500):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 30)))
        part = normalize_document(Document("t.txt", "text/plain", (Part(PartKind.BODY, text),)), load_lexicon()).parts[0]
        found = [(t.start, t.header_end, t.end, t.rows, t.evidence) for t in pii.person_tables(part)]
        assert found == reference_tables(part.text), text


class Counting:
    """A pattern that counts the characters it is asked to look at."""

    def __init__(self, rx: re.Pattern[str], seen: list[tuple[int, int]]) -> None:
        self.rx, self.seen, self.pattern = rx, seen, rx.pattern

    def _count(self, text: str, pos: int = 0, endpos: int | None = None) -> tuple[int, int]:
        endpos = len(text) if endpos is None else min(endpos, len(text))
        self.seen.append((len(text), max(0, endpos - pos)))
        return pos, endpos

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[re.Match[str]]:
        return self.rx.finditer(text, *self._count(text, pos, endpos))

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        return self.rx.search(text, *self._count(text, pos, endpos))

    def match(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        return self.rx.match(text, *self._count(text, pos, endpos))


def test_prose_is_not_scanned_character_by_character(monkeypatch: pytest.MonkeyPatch) -> None:
    prose = "\n".join(p.read_text(encoding="utf-8") for p in SEEDS)
    text = (prose + "\n信访人手机13812345678,邮箱zhang@qq.com。服务器10.0.0.1与10.0.0.2。\n") * 40
    seen: list[tuple[int, int]] = []
    for module, name in [(pii, "_RUN_RE"), (pii, "_EMAIL_RE"), (pii, "_PASSPORT_RE"), (credentials, "_IP_RUN_RE"),
                         (credentials, "_SECRET_VALUE_RE"), (credentials, "_JWT_RE"), (credentials, "_PEM_RE")]:
        monkeypatch.setattr(module, name, Counting(getattr(module, name), seen))
    monkeypatch.setattr(credentials, "_TOKEN_SHAPES", tuple((Counting(rx, seen), kind) for rx, kind in credentials._TOKEN_SHAPES))
    doc = normalize_document(Document("p.txt", "text/plain", (Part(PartKind.BODY, text),)), load_lexicon())
    config = Config(today="2026-11-23")
    rules = [h.rule for spec in (pii, credentials) for h in spec.build(config, load_lexicon())(doc)]
    assert rules.count("pii.mobile") == 40 and rules.count("pii.email") == 40
    assert rules.count("cred.internal_ip_plan") == 80
    size = len(doc.parts[0].text)
    in_text = sum(window for length, window in seen if length == size)
    assert in_text < len(ascii_view(doc.parts[0].text).codes)  # a few windows, not the prose
    assert all(length < size / 4 for length, _ in seen if length != size)  # keys: the ASCII view


def _cue_sets() -> list[frozenset[str]]:
    password = frozenset(n for n in credentials._PASSWORD_LABELS if not n.isascii())
    return [password, pii._NAME_LABEL, pii._PASSPORT_CUES, *(frozenset(p.cues) for p in pii._PERMITS)]


def test_cue_words_come_from_the_lexicon_pass_as_a_search_would_find_them() -> None:
    """密码, 姓名, 护照, 往来港澳 …: the shipped lexicon holds every cue word (lexicons/cues.tsv),
    so a long part takes their places from the automaton's pass, with no search of its text."""
    import cProfile
    import pstats

    lexicon = load_lexicon()
    assert all(cues <= lexicon.folded_terms for cues in _cue_sets())
    rnd = random.Random(12)
    pieces = ["姓名", "密码", "口令", "护照", "往来港澳通行证", "往来台湾", "台胞证", "回乡证", "名", "姓", "。", "\n", "x"]
    text = "".join(rnd.choice(pieces) for _ in range(40_000)) + "姓名姓名密码密码"
    assert len(text) > 1 << 16  # a long part: below, a search is faster than selecting matches
    doc = Document("t.txt", "text/plain", (Part(PartKind.BODY, text),))
    fast, searched = normalize_document(doc, lexicon).parts[0], normalize_document(doc, None).parts[0]
    _ = fast.found  # the automaton's pass, made before counting
    for cues in _cue_sets():
        expected = sorted({m.start() for cue in cues for m in re.finditer(f"(?={re.escape(cue)})", text)})
        prof = cProfile.Profile()
        assert prof.runcall(fast.term_starts, cues) == expected
        calls = {k[2]: v[1] for k, v in pstats.Stats(prof).stats.items()}  # type: ignore[attr-defined]
        assert calls.get("<method 'find' of 'str' objects>", 0) == 0
        assert searched.term_starts(cues) == expected and expected
        short = normalize_document(Document("s.txt", "text/plain", (Part(PartKind.BODY, text[:500]),)), lexicon).parts[0]
        assert short.term_starts(cues) == sorted({m.start() for cue in cues for m in re.finditer(f"(?={re.escape(cue)})", text[:500])})

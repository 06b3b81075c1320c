"""Every matcher engine finds exactly the same matches; the default is the fastest here.

The last tests are the regression guard for speed (CI-safe: they count Python-level calls
and check the engine type, they time nothing).
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from pathlib import Path

import jieba
import pytest

from secscan.lexicon import load_lexicon
from secscan.matcher import ENGINES, available_engines, build_matcher
from secscan.normalize import fold_term
from secscan.pipeline import normalize_document
from secscan.types import Document, Part, PartKind

SEEDS = sorted((Path(__file__).parent / "fixtures" / "seeds").glob("*.txt"))
HERE_ENGINES = available_engines()


def _jieba_terms(count: int) -> list[str]:
    rnd = random.Random(11)
    with Path(jieba.__file__).with_name("dict.txt").open(encoding="utf-8") as fh:
        words = [line.split()[0] for line in fh]
    return rnd.sample([w for w in words if 2 <= len(w) <= 6], count)


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[str]]:
    """Terms: the shipped lexicon, 3,000 jieba words, overlapping and duplicate entries."""
    shipped = [e.folded for e in load_lexicon().entries]
    terms = [*shipped, *(fold_term(w) for w in _jieba_terms(3000)), "秘密", "工作秘密", "密", "机密★", "𠀀字"]
    texts = [p.read_text(encoding="utf-8") for p in SEEDS]
    texts.append("机密★10年\n工作秘密\n请勿外传𠀀字机密")  # ends on a match (pyahocorasick #133)
    rnd = random.Random(5)
    pool = "".join(texts)
    texts += ["".join(rnd.choice(pool) for _ in range(300)) for _ in range(20)]
    return terms, texts


def test_the_portable_engine_is_always_there() -> None:
    assert "pyahocorasick" in HERE_ENGINES


@pytest.mark.parametrize("engine", [e for e in HERE_ENGINES if e != "pyahocorasick"])
def test_every_engine_finds_the_same_matches(engine: str, corpus: tuple[list[str], list[str]]) -> None:
    terms, texts = corpus
    portable = build_matcher(terms, "pyahocorasick")
    fast = build_matcher(terms, engine)
    assert fast.engine == engine
    total = 0
    for text in texts:
        expected = portable.find(text)
        assert fast.find(text) == expected
        total += len(expected)
    assert total > 100  # the corpus really exercises the matcher


@pytest.mark.parametrize("engine", HERE_ENGINES)
def test_matches_are_overlapping_sorted_and_per_entry(engine: str) -> None:
    m = build_matcher(["机密", "秘密", "工作秘密", "机密", "密", ""], engine)
    assert m.find("工作秘密机密") == [
        (0, 4, 2), (2, 4, 1), (3, 4, 4), (4, 6, 0), (4, 6, 3), (5, 6, 4),
    ]
    assert m.find("") == []
    assert m.find("公开发布") == []


@pytest.mark.parametrize("engine", HERE_ENGINES)
def test_offsets_are_str_indices_with_astral_characters_and_surrogates(engine: str) -> None:
    text = "🟉𠀀机密\ud800机密"
    m = build_matcher(["机密"], engine)
    assert [(s, e) for s, e, _ in m.find(text)] == [(2, 4), (5, 7)]
    assert all(text[s:e] == "机密" for s, e, _ in m.find(text))
    # two lone surrogates that UTF-16 would pair, then astral characters and a term with one
    text = "\ud83c\udf89机密🟉机密𠀀字𠀀"
    m = build_matcher(["机密", "𠀀字", "字𠀀", "\udf89机"], engine)
    assert [(s, e, i) for s, e, i in m.find(text)] == [(1, 3, 3), (2, 4, 0), (5, 7, 0), (7, 9, 1), (8, 10, 2)]


@pytest.mark.parametrize("engine", HERE_ENGINES)
def test_no_match_across_code_point_boundaries(engine: str) -> None:
    # In UTF-32-LE, "中\x01" is 2D 4E 00 00 01 00 00 00: bytes 2..5 spell U+10000.
    m = build_matcher(["\U00010000"], engine)
    assert m.find("中\x01中\x01") == []
    assert m.find("中\U00010000") == [(1, 2, 0)]


@pytest.mark.parametrize("engine", HERE_ENGINES)
def test_empty_lexicon(engine: str) -> None:
    assert build_matcher([], engine).find("机密★10年") == []


def test_unknown_engine_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown matcher engine"):
        build_matcher(["机密"], "re")
    monkeypatch.setenv("SECSCAN_MATCHER", "pyahocorasick")
    assert build_matcher(["机密"]).engine == "pyahocorasick"


# -- regression guard: no silent fallback to a slow path ---------------------------------


def test_default_engine_is_the_fastest_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECSCAN_MATCHER", raising=False)
    assert build_matcher(["机密"]).engine == HERE_ENGINES[0]
    assert load_lexicon().matcher.engine == HERE_ENGINES[0]
    assert HERE_ENGINES == [e for e in ENGINES if e in HERE_ENGINES]
    if sys.platform == "linux" and "ahocorasick_rs" not in HERE_ENGINES:
        pytest.fail("ahocorasick-rs (the 'fast' extra) is not importable on Linux")


def _python_calls(fn: Callable[[], object]) -> int:
    """Python-level function calls (not C calls) made while running ``fn``."""
    count = 0

    def profiler(_frame: object, event: str, _arg: object) -> None:
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profiler)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


def _document(size_chars: int) -> Document:
    base = SEEDS[0].read_text(encoding="utf-8")
    text = (base * (size_chars // len(base) + 1))[:size_chars]
    return Document("guard.txt", "text/plain", (Part(PartKind.BODY, text),))


def test_matching_stage_makes_no_per_character_python_calls() -> None:
    lexicon = load_lexicon()
    small, large = _document(100_000), _document(1_000_000)
    normalize_document(small, lexicon)  # warm caches
    calls_small = _python_calls(lambda: normalize_document(small, lexicon))
    calls_large = _python_calls(lambda: normalize_document(large, lexicon))
    matches = len(normalize_document(large, lexicon).parts[0].found)
    assert matches > 1000  # the seed prose is full of trigger words
    # no Python call per character, nor per match (hyperscan's callback aside, one per match)
    per_match = 1 if lexicon.matcher.engine == "hyperscan" else 0
    assert calls_large < 200 + per_match * matches, (calls_large, matches)
    assert calls_large < 10 * max(calls_small, 100)


def test_rules_build_objects_only_for_the_matches_they_keep() -> None:
    from secscan.detect.lexicon import FINDING_SCOPES, finding_candidates

    part = normalize_document(_document(300_000), load_lexicon()).parts[0]
    assert len(part.found) > 1000
    assert len(part.matches_in_scopes(FINDING_SCOPES)) > 100  # what a scope filter alone would build
    calls = _python_calls(lambda: finding_candidates(part))
    kept = finding_candidates(part)
    # the articles' 工作秘密/内部 sit in long lines: they never become LexMatch objects
    assert len(kept) < len(part.found) / 20
    assert calls < 100 + 3 * len(kept), (calls, len(kept))


# -- the compiled hyperscan database is cached on disk -----------------------------------

needs_hyperscan = pytest.mark.skipif("hyperscan" not in HERE_ENGINES, reason="hyperscan not installed")
CACHE_TERMS = ["机密", "秘密", "工作秘密", "请勿外传", "内部资料"]
CACHE_TEXT = "工作秘密\n机密★10年,请勿外传。内部资料注意保存"


@needs_hyperscan
def test_a_second_build_loads_the_compiled_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from secscan import matcher as matcher_mod

    monkeypatch.setenv("SECSCAN_CACHE_DIR", str(tmp_path))
    first = build_matcher(CACHE_TERMS, "hyperscan")
    cached = list(tmp_path.glob("hyperscan-*.db"))
    assert len(cached) == 1

    def no_compile(self: object, expressions: list[bytes], path: object) -> object:
        raise AssertionError("compiled although a cached database exists")

    monkeypatch.setattr(matcher_mod.HyperscanMatcher, "_compile", no_compile)
    second = build_matcher(CACHE_TERMS, "hyperscan")
    assert second.find(CACHE_TEXT) == first.find(CACHE_TEXT) == build_matcher(CACHE_TERMS, "pyahocorasick").find(CACHE_TEXT)
    with pytest.raises(AssertionError, match="compiled although"):
        build_matcher([*CACHE_TERMS, "秘密★"], "hyperscan")  # other terms: another file


@needs_hyperscan
@pytest.mark.parametrize("spoil", ["garbage", "truncated", "other patterns"])
def test_a_spoiled_cache_file_is_compiled_afresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spoil: str) -> None:
    monkeypatch.setenv("SECSCAN_CACHE_DIR", str(tmp_path))
    expected = build_matcher(CACHE_TERMS, "pyahocorasick").find(CACHE_TEXT)
    build_matcher(CACHE_TERMS, "hyperscan")
    (path,) = tmp_path.glob("hyperscan-*.db")
    if spoil == "garbage":
        path.write_bytes(b"\x00" * 64)
    elif spoil == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    else:  # a valid database of fewer patterns under this name: it would miss terms
        other = tmp_path / "other"
        monkeypatch.setenv("SECSCAN_CACHE_DIR", str(other))
        build_matcher(CACHE_TERMS[:2], "hyperscan")
        path.write_bytes(next(other.glob("hyperscan-*.db")).read_bytes())
        monkeypatch.setenv("SECSCAN_CACHE_DIR", str(tmp_path))
    assert build_matcher(CACHE_TERMS, "hyperscan").find(CACHE_TEXT) == expected
    assert build_matcher(CACHE_TERMS, "hyperscan").find(CACHE_TEXT) == expected  # the rewritten file


@needs_hyperscan
def test_an_empty_cache_variable_turns_the_cache_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECSCAN_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert build_matcher(CACHE_TERMS, "hyperscan").find(CACHE_TEXT)
    assert not list(tmp_path.rglob("*.db"))

"""Regression guards for the fast paths: same results as the slow reference, and counts, not timings.

* The classifier's vectorized featurizer counts exactly what one pyahocorasick pass over
  the vocabulary counts, in the same order; its score, taken block by block, is the
  training formula's and keeps the memory of one block.
* The context rules find anchors and literal signals through one automaton pass per part,
  with exactly ``re.finditer``'s results; they make no per-window regex call for groups
  made only of terms.
* Line numbers and per-line matches come from bisection, equal to counting.
"""

from __future__ import annotations

import cProfile
import math
import pstats
import random
import re
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import ahocorasick
import numpy as np
import pytest
from msgspec.structs import replace

from secscan import arrays
from secscan.config import Config
from secscan.detect import classifier, context
from secscan.detect.base import newlines_before
from secscan.lexicon import load_lexicon
from secscan.matcher import MatchArrays
from secscan.normalize import normalize
from secscan.pipeline import Scanner, normalize_document
from secscan.types import Document, Part, PartKind

FIXTURES = Path(__file__).parent / "fixtures"
TEXTS = sorted(FIXTURES.glob("*/*.txt"))
MODEL = classifier.load_model(classifier.model_path(Config()))


def reference_occurrences(vocabulary: tuple[str, ...], text: str) -> tuple[list[int], list[int]]:
    """The featurizer as it was: one pyahocorasick automaton, ``iter`` over the text."""
    automaton = ahocorasick.Automaton()
    for i, term in enumerate(vocabulary):
        automaton.add_word(term, i)
    automaton.make_automaton()
    found = list(automaton.iter(text))
    return [k for _, k in found], [end + 1 for end, _ in found]


def python_calls(fn: Callable[[], object]) -> int:
    prof = cProfile.Profile()
    prof.runcall(fn)
    return pstats.Stats(prof).total_calls  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.name)
def test_featurizer_equals_the_automaton_on_the_fixtures(path: Path) -> None:
    text = normalize(path.read_text(encoding="utf-8"))[0]
    features, ends = MODEL.featurizer.occurrences(text)
    ref_features, ref_ends = reference_occurrences(MODEL.vocabulary, text)
    assert features.tolist() == ref_features
    assert ends.tolist() == ref_ends
    assert len(ref_features) > 20  # the fixtures are real prose: the model has something to count


def test_featurizer_equals_the_automaton_on_random_vocabularies(monkeypatch: pytest.MonkeyPatch) -> None:
    """One-character terms, nested and overlapping terms, astral characters, tiny blocks."""
    rnd = random.Random(5)
    alphabet = "秘密机工作内部资料注意保管文件ab𠀀"
    for _ in range(150):
        vocab = tuple(sorted({"".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 6))) for _ in range(rnd.randint(1, 25))}))
        text = "".join(rnd.choice(alphabet + "。\n") for _ in range(rnd.randint(0, 250)))
        monkeypatch.setattr(classifier, "_CHUNK", rnd.choice([5, 64, 1 << 20]))
        features, ends = classifier.Featurizer(vocab).occurrences(text)
        assert (features.tolist(), ends.tolist()) == reference_occurrences(vocab, text), (vocab, text)


def test_short_parts_walked_together_give_each_part_its_own_occurrences() -> None:
    """One walk over a page's short parts joined: every part's occurrences, in order, as alone."""
    rnd = random.Random(8)
    words = [w for w in MODEL.vocabulary if len(w) > 1][:400]
    featurizer = MODEL.featurizer
    for _ in range(60):
        texts = ["".join(rnd.choice(words) + rnd.choice(["", "。", "\n", "a"]) for _ in range(rnd.randint(0, 12)))
                 for _ in range(rnd.randint(2, 6))]
        if rnd.random() < 0.2:
            texts[0] += "\x00" + texts[-1]  # the joining character inside a text: each walked alone
        each = featurizer.occurrences_each(texts)
        alone = [featurizer.occurrences(t) for t in texts]
        assert [(f.tolist(), e.tolist()) for f, e in each] == [(f.tolist(), e.tolist()) for f, e in alone]
        assert sum(f.size for f, _ in each) > 0


def test_probabilities_and_explanations_are_unchanged_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in TEXTS if p.name.startswith("sen_"))
    norm = normalize_document(Document("s.txt", "text/plain", (Part(PartKind.BODY, text),)), load_lexicon())
    whole = MODEL.score_parts(norm.parts)
    monkeypatch.setattr(classifier, "_CHUNK", 97)
    blocked = replace(MODEL, featurizer=classifier.Featurizer(MODEL.vocabulary))
    again = blocked.score_parts(norm.parts)
    assert again.probability == whole.probability and again.best == whole.best
    assert whole.probability > MODEL.threshold


def test_featurizer_makes_no_per_character_python_calls() -> None:
    base = normalize(TEXTS[0].read_text(encoding="utf-8"))[0]
    small = (base * 200)[:100_000]
    large = (base * 2000)[:1_000_000]
    featurizer = classifier.Featurizer(MODEL.vocabulary)
    featurizer.occurrences(small)  # builds the trie
    assert python_calls(lambda: featurizer.occurrences(large)) < 400
    assert MODEL.featurizer.occurrences(large)[0].size > 100_000


def test_the_context_and_classifier_detectors_score_the_document_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = classifier.LinearModel.score_parts
    monkeypatch.setattr(classifier.LinearModel, "score_parts", lambda self, parts: calls.append(1) or original(self, parts))
    report = Scanner(Config(today="2026-11-23", isolate=False)).scan_path(FIXTURES / "context" / "sen_02_land_draft.txt")
    assert {f.rule for f in report.findings} >= {"context.land_draft", "model.sensitive_context"}
    assert len(calls) == 1


def _finditer_spans(terms: list[str], text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    pattern = re.compile("|".join(re.escape(t) for t in sorted(set(terms), key=lambda t: (-len(t), t))))
    return [(lo + m.start(), lo + m.end()) for m in pattern.finditer(text[lo:hi])]


def test_leftmost_longest_is_what_finditer_finds() -> None:
    rnd = random.Random(11)
    alphabet = "干部拟任调整意见人选补偿方案"
    for _ in range(300):
        terms = sorted({"".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 4))) for _ in range(rnd.randint(1, 8))})
        text = "".join(rnd.choice(alphabet + "。") for _ in range(rnd.randint(0, 120)))
        ids = {t: i for i, t in enumerate(terms)}
        found = [(s, s + len(t), ids[t]) for t in terms for s in range(len(text)) if text.startswith(t, s)]
        columns = np.array(sorted(found), dtype=np.int64).reshape(-1, 3).T
        occ = context._PartTerms(MatchArrays(*columns)).of(frozenset(ids.values()))
        lo = rnd.randint(0, len(text))
        hi = rnd.randint(lo, len(text))
        assert list(context._leftmost_longest(occ, lo, hi, None)) == _finditer_spans(terms, text, lo, hi)
        anchor = (rnd.randint(0, len(text)), 0)
        anchor = (anchor[0], anchor[0] + rnd.randint(0, 3))
        expected = next((sp for sp in _finditer_spans(terms, text, lo, hi) if sp[1] <= anchor[0] or sp[0] >= anchor[1]), None)
        assert next(context._leftmost_longest(occ, lo, hi, anchor), None) == expected


def test_context_scans_each_part_once_and_keeps_regexes_for_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    finds: list[int] = []
    windows: list[str] = []
    real_build, real_near = context.build_matcher, context._signal_near

    def counting_build(terms: list[str]):
        matcher = real_build(terms)

        class Counting:
            engine = matcher.engine

            def find(self, text: str):
                finds.append(len(text))
                return matcher.find(text)

            def find_arrays(self, text: str):
                finds.append(len(text))
                return matcher.find_arrays(text)

        return Counting()

    def counting_near(group, *args, **kwargs):
        windows.append(group.regex.pattern if group.regex is not None else "")
        return real_near(group, *args, **kwargs)

    monkeypatch.setattr(context, "build_matcher", counting_build)
    monkeypatch.setattr(context, "_signal_near", counting_near)
    detect = context.build(Config(today="2026-11-23", use_model=False), load_lexicon())
    article = (FIXTURES / "context" / "pub_05_news_exam.txt").read_text(encoding="utf-8")
    draft = (FIXTURES / "context" / "sen_02_land_draft.txt").read_text(encoding="utf-8")
    doc = Document("d.docx", "application/octet-stream", (
        Part(PartKind.BODY, article * 20), Part(PartKind.BODY, draft), Part(PartKind.FOOTER, "第1页"),
    ))
    hits = list(detect(normalize_document(doc, load_lexicon())))
    assert [h.rule for h in hits] == ["context.land_draft"] and hits[0].part == 1
    assert len(finds) == 3  # one automaton pass per part, for every rule
    literal = {g.regex.pattern for r in context.load_rules().rules for g in r.groups if g.literals}
    assert literal and not literal & set(windows)  # no regex per window for term-only groups


def test_newlines_before_equals_counting_in_long_text() -> None:
    rnd = random.Random(3)
    text = "".join(rnd.choice("机密\n工作𠀀 ") for _ in range(200_000))
    for pos in [0, 1, 70_000, 150_000, len(text)] + [rnd.randrange(len(text)) for _ in range(50)]:
        assert newlines_before(text, pos) == text.count("\n", 0, pos)


def test_a_parts_newlines_and_ascii_view_share_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    from secscan.detect.gaps import ascii_view

    arrays.ascii_characters.cache_clear()
    passes: list[int] = []
    real = arrays.find_code_points
    monkeypatch.setattr(arrays, "find_code_points", lambda text, *a: passes.append(len(text)) or real(text, *a))
    text = "".join(random.Random(5).choice("机密a1 \n工") for _ in range(100_000))
    part = normalize_document(Document("n.txt", "text/plain", (Part(PartKind.BODY, text),)), load_lexicon()).parts[0]
    newlines = part.newlines()
    where = ascii_view(part.text).where
    assert newlines.tolist() == [i for i, c in enumerate(part.text) if c == "\n"]
    assert where.tolist() == [i for i, c in enumerate(part.text) if c.isascii()]
    assert passes == [len(part.text)]


def test_line_lengths_equal_line_bounds() -> None:
    rnd = random.Random(4)
    lexicon = load_lexicon()
    for _ in range(300):
        text = "".join(rnd.choice("ab\n机密") for _ in range(rnd.randint(0, 60)))
        part = normalize_document(Document("l.txt", "text/plain", (Part(PartKind.BODY, text),)), lexicon).parts[0]
        positions = sorted(rnd.randrange(len(part.text) + 1) for _ in range(8)) if part.text else []
        expected = [hi - lo for lo, hi in map(part.line_bounds, positions)]
        assert part.line_lengths(np.array(positions, dtype=np.int64)).tolist() == expected, (part.text, positions)


def test_matches_within_equals_a_linear_filter() -> None:
    text = ("工作秘密\n内部资料 注意保存\n关于保守工作秘密的通知,内部传阅。\n" * 300)
    part = normalize_document(Document("m.txt", "text/plain", (Part(PartKind.BODY, text),)), load_lexicon()).parts[0]
    assert len(part.matches) > 600
    for lo, hi in [(0, 5), (5, 20), (100, 3000), (0, len(part.text)), (17, 17)]:
        expected = tuple(m for m in part.matches if lo <= m.start and m.end <= hi)
        assert part.matches_within(lo, hi) == expected


def test_counts_training_uses_are_bincounts_of_occurrences() -> None:
    text = normalize(TEXTS[-1].read_text(encoding="utf-8"))[0]
    counts = MODEL.featurizer.counts(text)
    ref = np.bincount(reference_occurrences(MODEL.vocabulary, text)[0], minlength=len(MODEL.vocabulary))
    assert counts.tolist() == ref.tolist()


def reference_score(parts: list[str]) -> tuple[float, tuple[int, int], list[str]]:
    """The model's score by its definition: the tf-idf row · coef, and the line whose occurrences weigh most."""
    counts = np.zeros(len(MODEL.vocabulary))
    lines: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for p, text in enumerate(parts):
        features, ends = reference_occurrences(MODEL.vocabulary, text)
        for f, end in zip(features, ends, strict=True):
            counts[f] += 1
            lines.setdefault((p, text.count("\n", 0, end - 1)), []).append((f, end))
    x = counts * MODEL.idf
    x /= np.linalg.norm(x)
    decision = float(x @ (MODEL.weights / MODEL.idf)) + MODEL.intercept
    totals = {key: math.fsum(MODEL.weights[f] for f, _ in found) for key, found in lines.items()}
    best = max(sorted(totals), key=lambda key: totals[key])  # the first of equal totals
    shown = sorted({MODEL.vocabulary[f] for f, _ in lines[best] if MODEL.weights[f] > 0})
    return decision, best, shown


@pytest.mark.parametrize("search_each_max", [0, 1 << 12], ids=["runs", "search-each"])
def test_score_parts_is_the_models_definition_block_by_block(monkeypatch: pytest.MonkeyPatch, search_each_max: int) -> None:
    """Blocks of 97 characters cut lines and occurrences' windows; nothing may change."""
    monkeypatch.setattr(classifier, "_CHUNK", 97)
    monkeypatch.setattr(classifier, "_SEARCH_EACH_MAX", search_each_max)
    rnd = random.Random(11)
    sentences = [s for p in TEXTS for s in normalize(p.read_text(encoding="utf-8"))[0].replace("\n", "。").split("。") if s]
    for _ in range(12):
        parts = ["\n".join("。".join(rnd.sample(sentences, rnd.randint(1, 6))) for _ in range(rnd.randint(1, 9)))
                 for _ in range(rnd.randint(1, 3))]
        norm = normalize_document(Document("s.txt", "text/plain", tuple(Part(PartKind.BODY, t) for t in parts)), None)
        model = replace(MODEL, featurizer=classifier.Featurizer(MODEL.vocabulary))
        scored = model.score_parts(norm.parts)
        decision, (part, line), shown = reference_score([p.text for p in norm.parts])
        assert scored.decision == pytest.approx(decision, rel=1e-12, abs=1e-12)
        assert (scored.best.part, scored.best.line) == (part, line)
        assert {f[0] for f in scored.best.features} <= set(shown)
        assert bool(scored.best.features) == bool(shown)


def test_score_parts_keeps_one_blocks_arrays_not_the_documents() -> None:
    """3 million characters: the occurrences alone would be ~50 MB of arrays."""
    base = "\n".join(normalize(p.read_text(encoding="utf-8"))[0] for p in TEXTS)
    text = (base * (3_000_000 // len(base) + 1))[:3_000_000]
    norm = normalize_document(Document("big.txt", "text/plain", (Part(PartKind.BODY, text),)), None)
    norm.parts[0].newlines()
    MODEL.featurizer.occurrences("预热")  # the trie
    assert MODEL.featurizer.occurrences(text)[0].size > 1_000_000
    tracemalloc.start()
    try:
        MODEL.score_parts(norm.parts)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


@pytest.mark.parametrize("block", [1, 7, 1 << 18])
def test_find_code_points_equals_one_array(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(arrays, "_BLOCK", block)
    rnd = random.Random(block)
    for _ in range(40):
        text = "".join(rnd.choice(["机", "\n", "a", "𠀀", "\ud800", "Ｚ", " "]) for _ in range(rnd.randint(0, 300)))
        codes = [ord(c) for c in text]
        for test, value in ((np.equal, 10), (np.less, 128), (np.greater, 0xFFFF)):
            offsets, found = arrays.find_code_points(text, test, value)
            expected = [i for i, c in enumerate(codes) if test(c, value)]
            assert offsets.tolist() == expected
            assert found.tolist() == [codes[i] for i in expected]

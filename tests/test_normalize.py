"""Normalization: what it folds, what it keeps, and that the fast paths equal the plain rule."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secscan.normalize import OffsetMap, fold_term, normalize
from secscan.normalize import fold as fold_mod

CASES = [
    ("機密★10年", "机密★10年"),  # traditional
    ("机 密 ★ 1 0 年", "机密★10年"),  # spaces between CJK and digits
    ("绝\u200b密★启用前", "绝密★启用前"),  # zero-width
    ("秘密☆5年", "秘密★5年"),  # star variant
    ("机密＊１０年", "机密★10年"),  # full-width star and digits
    ("内部資料\u3000注意保存", "内部资料注意保存"),  # ideographic space, traditional
    ("ＡＢＣ１２３", "ABC123"),
    ("pass word", "pass word"),  # a space between Latin letters is a word break
    ("pass\u200bword", "password"),  # a zero-width character never is
    ("pass  word", "password"),  # the rule as written: a run of 2+ spaces goes entirely
    ("工作秘密\n请勿外传", "工作秘密\n请勿外传"),  # newlines kept
    ("一、总则。㈠", "一、总则。㈠"),  # one-to-many NFKC forms left alone
    ("", ""),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_folding_table(text: str, expected: str) -> None:
    assert normalize(text)[0] == expected
    assert fold_term(text) == expected


def test_shipped_table_is_what_the_generator_builds() -> None:
    # If this fails after an OpenCC or Python upgrade: python -m secscan.normalize.fold
    assert fold_mod._table() == fold_mod.build_table()
    # the binary copy that start-up loads holds exactly the reviewed text file's pairs
    assert fold_mod._table() == fold_mod.read_table()


def test_table_falls_back_to_the_text_file_then_the_generator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    expected = fold_mod.read_table()
    damaged = tmp_path / "damaged.npy"
    damaged.write_bytes(b"\x93NUMPY truncated")
    wrong_shape = tmp_path / "wrong.npy"
    np.save(wrong_shape, np.arange(6, dtype=np.uint32), allow_pickle=False)
    monkeypatch.setattr(fold_mod, "build_table", lambda: {0x41: 0x61})
    cases = [(damaged, fold_mod.TABLE_PATH, expected), (wrong_shape, fold_mod.TABLE_PATH, expected),
             (tmp_path / "none.npy", fold_mod.TABLE_PATH, expected), (damaged, tmp_path / "none.tsv", {0x41: 0x61})]
    try:
        for array_path, text_path, table in cases:
            monkeypatch.setattr(fold_mod, "TABLE_ARRAY_PATH", array_path)
            monkeypatch.setattr(fold_mod, "TABLE_PATH", text_path)
            fold_mod._pairs.cache_clear()
            fold_mod._table.cache_clear()
            assert fold_mod._table() == table
    finally:
        fold_mod._pairs.cache_clear()
        fold_mod._table.cache_clear()


def test_write_table_writes_both_files(tmp_path: Path) -> None:
    table = {0xFF21: 0x41, 0x6A5F: 0x673A}
    fold_mod.write_table(table, tmp_path / "t.tsv")
    assert fold_mod.read_table(tmp_path / "t.tsv") == table
    pairs = np.load(tmp_path / "t.npy", allow_pickle=False)
    assert pairs.tolist() == [[0x6A5F, 0x673A], [0xFF21, 0x41]]


def _reference(text: str) -> tuple[str, OffsetMap]:
    """The rule as first written: the full noise regex, then str.translate."""
    runs = [m.span() for m in fold_mod.NOISE_RE.finditer(text)]
    kept, prev = [], 0
    for start, end in runs:
        kept.append(text[prev:start])
        prev = end
    kept.append(text[prev:])
    return "".join(kept).translate(fold_mod._table()), OffsetMap.from_deletions(runs)


ALPHABET = "ab机密機★☆ ,，\u3000\u200b\t\u00a0\ufeff\n１Ｚ𝐀🟉"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_fast_noise_scan_equals_the_full_regex(text: str) -> None:
    assert normalize(text) == _reference(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=fold_mod._NUMPY_FOLD_MIN_CHARS, max_size=150))
def test_mid_length_text_folded_with_numpy_equals_the_full_regex(text: str) -> None:
    assert normalize(text) == _reference(text)


@settings(max_examples=20, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=40))
def test_numpy_path_equals_translate_on_long_text(piece: str) -> None:
    text = piece * (fold_mod._NUMPY_MIN_CHARS // len(piece) + 2)
    assert len(text) >= fold_mod._NUMPY_MIN_CHARS
    assert normalize(text) == _reference(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=ALPHABET + "Ａｚ\u2003\u180e", max_size=60))
def test_vectorized_path_equals_the_full_regex_on_any_text(text: str) -> None:
    # the long-text path, called directly so that hypothesis can shrink to a few characters
    assert fold_mod._normalize_long(text) == _reference(text)


@pytest.mark.parametrize("body", [fold_mod._SPACES, fold_mod._ZERO_WIDTH, fold_mod._LATIN])
def test_class_codes_are_the_regex_class(body: str) -> None:
    pattern = re.compile(f"[{body}]")
    assert sorted(fold_mod._class_codes(body).tolist()) == [c for c in range(0x10000) if pattern.match(chr(c))]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET + "\n\n\n", max_size=80), st.integers(min_value=0, max_value=12))
def test_chunked_vectorized_path_equals_the_full_regex(text: str, chunk: int) -> None:
    # chunks of a few characters: every boundary case (a run before or after a chunk's
    # newline, a space between Latin letters near one) is met on small texts
    original = fold_mod._CHUNK_CHARS
    fold_mod._CHUNK_CHARS = chunk
    try:
        assert fold_mod._normalize_long(text) == _reference(text)
    finally:
        fold_mod._CHUNK_CHARS = original


def test_vectorized_path_with_many_deletion_runs() -> None:
    text = "机 密 ★ 1 0 年 pass word a\u200bb " * 500
    assert normalize(text) == _reference(text)


def test_numpy_path_keeps_lone_surrogates_and_astral_characters() -> None:
    text = ("機密\ud800★𠀀🟉" * 1000)
    assert fold_mod.fold_chars(text) == text.translate(fold_mod._table())
    assert fold_mod.fold_chars(text).startswith("机密\ud800★𠀀★")


def test_offsets_point_at_the_original_characters() -> None:
    text = "各单位:\n机 密\u200b★ 1 0 年\n关于做好工作的通知"
    folded, offsets = normalize(text)
    start = folded.index("机密★10年")
    lo, hi = offsets.span(start, start + len("机密★10年"))
    assert text[lo:hi] == "机 密\u200b★ 1 0 年"
    assert offsets.to_original(folded.index("关于")) == text.index("关于")


def test_no_deletion_means_identity_map() -> None:
    folded, offsets = normalize("機密★10年")
    assert offsets.identity and folded == "机密★10年"

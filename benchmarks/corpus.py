"""Benchmark inputs generated from shipped data with a fixed seed.

* Text: the seed documents' paragraphs (tests/fixtures/seeds/) interleaved with sentences
  drawn from jieba's dictionary by word frequency, with a marking line (some written with
  spaces, zero-width characters or traditional forms) every few dozen paragraphs — so the
  normalizer has real noise to remove and the lexicon real markings to find.
* Lexicons: the shipped lexicon plus rare jieba words (frequency ≤ 3), so that, as in a
  real 保密 lexicon, most terms are rarely present in ordinary prose.
"""

from __future__ import annotations

import functools
import itertools
import random
import re
from pathlib import Path

import jieba

from secscan.lexicon import LexEntry, parse_lexicon_file, shipped_lexicon_files
from secscan.normalize import fold_term
from secscan.types import Category, Document, Part, PartKind, Severity

SEED = 20240607
ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT / "tests" / "fixtures" / "seeds"
_CJK_WORD = re.compile("^[\u4e00-\u9fff]{2,8}$")
MARKING_LINES = (
    "机密★10年", "秘 密 ★ 5 年", "機密★長期", "绝\u200b密★启用前", "工作秘密",
    "内部资料 注意保存", "请勿外传", "秘密★2027年12月31日", "仅供内部参考",
)
_PUNCT = ",,、;。"


@functools.cache
def jieba_words() -> tuple[tuple[str, int], ...]:
    """(word, frequency) for CJK words of 2–8 characters in jieba's dictionary, in file order."""
    path = Path(jieba.__file__).with_name("dict.txt")
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            word, freq, *_ = line.split()
            if _CJK_WORD.match(word):
                out.append((word, int(freq)))
    return tuple(out)


def seed_paragraphs() -> list[str]:
    paras = []
    for path in sorted(SEEDS_DIR.glob("*.txt")):
        paras.extend(p.strip() for p in path.read_text(encoding="utf-8").split("\n") if p.strip())
    return paras


def make_text(size_bytes: int, seed: int = SEED) -> str:
    """Chinese prose of about ``size_bytes`` UTF-8 bytes."""
    rnd = random.Random(seed)
    paras = seed_paragraphs()
    common = [(w, f) for w, f in jieba_words() if f >= 200]
    words, weights = zip(*common, strict=True)
    cumulative = list(itertools.accumulate(weights))
    out: list[str] = []
    size = 0
    while size < size_bytes:
        if rnd.random() < 0.6:
            para = rnd.choice(paras)
        else:
            picked = rnd.choices(words, cum_weights=cumulative, k=rnd.randint(15, 60))
            para = "".join(w + (rnd.choice(_PUNCT) if rnd.random() < 0.15 else "") for w in picked) + "。"
        if rnd.random() < 0.03:
            out.append(rnd.choice(MARKING_LINES))
        out.append(para)
        size += len(para.encode()) + 1
    return "\n".join(out)


def text_document(text: str, name: str = "bench.txt") -> Document:
    return Document(name, "text/plain", (Part(PartKind.BODY, text),))


def shipped_entries() -> list[LexEntry]:
    return [e for path in shipped_lexicon_files() for e in parse_lexicon_file(path)]


def lexicon_entries(size: int, seed: int = SEED) -> list[LexEntry]:
    """The shipped lexicon topped up to ``size`` terms with rare jieba words (scope trigger)."""
    shipped = shipped_entries()
    rare = sorted(w for w, f in jieba_words() if f <= 3)
    rnd = random.Random(seed + size)
    generated = rnd.sample(rare, max(0, size - len(shipped)))
    return shipped + [
        LexEntry(w, fold_term(w), Category.SENSITIVE_MATTER, "bench.term", Severity.LOW, "trigger", "", "jieba", i)
        for i, w in enumerate(generated, 1)
    ]

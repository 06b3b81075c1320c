"""The context classifier: how likely a document is internal, draft or sensitive matter.

A linear model over substring features (words that jieba segmented in the training
corpus, lexicon terms, and frequent character 2–3-grams), trained by
:mod:`secscan.train` and shipped as plain JSON in ``models/classifier.json`` — never a
pickle.  At scoring time no segmenter runs: every vocabulary entry is found by one
Aho-Corasick pass (overlapping matches), which counts exactly what training counted and
costs a few milliseconds per 10,000 characters.

Features are raw counts × idf, l2-normalized, so a document's decision value is a sum
of per-occurrence contributions: that is what lets a finding point at the paragraph
that weighed most and name the words that made it.  The model alone never blocks (the
score policy caps ``model.`` rules below ``block``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
from msgspec import Struct

from secscan.arrays import code_points, unique_inverse
from secscan.config import Config
from secscan.detect.base import DetectFn, DetectorSpec, NormDocument, NormPart, Rule
from secscan.lexicon import Lexicon
from secscan.resources import model_dir
from secscan.types import Category, Hit, PartKind, Severity

FORMAT = "secscan-linear-v1"
MODEL_FILE = "classifier.json"
MIN_CHARS = 40  # below this a document is too short for the model to say anything
TOP_FEATURES = 5
_SNAP = 20
# Document properties name authors and templates, not content: the model ignores them.
_SKIPPED_PARTS = frozenset({PartKind.METADATA})

RULES = (
    Rule(
        "model.sensitive_context", Category.SENSITIVE_MATTER, Severity.MEDIUM, "分类模型:疑似内部或敏感材料",
        "分类模型判断本文为内部、草稿或敏感材料的概率为{probability}(阈值{threshold}),本段权重最大的词语是{features},须人工复核后方可公开",
        "A calibrated linear model over words and character n-grams; raises pass to review, never to block.",
    ),
)


class ModelError(RuntimeError):
    """The model file is missing, malformed or of another format."""


class Contribution(Struct, frozen=True):
    """The features of one line, with what they added to the decision value."""

    part: int
    line: int
    total: float
    features: tuple[tuple[str, float, int, int], ...]  # (feature, weight, start, end) in normalized offsets


class Scored(Struct, frozen=True):
    """The model's verdict on a document: probability, raw decision, and the line that weighed most."""

    probability: float
    decision: float
    best: Contribution | None


_CHUNK = 1 << 18  # end positions per block: the arrays stay in the cache and bound the memory of a long text
_MAX_DEPTH = 1 << 10  # with _CHUNK and a vocabulary below 2**31, an occurrence packs into 62 bits
_NONE = np.int64(1 << 62)  # a packed value above every occurrence's: "no feature ends at this node"
_JOIN = "\x00"  # joins a document's short parts into one walk
_JOIN_MAX_CHARS = 1 << 16
_SEARCH_EACH_MAX = 1 << 12  # occurrences: below, one searchsorted beats the five numpy calls of the runs


class _Trie(Struct, frozen=True, eq=False):  # arrays inside: identity, not value, equality
    """The vocabulary as a trie over character ranks, with dense tables.

    ``rank`` maps a code point to 1 + its index among the vocabulary's characters (0 for
    any other character; it ends with a 0 that the code points past its end clip to).  A
    walk starts at the two-character prefixes: ``pair_any[r0 * base + r1]`` says whether
    some term starts with that pair and ``pairs[…]`` is its node.
    Nodes of depth ≥ 2 are numbered from 1, those with children first: ``child[node * base
    + rank]`` is the child (0: none) for ``node < internal``.

    An occurrence is one int64, ``end << shift | (depth - length) << bits | feature``, so
    that sorting the packed values orders them by end, then longest first.  ``packed[node]``
    holds that value for a start at 0 (``_NONE`` where no feature ends); ``singles[rank]``
    the same for one-character features (empty if there are none).
    """

    rank: np.ndarray
    base: np.integer  # of the rank's dtype: a node * base is computed in it, not in the nodes' int16
    internal: int
    child: np.ndarray
    depth: int
    pair_any: np.ndarray
    pairs: np.ndarray
    packed: np.ndarray
    singles: np.ndarray
    bits: int
    shift: int

    @classmethod
    def build(cls, vocabulary: Sequence[str]) -> _Trie:
        # Level by level, one unique_inverse per prefix length: no Python work per node, so the
        # build costs a few milliseconds at start-up (most of them the tables' first pages).
        lengths = np.fromiter(map(len, vocabulary), np.int64, len(vocabulary))
        depth = int(lengths.max())
        if depth >= _MAX_DEPTH:
            raise ValueError(f"a vocabulary entry of {depth} characters: at most {_MAX_DEPTH - 1}")
        codes = code_points("".join(vocabulary))
        chars = unique_inverse(codes)[0]
        base = chars.size + 1
        padded = np.zeros((lengths.size, depth), dtype=np.int64)  # the terms' character ranks
        padded[np.arange(depth) < lengths[:, None]] = chars.searchsorted(codes) + 1
        # levels[k]: the sorted keys (parent's index in levels[k - 1]) * base + rank of the
        # prefixes of length k + 1; node[i]: the index of term i's prefix at the last level seen
        levels: list[np.ndarray] = []
        node = np.zeros(lengths.size, dtype=np.int64)
        for k in range(depth):
            live = (lengths > k).nonzero()[0]
            keys, node[live] = unique_inverse(node[live] * base + padded[live, k])
            levels.append(keys)
        # prefixes of length ≥ 2 are numbered from 1, those with children first
        has_child = [np.zeros(keys.size, dtype=bool) for keys in levels]
        for k in range(1, depth):
            has_child[k - 1][levels[k] // base] = True
        flags = np.concatenate(has_child[1:]) if depth > 1 else np.zeros(0, dtype=bool)
        internal = int(flags.sum()) + 1
        numbers = np.empty(flags.size, dtype=np.int64)
        numbers[flags] = np.arange(1, internal)
        numbers[~flags] = np.arange(internal, flags.size + 1)
        start = np.cumsum([0, 0] + [keys.size for keys in levels[1:]])  # levels[k] numbers from start[k]
        ids = [numbers[start[k]:start[k + 1]] for k in range(depth)]
        # int32 indexes while node * base + rank fits, as it does for any real vocabulary, and
        # int16 nodes while they fit: half the tables' memory, so fewer cache misses
        index = np.int32 if max(internal, base) * base < 1 << 31 else np.int64
        nodes = np.int16 if flags.size < 1 << 15 else index
        rank = np.zeros(int(chars[-1]) + 2, dtype=index)  # the last 0: see walk
        rank[chars] = np.arange(1, base)
        pairs = np.zeros(base * base, dtype=nodes)
        pair_any = np.zeros(base * base, dtype=bool)
        child = np.zeros(internal * base, dtype=nodes)
        if depth > 1:
            cells = levels[0][levels[1] // base] * base + levels[1] % base
            pairs[cells], pair_any[cells] = ids[1], True
        for k in range(2, depth):
            child[ids[k - 1][levels[k] // base] * base + levels[k] % base] = ids[k]
        bits = len(vocabulary).bit_length()
        shift = bits + depth.bit_length()
        # an occurrence of feature f, of length n, starting at 0
        value = lengths << shift | (depth - lengths) << bits | np.arange(lengths.size)
        packed = np.full(flags.size + 1, _NONE, dtype=np.int64)
        long = (lengths > 1).nonzero()[0]
        packed[numbers[start[lengths[long] - 1] + node[long]]] = value[long]
        one = (lengths == 1).nonzero()[0]
        singles = np.full(base if one.size else 0, _NONE, dtype=np.int64)
        singles[padded[one, 0]] = value[one]
        return cls(rank, index(base), internal, child, depth, pair_any, pairs, packed, singles, bits, shift)

    def walk(self, text: str, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Occurrences ending in ``(lo, hi]``, ordered by end, then longest first."""
        base, internal, step = self.base, self.internal, 1 << self.shift
        off = max(0, lo - self.depth + 1)
        codes = code_points(text[off:hi])
        # .take, not fancy indexing: the same gather, about twice as fast on millions of
        # indexes; and a selection is nonzero + take, several times faster than a bool mask.
        # A rank 0 after the text: a start alive at depth d - 1 reads at most one past it.
        ranks = np.empty(codes.size + 1, dtype=self.rank.dtype)
        # "clip": a code past the vocabulary's last character takes the table's final 0 (and
        # unlike "raise", "clip" writes to ``out`` without a temporary copy)
        self.rank.take(codes, out=ranks[:-1], mode="clip")
        ranks[-1] = 0
        pair = ranks[:-2] * base
        pair += ranks[1:-1]
        starts = self.pair_any.take(pair).nonzero()[0]  # a bool table: it stays in the cache
        node = self.pairs.take(pair.take(starts))
        runs = [starts * step + self.packed.take(node)]
        for d in range(3, self.depth + 1):
            inner = ((node > 0) & (node < internal)).nonzero()[0]
            if not inner.size:
                break
            starts = starts.take(inner)
            node = self.child.take(node.take(inner) * base + ranks.take(starts + (d - 1)))
            runs.append(starts * step + self.packed.take(node))  # packed[0]: _NONE
        if self.singles.size:
            runs.append(np.arange(codes.size) * step + self.singles.take(ranks[:-1]))
        # without the nodes no feature ends at, each run is sorted: the sort merges them
        found = np.concatenate([run.take((run < _NONE).nonzero()[0]) for run in runs])
        found.sort(kind="stable")
        # occurrences ending at or before lo were the previous block's
        found = found[found.searchsorted((lo - off + 1) << self.shift):]
        return found & ((1 << self.bits) - 1), (found >> self.shift) + off


class Featurizer(Struct, frozen=True, dict=True):
    """Finds every vocabulary entry in a text: the same counts at training and scoring.

    Every occurrence, overlapping ones included, in the order an Aho-Corasick automaton
    reports them (by end, longest first): a line's weight is summed in that order, so it
    does not depend on how the text was cut into blocks.  The walk is vectorized instead: all
    starts of a two-character prefix descend a dense trie together, one numpy gather per
    depth — the vocabulary is mostly 2–3-character n-grams, so few go deeper than three —
    and the occurrences, packed into int64 that sort by end then length, are merged by one sort.
    """

    vocabulary: tuple[str, ...]

    @functools.cached_property
    def _trie(self) -> _Trie:
        return _Trie.build(self.vocabulary)

    def warm_up(self) -> None:
        """Build the walk's tables now rather than at the first text."""
        _ = self._trie

    def occurrences(self, text: str, lo: int = 0, hi: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Feature index and end offset of every vocabulary occurrence (overlapping) ending in ``(lo, hi]``."""
        blocks = list(self.blocks(text, lo, hi))
        if not blocks:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        if len(blocks) == 1:
            return blocks[0]
        return np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks])

    def blocks(self, text: str, lo: int = 0, hi: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """:meth:`occurrences`, one block of end positions at a time: a long text's arrays stay small."""
        hi = len(text) if hi is None else hi
        if not self.vocabulary:
            return
        trie = self._trie
        for start in range(lo, hi, _CHUNK):
            yield trie.walk(text, start, min(hi, start + _CHUNK))

    def occurrences_each(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`occurrences` of each text; short texts in one walk (a walk costs ~0.1 ms of numpy calls).

        The texts are joined with a character no vocabulary entry holds, so no occurrence
        crosses from one to the next, and each text's own come back in their own order.
        """
        if not self._joinable(texts):
            return [self.occurrences(t) for t in texts]
        features, ends = self.occurrences(_JOIN.join(texts))
        out = []
        start = 0
        for text in texts:
            lo, hi = ends.searchsorted(start, "right"), ends.searchsorted(start + len(text), "right")
            out.append((features[lo:hi], ends[lo:hi] - start))
            start += len(text) + 1
        return out

    def blocks_each(self, texts: Sequence[str]) -> list[Iterable[tuple[np.ndarray, np.ndarray]]]:
        """:meth:`blocks` of each text (short texts walked together, as in :meth:`occurrences_each`)."""
        if self._joinable(texts):
            return [(found,) for found in self.occurrences_each(texts)]
        return [self.blocks(t) for t in texts]

    def _joinable(self, texts: Sequence[str]) -> bool:
        return (len(texts) >= 2 and sum(map(len, texts)) <= _JOIN_MAX_CHARS
                and not any(_JOIN in t for t in texts) and not self._holds_join)

    @functools.cached_property
    def _holds_join(self) -> bool:
        return any(_JOIN in term for term in self.vocabulary)

    def counts(self, text: str) -> np.ndarray:
        return np.bincount(self.occurrences(text)[0], minlength=len(self.vocabulary))


def _lines_of(ends: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The line of each occurrence: the number of line ``starts`` before its end.

    (One ending at a line start ends with the newline: the line before.)  On a long
    block, one search per line rather than one per occurrence: the ends are sorted, so
    each line's occurrences are one run.
    """
    if ends.size <= _SEARCH_EACH_MAX:
        return starts.searchsorted(ends, "left")
    first, last = starts.searchsorted(ends[[0, -1]], "left").tolist()
    bounds = np.empty(last - first + 2, dtype=np.int64)
    bounds[0], bounds[-1] = 0, ends.size
    bounds[1:-1] = ends.searchsorted(starts[first:last], "right")
    return np.repeat(np.arange(first, last + 1), bounds[1:] - bounds[:-1])


class LinearModel(Struct, frozen=True, eq=False):  # arrays inside: identity, not value, equality
    """A calibrated linear model over substring counts, loaded from plain JSON."""

    version: str
    sha256: str
    training_sha256: str
    featurizer: Featurizer
    weights: np.ndarray  # coef × idf, per feature
    idf: np.ndarray
    intercept: float
    calibration: tuple[float, float]  # Platt: p = 1 / (1 + exp(-(a·z + b)))
    threshold: float
    evaluation: Mapping[str, object]
    is_word: np.ndarray  # True where jieba or the lexicon made the feature: shown first to a reviewer

    @property
    def vocabulary(self) -> tuple[str, ...]:
        return self.featurizer.vocabulary

    def occurrences(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        return self.featurizer.occurrences(text)

    def calibrate(self, decision: float) -> float:
        a, b = self.calibration
        return 1.0 / (1.0 + math.exp(-(a * decision + b)))

    def vector_norm(self, counts: np.ndarray) -> float:
        """The tf-idf row's length (numpy.linalg.norm's sum, without its wrapper's cost per page)."""
        row = counts * self.idf
        return math.sqrt(float(row.dot(row))) or 1.0

    def decision(self, counts: np.ndarray, norm: float | None = None) -> float:
        """The decision value of a text's feature counts: its tf-idf row · coef, as at training."""
        return float(counts @ self.weights) / (norm or self.vector_norm(counts)) + self.intercept

    def probability(self, text: str) -> float:
        return self.calibrate(self.decision(self.featurizer.counts(text)))

    def score_parts(self, parts: Sequence[NormPart]) -> Scored:
        """Score the parts as one document; keep the line that weighed most toward sensitive.

        The occurrences are taken block by block and not kept: the counts and each line's
        weight are summed as they come, and the heaviest line's own occurrences are found
        again at the end (from the part's one block, or by walking that line again).  On
        a long document that keeps the memory (and the page faults of fresh memory) to
        one block's arrays.
        """
        counts = np.zeros(len(self.vocabulary))  # float: the dot products below need no cast
        # the heaviest line so far: its summed weight, part, line, the part's line starts,
        # and the part's occurrences when one block held them all
        best: tuple[float, NormPart, int, np.ndarray, tuple[np.ndarray, np.ndarray] | None] | None = None
        for part, blocks in zip(parts, self.featurizer.blocks_each([p.text for p in parts]), strict=True):
            starts = part.newlines() + 1
            totals: np.ndarray | None = None
            only: tuple[np.ndarray, np.ndarray] | None = None  # the part's occurrences, if in one block
            for feats, ends in blocks:
                if not feats.size:
                    continue
                counts += np.bincount(feats, minlength=counts.size)
                lines = _lines_of(ends, starts)
                weights = self.weights.take(feats)
                if totals is None:
                    totals = np.bincount(lines, weights=weights, minlength=starts.size + 1)
                    only = (feats, ends)
                else:  # unbuffered, in occurrence order: the sums one bincount of all blocks makes
                    np.add.at(totals, lines, weights)
                    only = None
            if totals is None:
                continue
            line = int(np.argmax(totals))
            if best is None or totals[line] > best[0]:
                best = (float(totals[line]), part, line, starts, only)
        if best is None:
            return Scored(self.calibrate(self.intercept), self.intercept, None)
        norm = self.vector_norm(counts)
        decision = self.decision(counts, norm)
        total, part, line, starts, block = best
        lo = int(starts[line - 1]) if line else 0
        hi = int(starts[line]) if line < starts.size else len(part.text)
        if block is None:
            feats, ends = self.featurizer.occurrences(part.text, lo, hi)
        else:  # the line's occurrences end in (lo, hi]
            within = slice(*block[1].searchsorted([lo, hi], "right").tolist())
            feats, ends = block[0][within], block[1][within]
        contrib = self.weights.take(feats) / norm
        keep = (contrib > 0).nonzero()[0]
        top = self._top(feats.take(keep), ends.take(keep), contrib.take(keep))
        return Scored(self.calibrate(decision), decision, Contribution(part.index, line, total / norm, top))

    def _top(self, feats: np.ndarray, ends: np.ndarray, contrib: np.ndarray) -> tuple[tuple[str, float, int, int], ...]:
        """The heaviest distinct features of a line; an n-gram inside a chosen word is not repeated."""
        # words before bare character n-grams, each group by weight
        order = np.lexsort((-contrib, ~self.is_word[feats]))
        chosen: list[tuple[str, float, int, int]] = []
        seen: set[str] = set()
        for k in order:
            term = self.vocabulary[int(feats[k])]
            if term in seen or any(term in c[0] for c in chosen):
                continue
            seen.add(term)
            end = int(ends[k])
            chosen.append((term, float(contrib[k]), end - len(term), end))
            if len(chosen) == TOP_FEATURES:
                break
        return tuple(chosen)


def load_model(path: Path | str) -> LinearModel:
    """Read a model file written by :mod:`secscan.train` (cached per process and path)."""
    path = path if isinstance(path, Path) else Path(path)
    # an absolute path is resolved once, not once per document; a relative one depends on the directory
    return _load_absolute(path) if path.is_absolute() else _load(path.resolve())


@functools.lru_cache(maxsize=16)
def _load_absolute(path: Path) -> LinearModel:
    return _load(path.resolve())  # two spellings of one file share a model


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> LinearModel:
    try:
        raw = path.read_bytes()
        data = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read model {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"{path}: not a {FORMAT} model")
    try:
        vocabulary = tuple(data["vocabulary"])
        idf = np.asarray(data["idf"], dtype=np.float64)
        coef = np.asarray(data["coef"], dtype=np.float64)
        if not (len(vocabulary) == idf.size == coef.size):
            raise ModelError(f"{path}: vocabulary, idf and coef differ in length")
        return LinearModel(
            version=str(data["version"]),
            sha256=hashlib.sha256(raw).hexdigest(),
            training_sha256=str(data["training_sha256"]),
            featurizer=Featurizer(vocabulary),
            weights=coef * idf,
            idf=idf,
            intercept=float(data["intercept"]),
            calibration=(float(data["calibration"]["a"]), float(data["calibration"]["b"])),
            threshold=float(data["threshold"]),
            evaluation=data.get("evaluation", {}),
            is_word=np.asarray(data.get("is_word", [False] * len(vocabulary)), dtype=bool),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{path}: malformed model: {exc}") from exc


def model_path(config: Config) -> Path:
    return Path(config.model_path) if config.model_path else model_dir() / MODEL_FILE


def model_version(config: Config) -> str:
    """``VERSION+sha8`` of the model in use, ``none`` when switched off or missing."""
    if not config.use_model:
        return "none"
    try:
        model = load_model(model_path(config))
    except ModelError:
        return "none"
    return f"{model.version}+{model.sha256[:8]}"


def scored_parts(doc: NormDocument) -> list[NormPart]:
    return [p for p in doc.parts if p.part.kind not in _SKIPPED_PARTS]


_last_scored: tuple[weakref.ref[NormDocument], Path, Scored] | None = None


def score_document(doc: NormDocument, path: Path) -> Scored | None:
    """The model's score of the document, None when its text is too short to say anything.

    The context rules ask for the same document's probability as this detector: the last
    document's score is kept (by identity, through a weak reference) so it is computed once.
    """
    global _last_scored
    parts = scored_parts(doc)
    if sum(len(p.text) for p in parts) < MIN_CHARS:
        return None
    last = _last_scored
    if last is not None and last[0]() is doc and last[1] == path:
        return last[2]
    scored = load_model(path).score_parts(parts)
    _last_scored = (weakref.ref(doc), path, scored)
    return scored


def document_probability(doc: NormDocument, config: Config) -> float | None:
    """The model's probability for the whole document, or None with the model off or text too short."""
    if not config.use_model:
        return None
    scored = score_document(doc, model_path(config))
    return None if scored is None else scored.probability


def hit_weight(probability: float, threshold: float, config: Config) -> int:
    """Map [threshold, 1] onto [review, block) : the model can raise to review, never to block."""
    span = config.block_threshold - 1 - config.review_threshold
    share = (probability - threshold) / max(1e-9, 1.0 - threshold)
    return config.review_threshold + round(max(0.0, min(1.0, share)) * span)


def build(config: Config, lexicon: Lexicon) -> DetectFn:
    if not config.use_model:
        return lambda doc: ()
    path = model_path(config)
    try:  # now, with its trie: a server's worker, or the side process of a long document, finds both ready
        load_model(path).featurizer.warm_up()
    except ModelError:
        pass  # each document that needs the model fails closed (an error → review)

    def detect(doc: NormDocument) -> Iterator[Hit]:
        scored = score_document(doc, path)  # lazy: a missing model fails the file closed (an error → review)
        if scored is None:
            return
        model = load_model(path)
        if scored.probability < model.threshold or scored.best is None or not scored.best.features:
            return
        best = scored.best
        part = doc.parts[best.part]
        lo, hi = part.line_bounds(part.line_starts()[best.line])
        shown = best.features[:3]
        start = max(lo, min(f[2] for f in shown))
        if start - lo <= _SNAP:  # start the span at the paragraph, not inside a word
            start = lo + (len(part.text[lo:hi]) - len(part.text[lo:hi].lstrip()))
        end = min(hi, max(f[3] for f in shown))
        facts = {
            "probability": f"{scored.probability:.2f}",
            "threshold": f"{model.threshold:.2f}",
            "features": "、".join(f"“{f[0]}”" for f in best.features),
        }
        yield Hit("model.sensitive_context", best.part, start, end, facts,
                  hit_weight(scored.probability, model.threshold, config))

    return detect


SPEC = DetectorSpec("classifier", RULES, build, side=True)

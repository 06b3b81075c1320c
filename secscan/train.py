"""Train the context classifier, reproducibly, from a labelled folder.

    python -m secscan.train                 # the shipped corpus training/ → models/classifier.json
    python -m secscan.train DIR -o FILE     # your own corpus: DIR/public/…, DIR/sensitive/…

Files under ``public/`` are publishable texts, under ``sensitive/`` internal, draft or
sensitive ones; any format secscan reads (txt, docx, pdf, html) is accepted.  The steps:

1. read and normalize every file (the same folding the scanner uses);
2. segment with jieba (its dictionary extended with the lexicon and context-rule terms)
   and keep words of 2–8 characters; add character 2–3-grams seen in ≥2 documents;
3. counts × idf, l2-normalized; logistic regression (class-balanced);
4. Platt calibration fitted on 5-fold out-of-fold decision values;
5. evaluation on a stratified 25 % held-out split and by 5-fold cross-validation
   (every fold rebuilds the vocabulary from its own training part);
6. the final model on all data, written as plain JSON with its version, training-data
   hash and evaluation — no pickle.

Same data, same model bytes: everything is seeded, sorted, and rounded before writing.
The seed texts of tests/fixtures/seeds are refused if found in the corpus: they are the
first held-out check.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from msgspec import Struct

from secscan.detect.classifier import FORMAT, MODEL_FILE, Featurizer
from secscan.extract import Limits, extract_bytes
from secscan.normalize import normalize
from secscan.resources import model_dir, read_version
from secscan.types import PartKind

LABELS = ("public", "sensitive")
THRESHOLD = 0.5
SEED = 0
FOLDS = 5
HOLDOUT = 0.25
C = 10.0
MIN_NGRAM_DF = 2
_WORD_RE = re.compile(r"^\w{2,8}$")
_RUN_RE = re.compile(r"\w+")
_REPO = Path(__file__).resolve().parent.parent


class TrainingError(ValueError):
    pass


class Corpus(Struct, frozen=True):
    names: tuple[str, ...]
    texts: tuple[str, ...]  # normalized
    labels: np.ndarray  # 1 = sensitive
    sha256: str


class Fitted(Struct, frozen=True):
    vocabulary: tuple[str, ...]
    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    calibration: tuple[float, float]
    words: frozenset[str]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        featurizer = Featurizer(self.vocabulary)
        x = _tfidf(np.vstack([featurizer.counts(t) for t in texts]).astype(np.float64), self.idf)
        decision = x @ self.coef + self.intercept
        a, b = self.calibration
        return 1.0 / (1.0 + np.exp(-(a * decision + b)))


# -- reading -----------------------------------------------------------------------------
def _document_text(path: Path) -> str:
    doc = extract_bytes(path.read_bytes(), path.name, Limits())
    if doc.errors:
        raise TrainingError(f"{path}: cannot read: {doc.errors[0].message}")
    return "\n".join(p.text for p in doc.parts if p.kind is not PartKind.METADATA)


def load_corpus(root: Path) -> Corpus:
    entries: list[tuple[str, str, int, bytes]] = []
    for label, name in enumerate(LABELS):
        folder = root / name
        if not folder.is_dir():
            raise TrainingError(f"{root}: expected a sub-folder {name}/ (one file per document)")
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
            rel = path.relative_to(root).as_posix()
            entries.append((rel, normalize(_document_text(path))[0], label, path.read_bytes()))
    counts = [sum(1 for e in entries if e[2] == k) for k in (0, 1)]
    if min(counts) < FOLDS:
        raise TrainingError(f"{root}: need at least {FOLDS} documents in each of public/ and sensitive/, got {counts}")
    digest = hashlib.sha256()
    for rel, _, label, raw in entries:
        digest.update(f"{label}\x00{rel}\x00".encode())
        digest.update(hashlib.sha256(raw).digest())
    return Corpus(tuple(e[0] for e in entries), tuple(e[1] for e in entries),
                  np.array([e[2] for e in entries]), digest.hexdigest())


def seed_texts() -> list[str]:
    folder = _REPO / "tests" / "fixtures" / "seeds"
    return [normalize(p.read_text(encoding="utf-8"))[0] for p in sorted(folder.glob("*.txt"))] if folder.is_dir() else []


def refuse_seeds(corpus: Corpus, seeds: Sequence[str]) -> None:
    """No seed text, nor any long line of one, may be in the training corpus."""
    for seed in seeds:
        lines = [ln.strip() for ln in seed.split("\n") if len(ln.strip()) >= 40]
        for name, text in zip(corpus.names, corpus.texts, strict=True):
            if text.strip() == seed.strip() or any(ln in text for ln in lines):
                raise TrainingError(f"{name}: contains a seed text; the seeds are held out and never trained on")


# -- features ----------------------------------------------------------------------------
def domain_terms() -> tuple[str, ...]:
    from secscan.detect.context import rule_terms
    from secscan.lexicon import load_lexicon

    return tuple(sorted({e.folded for e in load_lexicon().entries} | set(rule_terms())))


def segmenter(terms: Sequence[str]) -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = tempfile.gettempdir()  # jieba caches its prefix dictionary there
    tokenizer.initialize()
    for term in terms:
        tokenizer.add_word(term, freq=100_000)
    return tokenizer


def _words(tokenizer: Any, text: str) -> set[str]:
    return {w for w in tokenizer.lcut(text, HMM=True) if _WORD_RE.match(w) and not w.isdigit()}


def _ngrams(text: str) -> set[str]:
    grams: set[str] = set()
    for run in _RUN_RE.findall(text):
        for n in (2, 3):
            grams.update(run[i:i + n] for i in range(len(run) - n + 1))
    return {g for g in grams if not g.isascii()}


def select_vocabulary(words: Sequence[set[str]], grams: Sequence[set[str]], terms: Sequence[str]) -> tuple[str, ...]:
    df: dict[str, int] = {}
    for doc in grams:
        for g in doc:
            df[g] = df.get(g, 0) + 1
    vocab = {g for g, n in df.items() if n >= MIN_NGRAM_DF}
    vocab.update(w for doc in words for w in doc)
    vocab.update(t for t in terms if len(t) >= 2)
    return tuple(sorted(vocab))


def _tfidf(counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    x = counts * idf
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


# -- fitting -----------------------------------------------------------------------------
def _fit_linear(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000, solver="lbfgs")
    model.fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


def _fit_on(idx: np.ndarray, corpus: Corpus, words: Sequence[set[str]], grams: Sequence[set[str]],
            terms: Sequence[str]) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, float]:
    """Vocabulary from ``idx`` alone, then idf and weights."""
    vocab = select_vocabulary([words[i] for i in idx], [grams[i] for i in idx], terms)
    featurizer = Featurizer(vocab)
    counts = np.vstack([featurizer.counts(corpus.texts[i]) for i in idx]).astype(np.float64)
    idf = np.log((1 + len(idx)) / (1 + (counts > 0).sum(axis=0))) + 1.0
    coef, intercept = _fit_linear(_tfidf(counts, idf), corpus.labels[idx])
    return vocab, idf, coef, intercept


def _decisions(idx: np.ndarray, fit: tuple[tuple[str, ...], np.ndarray, np.ndarray, float], corpus: Corpus) -> np.ndarray:
    vocab, idf, coef, intercept = fit
    featurizer = Featurizer(vocab)
    counts = np.vstack([featurizer.counts(corpus.texts[i]) for i in idx]).astype(np.float64)
    return _tfidf(counts, idf) @ coef + intercept


def fit(idx: np.ndarray, corpus: Corpus, words: Sequence[set[str]], grams: Sequence[set[str]],
        terms: Sequence[str]) -> Fitted:
    """Vocabulary, weights and a Platt calibration from out-of-fold decisions, on ``idx`` only."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    y = corpus.labels[idx]
    folds = min(FOLDS, int(np.bincount(y).min()))
    oof = np.zeros(len(idx))
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=SEED).split(idx, y):
        oof[te] = _decisions(idx[te], _fit_on(idx[tr], corpus, words, grams, terms), corpus)
    platt = LogisticRegression(C=1e4, max_iter=1000).fit(oof.reshape(-1, 1), y)
    vocab, idf, coef, intercept = _fit_on(idx, corpus, words, grams, terms)
    word_set = frozenset(w for i in idx for w in words[i]) | frozenset(terms)
    return Fitted(vocab, idf, coef, intercept, (float(platt.coef_[0][0]), float(platt.intercept_[0])), word_set)


def figures(y_true: np.ndarray, prob: np.ndarray) -> dict[str, Any]:
    pred = (prob >= THRESHOLD).astype(int)
    tp = int(((pred == 1) & (y_true == 1)).sum())
    fp = int(((pred == 1) & (y_true == 0)).sum())
    fn = int(((pred == 0) & (y_true == 1)).sum())
    tn = int(((pred == 0) & (y_true == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(y_true), "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "confusion": {"rows": "true public, true sensitive", "cols": "predicted public, predicted sensitive",
                          "matrix": [[tn, fp], [fn, tp]]}}


def evaluate(corpus: Corpus, words: Sequence[set[str]], grams: Sequence[set[str]], terms: Sequence[str]) -> dict[str, Any]:
    from sklearn.model_selection import StratifiedKFold, train_test_split

    idx = np.arange(len(corpus.texts))
    tr, te = train_test_split(idx, test_size=HOLDOUT, stratify=corpus.labels, random_state=SEED)
    held = fit(np.sort(tr), corpus, words, grams, terms)
    te = np.sort(te)
    holdout = figures(corpus.labels[te], held.probabilities([corpus.texts[i] for i in te]))
    prob = np.zeros(len(idx))
    for ftr, fte in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(idx, corpus.labels):
        prob[fte] = fit(ftr, corpus, words, grams, terms).probabilities([corpus.texts[i] for i in fte])
    cv = figures(corpus.labels, prob)
    cv["folds"] = FOLDS
    return {"threshold": THRESHOLD, "holdout": holdout, "cross_validation": cv}


# -- writing -----------------------------------------------------------------------------
def _r(values: np.ndarray) -> list[float]:
    return [float(f"{v:.7g}") for v in values.tolist()]


def model_document(fitted: Fitted, corpus: Corpus, version: str, evaluation: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": version,
        "training_sha256": corpus.sha256,
        "training_documents": {"public": int((corpus.labels == 0).sum()), "sensitive": int((corpus.labels == 1).sum())},
        "method": "jieba words (lexicon-extended) + char 2-3-grams (df>=2); counts*idf, l2; "
                  f"LogisticRegression(C={C}, balanced); Platt calibration on {FOLDS}-fold out-of-fold decisions",
        "threshold": THRESHOLD,
        "intercept": float(f"{fitted.intercept:.7g}"),
        "calibration": {"a": float(f"{fitted.calibration[0]:.7g}"), "b": float(f"{fitted.calibration[1]:.7g}")},
        "evaluation": evaluation,
        "vocabulary": list(fitted.vocabulary),
        "idf": _r(fitted.idf),
        "coef": _r(fitted.coef),
        "is_word": [v in fitted.words for v in fitted.vocabulary],
    }


def train(root: Path, output: Path, version: str, *, evaluate_model: bool = True, log: Any = print) -> dict[str, Any]:
    """Train on ``root`` and write ``output``; return the model document."""
    corpus = load_corpus(root)
    refuse_seeds(corpus, seed_texts())
    log(f"corpus {root}: {int((corpus.labels == 0).sum())} public, {int((corpus.labels == 1).sum())} sensitive; "
        f"sha256 {corpus.sha256[:16]}")
    terms = domain_terms()
    tokenizer = segmenter(terms)
    words = [_words(tokenizer, t) for t in corpus.texts]
    grams = [_ngrams(t) for t in corpus.texts]
    evaluation = evaluate(corpus, words, grams, terms) if evaluate_model else {}
    fitted = fit(np.arange(len(corpus.texts)), corpus, words, grams, terms)
    seeds = seed_texts()
    if seeds and evaluate_model:
        evaluation["seeds"] = [round(float(p), 3) for p in fitted.probabilities(seeds)]
    document = model_document(fitted, corpus, version, evaluation)
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(payload)
    log(f"model → {output} ({len(payload) / 1024:.0f} KiB, {len(fitted.vocabulary)} features, "
        f"sha256 {hashlib.sha256(payload).hexdigest()[:16]})")
    for name in ("holdout", "cross_validation"):
        if name in evaluation:
            f = evaluation[name]
            log(f"{name:>16}: n={f['n']} precision={f['precision']} recall={f['recall']} f1={f['f1']} "
                f"confusion [[TN FP] [FN TP]]={f['confusion']['matrix']}")
    if "seeds" in evaluation:
        log(f"{'seeds':>16}: p(sensitive)={evaluation['seeds']} (threshold {THRESHOLD})")
    return document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m secscan.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=_REPO / "training",
                        help="folder with public/ and sensitive/ (default: the shipped training/)")
    parser.add_argument("-o", "--output", type=Path, help="model file to write")
    parser.add_argument("--no-eval", action="store_true", help="skip the held-out and cross-validation figures")
    args = parser.parse_args(argv)
    shipped = args.corpus.resolve() == (_REPO / "training").resolve()
    output = args.output or (model_dir() / MODEL_FILE if shipped else Path("secscan-model.json"))
    version = read_version(model_dir()) if shipped else "custom"
    try:
        train(args.corpus, output, version, evaluate_model=not args.no_eval)
    except TrainingError as exc:
        print(f"secscan train: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

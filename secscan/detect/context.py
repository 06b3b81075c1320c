"""Sensitive matter by proximity and co-occurrence: rules declared as data.

``lexicons/context_rules.toml`` declares each rule: anchor terms, groups of required
signals (terms or named patterns) within a window of *characters* around the anchor —
Chinese has no spaces, so word windows do not apply — terms whose presence in the
document cancels the rule (a 公示 publishes a cadre appointment), and the signals that
raise (internal, draft) or lower (meant for publication) its weight.

When the classifier is on, its probability nudges a rule's weight (an article-like text
lowers, an internal-like one raises), but only between ``review`` and below ``block``:
the model never silences a rule, and never makes one block.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from secscan.config import Config
from secscan.detect import classifier
from secscan.detect.base import DetectFn, DetectorSpec, NormDocument, NormPart, Rule
from secscan.lexicon import Lexicon
from secscan.normalize import fold_term
from secscan.resources import lexicon_dir
from secscan.types import Category, Hit, Severity

RULES_FILE = "context_rules.toml"
FUTURE_DATE = "@future_date"
MAX_HITS_PER_RULE = 20
# Weights (0–100) against the default thresholds review 40 / block 80, moved with them.
_RAISED, _LOWERED = 85, 25
_MODEL_HIGH, _MODEL_LOW = 0.8, 0.1

_DATE_RE = re.compile(r"((?:19|20)\d{2})(?:年|-|/|\.)(\d{1,2})(?:月|-|/|\.)(\d{1,2})日?")


class RuleFileError(ValueError):
    """The context-rule file cannot be used; the message names the rule and key."""


@dataclass(frozen=True)
class Group:
    """One required signal: any of its terms or patterns, near the anchor or in the document."""

    regex: re.Pattern[str] | None
    future_date: bool
    document_scope: bool


@dataclass(frozen=True)
class ContextRule:
    id: str
    title: str
    reason: str
    anchors: re.Pattern[str]
    window: int
    groups: tuple[Group, ...]
    absent: tuple[str, ...]
    raise_with: tuple[str, ...]


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[ContextRule, ...]
    publish: tuple[str, ...]
    signals: dict[str, tuple[str, ...]]


def _alternation(terms: Sequence[str]) -> str:
    folded = sorted({fold_term(t) for t in terms if fold_term(t)}, key=lambda t: (-len(t), t))
    return "|".join(re.escape(t) for t in folded)


def _group(raw: dict, patterns: dict[str, str], where: str) -> Group:
    terms = raw.get("terms")
    if not isinstance(terms, list) or not terms:
        raise RuleFileError(f"{where}: require.terms must be a non-empty list")
    plain = [t for t in terms if not t.startswith("@")]
    named = [t[1:] for t in terms if t.startswith("@") and t != FUTURE_DATE]
    unknown = [n for n in named if n not in patterns]
    if unknown:
        raise RuleFileError(f"{where}: unknown pattern(s) {', '.join(unknown)}")
    alternatives = [f"(?:{patterns[n]})" for n in named]
    if plain:
        alternatives.append(_alternation(plain))
    scope = raw.get("scope", "window")
    if scope not in ("window", "document"):
        raise RuleFileError(f"{where}: scope must be window or document")
    regex = re.compile("|".join(alternatives)) if alternatives else None
    return Group(regex, FUTURE_DATE in terms, scope == "document")


def parse_rules(data: dict, source: str = RULES_FILE) -> RuleSet:
    signals = {k: tuple(fold_term(t) for t in v) for k, v in data.get("signals", {}).items()}
    patterns = data.get("patterns", {})
    for name, pattern in patterns.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise RuleFileError(f"{source}: pattern {name}: {exc}") from exc
    rules = []
    for raw in data.get("rule", []):
        rid = raw.get("id", "?")
        where = f"{source}: rule {rid}"
        if not rid.startswith("context."):
            raise RuleFileError(f"{where}: ids start with 'context.'")
        try:
            unknown = [s for s in raw.get("raise_with", []) if s not in signals]
            if unknown:
                raise RuleFileError(f"{where}: unknown signal(s) {', '.join(unknown)}")
            rules.append(ContextRule(
                rid, raw["title"], raw["reason"], re.compile(_alternation(raw["anchors"])), int(raw["window"]),
                tuple(_group(g, patterns, where) for g in raw["require"]),
                tuple(fold_term(t) for t in raw.get("absent", [])), tuple(raw.get("raise_with", [])),
            ))
        except KeyError as exc:
            raise RuleFileError(f"{where}: missing key {exc}") from exc
    return RuleSet(tuple(rules), signals.get("publish", ()), signals)


@functools.cache
def load_rules(path: Path | None = None) -> RuleSet:
    path = path or lexicon_dir() / RULES_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleFileError(f"{path}: {exc}") from exc
    return parse_rules(data, path.name)


def rule_terms() -> tuple[str, ...]:
    """Every plain term the rules use (the trainer adds them to jieba's dictionary)."""
    data = tomllib.loads((lexicon_dir() / RULES_FILE).read_text(encoding="utf-8"))
    terms = {t for group in data.get("signals", {}).values() for t in group}
    for raw in data.get("rule", []):
        terms.update(raw["anchors"])
        terms.update(t for g in raw["require"] for t in g["terms"] if not t.startswith("@"))
    return tuple(sorted(fold_term(t) for t in terms))


def _future_date(text: str, today: dt.date) -> re.Match[str] | None:
    for m in _DATE_RE.finditer(text):
        try:
            if dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) > today:
                return m
        except ValueError:
            continue
    return None


def _signal_near(group: Group, text: str, lo: int, hi: int, today: dt.date,
                 anchor: tuple[int, int] = (0, 0)) -> tuple[int, int] | None:
    """The first signal of ``group`` in ``text[lo:hi]`` that does not overlap the anchor itself."""
    window = text[lo:hi]
    found = []
    if group.regex is not None:
        found.extend(group.regex.finditer(window))
    if group.future_date:
        found.extend(m for m in _DATE_RE.finditer(window) if _future_date(m.group(0), today))
    for m in sorted(found, key=lambda m: m.start()):
        start, end = lo + m.start(), lo + m.end()
        if end <= anchor[0] or start >= anchor[1]:
            return start, end
    return None


def _first_in_document(group: Group, parts: Sequence[NormPart], today: dt.date) -> str | None:
    for part in parts:
        found = _signal_near(group, part.text, 0, len(part.text), today)
        if found:
            return part.text[found[0]:found[1]]
    return None


def _present(terms: Sequence[str], text: str) -> str | None:
    return next((t for t in terms if t in text), None)


def _weight(rule: ContextRule, ruleset: RuleSet, whole: str, probability: float | None,
            config: Config) -> tuple[int | None, str]:
    """The hit's weight and a note for its reason; None keeps the rule's own (medium)."""
    if (publish := _present(ruleset.publish, whole)) is not None:
        return min(_LOWERED, config.review_threshold - 1), f"(文中有“{publish}”,似为公开文本,已降低权重)"
    for name in rule.raise_with:
        if (signal := _present(ruleset.signals.get(name, ()), whole)) is not None:
            return max(_RAISED, config.block_threshold), f",且文中有“{signal}”,属内部或未定稿材料"
    if probability is not None and probability >= _MODEL_HIGH:
        return config.review_threshold + (config.block_threshold - config.review_threshold) // 2 + 10, (
            f"(分类模型判断为内部材料的概率{probability:.2f})")
    if probability is not None and probability <= _MODEL_LOW:
        # An article that tells of such matter (保密 education cases) reads as publishable
        # to the model: the finding stays, as information, below review.
        return min(_LOWERED, config.review_threshold - 1), f"(分类模型判断为公开文章的概率{1 - probability:.2f},已降低权重)"
    return None, ""


def _rule_of(rule: ContextRule) -> Rule:
    return Rule(rule.id, Category.SENSITIVE_MATTER, Severity.MEDIUM, rule.title, rule.reason)


def build(config: Config, lexicon: Lexicon) -> DetectFn:
    ruleset = load_rules()
    today = dt.date.fromisoformat(config.today) if config.today else dt.date.today()

    def detect(doc: NormDocument) -> Iterator[Hit]:
        whole = doc.text_of()
        probability: float | None = None
        model_asked = False
        for rule in ruleset.rules:
            if _present(rule.absent, whole) is not None:
                continue
            document_groups = [g for g in rule.groups if g.document_scope]
            if any(_first_in_document(g, doc.parts, today) is None for g in document_groups):
                continue
            near_groups = [g for g in rule.groups if not g.document_scope]
            found: list[tuple[int, int, int, str, str]] = []
            for part in doc.parts:
                text = part.text
                seen_lines: set[int] = set()
                used_signals: set[tuple[int, int]] = set()  # one finding per signal, not per anchor
                for anchor in rule.anchors.finditer(text):
                    line = part.line_index(anchor.start())
                    if line in seen_lines:
                        continue
                    lo, hi = max(0, anchor.start() - rule.window), min(len(text), anchor.end() + rule.window)
                    spans = [_signal_near(g, text, lo, hi, today, anchor.span()) for g in near_groups]
                    if any(s is None for s in spans) or (spans and spans[0] in used_signals):
                        continue
                    seen_lines.add(line)
                    used_signals.update(s for s in spans if s is not None)
                    signal = spans[0] if spans else (anchor.start(), anchor.end())
                    start, end = anchor.start(), anchor.end()
                    if part.line_index(signal[0]) == line and part.line_index(max(signal[1] - 1, 0)) == line:
                        start, end = min(start, signal[0]), max(end, signal[1])
                    found.append((part.index, start, end, anchor.group(0), text[signal[0]:signal[1]]))
                    if len(found) >= MAX_HITS_PER_RULE:
                        break
            if not found:
                continue
            if not model_asked:
                model_asked = True
                try:
                    probability = classifier.document_probability(doc, config)
                except classifier.ModelError:
                    probability = None  # the classifier detector itself reports a broken model
            score, note = _weight(rule, ruleset, whole, probability, config)
            for index, start, end, anchor_text, signal_text in found:
                facts = {"anchor": anchor_text, "signal": signal_text, "window": str(rule.window), "note": note}
                yield Hit(rule.id, index, start, end, facts, score)

    return detect


def _declared_rules() -> tuple[Rule, ...]:
    try:
        return tuple(_rule_of(r) for r in load_rules().rules)
    except RuleFileError:
        return ()  # a broken file is reported when the detector is built


SPEC = DetectorSpec("context", _declared_rules(), build)

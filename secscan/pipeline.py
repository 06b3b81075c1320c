"""The orchestrator: extract → normalize → match → detect → allow → map back → score.

:class:`Scanner` is the Python API that the CLI, the HTTP hook and the audit all call.
Each stage is a replaceable argument; detectors and the lexicon are built once, lazily,
and reused across files.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from msgspec import Struct

from secscan import __version__
from secscan.allowlist import allow
from secscan.config import Config
from secscan.detect import DETECTORS
from secscan.detect.base import DetectorSpec, NormDocument, NormPart, Rule, newlines_before
from secscan.detect.runner import Detector, run_detectors
from secscan.extract import Limits
from secscan.extract.isolate import default_extractor
from secscan.lexicon import Lexicon, load_lexicon
from secscan.normalize import fold_term, normalize
from secscan.rules import HIDDEN_RULES, METADATA_IDENTITY_FIELDS, MIN_CJK_IN_HTML_COMMENT, custom_rule, rule_table
from secscan.score import finding_weight, score_file
from secscan.types import (
    Category,
    Document,
    ErrorKind,
    FileReport,
    Finding,
    Hit,
    Location,
    Part,
    PartKind,
    ReadError,
    ScanReport,
    Severity,
)

CONTEXT_CHARS = 30
MAX_HIDDEN_FINDINGS_PER_KIND = 20
# A CJK range takes ~3 ms to compile: re.findall compiles it on first use (and caches it).
_CJK = r"[\u4e00-\u9fff]"
_HIDDEN_SNIPPET = 80


class _Built(Struct, frozen=True, eq=False):  # built objects: identity, not value, equality
    """What a :class:`Scanner` builds once and reuses for every file."""

    lexicon: Lexicon
    detectors: tuple[Detector, ...]
    rules: dict[str, Rule]


class Scanner:
    """Scan paths, bytes or text into :class:`FileReport`s.

    >>> Scanner().scan_text("机密★10年\\n关于……的通知").verdict
    <Verdict.BLOCK: 'block'>
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        detectors: Sequence[DetectorSpec] = DETECTORS,
        extract: Callable[[bytes, str, Limits], Document] | None = None,
    ) -> None:
        self.config = config or Config()
        self._specs = tuple(detectors)
        self._extract = extract or default_extractor(self.config)  # per-file child process, see extract/isolate.py
        self._built: _Built | None = None

    # -- building -------------------------------------------------------------------
    def _build(self) -> _Built:
        if self._built is None:
            lexicon = load_lexicon(tuple(self.config.extra_lexicons))
            detectors = tuple(Detector(spec.build(self.config, lexicon), spec.side) for spec in self._specs)
            self._built = _Built(lexicon, detectors, rule_table())
        return self._built

    def warm_up(self) -> Scanner:
        """Build the lexicon and detectors now (servers and workers call this once)."""
        self._build()
        return self

    @property
    def lexicon_version(self) -> str:
        return self._build().lexicon.version

    @property
    def matcher_engine(self) -> str:
        return self._build().lexicon.matcher.engine

    @property
    def model_version(self) -> str:
        from secscan.detect.classifier import model_version

        return model_version(self.config)

    # -- entry points ---------------------------------------------------------------
    def scan_path(self, path: str | os.PathLike[str], display: str | None = None) -> FileReport:
        path = Path(path)
        name = display or str(path)
        limits = self._limits()
        try:
            size = path.stat().st_size
            if size > self.config.max_file_bytes:
                return self._too_large(name, size)
            data = path.read_bytes()
        except OSError as exc:
            return self.scan_document(_error_doc(name, ErrorKind.UNSUPPORTED, f"无法读取文件:{exc.strerror or exc}"))
        return self._scan_data(data, name, limits)

    def scan_bytes(self, data: bytes, filename: str = "upload") -> FileReport:
        if len(data) > self.config.max_file_bytes:
            return self._too_large(filename, len(data))
        return self._scan_data(data, filename, self._limits())

    def scan_text(self, text: str, filename: str = "text.txt") -> FileReport:
        return self.scan_document(Document(filename, "text/plain", (Part(PartKind.BODY, text),)))

    def scan_paths(self, paths: Iterable[str | os.PathLike[str]]) -> Iterator[FileReport]:
        for path in iter_files(paths):
            yield self.scan_path(path)

    def report(self, files: Iterable[FileReport]) -> ScanReport:
        return ScanReport(__version__, self.lexicon_version, self.model_version, tuple(files))

    # -- the stages -----------------------------------------------------------------
    def _too_large(self, name: str, size: int) -> FileReport:
        limit = self.config.max_file_bytes
        return self.scan_document(_error_doc(name, ErrorKind.TOO_LARGE, f"文件大小{size}字节超过上限{limit}字节"))

    def _limits(self) -> Limits:
        return Limits(
            max_bytes=self.config.max_file_bytes,
            max_chars=self.config.max_text_chars,
            deadline=time.monotonic() + self.config.timeout_seconds,
        )

    def _scan_data(self, data: bytes, name: str, limits: Limits) -> FileReport:
        try:
            doc = self._extract(data, name, limits)
        except Exception as exc:  # an extractor bug must not stop a batch, nor pass
            doc = _error_doc(name, ErrorKind.INTERNAL, f"提取文本时出错:{type(exc).__name__}: {exc}")
        return self.scan_document(doc)

    def scan_document(self, doc: Document) -> FileReport:
        built = self._build()
        norm = normalize_document(doc, built.lexicon)
        hits: list[Hit] = []
        errors = list(doc.errors)
        early: dict[int, Finding] = {}  # by id(hit): findings placed while a side process works

        def place_early(own: list[Hit]) -> None:
            early.update((id(h), to_finding(h, norm, built, self.config)) for h in own)

        runs = run_detectors(built.detectors, norm, self.config.timeout_seconds, meanwhile=place_early)
        for run in runs:
            hits.extend(run.hits)
            if run.error is not None:  # a detector bug is reported, and the file is not passed
                errors.append(ReadError(ErrorKind.INTERNAL, f"检测器出错:{run.error}"))
        hits = allow(hits, norm, self.config)
        placed = [(h.part, early.get(id(h)) or to_finding(h, norm, built, self.config)) for h in merge_overlaps(hits)]
        placed.extend(hidden_findings(norm, self.config, {h.part for h in hits}))
        placed.sort(key=lambda pf: (pf[0], pf[1].start, pf[1].rule))
        findings = [f for _, f in placed]
        scored = score_file(findings, errors, self.config)
        return FileReport(
            doc.name, scored.verdict, scored.score, tuple(findings), tuple(errors),
            doc.media_type, doc.parts, doc.links,
        )


def _error_doc(name: str, kind: ErrorKind, message: str) -> Document:
    return Document(name, "application/octet-stream", (), (ReadError(kind, message),))


def normalize_document(doc: Document, lexicon: Lexicon) -> NormDocument:
    parts = []
    for i, part in enumerate(doc.parts):
        text, offsets = normalize(part.text)
        parts.append(NormPart(i, part, text, offsets, lexicon))
    return NormDocument(doc, tuple(parts))


def merge_overlaps(hits: list[Hit]) -> list[Hit]:
    """One finding per place: a hit inside another of the same rule family is dropped."""
    # By start, longest first: every hit kept before this one in its part starts at or before
    # it, so one is around it exactly when the furthest end kept in its family reaches its end.
    ordered = sorted(hits, key=lambda h: (h.part, h.start, -(h.end - h.start), h.rule))
    reach: dict[tuple[int, str], int] = {}  # (part, family): the furthest end of a hit kept
    kept: list[Hit] = []
    for hit in ordered:
        key = (hit.part, hit.rule.split(".", 1)[0])
        if hit.end <= reach.get(key, -1):
            continue
        reach[key] = hit.end
        kept.append(hit)
    return kept


def _location(part: Part, start: int) -> Location:
    newlines = newlines_before(part.text, start)
    paragraph = part.first_paragraph
    if paragraph is not None and part.paragraph_per_line:
        paragraph += newlines
    return Location(part.kind, part.page, paragraph, newlines + 1, part.label)


def _context(text: str, start: int, end: int) -> str:
    lo = max(0, start - CONTEXT_CHARS)
    hi = min(len(text), end + CONTEXT_CHARS)
    return ("…" if lo else "") + text[lo:hi].replace("\r", "").replace("\n", " ⏎ ") + ("…" if hi < len(text) else "")


def fingerprint(rule: str, text: str, part: PartKind) -> str:
    """Identity that survives edits elsewhere: no offsets, no line numbers."""
    return hashlib.sha256(f"{rule}\x00{part.value}\x00{fold_term(text)}".encode()).hexdigest()[:16]


class _Facts(dict):
    def __missing__(self, key: str) -> str:
        return ""


def to_finding(hit: Hit, norm: NormDocument, built: _Built, config: Config) -> Finding:
    npart = norm.parts[hit.part]
    part = npart.part
    start, end = npart.offsets.span(hit.start, hit.end)
    text = part.text[start:end]
    rule = built.rules.get(hit.rule)
    if rule is None:
        rule = custom_rule(
            hit.rule,
            Category(hit.facts.get("category", Category.SENSITIVE_MATTER)),
            Severity(hit.facts.get("severity", Severity.MEDIUM)),
        )
    facts = _Facts(hit.facts)
    facts.setdefault("text", text)
    facts.setdefault("category_zh", rule.category.zh)
    reason = rule.reason.format_map(facts)
    weight = finding_weight(rule.id, rule.severity, hit.score, config)
    return Finding(
        rule.category, rule.severity, rule.id, text, start, end, _location(part, start),
        _context(part.text, start, end), reason, weight, fingerprint(rule.id, text, part.kind),
    )


def _layer_line(part: Part, has_hits: bool) -> str | None:
    """The line a hidden-layer finding shows, or None when the layer is not worth one.

    Template comments (<!-- header start -->) and properties that name no person or unit
    (a title, a subject) are scanned like any text but are not a layer finding of their
    own, unless a detector found something inside them.
    """
    lines = [line for line in part.text.split("\n") if line.strip()]
    if not lines or has_hits:
        return lines[0] if lines else None
    if part.kind is PartKind.HTML_COMMENT and len(re.findall(_CJK, part.text)) < MIN_CJK_IN_HTML_COMMENT:
        return None
    if part.kind is PartKind.METADATA:
        return next((line for line in lines if line.split(":", 1)[0].strip().casefold() in METADATA_IDENTITY_FIELDS), None)
    return lines[0]


def hidden_findings(norm: NormDocument, config: Config, parts_with_hits: set[int]) -> list[tuple[int, Finding]]:
    """One finding per hidden part that holds text: the layer itself must be looked at.

    At most ``MAX_HIDDEN_FINDINGS_PER_KIND`` of each kind: a sheet with thousands of
    hidden cells needs one look, not thousands of lines in the report.
    """
    out = []
    per_kind: dict[PartKind, int] = {}
    for npart in norm.parts:
        part = npart.part
        rule = HIDDEN_RULES.get(part.kind)
        if rule is None or config.rule_disabled(rule.id) or not part.text.strip():
            continue
        first = _layer_line(part, npart.index in parts_with_hits)
        if first is None:
            continue
        per_kind[part.kind] = per_kind.get(part.kind, 0) + 1
        if per_kind[part.kind] > MAX_HIDDEN_FINDINGS_PER_KIND:
            continue
        start = part.text.index(first) + (len(first) - len(first.lstrip()))
        end = start + min(len(first.strip()), _HIDDEN_SNIPPET)
        text = part.text[start:end]
        label = f"({part.label})" if part.label else ""
        reason = rule.reason.format_map(_Facts(text=text)) + label
        weight = finding_weight(rule.id, rule.severity, None, config)
        out.append((npart.index, Finding(
            rule.category, rule.severity, rule.id, text, start, end, _location(part, start),
            _context(part.text, start, end), reason, weight, fingerprint(rule.id, text, part.kind),
        )))
    return out


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files in the order given; folders recursively, sorted, hidden entries skipped."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path

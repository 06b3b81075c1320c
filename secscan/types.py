"""Frozen records and enums that cross a stage boundary.

Records throughout secscan are ``msgspec.Struct`` classes, not dataclasses: the same
typed, frozen, comparable value objects, built in C.  On Python 3.11 a frozen dataclass
costs about 1 ms to define (its methods are generated as source and compiled) and a
Struct 0.04 ms; a scan loads some fifty record classes, so that was 55 ms of every
``secscan scan``'s start-up.  Instances are also built several times faster.

bytes ─extract→ Document(parts) ─normalize→ NormPart ─detect→ Hit ─allow→ map back→ Finding
─score→ FileReport ─report→ text|json|jsonl|html|sarif
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from msgspec import Struct, field
from msgspec.structs import force_setattr


class Verdict(StrEnum):
    PASS = "pass"
    REVIEW = "review"
    BLOCK = "block"

    @property
    def zh(self) -> str:
        return _VERDICT_ZH[self]

    @property
    def rank(self) -> int:
        return _VERDICT_RANK[self]

    @property
    def exit_code(self) -> int:
        return _VERDICT_EXIT[self]

    @staticmethod
    def worst(verdicts: list[Verdict] | tuple[Verdict, ...]) -> Verdict:
        return max(verdicts, key=lambda v: v.rank, default=Verdict.PASS)


_VERDICT_ZH = {Verdict.PASS: "可公开", Verdict.REVIEW: "需复核", Verdict.BLOCK: "不得公开"}
_VERDICT_RANK = {Verdict.PASS: 0, Verdict.REVIEW: 1, Verdict.BLOCK: 2}
_VERDICT_EXIT = {Verdict.PASS: 0, Verdict.REVIEW: 3, Verdict.BLOCK: 4}


class Category(StrEnum):
    CLASSIFICATION_MARKING = "classification_marking"
    INTERNAL_MARKING = "internal_marking"
    PERSONAL_INFO = "personal_info"
    CREDENTIAL = "credential"
    SENSITIVE_MATTER = "sensitive_matter"
    HIDDEN_CONTENT = "hidden_content"
    UNREADABLE = "unreadable"

    @property
    def zh(self) -> str:
        return _CATEGORY_ZH[self]


_CATEGORY_ZH = {
    Category.CLASSIFICATION_MARKING: "密级标志",
    Category.INTERNAL_MARKING: "内部标识",
    Category.PERSONAL_INFO: "个人信息",
    Category.CREDENTIAL: "凭据与内网信息",
    Category.SENSITIVE_MATTER: "敏感事项",
    Category.HIDDEN_CONTENT: "隐藏内容",
    Category.UNREADABLE: "无法审查",
}


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def zh(self) -> str:
        return {"high": "高", "medium": "中", "low": "低"}[self.value]


class PartKind(StrEnum):
    """Where a run of text came from: the SPEC's ``location.part``."""

    BODY = "body"
    TITLE = "title"
    TABLE = "table"
    HEADER = "header"
    FOOTER = "footer"
    FOOTNOTE = "footnote"
    ENDNOTE = "endnote"
    TEXTBOX = "textbox"
    COMMENT = "comment"
    TRACKED_DELETION = "tracked_deletion"
    TRACKED_INSERTION = "tracked_insertion"
    HIDDEN_TEXT = "hidden_text"
    METADATA = "metadata"
    HTML_COMMENT = "html_comment"
    HTML_HIDDEN = "html_hidden"
    HTML_ATTRIBUTE = "html_attribute"
    HTML_SCRIPT = "html_script"
    ANNOTATION = "annotation"
    FORM_FIELD = "form_field"
    REDACTED = "redacted"
    ATTACHMENT = "attachment"
    SHEET = "sheet"
    HIDDEN_SHEET = "hidden_sheet"
    HIDDEN_CELLS = "hidden_cells"
    SLIDE = "slide"
    HIDDEN_SLIDE = "hidden_slide"
    NOTES = "notes"

    @property
    def zh(self) -> str:
        return _PART_ZH.get(self, self.value)

    @property
    def hidden(self) -> bool:
        """Text a reader of the published page or file does not see."""
        return self in HIDDEN_PARTS


HIDDEN_PARTS = frozenset(
    {
        PartKind.COMMENT,
        PartKind.TRACKED_DELETION,
        PartKind.TRACKED_INSERTION,
        PartKind.HIDDEN_TEXT,
        PartKind.METADATA,
        PartKind.HTML_COMMENT,
        PartKind.HTML_HIDDEN,
        PartKind.HTML_SCRIPT,
        PartKind.ANNOTATION,
        PartKind.FORM_FIELD,
        PartKind.REDACTED,
        PartKind.HIDDEN_SHEET,
        PartKind.HIDDEN_CELLS,
        PartKind.HIDDEN_SLIDE,
        PartKind.NOTES,
    }
)

_PART_ZH = {
    PartKind.BODY: "正文",
    PartKind.TITLE: "标题",
    PartKind.TABLE: "表格",
    PartKind.HEADER: "页眉",
    PartKind.FOOTER: "页脚",
    PartKind.FOOTNOTE: "脚注",
    PartKind.ENDNOTE: "尾注",
    PartKind.TEXTBOX: "文本框",
    PartKind.COMMENT: "批注",
    PartKind.TRACKED_DELETION: "修订(删除)",
    PartKind.TRACKED_INSERTION: "修订(插入)",
    PartKind.HIDDEN_TEXT: "隐藏文字",
    PartKind.METADATA: "文档属性",
    PartKind.HTML_COMMENT: "网页注释",
    PartKind.HTML_HIDDEN: "网页隐藏元素",
    PartKind.HTML_ATTRIBUTE: "网页属性文字",
    PartKind.HTML_SCRIPT: "网页脚本数据",
    PartKind.ANNOTATION: "PDF注释",
    PartKind.FORM_FIELD: "表单域",
    PartKind.REDACTED: "遮盖下的文字",
    PartKind.ATTACHMENT: "附件",
    PartKind.SHEET: "工作表",
    PartKind.HIDDEN_SHEET: "隐藏工作表",
    PartKind.HIDDEN_CELLS: "隐藏行列",
    PartKind.SLIDE: "幻灯片",
    PartKind.HIDDEN_SLIDE: "隐藏幻灯片",
    PartKind.NOTES: "备注",
}


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


class Part(Struct, frozen=True):
    """A run of text with its kind and where it is.

    ``text`` holds lines separated by ``\\n``; paragraph ``first_paragraph + k`` is line
    ``k`` of the text when ``paragraph_per_line`` is set (docx, txt), else ``paragraph``
    stays ``first_paragraph`` for the whole part.  ``label`` names a sheet, slide, zip
    member or metadata field where that helps a reviewer.
    """

    kind: PartKind
    text: str
    page: int | None = None
    first_paragraph: int | None = 1
    label: str | None = None
    paragraph_per_line: bool = True


class ErrorKind(StrEnum):
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"
    UNSUPPORTED = "unsupported"
    IMAGE_ONLY = "image_only"
    TOO_LARGE = "too_large"
    TIMEOUT = "timeout"
    MISSING_TOOL = "missing_tool"
    INTERNAL = "internal"


class ReadError(Struct, frozen=True):
    """What could not be read; any entry forces at least ``review``."""

    kind: ErrorKind
    message: str


class Document(Struct, frozen=True):
    """What an extractor produced from bytes."""

    name: str
    media_type: str
    parts: tuple[Part, ...] = ()
    errors: tuple[ReadError, ...] = ()
    links: tuple[str, ...] = ()


class Hit(Struct, frozen=True):
    """A detector's result, in offsets of the *normalized* text of one part.

    ``facts`` fill the rule's reason template; ``score`` (0–100) may refine the rule's
    default weight (e.g. a classifier probability).
    """

    rule: str
    part: int
    start: int
    end: int
    facts: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    score: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.facts, MappingProxyType):
            force_setattr(self, "facts", _frozen(self.facts))


class Location(Struct, frozen=True):
    """Where a finding is, in words a reviewer can follow: part, page, paragraph, line, label."""

    part: PartKind
    page: int | None = None
    paragraph: int | None = None
    line: int | None = None
    label: str | None = None


class Finding(Struct, frozen=True):
    """One thing a reviewer must look at: what, where, why and how much it weighs (SPEC's finding)."""

    category: Category
    severity: Severity
    rule: str
    text: str
    start: int
    end: int
    location: Location
    context: str
    reason: str
    score: int
    fingerprint: str = ""


class FileReport(Struct, frozen=True):
    """One file's verdict, score, findings and read errors, and the parts that were read."""

    path: str
    verdict: Verdict
    score: int
    findings: tuple[Finding, ...] = ()
    errors: tuple[ReadError, ...] = ()
    media_type: str = ""
    parts: tuple[Part, ...] = ()
    links: tuple[str, ...] = ()


class ScanReport(Struct, frozen=True):
    """The report of one run: versions and the report of each file; its verdict is the worst file's."""

    secscan_version: str
    lexicon_version: str
    model_version: str
    files: tuple[FileReport, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return Verdict.worst([f.verdict for f in self.files])

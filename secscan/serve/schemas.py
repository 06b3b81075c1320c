"""OpenAPI models of what the hook takes and answers (the SPEC's file report).

Responses are built by :func:`secscan.report.json.file_dict`; these models describe
them for ``/openapi.json`` and a test validates live answers against that document.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from secscan.types import Category, ErrorKind, PartKind, Severity, Verdict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Location(_Frozen):
    part: PartKind
    page: int | None
    paragraph: int | None
    line: int | None
    label: str | None = None


class FindingOut(_Frozen):
    category: Category
    severity: Severity
    rule: str = Field(examples=["marking.star_period"])
    text: str = Field(description="The matched text exactly as in the source part")
    start: int
    end: int
    location: Location
    context: str
    reason: str = Field(description="一句中文说明")
    score: int = Field(ge=0, le=100)
    fingerprint: str


class ErrorOut(_Frozen):
    kind: ErrorKind
    message: str


class FileReportOut(_Frozen):
    """One entry of the SPEC's ``files[]``; ``X-Secscan-Verdict`` repeats the verdict."""

    path: str
    verdict: Verdict
    score: int = Field(ge=0, le=100)
    findings: list[FindingOut]
    errors: list[ErrorOut]


class ScanText(_Frozen):
    """Exactly one of ``text`` (plain text) or ``html`` (a page body)."""

    text: str | None = Field(default=None, min_length=1)
    html: str | None = Field(default=None, min_length=1)
    filename: str | None = Field(default=None, max_length=1024, description="Shown as the report's path only")

    @model_validator(mode="after")
    def _one_body(self) -> ScanText:
        if (self.text is None) == (self.html is None):
            raise ValueError("give exactly one of 'text' or 'html'")
        return self


class Problem(_Frozen):
    detail: str | list[dict[str, object]]


class Version(_Frozen):
    secscan_version: str
    lexicon_version: str
    model_version: str


class RuleOut(_Frozen):
    id: str
    category: Category
    severity: Severity
    title: str
    description: str


class Rules(Version):
    rules: list[RuleOut]


class Health(_Frozen):
    status: str
    workers: int
    in_flight: int

"""The FastAPI application: ``/healthz``, ``/v1/scan``, ``/v1/rules``, ``/v1/version``.

Scanning never runs on the event loop: every scan goes to :class:`ScanPool`.  The server
process keeps one :class:`~secscan.Scanner` of its own only to answer ``/v1/rules`` and
``/v1/version`` and to score the reports of scans that timed out or crashed, so those
follow the same policy as every other report.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from secscan import __version__
from secscan.pipeline import Scanner
from secscan.report.json import file_dict
from secscan.rules import rules_payload, version_payload
from secscan.serve import schemas
from secscan.serve.gate import ASGIApp, RequestGate
from secscan.serve.pool import Outcome, PoolBusy, Result, ScanPool
from secscan.serve.settings import ServeSettings
from secscan.serve.worker import Job
from secscan.types import Document, ErrorKind, ReadError

log = logging.getLogger("secscan.serve")

_NAME_MAX = 200
_UNSAFE_NAME_RE = re.compile(r"[\x00-\x1f\x7f]")
_OUTCOME_ERRORS = {
    Outcome.TIMEOUT: (ErrorKind.TIMEOUT, "审查超过时间上限{seconds:g}秒,已中止,未能读完全文"),
    Outcome.CRASHED: (ErrorKind.INTERNAL, "解析进程异常退出(文件可能损坏或触发了解析器缺陷),未能完成审查"),
}

_SCAN_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary",
                                        "description": "docx, pdf, html, txt, …; the format is read from the bytes"}},
            }
        },
        "application/json": {"schema": schemas.ScanText.model_json_schema()},
    },
}


def safe_name(raw: str | None, default: str) -> str:
    """The uploaded name as a display label only: no directories, no control characters."""
    name = re.split(r"[/\\]", raw or "")[-1]
    name = _UNSAFE_NAME_RE.sub("", name).strip().lstrip(".")
    return name[:_NAME_MAX] or default


def create_app(settings: ServeSettings) -> ASGIApp:
    scanner = Scanner(settings.config).warm_up()
    pool = ScanPool(settings)
    rules = rules_payload(scanner)
    version = version_payload(scanner)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await pool.start()  # first: multiprocessing keeps its own temporary directory
        # Multipart uploads over 1 MB are spooled to a temporary file: keep those in a
        # private (0700) directory that is removed on shutdown.
        private = tempfile.mkdtemp(prefix="secscan-serve-")
        previous, tempfile.tempdir = tempfile.tempdir, private
        log.info("ready on %s:%d with %d workers, queue %d, limit %d bytes, %gs per scan, auth %s",
                 settings.host, settings.port, settings.workers, settings.queue, settings.max_request_bytes,
                 settings.scan_timeout, "on" if settings.token else "off")
        try:
            yield
        finally:
            await pool.close()
            tempfile.tempdir = previous
            shutil.rmtree(private, ignore_errors=True)

    app = FastAPI(
        title="secscan CMS hook",
        version=__version__,
        summary="信息公开保密审查:网站发布前的保密审查接口",
        description="POST a document before it is published; publish only on verdict `pass`. "
                    "Authentication: `Authorization: Bearer <token>` when the server has a token.",
        lifespan=lifespan,
        docs_url=None,  # the Swagger page loads its scripts from a CDN: nothing is fetched at run time
        redoc_url=None,
        responses={401: {"model": schemas.Problem, "description": "missing or wrong bearer token"}},
    )

    @app.get("/healthz", response_model=schemas.Health, tags=["service"])
    async def healthz() -> dict[str, Any]:
        """200 once the lexicons and model are loaded in every worker (no token needed)."""
        return {"status": "ok", "workers": settings.workers, "in_flight": pool.in_flight}

    @app.get("/v1/version", response_model=schemas.Version, tags=["service"])
    async def get_version() -> dict[str, str]:
        return version

    @app.get("/v1/rules", response_model=schemas.Rules, tags=["service"])
    async def get_rules() -> dict[str, Any]:
        """Every rule id with its category and severity: what `secscan rules --format json` prints."""
        return rules

    @app.post(
        "/v1/scan",
        tags=["scan"],
        openapi_extra={"requestBody": _SCAN_BODY},
        responses={
            200: {"model": schemas.FileReportOut, "description": "the file report; header X-Secscan-Verdict",
                  "headers": {"X-Secscan-Verdict": {"schema": {"type": "string", "enum": ["pass", "review", "block"]}},
                              "X-Secscan-Score": {"schema": {"type": "integer"}}}},
            408: {"model": schemas.Problem, "description": "the request body did not arrive in time"},
            413: {"model": schemas.Problem, "description": "over the size limit"},
            422: {"model": schemas.Problem, "description": "malformed request"},
            503: {"model": schemas.Problem, "description": "every worker busy and the queue full; see Retry-After",
                  "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
        },
    )
    async def scan(request: Request, mask: bool = Query(False, description="mask personal data and credentials")
                   ) -> JSONResponse:
        """Scan one document: a multipart upload (`file`) or JSON `{"text"|"html", "filename"}`."""
        job = await _job(request, mask)
        if isinstance(job, JSONResponse):
            return job
        digest = hashlib.sha256(job.payload if isinstance(job.payload, bytes) else job.payload.encode()).hexdigest()
        try:
            result = await pool.run(job)
        except PoolBusy as busy:
            log.warning("scan refused: busy (%d in flight) sha256=%s", pool.in_flight, digest[:16])
            return JSONResponse({"detail": "审查服务繁忙,请稍后重试"}, 503,
                                headers={"Retry-After": str(busy.retry_after)})
        report = result.report if result.report is not None else _failed_report(scanner, job.name, result, settings)
        _log_scan(report, result, digest, len(job.payload))
        return JSONResponse(report, headers={"X-Secscan-Verdict": report["verdict"],
                                             "X-Secscan-Score": str(report["score"])})

    return RequestGate(app, token=settings.token, max_body=settings.max_request_bytes,
                       body_timeout=settings.body_timeout)


async def _job(request: Request, mask: bool) -> Job | JSONResponse:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=4)
        except Exception as exc:  # starlette raises its own parse errors; all are malformed input
            return _malformed(f"multipart 请求无法解析:{exc}")
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return _malformed("multipart 请求缺少文件字段 file")
        data = await upload.read()
        await form.close()
        if not data:
            return _malformed("上传的文件为空")
        return Job("bytes", data, safe_name(upload.filename, "upload"), mask)
    if ctype == "application/json":
        try:
            body = schemas.ScanText.model_validate_json(await request.body())
        except ValidationError as exc:
            return JSONResponse({"detail": exc.errors(include_url=False, include_context=False, include_input=False)},
                                422)
        if body.html is not None:
            return Job("bytes", body.html.encode("utf-8"), safe_name(body.filename, "page.html"), mask)
        return Job("text", body.text or "", safe_name(body.filename, "text.txt"), mask)
    return _malformed("请求须为 multipart/form-data(字段 file)或 application/json")


def _malformed(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, 422)


def _failed_report(scanner: Scanner, name: str, result: Result, settings: ServeSettings) -> dict[str, Any]:
    kind, template = _OUTCOME_ERRORS[result.outcome]
    error = ReadError(kind, template.format(seconds=settings.scan_timeout))
    return file_dict(scanner.scan_document(Document(name, "application/octet-stream", (), (error,))))


def _log_scan(report: dict[str, Any], result: Result, digest: str, size: int) -> None:
    # Verdicts, rule ids and a content hash only: never document text or the file name.
    rules = ",".join(sorted({f["rule"] for f in report["findings"]})) or "-"
    errors = ",".join(e["kind"] for e in report["errors"]) or "-"
    log.info("scan verdict=%s score=%d rules=%s errors=%s outcome=%s bytes=%d sha256=%s ms=%d",
             report["verdict"], report["score"], rules, errors, result.outcome.value, size, digest[:16],
             round(result.seconds * 1000))

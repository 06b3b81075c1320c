"""``secscan audit``: ``run`` sweeps sources into the database, ``report`` ranks what must come down."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from msgspec.structs import replace

from secscan.types import Verdict


@click.group()
def audit() -> None:
    """Batch audit of a published site or archive (folders, WARC, URL lists, sitemaps)."""


@audit.command("run")
@click.argument("sources", nargs=-1, required=True)
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False), help="SQLite database (created if missing).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: CPU count).")
@click.option("--resume", is_flag=True, help="Continue the last unfinished audit in --db.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with --engine dask).")
@click.option("--include", multiple=True, help="Only paths/URL paths matching this glob (repeatable).")
@click.option("--exclude", multiple=True, help="Skip paths/URL paths matching this glob (repeatable).")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True, help="Parallel HTTP fetches.")
@click.option("--delay", type=click.FloatRange(min=0), default=0.5, show_default=True,
              help="Seconds between two requests to the same host.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True, help="Seconds per HTTP request.")
@click.option("--follow-attachments/--no-follow-attachments", default=True, show_default=True,
              help="Also fetch the attachments (pdf, doc, xls, zip, …) that fetched pages link on the same host; "
                   "one level deep.")
@click.option("--batch", "batch_docs", type=click.IntRange(min=1), default=None,
              help="Documents per task (default: 8 local, 32 dask).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="TOML configuration.")
@click.option("--no-model", is_flag=True, help="Rules only: do not use the classifier.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, no summary.")
def run_cmd(sources: tuple[str, ...], db_path: str, jobs: int | None, resume: bool, engine: str, scheduler: str | None,
            include: tuple[str, ...], exclude: tuple[str, ...], concurrency: int, delay: float, timeout: float,
            follow_attachments: bool, batch_docs: int | None, config_path: str | None, no_model: bool,
            quiet: bool) -> None:
    """Scan every document of SOURCE... (folder, WARC/WARC.gz, file of URLs or paths, sitemap URL) into --db.

    Exit code: the worst verdict of the audit (0 pass, 3 review, 4 block), as for secscan scan.
    """
    from secscan.audit.fetch import Fetcher, FetchPolicy
    from secscan.audit.runner import run_audit
    from secscan.audit.sources import Filters, open_source
    from secscan.audit.store import AuditStore, StoreError
    from secscan.cli import _config
    from secscan.config import find_config

    if engine == "dask" and not scheduler:
        raise click.UsageError("--engine dask needs --scheduler ADDRESS")
    config = _config(config_path or find_config())
    if no_model:
        config = replace(config, use_model=False)
    fetcher = Fetcher(FetchPolicy(concurrency=concurrency, per_host_delay=delay, timeout=timeout,
                                  max_bytes=config.max_file_bytes))
    filters = Filters(include, exclude)
    try:
        opened = [open_source(s, fetcher, filters, config.max_file_bytes) for s in sources]
    except FileNotFoundError as exc:
        raise click.UsageError(f"找不到来源 (no such source): {exc}") from exc
    try:
        with AuditStore(db_path) as store:
            summary = run_audit(opened, store, config, jobs=jobs, engine=engine, scheduler=scheduler, resume=resume,
                                progress=False if quiet else None, follow_attachments=follow_attachments,
                                batch_docs=batch_docs)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    if not quiet:
        v = summary.verdicts
        click.echo(
            f"审计 audit #{summary.audit_id}{'(续)' if summary.resumed else ''}: {summary.documents} 个文件"
            f"(其中附件 {summary.attachments}), "
            f"扫描 {summary.scanned}, 复用 {summary.reused}, 失败 {summary.failed}; "
            f"不得公开 {v.get('block', 0)}, 需复核 {v.get('review', 0)}, 可公开 {v.get('pass', 0)}; "
            f"{summary.seconds:.1f}s, {summary.docs_per_second:.1f} 篇/秒, {summary.mb_per_second:.2f} MB/s",
            err=True,
        )
    sys.exit(summary.worst.exit_code)


@audit.command("report")
@click.option("--db", "db_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "html"]), default="jsonl", show_default=True)
@click.option("--audit", "audit_id", type=int, help="Which audit (default: the latest).")
@click.option("--since", type=int, help="Only findings first seen after this audit id.")
@click.option("--baseline", type=click.Path(exists=True, dir_okay=False), help="Reviewed findings to leave out.")
@click.option("--all", "include_pass", is_flag=True, help="List documents judged pass too.")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True, help="Findings shown per document.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many documents.")
@click.option("--mask", is_flag=True, help="Mask personal data and credentials.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="TOML configuration.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
def report_cmd(db_path: str, fmt: str, audit_id: int | None, since: int | None, baseline: str | None,
               include_pass: bool, top: int, limit: int | None, mask: bool, config_path: str | None,
               output: str | None) -> None:
    """The ranked list of what must come down, highest score first, grouped by site section."""
    from secscan.audit.report import RENDERERS, ReportOptions, ReviewedFindings, build_report
    from secscan.audit.store import AuditStore, StoreError
    from secscan.baseline import load_baseline
    from secscan.cli import _config
    from secscan.config import find_config

    try:
        loaded = ReviewedFindings(load_baseline(baseline)) if baseline else None
    except (ValueError, OSError) as exc:
        raise click.UsageError(f"基线文件有误 (bad baseline): {exc}") from exc
    options = ReportOptions(audit_id, since, loaded, Verdict.PASS if include_pass else Verdict.REVIEW, top, limit, mask)
    try:
        with AuditStore(db_path, readonly=True) as store:
            config = _config(config_path or find_config())
            chunks = RENDERERS[fmt](build_report(store, options, config))
            if output:
                with Path(output).open("w", encoding="utf-8", newline="") as fh:
                    fh.writelines(chunks)
            else:
                for chunk in chunks:
                    click.echo(chunk, nl=False)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


@audit.command("list")
@click.option("--db", "db_path", required=True, type=click.Path(exists=True, dir_okay=False))
def list_cmd(db_path: str) -> None:
    """The audits recorded in --db, with their versions and counts."""
    from secscan.audit.store import AuditStore

    with AuditStore(db_path, readonly=True) as store:
        for a in store.audits():
            s = a.stats
            click.echo(
                f"#{a.id} {a.status:<8} {a.started} lexicon {a.lexicon_version} model {a.model_version} "
                f"documents {s.get('documents', '?')} scanned {s.get('scanned', '?')} :: {', '.join(a.sources)}"
            )

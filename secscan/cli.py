"""The command line: a thin layer of click over :class:`secscan.Scanner`.

Exit codes (SPEC): 0 pass, 3 review, 4 block (the worst of several files), 2 usage
error, 1 internal failure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from secscan import __version__
from secscan.config import Config, ConfigError, load_config
from secscan.report import FORMATS, RenderOptions, render
from secscan.types import Document, Part, PartKind, Verdict


def _config(path: str | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise click.UsageError(f"配置文件有误 (config error): {exc}") from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="secscan")
def main() -> None:
    """secscan — 信息公开保密审查 (pre-publication secrecy review)."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True,
              help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="TOML configuration.")
@click.option("--mask", is_flag=True, help="Mask personal data and credentials in the report.")
@click.option("--no-model", is_flag=True, help="Rules only: do not use the classifier.")
def scan(paths: tuple[str, ...], fmt: str, output: str | None, config_path: str | None, mask: bool, no_model: bool) -> None:
    """Scan files, folders (recursively) or - (standard input)."""
    from dataclasses import replace

    from secscan.pipeline import Scanner

    config = _config(config_path)
    if no_model:
        config = replace(config, use_model=False)
    scanner = Scanner(config)
    reports = []
    for raw in paths:
        if raw == "-":
            data = sys.stdin.buffer.read()
            reports.append(scanner.scan_bytes(data, "<stdin>"))
        elif not Path(raw).exists():
            raise click.UsageError(f"找不到文件 (no such file): {raw}")
        else:
            reports.extend(scanner.scan_paths([raw]))
    report = scanner.report(reports)
    color = output is None and fmt == "text" and sys.stdout.isatty()
    rendered = render(report, fmt, RenderOptions(mask=mask, color=color))
    if output:
        Path(output).write_text(rendered, encoding="utf-8")
    else:
        click.echo(rendered, nl=False)
    sys.exit(report.verdict.exit_code)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List every rule id with its category and severity, and the data versions."""
    import json

    from secscan.pipeline import Scanner
    from secscan.rules import rule_table

    scanner = Scanner()
    table = rule_table()
    if fmt == "json":
        click.echo(json.dumps({
            "secscan_version": __version__,
            "lexicon_version": scanner.lexicon_version,
            "model_version": scanner.model_version,
            "rules": [
                {"id": r.id, "category": r.category.value, "severity": r.severity.value, "title": r.title,
                 "description": r.description}
                for r in table.values()
            ],
        }, ensure_ascii=False, indent=2))
        return
    click.echo(f"secscan {__version__}  词表 lexicon {scanner.lexicon_version}  模型 model {scanner.model_version}")
    for r in table.values():
        click.echo(f"{r.id:<32} {r.category.value:<24} {r.severity.value:<7} {r.category.zh}:{r.title}")
        if r.description:
            click.echo(f"{'':<32} {r.description}")


def run() -> None:
    """Entry point that turns an unexpected exception into exit 1 with a message."""
    try:
        main(standalone_mode=True)
    except SystemExit:
        raise
    except Exception as exc:  # pragma: no cover - last resort
        click.echo(f"secscan: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)


__all__ = ["Document", "Part", "PartKind", "Verdict", "main", "run"]
if __name__ == "__main__":
    run()

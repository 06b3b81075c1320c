"""The command line: a thin layer of click over :class:`secscan.Scanner`.

Exit codes (SPEC): 0 pass, 3 review, 4 block (the worst of several files), 2 usage
error, 1 internal failure.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING

import click
from msgspec import Struct

from secscan import __version__
from secscan.config import DEFAULT_CONFIG_NAME, Config, ConfigError, find_config, load_config
from secscan.lazy import LazyTable
from secscan.report import FORMATS, RenderOptions, render
from secscan.types import Document, FileReport, Part, PartKind, Verdict

if TYPE_CHECKING:
    from secscan.pipeline import Scanner


def _config(path: str | Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise click.UsageError(f"配置文件有误 (config error): {exc}") from exc


# Commands with heavy dependencies, imported only when they are the one run (`serve`
# asks for secscan[server] then).
_LAZY_COMMANDS = LazyTable({
    "audit": "secscan.audit.cli:audit",
    "serve": "secscan.serve.cli:serve",
    "train": "secscan.train_cli:train",
})


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _LAZY_COMMANDS and cmd_name not in self.commands:
            self.add_command(_LAZY_COMMANDS[cmd_name], cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="secscan")
def main() -> None:
    """secscan — 信息公开保密审查 (pre-publication secrecy review)."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True,
              help="Report format: text (terminal), json, jsonl, html (open in a browser), sarif (CI).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help=f"TOML configuration (default: ./{DEFAULT_CONFIG_NAME} when present).")
@click.option("--mask", is_flag=True, help="Mask personal data and credentials in the report.")
@click.option("--no-model", is_flag=True, help="Rules only: do not use the classifier.")
@click.option("--baseline", "baseline_path", type=click.Path(exists=True, dir_okay=False),
              help="Report only findings not in this baseline of reviewed findings.")
@click.option("--write-baseline", "write_baseline_path", type=click.Path(dir_okay=False, writable=True),
              help="Record the current findings as reviewed, in this file.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no configuration warnings on stderr.")
def scan(paths: tuple[str, ...], fmt: str, output: str | None, config_path: str | None, mask: bool, no_model: bool,
         baseline_path: str | None, write_baseline_path: str | None, quiet: bool) -> None:
    """Scan files, folders (recursively) or - (standard input)."""
    from msgspec.structs import replace

    from secscan.pipeline import Scanner

    config = _config(config_path or find_config())
    if not quiet:
        for warning in config.warnings:
            click.echo(f"secscan: {warning.describe(config.source)}", err=True)
    if no_model:
        config = replace(config, use_model=False)
    baseline = None
    if baseline_path or write_baseline_path:  # a plain scan does not load the baseline module
        from secscan.baseline import BaselineError, apply_baseline, baseline_from_report, load_baseline, write_baseline
    if baseline_path:
        try:
            baseline = load_baseline(baseline_path)
        except BaselineError as exc:
            raise click.UsageError(f"基线文件有误 (baseline error): {exc}") from exc
    for raw in paths:
        if raw != "-" and not Path(raw).exists():
            raise click.UsageError(f"找不到文件 (no such file): {raw}")
    scanner = Scanner(config)
    report = scanner.report(_scan_all(scanner, paths, show_progress=not quiet and sys.stderr.isatty()))
    if write_baseline_path:
        write_baseline(baseline_from_report(report), write_baseline_path)
    if baseline is not None:
        report = apply_baseline(report, baseline, config)
    color = output is None and fmt == "text" and sys.stdout.isatty()
    rendered = render(report, fmt, RenderOptions(mask=mask, color=color))
    if output:
        Path(output).write_text(rendered, encoding="utf-8")
    else:
        click.echo(rendered, nl=False)
    run_state = click.get_current_context().find_root().obj
    if isinstance(run_state, _Run):
        run_state.quick_exit = True
    sys.exit(report.verdict.exit_code)


# A progress bar is worth its noise only for many files or large ones.
_PROGRESS_MIN_FILES = 5
_PROGRESS_MIN_BYTES = 5 * 1024 * 1024


def _scan_all(scanner: Scanner, paths: tuple[str, ...], show_progress: bool) -> list[FileReport]:
    from secscan.pipeline import iter_files

    if paths == ("-",):
        return [scanner.scan_bytes(sys.stdin.buffer.read(), "<stdin>")]
    files = [p for raw in paths if raw != "-" for p in iter_files([raw])]
    sizes = [p.stat().st_size if p.is_file() else 0 for p in files]
    reports = [scanner.scan_bytes(sys.stdin.buffer.read(), "<stdin>")] if "-" in paths else []
    if not show_progress or (len(files) < _PROGRESS_MIN_FILES and sum(sizes) < _PROGRESS_MIN_BYTES):
        return reports + [scanner.scan_path(p) for p in files]
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("审查中"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
               TextColumn("{task.fields[name]}", style="dim"))
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("scan", total=sum(sizes) or len(files), name="")
        for path, size in zip(files, sizes, strict=True):
            progress.update(task, name=path.name[-40:])
            reports.append(scanner.scan_path(path))
            progress.advance(task, size if sum(sizes) else 1)
    return reports


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List every rule id with its category and severity, and the data versions."""
    import json

    from secscan.pipeline import Scanner
    from secscan.rules import rule_table, rules_payload

    scanner = Scanner()
    table = rule_table()
    if fmt == "json":
        click.echo(json.dumps(rules_payload(scanner), ensure_ascii=False, indent=2))
        return
    click.echo(f"secscan {__version__}  词表 lexicon {scanner.lexicon_version}  模型 model {scanner.model_version}"
               f"  匹配引擎 engine {scanner.matcher_engine}")
    for r in table.values():
        click.echo(f"{r.id:<32} {r.category.value:<24} {r.severity.value:<7} {r.category.zh}:{r.title}")
        if r.description:
            click.echo(f"{'':<32} {r.description}")


@main.group("config")
def config_group() -> None:
    """Check a configuration file (secscan.toml)."""


@config_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def config_check(file: str) -> None:
    """Validate FILE; each problem is printed as FILE:LINE: key: message.  Exit 1 on errors."""
    from secscan.config import check_config

    problems = check_config(file)
    for p in problems:
        click.echo(p.describe(file), err=not p.warning)
    errors = [p for p in problems if not p.warning]
    if errors:
        click.echo(f"配置有 {len(errors)} 处错误 (config has {len(errors)} error(s))", err=True)
        sys.exit(1)
    click.echo(f"配置可用 (config OK): {file}")


@main.group("lexicon")
def lexicon_group() -> None:
    """Lexicon tooling."""


@lexicon_group.command("check")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="Also check the extra lexicons this configuration adds.")
@click.option("--corpus", multiple=True, type=click.Path(exists=True),
              help="Publishable text (files or folders of UTF-8 text) to measure hit rates on. "
                   "Default: the seed articles of a checkout.")
@click.option("--max-rate", type=float, default=1.0, show_default=True,
              help="Flag `anywhere` terms above this many hits per 100,000 characters of publishable text.")
@click.option("--top", type=int, default=10, show_default=True, help="Show the N most frequent terms.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
def lexicon_check(files: tuple[str, ...], config_path: str | None, corpus: tuple[str, ...], max_rate: float,
                  top: int, strict: bool) -> None:
    """Validate the shipped lexicons and FILES: format, duplicates, and terms that flood."""
    from secscan.lexicon import shipped_lexicon_files
    from secscan.lexicon_check import check_lexicons, read_corpus
    from secscan.resources import lexicon_dir

    # Given files are checked together with the shipped ones: a term of an office's own
    # lexicon that means something else in a shipped one is a conflict.
    paths = shipped_lexicon_files() + [Path(f).resolve() for f in files]
    if config_path:
        paths.extend(_config(config_path).extra_lexicons)
    corpus_paths = [Path(c) for c in corpus]
    if not corpus_paths:
        seeds = lexicon_dir().parent / "tests" / "fixtures" / "seeds"
        corpus_paths = [seeds] if seeds.is_dir() else []
    result = check_lexicons(paths, read_corpus(corpus_paths), max_rate)
    click.echo(f"词表 {len(result.files)} 个文件,{result.terms} 条术语;公开文本 {result.corpus_chars} 字")
    if not result.corpus_chars:
        click.echo("(未提供公开文本,未测命中率;用 --corpus 指定)")
    for rate in result.rates[:top]:
        if rate.occurrences:
            e = rate.entry
            click.echo(f"  {rate.per_100k:8.2f}/10万字  {rate.occurrences:5d}×  {e.term}  ({e.rule}, {e.scope})")
    for p in result.problems:
        click.echo(f"{p.level}: {p.where}: {p.message}", err=p.level == "error")
    warnings = sum(p.level == "warning" for p in result.problems)
    if not result.ok or (strict and warnings):
        sys.exit(1)
    click.echo(f"词表可用 (lexicons OK){f', {warnings} warning(s)' if warnings else ''}")


@main.command()
@click.argument("text")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="TOML configuration.")
@click.option("--no-model", is_flag=True, help="Rules only: do not use the classifier.")
def explain(text: str, config_path: str | None, no_model: bool) -> None:
    """Show which rules fire on TEXT (or - for standard input) and why."""
    from msgspec.structs import replace

    from secscan.explain import explain_text

    if text == "-":
        text = sys.stdin.read()
    config = _config(config_path or find_config())
    if no_model:
        config = replace(config, use_model=False)
    click.echo(explain_text(text, config), nl=False)


class _Run(Struct):
    """State of one console run: set by a command whose end needs no interpreter teardown."""

    quick_exit: bool = False


def run() -> None:
    """Entry point that turns an unexpected exception into exit 1 with a message.

    After a scan, everything it writes is written and closed; tearing the interpreter
    down would only free the scan's objects one by one (about 45 ms after a 10 MB file),
    so the process leaves at once.  Only the console entry does this: ``main`` called as
    a library (CliRunner, the tests) returns normally.
    """
    tune_console_process(os.environ)
    state = _Run()
    try:
        main(standalone_mode=True, obj=state)
    except SystemExit as exc:
        if state.quick_exit and isinstance(exc.code, int):
            _exit_now(exc.code)
        raise
    except Exception as exc:  # pragma: no cover - last resort
        click.echo(f"secscan: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)


def tune_console_process(environ: MutableMapping[str, str]) -> None:
    """Settings for a console run, made before numpy is imported (not for a library caller).

    - A run makes many short-lived objects and few cycles: collecting after every 700
      allocations (the default) spent ~17 ms of a 10 MB file's scan walking survivors;
      fewer young collections, and fewer still of the middle generation, spend ~10.
    - numpy's OpenBLAS starts a pool of one thread per further core at import, and its
      threads spin while they wait: ~130 ms of CPU at import and ~300 ms over a 10 MB
      scan, taken from the core where the side detectors run (detect/runner.py) or from
      an audit's other workers.  secscan multiplies no matrix that a second thread would
      speed up (the model's products are of vectors of ~2,800 weights), so the pool
      keeps one thread, unless the user set ``OPENBLAS_NUM_THREADS`` themselves.
    """
    gc.set_threshold(10_000, 50)
    environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _exit_now(code: int) -> None:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: the normal exit reports it
        return
    os._exit(code)


__all__ = ["Document", "Part", "PartKind", "Verdict", "main", "run"]

if __name__ == "__main__":
    run()

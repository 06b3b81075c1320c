"""``secscan train DIR``: retrain the context classifier on a labelled folder."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("corpus", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=Path("secscan-model.json"),
              show_default=True, help="Model file to write (point model_path in the config at it).")
@click.option("--no-eval", is_flag=True, help="Skip the held-out and cross-validation figures.")
def train(corpus: Path, output: Path, no_eval: bool) -> None:
    """Train the classifier on CORPUS/public/ and CORPUS/sensitive/ (one file per document)."""
    from secscan.train import TrainingError
    from secscan.train import train as run_training

    try:
        run_training(corpus, output, "custom", evaluate_model=not no_eval, log=click.echo)
    except TrainingError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"配置文件中设置 model_path = \"{output}\" 即可使用新模型 (set model_path in the config)")

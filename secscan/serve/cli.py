"""``secscan serve``: the click command.  Imports only click at module level, so
``secscan`` works without the ``server`` extra and says what to install when asked to serve."""

from __future__ import annotations

import logging

import click

from secscan.serve.settings import TOKEN_ENV, ServeSettings, SettingsError, load_token

_INSTALL_HINT = "secscan serve 需要服务端依赖 (the server extra): pip install 'secscan[server]'"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help=f"Address to listen on; anything beyond loopback requires a token (${TOKEN_ENV} or --token-file).")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 256),
              help="Scan processes (one scan at a time each).")
@click.option("--queue", default=16, show_default=True, type=click.IntRange(0, 100_000),
              help="Requests that may wait for a worker; beyond that the answer is 503 with Retry-After.")
@click.option("--max-request-mb", default=50.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Largest request body; larger ones get 413.")
@click.option("--timeout", "scan_timeout", default=60.0, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="Seconds per scan; a scan over it is reported as review with a timeout error.")
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False),
              help=f"File holding the bearer token (else ${TOKEN_ENV}).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="TOML configuration.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
def serve(host: str, port: int, workers: int, queue: int, max_request_mb: float, scan_timeout: float,
          token_file: str | None, config_path: str | None, log_level: str) -> None:
    """Run the CMS hook: an HTTP gate a website calls before a page goes live."""
    try:
        import uvicorn

        from secscan.serve.app import create_app
    except ImportError as exc:
        raise click.ClickException(f"{_INSTALL_HINT} ({exc})") from exc
    from secscan.config import ConfigError, load_config

    try:
        settings = ServeSettings(
            host=host, port=port, workers=workers, queue=queue,
            max_request_bytes=int(max_request_mb * 1024 * 1024), scan_timeout=scan_timeout,
            token=load_token(token_file), config=load_config(config_path),
        )
    except (SettingsError, ConfigError) as exc:
        raise click.UsageError(str(exc)) from exc
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level=log_level, lifespan="on", timeout_keep_alive=5,
                server_header=False, timeout_graceful_shutdown=max(5, int(scan_timeout) + 2))

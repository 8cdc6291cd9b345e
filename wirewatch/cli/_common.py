"""What every command module shares: the Typer app, the settings, small helpers."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from wirewatch import runfile
from wirewatch.errors import WirewatchError
from wirewatch.logs import setup_logging
from wirewatch.observability import HealthCheck, StatusServer
from wirewatch.settings import Settings, load_settings

app = typer.Typer(
    help="wirewatch: news wires -> Kafka -> enrichment -> Elasticsearch, with alerts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _State:
    config_file: Path | None = None
    settings: Settings | None = None


_state = _State()


def settings() -> Settings:
    """The settings, loaded once per invocation."""
    if _state.settings is None:
        _state.settings = load_settings(_state.config_file)
    return _state.settings


def config_file() -> Path | None:
    return _state.config_file


@app.callback()
def _main(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="YAML or TOML settings file", envvar="WIREWATCH_CONFIG"
        ),
    ] = None,
) -> None:
    _state.config_file = config
    _state.settings = None
    setup_logging(settings().log_level)


def status_server(health: HealthCheck) -> StatusServer:
    s = settings()
    return StatusServer(s.metrics_host, s.metrics_port, health).start()


def stop_on_signals(stop: threading.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())


def kafka_url(s: Settings) -> str:
    """The configured Kafka, else the one a running ``wirewatch run`` recorded."""
    if s.kafka.url:
        return s.kafka.url
    info = runfile.read(s.run_file)
    if info is None:
        raise WirewatchError(
            "WIREWATCH_KAFKA__URL is not set and no running `wirewatch run` is "
            f"recorded in {s.run_file}"
        )
    return info.kafka_url


def elasticsearch_url(s: Settings) -> str:
    """The configured Elasticsearch, else the one a running ``wirewatch run`` recorded."""
    if s.elasticsearch.url:
        return s.elasticsearch.url
    return runfile.resolve_urls(s)[1]

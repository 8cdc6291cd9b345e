"""The long-running commands: ``run`` (everything) and one per stage."""

from __future__ import annotations

import asyncio
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from wirewatch.cli._common import (
    app,
    config_file,
    elasticsearch_url,
    kafka_url,
    settings,
    status_server,
    stop_on_signals,
)


@app.command()
def run(
    feeds: Annotated[
        Path | None, typer.Option(help="YAML feed list (default: built-in TASS)")
    ] = None,
) -> None:
    """Start the embedded services (unless URLs are configured) and all three stages."""
    from wirewatch.supervisor import Pipeline

    s = settings()
    if feeds is not None:
        from producers.feeds import load_feeds

        load_feeds(feeds)  # refuse a bad list now, not in a child process
        s = s.model_copy(
            update={"producer": s.producer.model_copy(update={"feeds_file": feeds.resolve()})}
        )
    pipeline = Pipeline(s, config_file())
    stop_on_signals(pipeline.stopping)
    try:
        pipeline.start()
        width = max(len(name) for name, _ in pipeline.endpoints())
        print("wirewatch is running. Ctrl-C stops it.", flush=True)
        for name, value in pipeline.endpoints():
            print(f"  {name:<{width}}  {value}", flush=True)
        pipeline.supervise()
    finally:
        pipeline.stop()


@app.command()
def produce() -> None:
    """Run the feed producer against the configured Kafka."""
    import producers

    s = settings()
    bootstrap = kafka_url(s)

    async def poll_until_signalled() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await producers.run(s, bootstrap, stop)

    server = status_server(lambda: (True, {"stage": "produce"}))
    try:
        asyncio.run(poll_until_signalled())
    finally:
        server.stop()


@app.command()
def process() -> None:
    """Run a Faust worker of the processors (enrichment) against the configured Kafka."""
    import processors

    s = settings()
    bootstrap = kafka_url(s)
    status_server(lambda: (True, {"stage": "process"}))
    processors.run_worker(s, bootstrap)  # Faust handles the signals and exits the process


@app.command()
def sink() -> None:
    """Run the Elasticsearch sink against the configured Kafka and Elasticsearch."""
    import sinks

    s = settings()
    bootstrap, es_url = kafka_url(s), elasticsearch_url(s)
    stop = threading.Event()
    stop_on_signals(stop)
    from prometheus_client import REGISTRY

    def health() -> tuple[bool, dict[str, object]]:
        # Unhealthy while the index refuses writes (the consumer is paused and retrying).
        paused = bool(REGISTRY.get_sample_value("wirewatch_sink_paused"))
        return not paused, {"stage": "sink", "paused_for_retry": paused}

    server = status_server(health)
    try:
        sinks.run(s, bootstrap, es_url, stop)
    finally:
        server.stop()

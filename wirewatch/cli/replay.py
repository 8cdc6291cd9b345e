"""``wirewatch replay``: re-send a topic range, or the dead letters after a fix."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Annotated

import typer

from wirewatch.cli._common import app, elasticsearch_url, kafka_url, settings, stop_on_signals
from wirewatch.errors import ConfigError


def _utc(when: datetime | None) -> datetime | None:
    """Times without a zone are UTC, as everywhere in wirewatch."""
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def _topic(name: str) -> str:
    topics = settings().kafka.topics
    return {"raw": topics.raw, "enriched": topics.enriched, "dlq": topics.dlq}.get(name, name)


@app.command()
def replay(
    topic: Annotated[str, typer.Argument(help="raw, enriched, dlq, or a full topic name")] = "dlq",
    to: Annotated[
        str,
        typer.Option(
            help="sink (index in-process), processors (re-publish to news.raw), or auto: "
            "dead letters go back to the stage that failed, raw to the processors, "
            "anything else to the sink"
        ),
    ] = "auto",
    partition: Annotated[
        list[int] | None, typer.Option("--partition", "-p", help="only these partitions")
    ] = None,
    from_offset: Annotated[int | None, typer.Option(help="first offset (per partition)")] = None,
    to_offset: Annotated[int | None, typer.Option(help="stop before this offset")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="records produced at or after this time")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(help="records produced before this time")
    ] = None,
    stage: Annotated[
        str | None, typer.Option(help="dead letters of this stage only, e.g. sinks.elasticsearch")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="read and count, send nothing")
    ] = False,
) -> None:
    """Re-send records through the sink or the processors; ids and versions keep it idempotent."""
    from sinks import make_article_sink
    from sinks.replay import Destination, Replayer, ReplayRange
    from wirewatch.kafka import make_producer

    if to not in ("auto", "sink", "processors"):
        raise ConfigError(f"--to must be auto, sink or processors, not {to!r}")
    destination: Destination = to  # type: ignore[assignment]  # checked just above
    s = settings()
    bootstrap = kafka_url(s)
    spec = ReplayRange(
        _topic(topic),
        tuple(partition or ()),
        from_offset,
        to_offset,
        _utc(since),
        _utc(until),
        stage,
    )
    producer = make_producer(bootstrap)
    sink = None
    if not dry_run and destination != "processors":
        sink = make_article_sink(s, bootstrap, elasticsearch_url(s), producer)
        sink.setup()
    stop = threading.Event()
    stop_on_signals(stop)
    try:
        report = Replayer(s, bootstrap, sink, producer, stop).run(spec, destination, dry_run)
    finally:
        producer.close(timeout=10)
        if sink is not None:
            sink.close()
    for line in report.lines(s.kafka.topics.raw):
        print(line)

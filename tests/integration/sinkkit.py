"""Helpers of the sink tests: enriched articles on the topic, the sink in a thread or process."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

from tests.conftest import settings_env
from tests.integration.stages import clean_env
from wirewatch.elastic import make_client
from wirewatch.kafka import ensure_topics
from wirewatch.schema import Article, Enrichment, EntityRef, Statement
from wirewatch.settings import Settings

FAST_SINK = {
    "batch_size": 200,
    "batch_seconds": 0.2,
    "backoff_initial": 0.2,
    "max_backoff": 2.0,
    "lag_seconds": 0.5,
}


def fast(settings: Settings, **sink: Any) -> Settings:
    """Settings whose sink retries promptly, so tests converge soon after a restore."""
    return settings.model_copy(
        update={"sink": settings.sink.model_copy(update={**FAST_SINK, **sink})}
    )


def sink_env(settings: Settings) -> dict[str, str]:
    env = settings_env(settings)
    for name, value in settings.sink.model_dump().items():
        env[f"WIREWATCH_SINK__{name.upper()}"] = str(value)
    return env


def article(n: int, version: int = 1, **fields: Any) -> Article:
    base = Article.new(
        feed="http://wire.example/rss",
        source="Test Wire",
        url=f"https://wire.example/a/{n}",
        guid=f"wire-{n}",
        title=f"Article {n} on sanctions",
        text=f"Sergey Lavrov said sanctions are illegal. Item {n}.",
        # Spread over three months, so several monthly indices are written at once.
        published=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n % 90),
        fetched=datetime(2024, 6, 1, tzinfo=UTC),
    )
    statement = Statement(
        speaker=EntityRef(name="Sergey Lavrov", type="PERSON", canonical_id="Q82955"),
        text="sanctions are illegal",
        start=0,
        end=20,
        topics=["sanctions"],
        stance="oppose",
    )
    enrichment = Enrichment(version=version, model="test", enriched_at=datetime.now(UTC))
    return base.model_copy(update={"statements": [statement], "enrichment": enrichment, **fields})


def publish(settings: Settings, values: list[tuple[bytes | None, bytes]]) -> None:
    bootstrap = settings.kafka.url or ""
    ensure_topics(bootstrap, settings.kafka)
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, max_request_size=16 * 1024 * 1024, linger_ms=5
    )
    for key, value in values:
        producer.send(settings.kafka.topics.enriched, key=key, value=value)
    producer.flush()
    producer.close()


def publish_articles(settings: Settings, articles: list[Article]) -> None:
    publish(settings, [(a.id.encode(), a.to_bytes()) for a in articles])


def indexed_ids(settings: Settings) -> list[str]:
    """Every ``_id`` under the alias, one entry per document (duplicates would show)."""
    es = make_client(settings.elasticsearch.url or "", settings.elasticsearch)
    alias = settings.elasticsearch.index_prefix
    try:
        if not es.indices.exists_alias(name=alias):
            return []
        es.indices.refresh(index=alias)
        hits = es.search(index=alias, size=10_000, source=False, query={"match_all": {}})
        return [hit["_id"] for hit in hits["hits"]["hits"]]
    finally:
        es.close()


@contextmanager
def sink_thread(settings: Settings, es_url: str | None = None) -> Iterator[threading.Event]:
    """The sink stage in this process (so its metrics can be read), stopped on exit."""
    import sinks

    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            sinks.run(
                settings, settings.kafka.url or "", es_url or settings.elasticsearch.url or "", stop
            )
        except BaseException as exc:
            errors.append(exc)
            raise

    thread = threading.Thread(target=run, name="sink-under-test", daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive(), "the sink did not stop within 30 s"
    assert not errors, f"the sink failed: {errors[0]!r}"


def start_sink_process(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "wirewatch", "sink"],
            env=clean_env(**sink_env(settings)),
            stdout=out,
            stderr=out,
        )


def committed_total(settings: Settings) -> int:
    """Records of ``news.enriched`` the sink's group has committed, all partitions together.

    (Compared with the number published: tansu reports end offsets per record batch, not per
    record, so end offset - committed understates the lag on it.)
    """
    from kafka import KafkaConsumer, TopicPartition

    topic = settings.kafka.topics.enriched
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka.url or "",
        group_id=f"{settings.kafka.topic_prefix}wirewatch-sink",
        enable_auto_commit=False,
    )
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()]
        return sum(consumer.committed(tp) or 0 for tp in tps)
    finally:
        consumer.close()

"""The alerts side of the sink stage: alerts into their own index, and out to the channels.

Alerts land in monthly indices by the month the alert was first raised
(``wirewatch-alerts-YYYY.MM``) behind the alias ``wirewatch-alerts``, ``_id`` = alert id,
external version = the alert's count: a folded repeat overwrites the alert with its new
count, and a replay of an older record is a no-op. The mapping is explicit and strict.

:func:`start` runs the alerts index writer and the notifier in threads next to the article
sink, each with its own consumer group, so a slow index never delays a delivery.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, helpers
from kafka import KafkaProducer
from pydantic import ValidationError

from sinks.base import RETRYABLE_STATUS, BatchingSink, BatchResult, SourceRecord
from sinks.notifiers import Notifier, configured_channels
from sinks.runner import SinkRunner
from sinks.templates import KEYWORD, NAME
from wirewatch.alerts import Alert
from wirewatch.elastic import make_client
from wirewatch.errors import SinkError
from wirewatch.kafka import DeadLetters, make_consumer, make_producer
from wirewatch.settings import Settings

log = logging.getLogger(__name__)

_TEXT = {"type": "text", "analyzer": "english"}

ALERT_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "schema_version": {"type": "integer"},
        "id": KEYWORD,
        "rule": KEYWORD,
        "description": {"type": "text"},
        "channels": KEYWORD,
        "notify": {"type": "boolean"},
        "count": {"type": "integer"},
        "first_seen": {"type": "date"},
        "last_seen": {"type": "date"},
        "speaker": NAME,
        "speaker_id": KEYWORD,
        "speaker_type": KEYWORD,
        "stance": KEYWORD,
        "target": NAME,
        "target_id": KEYWORD,
        "target_type": KEYWORD,
        "topics": KEYWORD,
        "statement_id": KEYWORD,
        "evidence": _TEXT,
        "quotes": _TEXT,
        "cues": {"type": "object", "enabled": False},  # kept for the "why", not searched
        "confidence": {"type": "float"},
        "article_id": KEYWORD,
        "article_url": KEYWORD,
        "article_title": {**_TEXT, "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
        "source": KEYWORD,
        "feed": KEYWORD,
        "language": KEYWORD,
        "published": {"type": "date"},
    },
}


def alert_template(alias: str) -> dict[str, Any]:
    return {
        "index_patterns": [f"{alias}-*"],
        "priority": 100,
        "template": {
            "settings": {"number_of_shards": 1},
            "mappings": ALERT_MAPPINGS,
            "aliases": {alias: {}},
        },
    }


def index_for(alias: str, alert: Alert) -> str:
    return f"{alias}-{alert.first_seen:%Y.%m}"


class AlertSink(BatchingSink):
    def __init__(self, client: Elasticsearch, alias: str, dead_letters: DeadLetters) -> None:
        self.client = client
        self.alias = alias
        self.dead_letters = dead_letters

    def setup(self) -> None:
        try:
            self.client.indices.put_index_template(name=self.alias, **alert_template(self.alias))
        except (ApiError, TransportError) as exc:
            raise SinkError(f"cannot install the index template {self.alias!r}: {exc}") from exc

    def _dead_letter(self, record: SourceRecord, reason: str, article_id: str | None) -> None:
        self.dead_letters.send(
            reason,
            record.value,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode("utf-8", "replace") if record.key else None,
            article_id=article_id,
        )

    def write_batch(self, records: list[SourceRecord]) -> BatchResult:
        dead = stale = 0
        latest: dict[str, tuple[Alert, SourceRecord]] = {}
        for record in records:
            try:
                alert = Alert.from_bytes(record.value)
            except (ValidationError, ValueError) as exc:
                self._dead_letter(record, f"invalid alert record: {exc}", None)
                dead += 1
                continue
            held = latest.get(alert.id)
            if held and held[0].count >= alert.count:
                stale += 1
                continue
            stale += 1 if held else 0
            latest[alert.id] = (alert, record)
        if not latest:
            return BatchResult(dead_lettered=dead, stale=stale)
        actions = [
            {
                "_op_type": "index",
                "_index": index_for(self.alias, alert),
                "_id": alert.id,
                "_version": alert.count,
                "_version_type": "external_gte",
                "_source": alert.model_dump(mode="json"),
            }
            for alert, _ in latest.values()
        ]
        try:
            results = list(
                helpers.streaming_bulk(
                    self.client,
                    actions,
                    chunk_size=len(actions),
                    raise_on_error=False,
                    raise_on_exception=True,
                    max_retries=0,
                )
            )
        except (TransportError, ApiError) as exc:
            return BatchResult(
                dead_lettered=dead,
                stale=stale,
                retry=[rec for _, rec in latest.values()],
                retry_reason=f"{type(exc).__name__}: {exc}",
            )
        written = 0
        retry: list[SourceRecord] = []
        reason = None
        for _ok, item in results:
            result = item.get("index", {})
            alert, record = latest[result["_id"]]
            status = int(result.get("status", 500))
            if status < 300:
                written += 1
            elif status == 409:
                stale += 1  # the index already holds this count or a higher one
            elif status in RETRYABLE_STATUS:
                retry.append(record)
                reason = f"HTTP {status}: {result.get('error')}"
            else:
                self._dead_letter(
                    record,
                    f"rejected by the alerts index (HTTP {status}): {result.get('error')}",
                    alert.article_id,
                )
                dead += 1
        return BatchResult(
            written=written, stale=stale, dead_lettered=dead, retry=retry, retry_reason=reason
        )

    def close(self) -> None:
        self.client.close()


def _thread(name: str, target: Callable[[], None], stop: threading.Event) -> threading.Thread:
    """Run ``target`` until ``stop``; if it fails, log it and start it again with backoff,
    so a bug or an outage never leaves the stage running without alerts."""

    def guarded() -> None:
        failures = 0
        while not stop.is_set():
            try:
                target()
                return
            except Exception:
                failures += 1
                delay = min(30.0, 0.5 * 2**failures)
                log.exception(
                    "alerts thread failed; restarting",
                    extra={"thread": name, "retry_in_s": delay},
                )
                stop.wait(delay)

    thread = threading.Thread(target=guarded, name=name, daemon=True)
    thread.start()
    return thread


class AlertStage:
    """The running alerts threads; :meth:`join` waits for them after ``stop`` is set."""

    def __init__(self, threads: list[threading.Thread], producer: KafkaProducer) -> None:
        self.threads = threads
        self.producer = producer

    def join(self, timeout: float = 15.0) -> None:
        for thread in self.threads:
            thread.join(timeout)
        self.producer.close(timeout=5)


def start(settings: Settings, bootstrap: str, es_url: str, stop: threading.Event) -> AlertStage:
    """Start the alerts index writer and the notifier; they run until ``stop`` is set."""
    topics = settings.kafka.topics
    prefix = settings.kafka.topic_prefix
    producer = make_producer(bootstrap)

    def index_alerts() -> None:
        sink = AlertSink(
            make_client(es_url, settings.elasticsearch),
            settings.alerts.index_prefix,
            DeadLetters(producer, topics.dlq, "sinks.alerts"),
        )
        consumer = make_consumer(
            bootstrap, settings.kafka, f"{prefix}wirewatch-alerts-sink", topics.alerts
        )
        try:
            SinkRunner(consumer, sink, settings.sink, stop).run()
        finally:
            consumer.close()
            sink.close()

    def notify() -> None:
        # Short fetch waits: a new alert should leave within a poll, not half a second later.
        consumer = make_consumer(
            bootstrap,
            settings.kafka,
            f"{prefix}wirewatch-notify",
            topics.alerts,
            fetch_max_wait_ms=50,
        )
        notifier = Notifier(
            consumer,
            configured_channels(settings.alerts),
            DeadLetters(producer, topics.dlq, "sinks.notify"),
            stop,
            settings.alerts.queue_size,
        )
        try:
            notifier.run()
        finally:
            consumer.close()

    return AlertStage(
        [_thread("alerts-notify", notify, stop), _thread("alerts-index", index_alerts, stop)],
        producer,
    )

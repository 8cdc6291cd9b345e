"""Kafka clients configured the one way wirewatch uses them.

Producers: ``acks=all`` and idempotence. Consumers: manual commits, short group timings
(tansu holds a JoinGroup for the whole rebalance timeout; see DESIGN.md).
"""

from __future__ import annotations

import logging
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from wirewatch.errors import ServiceError
from wirewatch.schema import DeadLetter
from wirewatch.settings import KafkaSettings

log = logging.getLogger(__name__)


def make_producer(bootstrap: str, **overrides: Any) -> KafkaProducer:
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap.split(","),
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "max_request_size": 16 * 1024 * 1024,
        "client_id": "wirewatch",
    }
    options.update(overrides)
    try:
        return KafkaProducer(**options)
    except KafkaError as exc:
        raise ServiceError(f"cannot connect a Kafka producer to {bootstrap}: {exc}") from exc


def make_consumer(
    bootstrap: str, settings: KafkaSettings, group: str, *topics: str, **overrides: Any
) -> KafkaConsumer:
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap.split(","),
        "group_id": group,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": settings.session_timeout_ms,
        "heartbeat_interval_ms": settings.heartbeat_interval_ms,
        "max_poll_interval_ms": settings.max_poll_interval_ms,
        "max_poll_records": settings.max_poll_records,
        "client_id": f"wirewatch-{group}",
    }
    options.update(overrides)
    try:
        return KafkaConsumer(*topics, **options)
    except KafkaError as exc:
        raise ServiceError(f"cannot connect a Kafka consumer to {bootstrap}: {exc}") from exc


def _admin(bootstrap: str) -> KafkaAdminClient:
    try:
        return KafkaAdminClient(
            bootstrap_servers=bootstrap.split(","),
            client_id="wirewatch-admin",
            request_timeout_ms=10000,
        )
    except KafkaError as exc:
        raise ServiceError(f"Kafka at {bootstrap} does not answer: {exc}") from exc


def ensure_topics(bootstrap: str, settings: KafkaSettings) -> None:
    """Create the pipeline's topics where they do not exist yet."""
    admin = _admin(bootstrap)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in settings.topics.all() if t not in existing]
        for topic in missing:
            try:
                admin.create_topics([NewTopic(topic, settings.partitions, 1)])
                log.info("topic created", extra={"topic": topic, "partitions": settings.partitions})
            except TopicAlreadyExistsError:
                pass  # another stage won the race
    except KafkaError as exc:
        raise ServiceError(f"cannot create topics on {bootstrap}: {exc}") from exc
    finally:
        admin.close()


def cluster_id(bootstrap: str) -> str:
    """The id of the cluster behind ``bootstrap``: what a producer's seen-state belongs to."""
    admin = _admin(bootstrap)
    try:
        return str(admin.describe_cluster()["cluster_id"])
    except KafkaError as exc:
        raise ServiceError(f"cannot describe the Kafka cluster at {bootstrap}: {exc}") from exc
    finally:
        admin.close()


class DeadLetters:
    """Sends what a stage could not handle to ``news.dlq`` and waits for the broker's ack.

    A stage commits an offset past a bad record only once its dead letter is acknowledged.
    """

    def __init__(self, producer: KafkaProducer, topic: str, stage: str) -> None:
        self.producer = producer
        self.topic = topic
        self.stage = stage

    def send(self, reason: str, original: bytes, **where: Any) -> None:
        letter = DeadLetter.of(self.stage, reason, original, **where)
        key = where.get("article_id") or where.get("key") or ""
        self.producer.send(self.topic, key=str(key).encode() or None, value=letter.to_bytes()).get(
            timeout=30
        )
        log.warning(
            "record dead-lettered",
            extra={
                "stage": self.stage,
                "reason": reason[:300],
                **{k: v for k, v in where.items() if v is not None},
            },
        )

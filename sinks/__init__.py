"""The sinks: enriched articles and alerts into Elasticsearch, alerts to their channels.

Public surface: :func:`run` (the long-running stage) and :data:`ARTICLE_MAPPINGS`.
"""

from __future__ import annotations

import logging
import threading

from kafka import KafkaProducer

from sinks.alerts import start as start_alerts
from sinks.elasticsearch import ArticleSink
from sinks.runner import SinkRunner
from sinks.templates import ARTICLE_MAPPINGS
from wirewatch.elastic import make_client
from wirewatch.kafka import DeadLetters, ensure_topics, make_consumer, make_producer
from wirewatch.settings import Settings

__all__ = ["ARTICLE_MAPPINGS", "make_article_sink", "run"]

log = logging.getLogger(__name__)


def make_article_sink(
    settings: Settings, bootstrap: str, es_url: str, dlq_producer: KafkaProducer
) -> ArticleSink:
    """The article sink on its own (``wirewatch replay`` writes through it)."""
    return ArticleSink(
        make_client(es_url, settings.elasticsearch),
        settings.elasticsearch.index_prefix,
        DeadLetters(dlq_producer, settings.kafka.topics.dlq, "sinks.elasticsearch"),
        settings.sink,
    )


def run(settings: Settings, bootstrap: str, es_url: str, stop: threading.Event) -> None:
    """Index ``news.enriched`` until ``stop`` is set."""
    topics = settings.kafka.topics
    ensure_topics(bootstrap, settings.kafka)
    client = make_client(es_url, settings.elasticsearch)
    dlq_producer = make_producer(bootstrap)
    sink = ArticleSink(
        client,
        settings.elasticsearch.index_prefix,
        DeadLetters(dlq_producer, topics.dlq, "sinks.elasticsearch"),
        settings.sink,
    )
    consumer = make_consumer(
        bootstrap, settings.kafka, f"{settings.kafka.topic_prefix}wirewatch-sink", topics.enriched
    )
    # Alerts: their own index and the notifier, in threads next to the article sink.
    alerts = start_alerts(settings, bootstrap, es_url, stop)
    try:
        SinkRunner(consumer, sink, settings.sink, stop).run()
    finally:
        stop.set()
        alerts.join()
        consumer.close()
        dlq_producer.close(timeout=5)
        sink.close()
        log.info("sink stopped")

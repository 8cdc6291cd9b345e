"""``wirewatch doctor``: can the pipeline reach what it needs? Says what is wrong if not."""

from __future__ import annotations

import importlib.util

from elastic_transport import TransportError
from elasticsearch import ApiError

from wirewatch import runfile
from wirewatch.errors import WirewatchError
from wirewatch.settings import Settings


def _line(ok: bool, what: str, detail: str) -> bool:
    print(f"{'ok ' if ok else 'FAIL'}  {what}: {detail}")
    return ok


def run_checks(settings: Settings) -> bool:
    kafka, es = settings.kafka.url, settings.elasticsearch.url
    info = runfile.read(settings.run_file)
    if info is not None:
        kafka, es = kafka or info.kafka_url, es or info.elasticsearch_url
    results = [
        _check_kafka(settings, kafka),
        _check_elasticsearch(settings, es),
        _line(
            importlib.util.find_spec(settings.processor.spacy_model) is not None,
            "spaCy model",
            settings.processor.spacy_model,
        ),
    ]
    return all(results)


def _check_kafka(settings: Settings, url: str | None) -> bool:
    from wirewatch.kafka import _admin

    if not url:
        return _line(
            False,
            "Kafka",
            "WIREWATCH_KAFKA__URL is not set and no `wirewatch run` is "
            "running (it would start an embedded broker)",
        )
    try:
        admin = _admin(url)
        try:
            cluster = admin.describe_cluster()
            existing = set(admin.list_topics())
        finally:
            admin.close()
    except (WirewatchError, Exception) as exc:  # kafka-python raises many unrelated types
        return _line(False, "Kafka", f"{url} does not answer: {exc}")
    missing = [t for t in settings.kafka.topics.all() if t not in existing]
    detail = f"{url}, cluster {cluster['cluster_id']}, {len(cluster['brokers'])} broker(s)"
    if missing:
        detail += f"; topics not created yet: {', '.join(missing)}"
    return _line(True, "Kafka", detail)


def _check_elasticsearch(settings: Settings, url: str | None) -> bool:
    from wirewatch.elastic import detect_distribution, make_client

    if not url:
        return _line(
            False,
            "Elasticsearch",
            "WIREWATCH_ELASTICSEARCH__URL is not set and no `wirewatch run` is running",
        )
    try:
        distribution = detect_distribution(url, settings.elasticsearch)
        client = make_client(url, settings.elasticsearch)
        try:
            health = client.cluster.health()
            alias = settings.elasticsearch.index_prefix
            count = (
                client.count(index=alias)["count"] if client.indices.exists_alias(name=alias) else 0
            )
        finally:
            client.close()
    except (WirewatchError, ApiError, TransportError) as exc:
        return _line(False, "Elasticsearch", str(exc))
    return _line(
        health["status"] != "red",
        "Elasticsearch",
        f"{url} ({distribution}), status {health['status']}, {count} articles indexed",
    )

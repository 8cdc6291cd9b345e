"""Enriched articles -> ``wirewatch process`` (alert agents) -> ``wirewatch sink`` (alerts
index + notifier) -> a real webhook receiver; fold state that survives a worker restart and a
rebalance."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from tests.alert_builders import EMBARGO, article, statement
from tests.conftest import settings_env
from tests.helpers import wait_for
from tests.integration.receivers import HttpReceiver
from tests.integration.stages import clean_env
from tests.integration.stages import stage_with_env as stage
from wirewatch.elastic import make_client
from wirewatch.kafka import ensure_topics
from wirewatch.schema import Article, EntityRef
from wirewatch.settings import Settings

pytestmark = pytest.mark.integration

SANCTIONS = "statements about sanctions"


def test_alerts_are_raised_once_and_folded_across_a_worker_restart_and_a_rebalance(
    settings: Settings, tmp_path: Path
) -> None:
    bootstrap = settings.kafka.url or ""
    topics = settings.kafka.topics
    alias = settings.elasticsearch.index_prefix.replace("-articles", "-alerts")
    webhook = HttpReceiver()
    env = clean_env(
        **settings_env(settings),
        WIREWATCH_ALERTS__INDEX_PREFIX=alias,
        WIREWATCH_ALERTS__WEBHOOK__URL=webhook.url(),
        WIREWATCH_ALERTS__WEBHOOK__BACKOFF="0.1",
        WIREWATCH_SINK__BATCH_SECONDS="0.2",
    )
    ensure_topics(bootstrap, settings.kafka)
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    es = make_client(settings.elasticsearch.url or "", settings.elasticsearch)

    def publish(a: Article) -> None:
        producer.send(topics.enriched, key=a.id.encode(), value=a.to_bytes())
        producer.flush()

    def alert_docs() -> list[dict[str, Any]]:
        if not es.indices.exists_alias(name=alias):
            return []
        es.indices.refresh(index=alias)
        hits = es.search(index=alias, query={"term": {"rule": SANCTIONS}}, size=50)
        return [h["_source"] for h in hits["hits"]["hits"]]

    def sanctions_hooks() -> list[dict[str, Any]]:
        return [
            r.json()
            for r in webhook.received()
            if r.json()["rule"] == SANCTIONS and r.json()["speaker"] == "Sergey Lavrov"
        ]

    logs = tmp_path / "logs"
    repeat = statement("Russia suggests imposing a full trade-economic embargo on IS territory")
    try:
        with stage("sink", env, logs):
            with stage("process", env, logs):
                # One article with two statements of Lavrov's on the same embargo.
                publish(article(statement(), repeat))
                [hook] = wait_for(sanctions_hooks, 90, "the sanctions alert at the webhook")
                assert (hook["speaker"], hook["stance"], hook["target"]) == (
                    "Sergey Lavrov",
                    "support",
                    "Islamic State",
                )
                assert hook["evidence"] == EMBARGO
                wait_for(
                    lambda: [d for d in alert_docs() if d["count"] == 2],
                    30,
                    "the alert indexed with both statements folded in",
                )
                # Monthly alert indices behind one alias, for Kibana.
                month = f"{alias}-{datetime.now(UTC):%Y.%m}"
                assert alias in es.indices.get_alias(index=month)[month]["aliases"]

            # A new worker recovers the tables from their changelog topics.
            with stage("process", env, logs / "b") as worker_b:
                # The first statement again from a second feed (seen), and a third one by
                # the same speaker on the same target inside the hour (folded).
                third = statement("Moscow insists on the embargo against Islamic State")
                publish(
                    article(
                        statement(),
                        third,
                        guid="reuters-7",
                        feed="https://reuters.example/rss",
                        source="Reuters",
                    )
                )
                docs = wait_for(
                    lambda: [d for d in alert_docs() if d["count"] == 3],
                    90,
                    "the third statement folded into the same alert after the restart",
                )
                assert len(alert_docs()) == 1, "the restart must not open a second alert"
                assert len(sanctions_hooks()) == 1
                assert docs[0]["quotes"][-1] == third.text

                # A rebalance: a second worker joins and takes partitions over, then the
                # first leaves; whoever owns the fold now must know its state.
                with stage("process", env, logs / "c"):
                    probes = iter(range(1, 1000))

                    def second_worker_raised_an_alert() -> bool:
                        n = next(probes)
                        speaker = EntityRef(name=f"Probe Speaker {n}", type="PERSON")
                        publish(article(statement(f"Sanctions probe {n}", speaker), guid=f"p{n}"))
                        return "alert raised" in (logs / "c" / "process.log").read_text()

                    wait_for(
                        second_worker_raised_an_alert, 90, "the second worker to own partitions", 1
                    )
                    worker_b.send_signal(signal.SIGTERM)
                    assert worker_b.wait(30) == 0
                    fourth = statement("Russia will keep pressing for the embargo on the IS")
                    publish(article(fourth, guid="wire-9"))
                    docs = wait_for(
                        lambda: [d for d in alert_docs() if d["count"] == 4],
                        90,
                        "the fourth statement folded after the rebalance",
                    )
                    assert docs[0]["quotes"][-1] == fourth.text
        assert len(sanctions_hooks()) == 1, "the desk hears about it once"
    finally:
        producer.close()
        es.close()
        webhook.close()

"""Producer -> processor -> sink, each in its own process, on real tansu and osmem."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaProducer

from tests.helpers import FeedServer, Item, read_topic, rss, wait_for
from tests.integration.stages import stage
from wirewatch.elastic import make_client
from wirewatch.query import search_articles
from wirewatch.schema import DeadLetter
from wirewatch.settings import Settings

pytestmark = pytest.mark.integration

ITEMS = [
    Item(
        "Lavrov calls for embargo on Islamic State territories",
        "https://wire.example/a/1",
        guid="wire-1",
        published=datetime(2024, 3, 1, 9, 0, tzinfo=UTC),
        content="Russian Foreign Minister Sergey Lavrov said on Wednesday that Russia has offered "
        "the United Nations Security Council a full trade embargo on territories held "
        "by Islamic State.",
    ),
    Item(
        "EU extends sanctions",
        "https://wire.example/a/2?utm_source=rss",
        guid=None,
        published=datetime(2024, 4, 2, 10, 0, tzinfo=UTC),
        content="The European Union extended its sanctions against Iran, Josep Borrell said "
        "in Brussels.",
    ),
    Item(
        "Oil prices steady",
        "https://wire.example/a/3",
        guid="wire-3",
        description="Oil prices were steady in London trading on Tuesday.",
    ),
]


def _with_feed(settings: Settings, feed_server: FeedServer, tmp_path: Path) -> Settings:
    feed_server.serve("/wire.xml", rss(ITEMS))
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f"feeds:\n  - url: {feed_server.url('/wire.xml')}\n    name: Test Wire\n    interval: 0.5\n"
    )
    return settings.model_copy(
        update={
            "producer": settings.producer.model_copy(
                update={"feeds_file": feeds, "min_interval": 0.5}
            )
        }
    )


def test_articles_become_searchable_with_entities_and_repolls_add_no_duplicates(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    settings = _with_feed(settings, feed_server, tmp_path)
    es = make_client(settings.elasticsearch.url or "", settings.elasticsearch)
    alias = settings.elasticsearch.index_prefix
    logs = tmp_path / "logs"
    with (
        stage("produce", settings, logs),
        stage("process", settings, logs),
        stage("sink", settings, logs),
    ):
        hits = wait_for(
            lambda: search_articles(es, alias, "embargo"),
            60,
            "the embargo article to be searchable",
        )
        article = hits[0]
        assert article["title"].startswith("Lavrov calls for embargo")
        names = {(e["name"], e["type"]) for e in article["entities"]}
        assert ("Sergey Lavrov", "PERSON") in names
        assert any(name == "Islamic State" for name, _ in names)
        assert article["enrichment"]["version"] >= 1

        wait_for(lambda: es.count(index=alias)["count"] == 3 or None, 30, "all three articles")
        # Let the producer poll the unchanged feed several more times.
        polls = feed_server.hits_of("/wire.xml")
        wait_for(lambda: feed_server.hits_of("/wire.xml") >= polls + 3, 30, "three more polls")

    raw = read_topic(settings.kafka.url or "", settings.kafka.topics.raw)
    assert len(raw) == 3, "re-polling an unchanged feed must publish nothing new"
    assert len({r.key for r in raw}) == 3
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == 3
    # Monthly indices by published month, one alias over them.
    assert {f"{alias}-2024.03", f"{alias}-2024.04"} <= set(es.indices.get_alias(index=f"{alias}-*"))
    es.close()


def test_a_malformed_record_goes_to_the_dead_letter_topic_and_the_stream_goes_on(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    settings = _with_feed(settings, feed_server, tmp_path)
    bootstrap = settings.kafka.url or ""
    topics = settings.kafka.topics
    from wirewatch.kafka import ensure_topics

    ensure_topics(bootstrap, settings.kafka)
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    producer.send(topics.raw, key=b"junk-raw", value=b"{not json")
    producer.send(topics.enriched, key=b"junk-enriched", value=json.dumps({"id": 3}).encode())
    producer.flush()
    producer.close()

    es = make_client(settings.elasticsearch.url or "", settings.elasticsearch)
    logs = tmp_path / "logs"
    with (
        stage("produce", settings, logs),
        stage("process", settings, logs),
        stage("sink", settings, logs),
    ):
        wait_for(
            lambda: len(search_articles(es, settings.elasticsearch.index_prefix, "oil")),
            60,
            "the good articles to flow past the bad records",
        )
        letters = wait_for(
            lambda: (
                len(read_topic(bootstrap, topics.dlq)) >= 2 and read_topic(bootstrap, topics.dlq)
            ),
            30,
            "two dead letters",
        )
    es.close()
    by_stage = {
        DeadLetter.model_validate_json(r.value).stage: DeadLetter.model_validate_json(r.value)
        for r in letters
    }
    assert by_stage["processors.enrich"].original() == b"{not json"
    assert "invalid article record" in by_stage["processors.enrich"].reason
    assert by_stage["sinks.elasticsearch"].topic == topics.enriched
    assert "invalid enriched article" in by_stage["sinks.elasticsearch"].reason

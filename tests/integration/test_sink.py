"""The article sink against real tansu and osmem: poison records, versions, SIGKILL."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.helpers import read_topic, wait_for
from tests.integration.sinkkit import (
    article,
    committed_total,
    fast,
    indexed_ids,
    publish,
    publish_articles,
    sink_thread,
    start_sink_process,
)
from wirewatch.elastic import make_client
from wirewatch.query import SearchFilters, search_articles
from wirewatch.schema import DeadLetter
from wirewatch.settings import Settings

pytestmark = pytest.mark.integration


def _letters(settings: Settings) -> list[DeadLetter]:
    records = read_topic(settings.kafka.url or "", settings.kafka.topics.dlq)
    return [DeadLetter.model_validate_json(r.value) for r in records]


def test_poison_records_are_dead_lettered_with_reasons_and_the_rest_is_indexed(
    settings: Settings,
) -> None:
    settings = fast(settings, dlq_max_original_bytes=64 * 1024)
    good = [article(n) for n in range(20)]
    wrong_type = json.loads(article(100).to_bytes())
    wrong_type["published"] = "last Tuesday"
    out_of_range = article(101).model_copy(
        update={"statements": [article(101).statements[0].model_copy(update={"start": 2**40})]}
    )
    huge = article(102, text="x" * (10 * 1024 * 1024))
    publish(
        settings,
        [(b"bad-json", b"{not json")]
        + [(a.id.encode(), a.to_bytes()) for a in good[:10]]
        + [(b"wrong-type", json.dumps(wrong_type).encode())]
        + [(out_of_range.id.encode(), out_of_range.to_bytes())]
        + [(huge.id.encode(), huge.to_bytes())]
        + [(a.id.encode(), a.to_bytes()) for a in good[10:]],
    )
    with sink_thread(settings):
        letters = wait_for(
            lambda: len(_letters(settings)) >= 4 and _letters(settings), 60, "four dead letters"
        )
        wait_for(lambda: len(indexed_ids(settings)) >= 20, 60, "the good articles")

    assert sorted(indexed_ids(settings)) == sorted(a.id for a in good)
    by_key = {letter.key: letter for letter in letters}
    assert len(letters) == 4
    assert by_key["bad-json"].original() == b"{not json"
    assert "invalid enriched article" in by_key["bad-json"].reason
    assert "published" in by_key["wrong-type"].reason
    rejected = by_key[out_of_range.id]
    assert "rejected by the index (HTTP 400)" in rejected.reason
    assert rejected.original() == out_of_range.to_bytes()
    big = by_key[huge.id]
    assert "exceeds sink.max_document_bytes" in big.reason
    # Too big for a dead letter on a default Kafka: a prefix and a pointer to the original.
    assert "original truncated to 65536 of" in big.reason
    assert len(big.original()) == 64 * 1024
    assert (big.topic, big.partition, big.offset) != (None, None, None)


def test_a_newer_enrichment_replaces_an_older_one_and_an_older_never_overwrites(
    settings: Settings,
) -> None:
    settings = fast(settings)
    v1, v2 = article(1, version=1, title="first"), article(1, version=2, title="second")
    publish_articles(settings, [v1, v2, v1])  # the stale one comes last, in a later batch too
    es = make_client(settings.elasticsearch.url or "", settings.elasticsearch)
    with sink_thread(settings):
        wait_for(lambda: indexed_ids(settings) == [v1.id], 30, "the article")
        wait_for(lambda: committed_total(settings) == 3, 30, "the sink to commit all three")
        publish_articles(settings, [v1])  # a replay of the old version, alone in its batch
        wait_for(lambda: committed_total(settings) == 4, 30, "the sink to commit the replay")
    hits = search_articles(es, settings.elasticsearch.index_prefix, "", SearchFilters())
    es.close()
    assert [h["title"] for h in hits] == ["second"]
    assert hits[0]["enrichment"]["version"] == 2


def test_a_sink_killed_mid_batch_and_restarted_ends_with_exactly_the_published_set(
    settings: Settings, tmp_path: Path
) -> None:
    settings = fast(settings, batch_size=100)
    published = [article(n) for n in range(800)]
    publish_articles(settings, published)
    log = tmp_path / "sink.log"
    first = start_sink_process(settings, log)
    try:
        wait_for(lambda: len(indexed_ids(settings)) >= 200, 90, "the first batches")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert len(indexed_ids(settings)) < len(published), "killed too late to mean anything"
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    second = start_sink_process(settings, log)
    try:
        wait_for(
            lambda: len(indexed_ids(settings)) >= len(published),
            120,
            "every article after the restart",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    ids = indexed_ids(settings)
    assert len(ids) == len(set(ids)), "no duplicates"
    assert set(ids) == {a.id for a in published}

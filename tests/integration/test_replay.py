"""``wirewatch replay``: dead letters after a fix, and a topic range to the processors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import read_topic, wait_for
from tests.integration.sinkkit import (
    article,
    fast,
    indexed_ids,
    publish_articles,
    sink_env,
    sink_thread,
)
from tests.integration.stages import clean_env
from wirewatch.elastic import make_client
from wirewatch.settings import Settings

pytestmark = pytest.mark.integration


def _replay(settings: Settings, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "wirewatch", "replay", *args],
        env=clean_env(**sink_env(settings)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_dead_letters_replayed_after_the_fix_are_indexed_once(settings: Settings) -> None:
    settings = fast(settings)
    alias = settings.elasticsearch.index_prefix
    es = make_client(settings.elasticsearch.url or "", settings.elasticsearch)
    # Someone created January's index by hand, with a mapping that takes no fields.
    es.indices.create(index=f"{alias}-2024.01", mappings={"dynamic": "strict", "properties": {}})
    articles = [article(n) for n in range(40)]  # days 0..39: January and February
    january = {a.id for a in articles if a.published and a.published.month == 1}
    publish_articles(settings, articles)
    with sink_thread(settings):
        wait_for(
            lambda: (
                len(read_topic(settings.kafka.url or "", settings.kafka.topics.dlq)) >= len(january)
            ),
            60,
            "January's articles in the dead-letter topic",
        )
        wait_for(lambda: len(indexed_ids(settings)) >= 40 - len(january), 30, "February's")
    es.indices.delete(index=f"{alias}-2024.01")  # the fix
    es.close()

    out = _replay(settings, "dlq")
    assert f"read {len(january)} records" in out
    assert f"indexed {len(january)}" in out
    ids = indexed_ids(settings)
    assert sorted(ids) == sorted(a.id for a in articles)
    # A second replay rewrites the same ids and versions (external_gte): no duplicates.
    again = _replay(settings, "dlq", "--stage", "sinks.elasticsearch")
    assert f"read {len(january)} records" in again
    assert "dead-lettered again 0" in again
    assert sorted(indexed_ids(settings)) == sorted(a.id for a in articles)


def test_a_topic_range_replayed_to_the_processors_lands_on_the_raw_topic(
    settings: Settings,
) -> None:
    settings = fast(settings)
    articles = [article(n) for n in range(6)]
    publish_articles(settings, articles)
    enriched = read_topic(settings.kafka.url or "", settings.kafka.topics.enriched)
    partition = enriched[0].partition
    in_partition = [r for r in enriched if r.partition == partition]
    out = _replay(
        settings,
        "enriched",
        "--to",
        "processors",
        "--partition",
        str(partition),
        "--from-offset",
        "1",
    )
    assert f"re-published {len(in_partition) - 1}" in out
    raw = read_topic(settings.kafka.url or "", settings.kafka.topics.raw)
    assert sorted(r.key for r in raw) == sorted(r.key for r in in_partition[1:])


def test_a_truncated_dead_letter_is_replayed_from_the_full_record_it_points_at(
    settings: Settings,
) -> None:
    settings = fast(settings, max_document_bytes=1024 * 1024, dlq_max_original_bytes=16 * 1024)
    big = article(7, text="embargo " * 300_000)  # ~2.4 MB: above the limit, then allowed
    publish_articles(settings, [big, article(8)])
    with sink_thread(settings):
        wait_for(
            lambda: read_topic(settings.kafka.url or "", settings.kafka.topics.dlq),
            60,
            "the large article's dead letter",
        )
        wait_for(lambda: indexed_ids(settings) == [article(8).id], 30, "the small one")
    # The fix: allow larger documents. The letter holds 16 KB; the replay reads the original.
    fixed = fast(settings, max_document_bytes=8 * 1024 * 1024)
    out = _replay(fixed, "dlq")
    assert "indexed 1" in out, out
    assert sorted(indexed_ids(settings)) == sorted([big.id, article(8).id])

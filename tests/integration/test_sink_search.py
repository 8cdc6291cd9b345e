"""Search filters over what the sink indexed: one statement must match speaker, stance, topic."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from tests.conftest import settings_env
from tests.helpers import wait_for
from tests.integration.sinkkit import article, fast, indexed_ids, publish_articles, sink_thread
from tests.integration.stages import clean_env
from wirewatch.elastic import make_client
from wirewatch.query import SearchFilters, search_articles
from wirewatch.schema import EntityRef, Statement
from wirewatch.settings import Settings

pytestmark = pytest.mark.integration


def _said(who: str, qid: str, stance: str, topic: str) -> Statement:
    return Statement(
        speaker=EntityRef(name=who, type="PERSON", canonical_id=qid),
        text=f"{who} on {topic}",
        start=0,
        end=5,
        topics=[topic],
        stance=stance,  # type: ignore[arg-type]
    )


def test_statement_filters_match_within_one_statement_and_dates_and_sources_narrow(
    settings: Settings,
) -> None:
    settings = fast(settings)
    lavrov_for = article(1).model_copy(
        update={"statements": [_said("Sergey Lavrov", "Q82955", "support", "sanctions")]}
    )
    # Lavrov opposing sanctions and supporting something else: no single statement matches.
    lavrov_mixed = article(2).model_copy(
        update={
            "statements": [
                _said("Sergey Lavrov", "Q82955", "oppose", "sanctions"),
                _said("Sergey Lavrov", "Q82955", "support", "trade"),
            ]
        }
    )
    borrell_for = article(3, source="Other Wire").model_copy(
        update={"statements": [_said("Josep Borrell", "Q57480", "support", "sanctions")]}
    )
    publish_articles(settings, [lavrov_for, lavrov_mixed, borrell_for])
    with sink_thread(settings):
        wait_for(lambda: len(indexed_ids(settings)) >= 3, 30, "three articles")
    es = make_client(settings.elasticsearch.url or "", settings.elasticsearch)
    alias = settings.elasticsearch.index_prefix

    def ids(text: str = "", **filters: object) -> set[str]:
        hits = search_articles(es, alias, text, SearchFilters(**filters))  # type: ignore[arg-type]
        return {h["id"] for h in hits}

    try:
        assert ids(speaker="Sergey Lavrov", stance="support", topic="sanctions") == {lavrov_for.id}
        assert ids(speaker="Q82955") == {lavrov_for.id, lavrov_mixed.id}
        assert ids(stance="support", topic="sanctions") == {lavrov_for.id, borrell_for.id}
        assert ids(source="Other Wire") == {borrell_for.id}
        assert ids("sanctions", speaker="Josep Borrell") == {borrell_for.id}
        assert ids(since=datetime(2024, 1, 3, tzinfo=UTC)) == {lavrov_mixed.id, borrell_for.id}
        assert ids(until=datetime(2024, 1, 3, tzinfo=UTC)) == {lavrov_for.id}
    finally:
        es.close()

    filters = ["--speaker", "Sergey Lavrov", "--stance", "support", "--topic", "sanctions"]
    done = subprocess.run(
        [sys.executable, "-m", "wirewatch", "search", "--json", *filters, "--since", "2024-01-01"],
        env=clean_env(**settings_env(settings)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == [lavrov_for.id]

"""The indexed document: the article plus flat facets of its nested values."""

from __future__ import annotations

from datetime import UTC, datetime

from sinks.documents import to_document
from wirewatch.schema import Article, Entity, EntityRef, Statement


def test_facets_flatten_speakers_targets_stances_and_entities_once_each() -> None:
    lavrov = EntityRef(name="Sergey Lavrov", type="PERSON", canonical_id="Q82955")
    eu = EntityRef(name="European Union", type="ORG", canonical_id="Q458")
    article = Article.new(
        feed="http://f",
        source="Wire",
        url="https://w/1",
        guid="g1",
        title="t",
        fetched=datetime(2024, 1, 1, tzinfo=UTC),
    ).model_copy(
        update={
            "entities": [Entity(name="Sergey Lavrov", type="PERSON", canonical_id="Q82955")],
            "statements": [
                Statement(
                    speaker=lavrov,
                    text="a",
                    start=0,
                    end=1,
                    topics=["sanctions"],
                    stance="oppose",
                    target=eu,
                ),
                Statement(
                    speaker=lavrov,
                    text="b",
                    start=2,
                    end=3,
                    topics=["sanctions"],
                    stance="oppose",
                    target=eu,
                ),
            ],
        }
    )
    doc = to_document(article)
    assert doc["facets"]["speakers"] == ["Sergey Lavrov"]
    assert doc["facets"]["speaker_ids"] == ["Q82955"]
    assert doc["facets"]["targets"] == ["European Union"]
    assert doc["facets"]["stances"] == ["oppose"]
    assert doc["facets"]["statement_topics"] == ["sanctions"]
    assert doc["facets"]["statement_count"] == 2
    assert doc["id"] == article.id and doc["statements"][0]["stance"] == "oppose"

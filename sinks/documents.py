"""From a Kafka record to the document the index holds.

The document is the article as on the wire plus ``facets``: flat copies of the nested entity
and statement values, so Kibana can aggregate them (Lens cannot aggregate nested fields).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wirewatch.schema import Article


def _unique(values: list[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def facets(article: Article) -> dict[str, Any]:
    statements = article.statements
    return {
        "entities": _unique([e.name for e in article.entities]),
        "entity_ids": _unique([e.canonical_id for e in article.entities]),
        "entity_types": _unique([e.type for e in article.entities]),
        "speakers": _unique([s.speaker.name if s.speaker else None for s in statements]),
        "speaker_ids": _unique([s.speaker.canonical_id if s.speaker else None for s in statements]),
        "targets": _unique([s.target.name if s.target else None for s in statements]),
        "stances": _unique([s.stance for s in statements]),
        "statement_topics": _unique([t for s in statements for t in s.topics]),
        "topics": _unique([t.name for t in article.topics]),
        "statement_count": len(statements),
    }


def to_document(article: Article) -> dict[str, Any]:
    document = article.model_dump(mode="json")
    document["facets"] = facets(article)
    return document


def dated(article: Article) -> datetime | None:
    """The date that picks the monthly index: the published time. Not the fetch time, which
    changes on every re-fetch and would put a second copy into another month's index."""
    return article.published

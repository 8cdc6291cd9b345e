"""Queries over the article index, shared by the CLI and (later) the API."""

from __future__ import annotations

from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError

from wirewatch.errors import ServiceError


def article_query(text: str) -> dict[str, Any]:
    """Words in the title, summary or text, or the name of an entity."""
    return {
        "bool": {
            "should": [
                {"multi_match": {"query": text, "fields": ["title^3", "summary^2", "text"]}},
                {
                    "nested": {
                        "path": "entities",
                        "score_mode": "max",
                        "query": {"match": {"entities.name.text": text}},
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }


def search_articles(
    client: Elasticsearch, alias: str, text: str, size: int = 10
) -> list[dict[str, Any]]:
    """The matching articles as indexed (``_source``), best first."""
    try:
        response = client.search(index=alias, query=article_query(text), size=size)
    except NotFoundError:
        return []  # nothing indexed yet: the alias appears with the first article
    except (ApiError, TransportError) as exc:
        raise ServiceError(f"search failed: {exc}") from exc
    return [hit["_source"] for hit in response["hits"]["hits"]]

"""Queries over the article index, shared by the CLI and (later) the API.

Filters on statements go into one ``nested`` query, so "statements by Lavrov supporting
sanctions" matches only articles where one statement has that speaker, stance and topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError

from wirewatch.errors import ServiceError


@dataclass(frozen=True)
class SearchFilters:
    """Narrow a search; every filter set must hold. Names match exactly (case included);
    canonical ids (``Q82955``) match too."""

    entity: str | None = None
    speaker: str | None = None
    topic: str | None = None
    stance: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _name_or_id(field: str, value: str) -> dict[str, Any]:
    return {
        "bool": {
            "should": [
                {"term": {f"{field}.name": value}},
                {"term": {f"{field}.canonical_id": value}},
                {"match_phrase": {f"{field}.name.text": value}},
            ],
            "minimum_should_match": 1,
        }
    }


def _filters(filters: SearchFilters) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    if filters.entity:
        clauses.append(
            {"nested": {"path": "entities", "query": _name_or_id("entities", filters.entity)}}
        )
    statement: list[dict[str, Any]] = []
    if filters.speaker:
        statement.append(_name_or_id("statements.speaker", filters.speaker))
    if filters.stance:
        statement.append({"term": {"statements.stance": filters.stance}})
    if filters.topic:
        # A topic matches a statement's topics or, without speaker/stance, the article's.
        statement.append({"term": {"statements.topics": filters.topic}})
    if statement:
        nested = {"nested": {"path": "statements", "query": {"bool": {"filter": statement}}}}
        if filters.topic and not (filters.speaker or filters.stance):
            clauses.append(
                {
                    "bool": {
                        "should": [nested, {"term": {"facets.topics": filters.topic}}],
                        "minimum_should_match": 1,
                    }
                }
            )
        else:
            clauses.append(nested)
    if filters.source:
        clauses.append({"term": {"source": filters.source}})
    if filters.since or filters.until:
        bounds: dict[str, str] = {}
        if filters.since:
            bounds["gte"] = filters.since.isoformat()
        if filters.until:
            bounds["lt"] = filters.until.isoformat()
        clauses.append({"range": {"published": bounds}})
    return clauses


def article_query(text: str, filters: SearchFilters | None = None) -> dict[str, Any]:
    """Words in the title, summary or text (English or Russian analysis), or the name of an
    entity; with no words, every article that passes the filters."""
    must: list[dict[str, Any]] = []
    if text.strip():
        must.append(
            {
                "bool": {
                    "should": [
                        {
                            "multi_match": {
                                "query": text,
                                "fields": ["title^3", "summary^2", "text", "title.ru", "text.ru"],
                            }
                        },
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
        )
    return {
        "bool": {
            "must": must or [{"match_all": {}}],
            "filter": _filters(filters or SearchFilters()),
        }
    }


def search_articles(
    client: Elasticsearch,
    alias: str,
    text: str,
    filters: SearchFilters | None = None,
    size: int = 10,
) -> list[dict[str, Any]]:
    """The matching articles as indexed (``_source``): best first, newest first without words."""
    sort: list[Any] | None = (
        None if text.strip() else [{"published": {"order": "desc", "missing": "_last"}}]
    )
    try:
        response = client.search(
            index=alias, query=article_query(text, filters), size=size, sort=sort
        )
    except NotFoundError:
        return []  # nothing indexed yet: the alias appears with the first article
    except (ApiError, TransportError) as exc:
        raise ServiceError(f"search failed: {exc}") from exc
    return [hit["_source"] for hit in response["hits"]["hits"]]

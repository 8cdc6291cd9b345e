"""The index template for articles: explicit mappings, strict, one alias over all months."""

from __future__ import annotations

from typing import Any

_KEYWORD = {"type": "keyword", "ignore_above": 1024}
_ENGLISH = {"type": "text", "analyzer": "english"}
_NAME = {"type": "keyword", "ignore_above": 512, "fields": {"text": {"type": "text"}}}
_NOT_INDEXED = {"type": "object", "enabled": False}  # kept in _source for the "why", not searched
_ENTITY_REF = {"properties": {"name": _NAME, "type": _KEYWORD, "canonical_id": _KEYWORD}}

ARTICLE_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "schema_version": {"type": "integer"},
        "id": _KEYWORD,
        "feed": _KEYWORD,
        "source": _KEYWORD,
        "url": _KEYWORD,
        "guid": _KEYWORD,
        "title": {**_ENGLISH, "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
        "summary": _ENGLISH,
        "text": _ENGLISH,
        "language": _KEYWORD,
        "published": {"type": "date"},
        "fetched": {"type": "date"},
        "content_hash": _KEYWORD,
        "tags": _KEYWORD,
        "entities": {
            "type": "nested",
            "properties": {
                "name": _NAME,
                "type": _KEYWORD,
                "canonical_id": _KEYWORD,
                "source": _KEYWORD,
                "mentions": _NOT_INDEXED,
                "version": {"type": "integer"},
            },
        },
        "statements": {
            "type": "nested",
            "properties": {
                "speaker": _ENTITY_REF,
                "text": _ENGLISH,
                "start": {"type": "integer"},
                "end": {"type": "integer"},
                "kind": _KEYWORD,
                "field": _KEYWORD,
                "topics": _KEYWORD,
                "stance": _KEYWORD,
                "target": _ENTITY_REF,
                "target_role": _KEYWORD,
                "evidence": _NOT_INDEXED,
                "confidence": {"type": "float"},
                "version": {"type": "integer"},
            },
        },
        "topics": {
            "type": "nested",
            "properties": {
                "name": _KEYWORD,
                "evidence": _NOT_INDEXED,
                "version": {"type": "integer"},
            },
        },
        "enrichment": {
            "properties": {
                "version": {"type": "integer"},
                "model": _KEYWORD,
                "enriched_at": {"type": "date"},
                "notes": {"type": "text"},
            }
        },
    },
}


def article_template(alias: str) -> dict[str, Any]:
    """The composable index template for ``ALIAS-*`` monthly indices."""
    return {
        "index_patterns": [f"{alias}-*"],
        "priority": 100,
        "template": {
            "settings": {"number_of_shards": 1},
            "mappings": ARTICLE_MAPPINGS,
            "aliases": {alias: {}},
        },
    }

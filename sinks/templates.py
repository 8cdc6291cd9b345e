"""Index templates: explicit mappings, strict, one alias over all monthly indices.

Every index family (articles here, alerts in ``sinks.alerts``) is two component templates —
``<alias>-settings`` (analysis, shards, field limits) and ``<alias>-mappings`` — and one
composable index template ``<alias>`` over ``<alias>-*`` that adds the read alias.
Composable templates exist in Elasticsearch 7.8+ and OpenSearch 1+, with the same API.
:func:`family` builds them and :func:`install_family` puts them on a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch

KEYWORD = {"type": "keyword", "ignore_above": 1024}
# English text with a Russian-analysed sub-field (``title.ru``): TASS publishes in both.
_RUSSIAN = {"type": "text", "analyzer": "russian"}
_ENGLISH = {"type": "text", "analyzer": "english", "fields": {"ru": _RUSSIAN}}
NAME = {"type": "keyword", "ignore_above": 512, "fields": {"text": {"type": "text"}}}
_NOT_INDEXED = {"type": "object", "enabled": False}  # kept in _source for the "why", not searched
_ENTITY_REF = {"properties": {"name": NAME, "type": KEYWORD, "canonical_id": KEYWORD}}

ARTICLE_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "schema_version": {"type": "integer"},
        "id": KEYWORD,
        "feed": KEYWORD,
        "source": KEYWORD,
        "url": KEYWORD,
        "guid": KEYWORD,
        "title": {
            **_ENGLISH,
            "fields": {"ru": _RUSSIAN, "raw": {"type": "keyword", "ignore_above": 512}},
        },
        "summary": _ENGLISH,
        "text": _ENGLISH,
        "language": KEYWORD,
        "published": {"type": "date"},
        "fetched": {"type": "date"},
        "content_hash": KEYWORD,
        "tags": KEYWORD,
        "entities": {
            "type": "nested",
            "properties": {
                "name": NAME,
                "type": KEYWORD,
                "canonical_id": KEYWORD,
                "source": KEYWORD,
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
                "kind": KEYWORD,
                "field": KEYWORD,
                "topics": KEYWORD,
                "stance": KEYWORD,
                "target": _ENTITY_REF,
                "target_role": KEYWORD,
                "evidence": _NOT_INDEXED,
                "confidence": {"type": "float"},
                "version": {"type": "integer"},
            },
        },
        "topics": {
            "type": "nested",
            "properties": {
                "name": KEYWORD,
                "evidence": _NOT_INDEXED,
                "version": {"type": "integer"},
            },
        },
        # Flat copies of nested values, written by the sink, for aggregations (Kibana Lens
        # cannot aggregate nested fields) and quick filters. Nested queries stay exact.
        "facets": {
            "properties": {
                "entities": KEYWORD,
                "entity_ids": KEYWORD,
                "entity_types": KEYWORD,
                "speakers": KEYWORD,
                "speaker_ids": KEYWORD,
                "targets": KEYWORD,
                "stances": KEYWORD,
                "statement_topics": KEYWORD,
                "topics": KEYWORD,
                "statement_count": {"type": "integer"},
            }
        },
        "enrichment": {
            "properties": {
                "version": {"type": "integer"},
                "model": KEYWORD,
                "enriched_at": {"type": "date"},
                "notes": {"type": "text"},
            }
        },
    },
}


# Bounded even though the mapping is strict: a bug that adds fields fails loudly, not slowly.
ARTICLE_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "auto_expand_replicas": "0-1",  # green on one node, a replica once there are two
    "refresh_interval": "1s",
    "mapping.total_fields.limit": 1000,
    "mapping.nested_fields.limit": 20,
    "mapping.nested_objects.limit": 20000,
    "mapping.depth.limit": 8,
}


@dataclass(frozen=True)
class TemplateFamily:
    """The templates of one index family: ``alias-YYYY.MM`` indices behind ``alias``."""

    alias: str
    components: dict[str, dict[str, Any]]  # name -> component template body
    index_template: dict[str, Any]

    def index_for(self, when: datetime | None) -> str:
        """The monthly index of a document dated ``when`` (same date, same index); undated
        documents share one index so that they, too, always land in the same place."""
        return f"{self.alias}-{when:%Y.%m}" if when else f"{self.alias}-undated"


def family(
    alias: str, mappings: dict[str, Any], settings: dict[str, Any], priority: int = 100
) -> TemplateFamily:
    """Component templates ``alias-settings`` and ``alias-mappings``, index template ``alias``."""
    components = {
        f"{alias}-settings": {"template": {"settings": {"index": settings}}},
        f"{alias}-mappings": {"template": {"mappings": mappings}},
    }
    return TemplateFamily(
        alias=alias,
        components=components,
        index_template={
            "index_patterns": [f"{alias}-*"],
            "composed_of": list(components),
            "priority": priority,
            "template": {"aliases": {alias: {}}},
            "_meta": {"managed_by": "wirewatch"},
        },
    )


def article_family(alias: str) -> TemplateFamily:
    return family(alias, ARTICLE_MAPPINGS, ARTICLE_SETTINGS)


def install_family(client: Elasticsearch, templates: TemplateFamily) -> None:
    """Put the component templates, then the index template that composes them."""
    for name, body in templates.components.items():
        client.cluster.put_component_template(name=name, **body)
    client.indices.put_index_template(name=templates.alias, **templates.index_template)


def mapped_fields(mappings: dict[str, Any], prefix: str = "") -> set[str]:
    """Every searchable field path of ``mappings``, sub-fields included (``title.ru``)."""
    fields: set[str] = set()
    for name, spec in mappings.get("properties", {}).items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            fields |= mapped_fields(spec, f"{path}.")
            continue
        if spec.get("enabled") is False:
            continue
        fields.add(path)
        fields |= {f"{path}.{sub}" for sub in spec.get("fields", {})}
    return fields

"""The article index template: strict, bounded, both analyzers, one family builder."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sinks.templates import ARTICLE_MAPPINGS, article_family, family, mapped_fields
from wirewatch.schema import Article


def test_article_family_is_two_component_templates_and_one_index_template_with_the_alias() -> None:
    templates = article_family("news")
    assert set(templates.components) == {"news-settings", "news-mappings"}
    assert templates.index_template["composed_of"] == ["news-settings", "news-mappings"]
    assert templates.index_template["index_patterns"] == ["news-*"]
    assert templates.index_template["template"]["aliases"] == {"news": {}}
    mappings = templates.components["news-mappings"]["template"]["mappings"]
    assert mappings["dynamic"] == "strict"
    settings = templates.components["news-settings"]["template"]["settings"]["index"]
    assert settings["mapping.total_fields.limit"] <= 1000


def test_monthly_index_is_chosen_by_the_published_month_and_undated_articles_share_one() -> None:
    templates = article_family("news")
    assert templates.index_for(datetime(2024, 3, 31, 23, 59, tzinfo=UTC)) == "news-2024.03"
    assert templates.index_for(None) == "news-undated"


def test_text_is_english_with_a_russian_subfield_and_names_are_exact_keywords() -> None:
    fields = mapped_fields(ARTICLE_MAPPINGS)
    for name in ("title", "summary", "text", "statements.text"):
        assert {name, f"{name}.ru"} <= fields
    props = ARTICLE_MAPPINGS["properties"]
    assert props["text"]["analyzer"] == "english"
    assert props["text"]["fields"]["ru"]["analyzer"] == "russian"
    statements = props["statements"]
    assert statements["type"] == "nested"  # speaker + stance + topic of the same statement
    for keyword in ("speaker.name", "speaker.canonical_id", "stance", "topics"):
        spec = statements["properties"]
        for part in keyword.split(".")[:-1]:
            spec = spec[part]["properties"]
        assert spec[keyword.split(".")[-1]]["type"] == "keyword"
    for name in ("source", "language", "facets.speakers", "facets.stances", "facets.entities"):
        assert name in fields


def test_another_family_gets_its_own_names() -> None:
    alerts = family("alerts", {"dynamic": "strict", "properties": {}}, {"number_of_shards": 1})
    assert set(alerts.components) == {"alerts-settings", "alerts-mappings"}
    assert alerts.index_for(datetime(2025, 1, 2, tzinfo=UTC)) == "alerts-2025.01"


def _schema_paths(schema: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> set[str]:
    """Every property path of a JSON Schema, through $refs, arrays and optionals."""
    if "$ref" in schema:
        return _schema_paths(defs[schema["$ref"].split("/")[-1]], defs, prefix)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return set().union(*(_schema_paths(s, defs, prefix) for s in schema[key]))
    if schema.get("type") == "array":
        return _schema_paths(schema.get("items", {}), defs, prefix)
    paths: set[str] = set()
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        paths.add(path)
        paths |= _schema_paths(sub, defs, f"{path}.")
    return paths


def _mapping_paths(mappings: dict[str, Any], prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for name, spec in mappings.get("properties", {}).items():
        paths.add(f"{prefix}{name}")
        if spec.get("enabled") is not False:
            paths |= _mapping_paths(spec, f"{prefix}{name}.")
    return paths


def _disabled(mappings: dict[str, Any], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for name, spec in mappings.get("properties", {}).items():
        if spec.get("enabled") is False:
            found.add(f"{prefix}{name}")
        found |= _disabled(spec, f"{prefix}{name}.")
    return found


def test_every_field_of_the_article_model_is_mapped_so_strict_mapping_never_rejects_it() -> None:
    schema = Article.model_json_schema()
    model = _schema_paths(schema, schema.get("$defs", {}))
    mapped = _mapping_paths(ARTICLE_MAPPINGS)
    # Below a disabled object (mentions, evidence: kept, not searched) nothing is mapped.
    disabled = {p.removesuffix(".enabled") for p in _disabled(ARTICLE_MAPPINGS)}
    unmapped = {p for p in model - mapped if not any(p.startswith(f"{d}.") for d in disabled)}
    assert not unmapped, f"add these to sinks/templates.py ARTICLE_MAPPINGS: {sorted(unmapped)}"

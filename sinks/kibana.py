"""Kibana saved objects for the desk: data views, saved searches, a dashboard.

Built here (not hand-written) so the data views follow the configured aliases;
``deploy/kibana/wirewatch.ndjson`` is this module's output for the default aliases
(``wirewatch kibana export``), and ``wirewatch kibana import`` loads it through Kibana's
saved objects API. Charts aggregate the flat ``facets.*`` fields (Kibana cannot aggregate
nested fields); saved searches use KQL nested queries, e.g. ``statements:{ topics : x }``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from wirewatch.errors import ServiceError
from wirewatch.settings import ElasticsearchSettings

ARTICLES_VIEW = "wirewatch-articles-view"
ALERTS_VIEW = "wirewatch-alerts-view"
_INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"


def _source(query: str = "") -> dict[str, str]:
    return {
        "searchSourceJSON": json.dumps(
            {
                "query": {"language": "kuery", "query": query},
                "filter": [],
                "indexRefName": _INDEX_REF,
            }
        )
    }


def _view_ref(view: str) -> list[dict[str, str]]:
    return [{"name": _INDEX_REF, "type": "index-pattern", "id": view}]


def _data_view(view_id: str, title: str, time_field: str, name: str) -> dict[str, Any]:
    return {
        "type": "index-pattern",
        "id": view_id,
        "attributes": {"title": title, "name": name, "timeFieldName": time_field},
        "references": [],
    }


def _search(
    search_id: str, title: str, view: str, query: str, columns: list[str], sort: str, about: str
) -> dict[str, Any]:
    return {
        "type": "search",
        "id": search_id,
        "attributes": {
            "title": title,
            "description": about,
            "columns": columns,
            "sort": [[sort, "desc"]],
            "kibanaSavedObjectMeta": _source(query),
        },
        "references": _view_ref(view),
    }


def _terms(agg_id: str, field: str, size: int, schema: str) -> dict[str, Any]:
    return {
        "id": agg_id,
        "enabled": True,
        "type": "terms",
        "schema": schema,
        "params": {"field": field, "size": size, "order": "desc", "orderBy": "1"},
    }


_COUNT = {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}


def _visualization(
    vis_id: str, title: str, vis_type: str, aggs: list[dict[str, Any]], params: dict[str, Any]
) -> dict[str, Any]:
    state = {"title": title, "type": vis_type, "params": params, "aggs": [_COUNT, *aggs]}
    return {
        "type": "visualization",
        "id": vis_id,
        "attributes": {
            "title": title,
            "description": "",
            "version": 1,
            "uiStateJSON": "{}",
            "visState": json.dumps(state),
            "kibanaSavedObjectMeta": _source(),
        },
        "references": _view_ref(ARTICLES_VIEW),
    }


def saved_objects(articles_alias: str, alerts_alias: str) -> list[dict[str, Any]]:
    """Every object, referenced ones before those that reference them."""
    over_time = _visualization(
        "wirewatch-stance-over-time",
        "Statements over time by stance",
        "histogram",
        [
            {
                "id": "2",
                "enabled": True,
                "type": "date_histogram",
                "schema": "segment",
                "params": {"field": "published", "interval": "auto", "min_doc_count": 1},
            },
            _terms("3", "facets.stances", 3, "group"),
        ],
        {"type": "histogram", "addLegend": True, "legendPosition": "right"},
    )
    table = {"perPage": 15, "showPartialRows": False, "showMetricsAtAllLevels": False}
    speakers = _visualization(
        "wirewatch-top-speakers",
        "Top speakers",
        "table",
        [_terms("2", "facets.speakers", 15, "bucket")],
        table,
    )
    targets = _visualization(
        "wirewatch-top-targets",
        "Top targets",
        "table",
        [_terms("2", "facets.targets", 15, "bucket")],
        table,
    )
    co_mentions = _visualization(
        "wirewatch-entity-co-mentions",
        "Entity co-mentions (articles naming both)",
        "table",
        [
            _terms("2", "facets.entities", 10, "bucket"),
            _terms("3", "facets.entities", 6, "bucket"),
        ],
        table,
    )
    alerts = _search(
        "wirewatch-latest-alerts",
        "Latest alerts",
        ALERTS_VIEW,
        "",
        ["rule", "speaker", "stance", "target", "article_title", "source"],
        "last_seen",
        "Newest alerts first.",
    )
    panels = [over_time, speakers, targets, co_mentions, alerts]
    grid = [(0, 0, 48, 14), (0, 14, 24, 15), (24, 14, 24, 15), (0, 29, 24, 15), (24, 29, 24, 15)]
    dashboard = {
        "type": "dashboard",
        "id": "wirewatch-desk",
        "attributes": {
            "title": "wirewatch: statements and alerts",
            "description": "Who says what about sanctions, and the latest alerts.",
            "timeRestore": False,
            "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}),
            "panelsJSON": json.dumps(
                [
                    {
                        "version": "8.0.0",
                        "type": obj["type"],
                        "panelIndex": str(i),
                        "gridData": {"x": x, "y": y, "w": w, "h": h, "i": str(i)},
                        "embeddableConfig": {},
                        "panelRefName": f"panel_{i}",
                    }
                    for i, (obj, (x, y, w, h)) in enumerate(zip(panels, grid, strict=True))
                ]
            ),
            "kibanaSavedObjectMeta": {
                "searchSourceJSON": json.dumps(
                    {"query": {"language": "kuery", "query": ""}, "filter": []}
                )
            },
        },
        "references": [
            {"name": f"panel_{i}", "type": obj["type"], "id": obj["id"]}
            for i, obj in enumerate(panels)
        ],
    }
    return [
        _data_view(ARTICLES_VIEW, articles_alias, "published", "wirewatch articles"),
        _data_view(ALERTS_VIEW, alerts_alias, "first_seen", "wirewatch alerts"),
        _search(
            "wirewatch-sanctions-statements",
            "Statements about sanctions",
            ARTICLES_VIEW,
            "statements:{ topics : sanctions }",
            ["title", "facets.speakers", "facets.stances", "facets.targets", "source"],
            "published",
            "Articles with a statement about sanctions, newest first.",
        ),
        _search(
            "wirewatch-statements-by-speaker",
            "Statements by speaker",
            ARTICLES_VIEW,
            'statements:{ speaker.name : "Sergey Lavrov" }',
            ["title", "facets.speakers", "facets.stances", "facets.statement_topics", "source"],
            "published",
            "Edit the speaker's name (or use speaker.canonical_id) to follow someone else.",
        ),
        *panels,
        dashboard,
    ]


def to_ndjson(objects: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(obj, sort_keys=True) + "\n" for obj in objects)


def import_objects(
    kibana_url: str, ndjson: str, auth: ElasticsearchSettings, space: str | None = None
) -> dict[str, Any]:
    """POST the objects to Kibana's ``_import`` (overwriting ours); Kibana's answer."""
    base = kibana_url.rstrip("/") + (f"/s/{space}" if space else "")
    headers = {"kbn-xsrf": "wirewatch"}
    basic: tuple[str, str] | None = None
    if auth.api_key is not None:
        headers["Authorization"] = f"ApiKey {auth.api_key.get_secret_value()}"
    elif auth.username:
        basic = (auth.username, auth.password.get_secret_value() if auth.password else "")
    verify: str | bool = str(auth.ca_certs) if auth.ca_certs else auth.verify_certs
    try:
        response = httpx.post(
            f"{base}/api/saved_objects/_import",
            params={"overwrite": "true"},
            files={"file": ("wirewatch.ndjson", ndjson.encode(), "application/ndjson")},
            headers=headers,
            auth=basic,
            verify=verify,
            timeout=60,
        )
    except httpx.HTTPError as exc:
        raise ServiceError(f"Kibana at {kibana_url} does not answer: {exc}") from exc
    if response.status_code != 200:
        raise ServiceError(
            f"Kibana refused the import (HTTP {response.status_code}): {response.text[:500]}"
        )
    answer: dict[str, Any] = response.json()
    return answer

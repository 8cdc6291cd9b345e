"""Commands for looking at the pipeline: ``search``, ``doctor``, ``schema``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from wirewatch.cli._common import app, elasticsearch_url, settings


def _utc(when: datetime | None) -> datetime | None:
    """Times without a zone are UTC, as everywhere in wirewatch."""
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


@app.command()
def search(
    query: Annotated[
        str, typer.Argument(help="words in titles, text and entity names ('' = any)")
    ] = "",
    entity: Annotated[
        str | None, typer.Option(help="articles naming this entity (name or canonical id)")
    ] = None,
    speaker: Annotated[
        str | None, typer.Option(help="with a statement by this speaker (name or id)")
    ] = None,
    topic: Annotated[
        str | None, typer.Option(help="statement or article topic, e.g. sanctions")
    ] = None,
    stance: Annotated[str | None, typer.Option(help="support, oppose or neutral")] = None,
    source: Annotated[str | None, typer.Option(help="the feed's display name")] = None,
    since: Annotated[datetime | None, typer.Option(help="published at or after")] = None,
    until: Annotated[datetime | None, typer.Option(help="published before")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per hit")] = False,
    n: Annotated[int, typer.Option("-n", "--limit", min=1, max=10_000, help="hits to show")] = 10,
) -> None:
    """Search the indexed articles (the configured index, or the running pipeline's).

    Speaker, stance and topic must hold for one and the same statement:
    ``wirewatch search --speaker "Sergey Lavrov" --stance support --topic sanctions``.
    """
    from wirewatch.elastic import make_client
    from wirewatch.query import SearchFilters, search_articles

    s = settings()
    filters = SearchFilters(
        entity=entity,
        speaker=speaker,
        topic=topic,
        stance=stance,
        source=source,
        since=_utc(since),
        until=_utc(until),
    )
    client = make_client(elasticsearch_url(s), s.elasticsearch)
    try:
        hits = search_articles(client, s.elasticsearch.index_prefix, query, filters, size=n)
    finally:
        client.close()
    for hit in hits:
        if as_json:
            print(json.dumps(hit, ensure_ascii=False))
            continue
        when = (hit.get("published") or hit.get("fetched") or "")[:16]
        print(f"{when}  [{hit.get('source')}]  {hit.get('title')}\n    {hit.get('url')}")
        entities = ", ".join(e["name"] for e in hit.get("entities", [])[:6])
        if entities:
            print(f"    entities: {entities}")
        for st in hit.get("statements", [])[:3]:
            who = (st.get("speaker") or {}).get("name", "?")
            print(f"    {who} ({st.get('stance')}): {st.get('text', '')[:120]}")
    if not hits and not as_json:
        print("no matching articles", file=sys.stderr)


@app.command()
def doctor() -> None:
    """Check that Kafka and Elasticsearch answer, and say what is wrong if not."""
    from wirewatch.doctor import run_checks

    raise typer.Exit(0 if run_checks(settings()) else 1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the article on the wire (generated from the model)."""
    from wirewatch.schema import Article

    print(json.dumps(Article.model_json_schema(), indent=2))

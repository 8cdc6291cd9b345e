"""``wirewatch kibana``: the desk's data views, saved searches and dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wirewatch.cli._common import app, settings

kibana_app = typer.Typer(help="Kibana saved objects: export them, or import them into Kibana.")
app.add_typer(kibana_app, name="kibana")


def _ndjson(file: Path | None) -> str:
    if file is not None:
        return file.read_text(encoding="utf-8")
    from sinks.kibana import saved_objects, to_ndjson

    s = settings()
    return to_ndjson(saved_objects(s.elasticsearch.index_prefix, s.alerts.index_prefix))


@kibana_app.command("export")
def export() -> None:
    """Print the saved objects (NDJSON) for the configured index aliases."""
    print(_ndjson(None), end="")


@kibana_app.command("import")
def import_(
    url: Annotated[
        str, typer.Option(envvar="WIREWATCH_KIBANA_URL", help="Kibana, e.g. https://kibana:5601")
    ],
    file: Annotated[
        Path | None, typer.Option(help="NDJSON to load (default: built for the configured aliases)")
    ] = None,
    space: Annotated[
        str | None, typer.Option(help="Kibana space (default: the default space)")
    ] = None,
) -> None:
    """Load the saved objects through Kibana's saved objects API, overwriting earlier copies.

    Credentials and TLS settings are the Elasticsearch ones (WIREWATCH_ELASTICSEARCH__API_KEY or
    __USERNAME/__PASSWORD, __CA_CERTS, __VERIFY_CERTS): Kibana accepts the same users and keys.
    """
    from sinks.kibana import import_objects

    answer = import_objects(url, _ndjson(file), settings().elasticsearch, space)
    for done in answer.get("successResults", []):
        title = done.get("meta", {}).get("title", "")
        print(f"imported {done.get('type')} {done.get('id')}  {title}")
    errors = answer.get("errors", [])
    for error in errors:
        print(f"FAILED {error.get('type')} {error.get('id')}: {error.get('error')}")
    print(f"{answer.get('successCount', 0)} objects imported, {len(errors)} failed")
    if errors or not answer.get("success", False):
        raise typer.Exit(1)

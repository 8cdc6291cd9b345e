"""Keeping the embedded index across restarts.

osmem holds everything in memory but can be seeded at start from a folder of
``NAME.index.json`` (settings, mappings, aliases) and ``NAME.ndjson`` (bulk lines) files.
``wirewatch run`` exports its indices there periodically and on shutdown, and seeds the
next start from it. Document versions travel along, so "newer wins" survives too.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, helpers

from wirewatch.errors import ServiceError

log = logging.getLogger(__name__)


def export_indices(client: Elasticsearch, pattern: str, dest: Path) -> int:
    """Write every index matching ``pattern`` to ``dest``, atomically; returns documents."""
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    total = 0
    try:
        indices: dict[str, Any] = dict(
            client.indices.get(index=pattern, ignore_unavailable=True).body
        )
        for name, meta in indices.items():
            definition = {"mappings": meta.get("mappings", {}), "aliases": meta.get("aliases", {})}
            (tmp / f"{name}.index.json").write_text(json.dumps(definition), encoding="utf-8")
            with (tmp / f"{name}.ndjson").open("w", encoding="utf-8") as out:
                for hit in helpers.scan(
                    client, index=name, query={"query": {"match_all": {}}}, version=True, size=500
                ):
                    action: dict[str, Any] = {"_id": hit["_id"]}
                    if hit.get("_version"):
                        action.update(version=hit["_version"], version_type="external")
                    out.write(json.dumps({"index": action}) + "\n")
                    out.write(json.dumps(hit["_source"]) + "\n")
                    total += 1
    except (ApiError, TransportError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ServiceError(f"cannot export the embedded index: {exc}") from exc
    old = dest.with_name(dest.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    tmp.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    return total


def seed_source(dest: Path) -> Path | None:
    """The folder to seed from: the last complete export, if any."""
    for candidate in (dest, dest.with_name(dest.name + ".old")):
        if candidate.is_dir() and any(candidate.glob("*.ndjson")):
            return candidate
    return None

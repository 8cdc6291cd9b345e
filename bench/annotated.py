"""The annotated real articles in ../shared/data (seed and ``annotated/``), as articles.

Shared by the enrichment evaluation and the throughput benchmark. The text is read from the
shared folder at run time, never copied into the repository.
"""

from __future__ import annotations

import ast
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wirewatch.schema import Article

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"


@dataclass(frozen=True)
class Annotated:
    name: str
    article: Article
    expected: dict[str, Any]


def require_shared() -> Path:
    if not SHARED.is_dir():
        sys.exit(f"skipped: the shared data folder {SHARED} is absent")
    return SHARED


def _article(name: str, title: str, text: str) -> Article:
    return Article.new(
        feed="file://" + str(SHARED),
        source="annotated",
        url=f"file:///annotated/{name}",
        guid=name,
        title=title,
        text=text,
        language="en",
    )


def _source_text(source: dict[str, Any]) -> tuple[str, str]:
    path = SHARED.parent.parent / source["path"]  # "shared/data/..." from the parent folder
    if path.suffix == ".csv":
        csv.field_size_limit(1 << 30)
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        row = rows[int(source["row"])]
        return row.get(source.get("title_field", "title"), ""), row[source.get("field", "text")]
    items = json.loads(path.read_text(encoding="utf-8"))
    item = items[int(source["index"])]
    content = item.get("content", "")
    if isinstance(content, str) and content.startswith("["):
        content = ast.literal_eval(content)
    if isinstance(content, list):
        content = "\n\n".join(str(p).strip() for p in content)
    return str(item.get("title", "")), str(content)


def load(seed: bool = True, annotated: bool = True) -> list[Annotated]:
    root = require_shared()
    result = []
    if seed:
        expected = json.loads((root / "seed" / "tass_lavrov_embargo.expected.json").read_text())
        text = (root / "seed" / "tass_lavrov_embargo.txt").read_text(encoding="utf-8")
        result.append(Annotated("seed/tass_lavrov_embargo", _article("seed", "", text), expected))
    if annotated:
        for path in sorted((root / "annotated").glob("*.expected.json")):
            expected = json.loads(path.read_text(encoding="utf-8"))
            title, text = _source_text(expected["source"])
            name = path.name.removesuffix(".expected.json")
            result.append(Annotated(name, _article(name, title, text), expected))
    return result

"""``wirewatch enrich``: text, HTML and article JSON files, offline, as JSON or readable."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from wirewatch.cli import app
from wirewatch.schema import Article

TEXT = (
    "Hungarian Prime Minister Viktor Orbán said on Friday that the EU must lift its sanctions "
    'against Russia. "They have backfired," he added.'
)
HTML = (
    "<!doctype html><html><head><title>Sunak widens sanctions</title></head><body>"
    "<nav>Home | World</nav><article><p>Rishi Sunak said Britain would impose new sanctions "
    "on Russian banks.</p><p>The measures target five lenders, the Treasury said.</p>"
    "</article></body></html>"
)


def _inputs(tmp_path: Path) -> list[str]:
    (tmp_path / "orban.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "sunak.html").write_text(HTML, encoding="utf-8")
    raw = Article.new(
        feed="https://wire.example/rss",
        source="Wire",
        url="https://wire.example/1",
        guid="1",
        title="Kremlin reacts",
        text="Dmitry Peskov said the new sanctions were illegal.",
    )
    (tmp_path / "raw.json").write_bytes(raw.to_bytes())
    return [str(tmp_path / n) for n in ("orban.txt", "sunak.html", "raw.json")]


def test_json_output_is_one_enriched_article_per_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["enrich", *_inputs(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(docs) == 3
    by_speaker = {
        s["speaker"]["name"]: s for d in docs for s in d["statements"] if "sanctions" in s["topics"]
    }
    assert by_speaker["Viktor Orbán"]["stance"] == "oppose"
    assert by_speaker["Viktor Orbán"]["target"]["name"] == "Russia"
    assert by_speaker["Rishi Sunak"]["stance"] == "support"
    assert by_speaker["Dmitry Peskov"]["stance"] == "oppose"
    for d in docs:
        Article.model_validate(d)  # shaped like the article on the wire
        for e in d["entities"]:
            assert {"name", "type"} <= e.keys()
            assert all({"start", "end", "cue"} <= m.keys() for m in e["mentions"])
    assert docs[1]["title"] == "Sunak widens sanctions" and "Home | World" not in docs[1]["text"]


def test_readable_output_shows_the_evidence(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["enrich", _inputs(tmp_path)[0]])
    assert result.exit_code == 0, result.output
    assert "OPPOSE   Viktor Orbán -> Russia" in result.stdout
    assert "[lift]" in result.stdout and "why:" in result.stdout


def test_a_missing_file_is_reported_and_the_others_still_enriched(tmp_path: Path) -> None:
    good = _inputs(tmp_path)[0]
    result = CliRunner().invoke(app, ["enrich", str(tmp_path / "nope.txt"), good, "--json"])
    assert result.exit_code == 1
    assert "cannot read" in result.stderr
    assert len([x for x in result.stdout.splitlines() if x.startswith("{")]) == 1

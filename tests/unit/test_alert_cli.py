"""``wirewatch alerts test`` and ``check``: offline, the same code path as the agent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.alert_builders import BORRELL, EMBARGO, IRAN, article, statement
from tests.integration.stages import clean_env


def wirewatch(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wirewatch", *args],
        capture_output=True,
        text=True,
        env=clean_env(WIREWATCH_DATA_DIR=str(cwd / "data")),
        timeout=120,
    )


def test_alerts_test_prints_one_json_object_per_alert_with_the_default_rules(
    tmp_path: Path,
) -> None:
    first = tmp_path / "lavrov.json"
    first.write_text(article(statement()).model_dump_json())
    # the same statement carried by a second feed, plus a new one on Iran
    second = tmp_path / "more.jsonl"
    second.write_text(
        article(statement(), guid="reuters-1", feed="https://reuters.example/rss").model_dump_json()
        + "\n"
        + article(
            statement("The EU will extend its sanctions on Iran", BORRELL, IRAN), guid="eu-1"
        ).model_dump_json()
        + "\n"
    )
    result = wirewatch("alerts", "test", str(first), str(second), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    alerts = [json.loads(line) for line in result.stdout.splitlines()]
    sanctions = [a for a in alerts if a["rule"] == "statements about sanctions"]
    assert [(a["speaker"], a["target"]) for a in sanctions] == [
        ("Sergey Lavrov", "Islamic State"),
        ("Josep Borrell", "Iran"),
    ]
    lavrov = sanctions[0]
    assert lavrov["stance"] == "support" and lavrov["topics"] == ["sanctions"]
    assert lavrov["evidence"] == EMBARGO and lavrov["count"] == 1
    assert lavrov["article_id"] == article(statement()).id


def test_alerts_test_with_a_rules_file_and_readable_output(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: iran desk\n    match: {target: iran}\n")
    path = tmp_path / "eu.json"
    path.write_text(
        article(
            statement("The EU will extend its sanctions on Iran", BORRELL, IRAN)
        ).model_dump_json()
    )
    result = wirewatch("alerts", "test", "--rules", str(rules), str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("iran desk: Josep Borrell supports sanctions (target: Iran)")
    assert "https://wire.example/wire-1" in result.stdout

    lavrov = tmp_path / "lavrov.json"
    lavrov.write_text(article(statement()).model_dump_json())
    quiet = wirewatch("alerts", "test", "--rules", str(rules), str(lavrov), cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stdout == ""
    assert "no rule fired" in quiet.stderr


def test_a_bad_rules_file_is_refused_with_file_line_and_reason(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: x\n    match:\n      stance: furious\n")
    result = wirewatch("alerts", "check", "--rules", str(rules), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{rules}:4: rule 'x': unknown stance 'furious'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_that_is_not_an_article_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.json"
    path.write_text('{"id": 3}')
    result = wirewatch("alerts", "test", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{path}: not an article record" in result.stderr

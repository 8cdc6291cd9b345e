"""``wirewatch alerts tail`` on real tansu, and a worker that refuses bad rules at start."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaProducer

from processors.alerts import Folder, load_rules
from tests.alert_builders import article, statement
from tests.conftest import settings_env
from tests.integration.stages import clean_env
from wirewatch.kafka import ensure_topics
from wirewatch.settings import Settings

pytestmark = pytest.mark.integration


def test_alerts_tail_follows_the_alerts_topic(settings: Settings) -> None:
    bootstrap = settings.kafka.url or ""
    ensure_topics(bootstrap, settings.kafka)
    [alert] = Folder().alerts([article(statement())], load_rules(), datetime.now(UTC))[:1]
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    producer.send(settings.kafka.topics.alerts, key=alert.id.encode(), value=alert.to_bytes())
    producer.flush()
    producer.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wirewatch", "alerts", "tail", "--from-beginning", "--json"],
        env=clean_env(**settings_env(settings)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "alerts tail printed nothing within 60 s"
        shown = json.loads(proc.stdout.readline())
        assert (shown["id"], shown["speaker"], shown["rule"]) == (
            alert.id,
            "Sergey Lavrov",
            alert.rule,
        )
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0


def test_the_worker_refuses_bad_rules_at_start_with_file_line_and_reason(
    settings: Settings, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: desk\n    match: {topic: sanctions}\n    throttle: often\n")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "wirewatch", "process"],
        env=clean_env(**settings_env(settings), WIREWATCH_ALERTS__RULES_FILE=str(rules)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert f"{rules}:4: rule 'desk': bad throttle 'often'" in result.stderr
    assert time.monotonic() - started < 60

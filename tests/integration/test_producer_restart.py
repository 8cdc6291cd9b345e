"""Kill the producer (SIGKILL) mid-round and restart it: nothing lost, nothing duplicated.

The broker sits behind a proxy that can delay its answers (the records are stored, the
acknowledgements are late) or cut the link (the broker is gone for the producer). Kafka
must end up holding every item exactly once per content hash.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import Item, read_topic, rss, wait_for
from tests.integration.feedsrv import RSS, Reply, Request, ScriptedServer
from tests.integration.slowbroker import SlowBroker
from wirewatch.schema import Article

pytestmark = pytest.mark.integration

FEEDS = 6
PER_ROUND = 5


class Wire:
    """Feeds whose items grow by a round at a time (no validators: every poll is a 200)."""

    def __init__(self, server: ScriptedServer) -> None:
        self.items: dict[int, list[Item]] = {n: [] for n in range(FEEDS)}
        self.urls = [server.route(f"/wire{n}.xml", self._handler(n)) for n in range(FEEDS)]

    def _handler(self, n: int) -> object:
        def handle(_: Request) -> Reply:
            return Reply(200, rss(list(self.items[n])).encode(), RSS)

        return handle

    def next_round(self, r: int) -> None:
        for n in range(FEEDS):
            new = [
                Item(f"Feed {n} round {r} item {i}", f"https://w.example/{n}/{r}/{i}")
                for i in range(PER_ROUND)
            ]
            self.items[n] = [*new, *self.items[n]]


def _count(db: Path, table: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        try:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        except sqlite3.OperationalError:
            return 0  # the producer has not created its tables yet


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    yield srv
    srv.close()


def test_kill_mid_round_with_late_acks_or_no_broker_then_restart_is_exactly_once(
    server: ScriptedServer, tmp_path: Path
) -> None:
    broker = SlowBroker(tmp_path / "broker")
    wire = Wire(server)
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(
        "feeds:\n" + "".join(f"  - url: {u}\n    interval: 0.5\n" for u in wire.urls)
    )
    data = tmp_path / "data"
    db = data / "producer.sqlite3"
    prefix = f"r{uuid.uuid4().hex[:6]}."
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")},
        "WIREWATCH_DATA_DIR": str(data),
        "WIREWATCH_KAFKA__URL": broker.bootstrap,
        "WIREWATCH_KAFKA__TOPIC_PREFIX": prefix,
        "WIREWATCH_KAFKA__PARTITIONS": "2",
        "WIREWATCH_PRODUCER__FEEDS_FILE": str(feeds_file),
        "WIREWATCH_PRODUCER__MIN_INTERVAL": "0.2",
        "WIREWATCH_PRODUCER__ADAPTIVE": "false",
        "WIREWATCH_PRODUCER__PER_HOST_MIN_GAP": "0",
        "WIREWATCH_PRODUCER__PER_HOST_CONCURRENCY": "8",
    }
    logs: list[Path] = []

    def start() -> subprocess.Popen[bytes]:
        log = tmp_path / f"producer{len(logs)}.log"
        logs.append(log)
        with log.open("wb") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "wirewatch", "produce"], env=env, stdout=out, stderr=out
            )

    def published() -> int:
        return _count(db, "published")

    def pending() -> int:
        return _count(db, "pending")

    producer = start()
    try:
        wire.next_round(1)
        wait_for(lambda: published() == FEEDS * PER_ROUND, 60, "round 1 published")

        # Round 2: the broker stores the records but its acks are 5 s late; kill meanwhile.
        broker.proxy.delay = 5.0
        wire.next_round(2)
        wait_for(lambda: pending() >= FEEDS * PER_ROUND, 30, "round 2 in flight")
        producer.send_signal(signal.SIGKILL)
        producer.wait()
        assert published() == FEEDS * PER_ROUND, "nothing of round 2 was acknowledged yet"
        broker.proxy.delay = 0.0

        producer = start()
        wait_for(lambda: published() == 2 * FEEDS * PER_ROUND and pending() == 0, 60, "round 2")
        settled = re.search(r"already_in_kafka=(\d+)", logs[-1].read_text())
        assert settled and int(settled.group(1)) > 0, "the late-acked records were found in Kafka"

        # Round 3: the broker becomes unreachable mid-round; kill; it comes back; restart.
        broker.proxy.cut()
        wire.next_round(3)
        wait_for(lambda: pending() > 0, 30, "round 3 in flight")
        producer.send_signal(signal.SIGKILL)
        producer.wait()
        broker.proxy.restore()

        producer = start()
        wait_for(lambda: published() == 3 * FEEDS * PER_ROUND and pending() == 0, 90, "round 3")
        producer.send_signal(signal.SIGTERM)
        assert producer.wait(timeout=30) == 0

        records = [
            Article.from_bytes(r.value) for r in read_topic(broker.bootstrap, f"{prefix}news.raw")
        ]
        copies = Counter((a.id, a.content_hash) for a in records)
        assert max(copies.values()) == 1, [k for k, v in copies.items() if v > 1][:5]
        expected = {item.title for items in wire.items.values() for item in items}
        assert {a.title for a in records} == expected and len(records) == len(expected)
    finally:
        if producer.poll() is None:
            producer.kill()
            producer.wait()
        broker.stop()

"""``wirewatch feeds list`` and ``wirewatch feeds check`` as an operator runs them."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from producers.state import FeedState, StateStore
from tests.helpers import Item, rss
from tests.integration.feedsrv import ScriptedServer

pytestmark = pytest.mark.integration


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    yield srv
    srv.close()


def _wirewatch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    return subprocess.run(
        [sys.executable, "-m", "wirewatch", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, **(env or {})},
        check=False,
    )


def test_feeds_check_prints_what_a_feed_holds(server: ScriptedServer) -> None:
    url = server.static("/ok.xml", rss([Item("Council extends sanctions", "https://w.example/1")]))
    done = _wirewatch("feeds", "check", url)
    assert done.returncode == 0, done.stderr
    assert "Council extends sanctions" in done.stdout
    assert "entries    1, usable 1" in done.stdout
    assert "none: every poll downloads the whole feed" in done.stdout


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        ("/html", "<html><body>hello</body></html>", 200, "FAILED to parse"),
        ("/missing", "nope", 404, "FAILED to fetch (http): HTTP 404"),
    ],
)
def test_feeds_check_fails_with_the_reason(
    server: ScriptedServer, path: str, body: str, status: int, reason: str
) -> None:
    done = _wirewatch("feeds", "check", server.static(path, body, status, "text/html"))
    assert done.returncode == 1
    assert reason in done.stdout


def test_feeds_list_shows_each_feeds_state(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "feeds:\n  - url: https://a.example/rss\n    name: Wire A\n  - https://b.example/atom\n"
    )
    store = StateStore(tmp_path / "data" / "producer.sqlite3")
    now = time.time()
    store.save_feed(
        FeedState(
            url="https://a.example/rss",
            status="error",
            last_poll=now,
            next_poll=now + 600,
            failures=3,
            last_error="https://a.example/rss: HTTP 503 Service Unavailable",
            items=42,
        )
    )
    store.close()
    env = {
        "WIREWATCH_DATA_DIR": str(tmp_path / "data"),
        "WIREWATCH_PRODUCER__FEEDS_FILE": str(feeds),
    }
    done = _wirewatch("feeds", "list", env=env)
    assert done.returncode == 0, done.stderr
    assert "Wire A" in done.stdout and "HTTP 503" in done.stdout and "items      42" in done.stdout
    assert "never polled" in done.stdout  # feed B
    as_json = _wirewatch("feeds", "list", "--json", env=env)
    assert '"failures": 3' in as_json.stdout

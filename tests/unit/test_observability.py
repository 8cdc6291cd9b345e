import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from prometheus_client import Counter

from wirewatch.observability import StatusServer

SCRAPED = Counter("wirewatch_test_scrapes_total", "A counter only this test moves")


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def health_state() -> dict[str, Any]:
    return {"ok": True}


def test_metrics_and_health_follow_the_stage(health_state: dict[str, Any]) -> None:
    server = StatusServer("127.0.0.1", 0, lambda: (health_state["ok"], {"stage": "sink"})).start()
    try:
        SCRAPED.inc(3)
        status, body = _get(server.url + "/metrics")
        assert status == 200 and b"wirewatch_test_scrapes_total 3.0" in body

        status, body = _get(server.url + "/healthz")
        assert (status, json.loads(body)) == (200, {"ok": True, "stage": "sink"})

        health_state["ok"] = False  # e.g. the index refuses writes
        status, body = _get(server.url + "/healthz")
        assert status == 503 and json.loads(body)["ok"] is False

        assert _get(server.url + "/nothing")[0] == 404
    finally:
        server.stop()

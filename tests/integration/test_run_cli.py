"""`wirewatch run` as a user runs it: one command, embedded services, Ctrl-C to stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import SEED_ARTICLE, FeedServer, Item, rss, wait_for
from tests.integration.stages import clean_env

pytestmark = pytest.mark.integration

FALLBACK_TEXT = (
    "MOSCOW, October 4. /TASS/. Russia suggests imposing a full trade-economic embargo "
    "on the territories seized by Islamic State, Russian Foreign Minister Sergey "
    "Lavrov said on Wednesday."
)


def seed_item() -> Item:
    text = SEED_ARTICLE.read_text(encoding="utf-8") if SEED_ARTICLE.exists() else FALLBACK_TEXT
    return Item(
        "Moscow wants US to coordinate actions with Syrian army, Russian air group",
        "https://tass.com/politics/968000",
        guid="https://tass.com/politics/968000",
        description=text[:300],
        content=text,
        published=datetime(2017, 10, 4, 12, 0, tzinfo=UTC),
    )


def wirewatch(data_dir: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wirewatch", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(WIREWATCH_DATA_DIR=str(data_dir)),
    )


def search_json(data_dir: Path, query: str) -> list[dict[str, Any]]:
    done = wirewatch(data_dir, "search", query, "--json")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes, but only its parent can reap it.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@contextmanager
def running(data_dir: Path, feeds: Path, log: Path) -> Iterator[subprocess.Popen[str]]:
    with log.open("a") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wirewatch", "run", "--feeds", str(feeds)],
            env=clean_env(WIREWATCH_DATA_DIR=str(data_dir)),
            text=True,
            stdout=out,
            stderr=out,
        )
    try:
        wait_for(
            lambda: (data_dir / "run.json").exists() or proc.poll() is not None,
            60,
            "wirewatch run to record its endpoints",
        )
        assert proc.poll() is None, log.read_text()[-3000:]
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop_with_ctrl_c(proc: subprocess.Popen[str], data_dir: Path) -> None:
    pids = json.loads((data_dir / "run.json").read_text())
    children = list(pids["service_pids"].values()) + [s["pid"] for s in pids["stages"].values()]
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=15)
    elapsed = time.monotonic() - started
    assert code == 0
    assert elapsed < 10, f"Ctrl-C took {elapsed:.1f} s"
    assert not [pid for pid in children if _alive(pid)], "servers or stages left running"
    assert not (data_dir / "run.json").exists()


def _feeds(tmp_path: Path, feed_server: FeedServer) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        f"feeds:\n  - url: {feed_server.url('/tass.xml')}\n    name: Local TASS\n    interval: 1\n"
    )
    return path


def test_run_makes_the_seed_article_searchable_and_ctrl_c_stops_everything(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.serve("/tass.xml", rss([seed_item()]))
    data_dir = tmp_path / "data"
    with running(data_dir, _feeds(tmp_path, feed_server), tmp_path / "run.log") as proc:
        hits = wait_for(lambda: search_json(data_dir, "embargo"), 60, "the seed article")
        (article,) = hits
        assert article["url"] == "https://tass.com/politics/968000"
        people = {e["name"] for e in article["entities"] if e["type"] == "PERSON"}
        assert "Sergey Lavrov" in people
        assert all({"name", "type"} <= set(e) for e in article["entities"])
        doctor = wirewatch(data_dir, "doctor")
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        stop_with_ctrl_c(proc, data_dir)


def test_a_restarted_run_keeps_what_was_searchable_and_new_items_still_flow(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.serve("/tass.xml", rss([seed_item()]))
    data_dir, feeds, log = tmp_path / "data", _feeds(tmp_path, feed_server), tmp_path / "run.log"
    with running(data_dir, feeds, log) as proc:
        wait_for(lambda: search_json(data_dir, "embargo"), 60, "the seed article")
        stop_with_ctrl_c(proc, data_dir)

    # The feed moves on while wirewatch is down: the old item has dropped out of it.
    feed_server.serve(
        "/tass.xml",
        rss(
            [
                Item(
                    "Council extends sanctions on Mali",
                    "https://tass.com/world/970001",
                    content="The UN Security Council extended sanctions on Mali, diplomats said.",
                )
            ]
        ),
    )
    with running(data_dir, feeds, log) as proc:
        # Searchable from the first moment, although neither broker nor feed has it any more.
        assert search_json(data_dir, "embargo"), "the index did not survive the restart"
        wait_for(lambda: search_json(data_dir, "Mali"), 60, "the new item after the restart")
        stop_with_ctrl_c(proc, data_dir)

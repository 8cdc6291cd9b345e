"""The processors' Faust consumer fetches with a short wait (seconds from wire to inbox)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from processors.app import create_app
from processors.transport import FETCH_MAX_WAIT_MS
from wirewatch.settings import load_settings


def test_the_faust_consumer_fetches_with_the_short_wait(tmp_path: Path) -> None:
    settings = load_settings(None).model_copy(update={"data_dir": tmp_path})

    async def built() -> int:
        app = create_app(settings, "127.0.0.1:9")  # never connects: only built
        consumer = app.consumer._thread._create_worker_consumer(app.transport)
        try:
            return int(consumer._fetch_max_wait_ms)
        finally:
            await consumer.stop()

    assert asyncio.run(built()) == FETCH_MAX_WAIT_MS == 100

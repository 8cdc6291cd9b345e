"""The producer against a local feed server and a real broker."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from producers.feeds import FeedConfig
from producers.fetcher import Fetcher, Limits
from producers.publisher import Publisher
from producers.scheduler import FeedPoller
from producers.state import StateStore
from tests.helpers import FeedServer, Item, read_topic, rss
from wirewatch.embedded import Tansu, free_port
from wirewatch.kafka import cluster_id, ensure_topics, make_producer
from wirewatch.settings import Settings

pytestmark = pytest.mark.integration


def _poller(
    settings: Settings, feeds: list[FeedConfig], tmp_path: Path, **producer_options: int
) -> tuple[FeedPoller, StateStore, Publisher]:
    bootstrap = settings.kafka.url or ""
    ensure_topics(bootstrap, settings.kafka)
    state = StateStore(tmp_path / "producer.sqlite3")
    publisher = Publisher(make_producer(bootstrap, **producer_options), settings.kafka.topics.raw)
    fetcher = Fetcher(user_agent="wirewatch-test", limits=Limits(total=2.0, connect=1.0, read=2.0))
    producer_settings = settings.producer.model_copy(
        update={"min_interval": 0.2, "per_host_min_gap": 0.0, "per_host_concurrency": 4}
    )
    return (
        FeedPoller(feeds, fetcher, publisher, state, cluster_id(bootstrap), producer_settings),
        state,
        publisher,
    )


def test_broken_and_unreachable_feeds_are_logged_and_retried_while_good_ones_flow(
    settings: Settings, feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = feed_server.serve("/good.xml", rss([Item("Good news", "https://wire.example/g/1")]))
    broken = feed_server.serve("/broken.xml", "<rss><channel><item><title>unclosed")
    failing = feed_server.serve("/down.xml", "oops", status=500)
    unreachable = f"http://127.0.0.1:{free_port()}/feed.xml"  # nothing listens there
    feeds = [FeedConfig(url=u, interval=0.2) for u in (broken, failing, unreachable, good)]
    poller, state, publisher = _poller(settings, feeds, tmp_path)

    async def run_until_retried() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop))
        deadline = asyncio.get_running_loop().time() + 30
        while asyncio.get_running_loop().time() < deadline:
            if all(state.feed(u).failures >= 2 for u in (broken, failing, unreachable)):
                break
            await asyncio.sleep(0.1)
        stop.set()
        await task
        await poller.fetcher.aclose()

    with caplog.at_level(logging.WARNING, logger="producers"):
        asyncio.run(run_until_retried())
    publisher.close()

    for url, reason in (
        (broken, "not a usable feed"),
        (failing, "HTTP 500"),
        (unreachable, "ConnectError"),
    ):
        feed_state = state.feed(url)
        assert feed_state.failures >= 2, f"{url} was not retried"
        assert reason in (feed_state.last_error or ""), feed_state.last_error
        assert any(getattr(r, "feed", None) == url for r in caplog.records), f"{url} not logged"
    assert state.feed(good).status in ("ok", "unchanged") and state.feed(good).failures == 0
    records = read_topic(settings.kafka.url or "", settings.kafka.topics.raw)
    assert len(records) == 1, "the good feed's item is published exactly once"
    state.close()


def test_an_item_is_seen_only_after_the_broker_acknowledged_it(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    broker = Tansu(tmp_path / "own-broker").start()  # this test stops its broker
    settings = settings.model_copy(
        update={"kafka": settings.kafka.model_copy(update={"url": broker.bootstrap})}
    )
    items = [Item("One", "https://wire.example/1"), Item("Two", "https://wire.example/2")]
    url = feed_server.serve("/w.xml", rss(items))
    feed = FeedConfig(url=url)
    poller, state, publisher = _poller(
        settings,
        [feed],
        tmp_path,
        max_block_ms=2000,
        delivery_timeout_ms=3000,
        request_timeout_ms=1000,
    )
    try:
        outcome = asyncio.run(poller.poll_once(feed))
        assert (outcome.status, outcome.new) == ("ok", 2)
        assert asyncio.run(poller.poll_once(feed)).new == 0, "seen items are not re-published"

        feed_server.serve("/w.xml", rss([*items, Item("Three", "https://wire.example/3")]))
        broker.stop()
        outcome = asyncio.run(poller.poll_once(feed))
        assert outcome.status == "error" and "not acknowledged" in (outcome.error or "")
        assert state.published_count() == 2, "an item the broker never acknowledged is not seen"
        assert state.feed(url).etag is None
    finally:
        publisher.producer.close(timeout=0)
        broker.stop()
        state.close()

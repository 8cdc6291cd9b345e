"""The feed producer: polls RSS/Atom feeds and publishes new articles to ``news.raw``.

Public surface: :func:`run` (the long-running stage), :func:`load_feeds`, :class:`FeedConfig`.
"""

from __future__ import annotations

import asyncio
import logging

from producers.feeds import FeedConfig, load_feeds
from producers.fetcher import Fetcher
from producers.publisher import Publisher
from producers.scheduler import FeedPoller
from producers.state import StateStore
from wirewatch.kafka import cluster_id, ensure_topics, make_producer
from wirewatch.settings import Settings

__all__ = ["FeedConfig", "load_feeds", "run"]

log = logging.getLogger(__name__)


async def run(settings: Settings, bootstrap: str, stop: asyncio.Event) -> None:
    """Poll the configured feeds into Kafka until ``stop`` is set."""
    feeds = load_feeds(settings.producer.feeds_file)
    await asyncio.to_thread(ensure_topics, bootstrap, settings.kafka)
    cluster = await asyncio.to_thread(cluster_id, bootstrap)
    state = StateStore(settings.data_dir / "producer.sqlite3")
    publisher = Publisher(make_producer(bootstrap), settings.kafka.topics.raw)
    fetcher = Fetcher(
        user_agent=settings.producer.user_agent,
        timeout=settings.producer.timeout,
        max_bytes=settings.producer.max_feed_bytes,
    )
    try:
        await FeedPoller(feeds, fetcher, publisher, state, cluster, settings.producer).run(stop)
    finally:
        await fetcher.aclose()
        await asyncio.to_thread(publisher.close)
        state.close()
        log.info("producer stopped")

"""The feed producer: polls RSS/Atom feeds and publishes new articles to ``news.raw``.

Public surface: :func:`run` (the long-running stage), :func:`load_feeds`, :class:`FeedConfig`.

Inside: ``feeds`` (the list), ``fetcher`` (HTTP with limits), ``politeness`` (per-host
limits), ``schedule`` (when to poll next), ``parser`` with ``encoding``, ``xmlguard`` and
``fastrss`` (bytes to articles), ``parsing`` (where parsing runs), ``fulltext`` and
``robots`` (article pages), ``items`` (dedupe and publish), ``state`` and ``recovery``
(what was published, across crashes), ``scheduler`` (the per-feed loops), ``publisher``
(Kafka), ``metrics``.
"""

from __future__ import annotations

import asyncio
import logging

from producers.feeds import FeedConfig, load_feeds
from producers.fetcher import Fetcher, Limits
from producers.fulltext import FullText
from producers.parsing import Parsing
from producers.politeness import HostLimiter
from producers.publisher import Publisher
from producers.recovery import settle_pending
from producers.scheduler import FeedPoller
from producers.state import StateStore
from wirewatch.kafka import cluster_id, ensure_topics, make_producer
from wirewatch.settings import ProducerSettings, Settings

__all__ = ["FeedConfig", "load_feeds", "run"]

log = logging.getLogger(__name__)


def user_agent(settings: ProducerSettings) -> str:
    if not settings.contact:
        return settings.user_agent
    return f"{settings.user_agent} (contact: {settings.contact})"


async def run(settings: Settings, bootstrap: str, stop: asyncio.Event) -> None:
    """Poll the configured feeds into Kafka until ``stop`` is set."""
    s = settings.producer
    feeds = load_feeds(s.feeds_file)
    await asyncio.to_thread(ensure_topics, bootstrap, settings.kafka)
    cluster = await asyncio.to_thread(cluster_id, bootstrap)
    state = StateStore(settings.data_dir / "producer.sqlite3")
    topic = settings.kafka.topics.raw
    await asyncio.to_thread(settle_pending, state, bootstrap, topic, cluster)
    publisher = Publisher(make_producer(bootstrap), topic)
    fetcher = Fetcher(user_agent=user_agent(s), limits=Limits.for_feeds(s))
    limiter = HostLimiter(
        total=s.concurrency, per_host=s.per_host_concurrency, min_gap=s.per_host_min_gap
    )
    wants_text = s.full_text or any(f.full_text for f in feeds)
    fulltext = FullText(fetcher, limiter, s) if wants_text else None
    parsing = Parsing(s.parse_processes)
    try:
        poller = FeedPoller(
            feeds,
            fetcher,
            publisher,
            state,
            cluster,
            s,
            limiter=limiter,
            fulltext=fulltext,
            parsing=parsing,
        )
        await poller.run(stop)
    finally:
        parsing.close()
        await fetcher.aclose()
        await asyncio.to_thread(publisher.close)
        state.close()
        log.info("producer stopped")

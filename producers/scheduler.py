"""Polling every feed on its own schedule until told to stop.

Each feed has its own task: a slow, broken or unreachable feed is logged with its URL and
retried later with exponential backoff, and never holds up the others.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, replace

from producers import metrics
from producers.feeds import FeedConfig
from producers.fetcher import Fetcher
from producers.parser import parse_feed
from producers.publisher import Publisher
from producers.state import FeedState, StateStore
from wirewatch.errors import FetchError, ParseError, ServiceError
from wirewatch.schema import Article
from wirewatch.settings import ProducerSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollResult:
    status: str  # ok | not_modified | error
    new: int = 0
    updated: int = 0
    error: str | None = None  # the failure, or what was wrong with a feed that still worked


class FeedPoller:
    def __init__(
        self,
        feeds: list[FeedConfig],
        fetcher: Fetcher,
        publisher: Publisher,
        state: StateStore,
        cluster_id: str,
        settings: ProducerSettings,
    ) -> None:
        self.feeds = feeds
        self.fetcher = fetcher
        self.publisher = publisher
        self.state = state
        self.cluster_id = cluster_id
        self.settings = settings
        self._slots = asyncio.Semaphore(settings.concurrency)

    def interval(self, feed: FeedConfig) -> float:
        return max(feed.interval or self.settings.default_interval, self.settings.min_interval)

    def backoff(self, feed: FeedConfig, failures: int) -> float:
        """Exponential backoff with jitter, capped; never shorter than the feed's interval."""
        growth = 2.0 ** max(failures - 1, 0)
        delay = min(self.settings.max_backoff, self.interval(feed) * growth)
        return delay * random.uniform(0.8, 1.2)

    async def poll_once(self, feed: FeedConfig) -> PollResult:
        """Fetch, parse and publish one feed; record the outcome in the state store."""
        state = self.state.feed(feed.url)
        etag, last_modified = state.validators_for(self.cluster_id)
        started = time.monotonic()
        try:
            async with self._slots:
                result = await self.fetcher.fetch(feed.url, etag=etag, last_modified=last_modified)
            metrics.FETCH_SECONDS.labels(feed.url).observe(time.monotonic() - started)
            if result.not_modified:
                self._record(state, feed, PollResult("not_modified"))
                return PollResult("not_modified")
            parsed = await asyncio.to_thread(parse_feed, result.content, result.headers, feed)
            new, updated = await self._publish_new(parsed.articles)
        except (FetchError, ParseError, ServiceError) as exc:
            kind = {FetchError: "fetch", ParseError: "parse"}.get(type(exc), "publish")
            metrics.ERRORS.labels(feed.url, kind).inc()
            outcome = PollResult("error", error=str(exc))
            self._record(state, feed, outcome)
            return outcome
        outcome = PollResult(
            "ok", new=new, updated=updated, error="; ".join(parsed.problems) or None
        )
        self._record(
            replace(state, etag=result.etag, last_modified=result.last_modified), feed, outcome
        )
        return outcome

    async def _publish_new(self, articles: list[Article]) -> tuple[int, int]:
        new = updated = 0
        pending = []
        for article in articles:
            seen_hash = self.state.published_hash(self.cluster_id, article.id)
            if seen_hash == article.content_hash:
                continue
            pending.append((article, seen_hash is not None))
        results = await asyncio.gather(
            *(self.publisher.publish(a) for a, _ in pending), return_exceptions=True
        )
        failure: BaseException | None = None
        for (article, is_update), outcome in zip(pending, results, strict=True):
            if isinstance(outcome, BaseException):
                failure = failure or outcome
                continue
            # Only now, after the broker's ack, is the item seen.
            self.state.mark_published(self.cluster_id, article.id, article.content_hash)
            metrics.ITEMS.labels(article.feed, "updated" if is_update else "new").inc()
            updated += is_update
            new += not is_update
        if failure is not None:
            raise ServiceError(
                f"{len(pending) - new - updated} of {len(pending)} items not "
                f"acknowledged by Kafka: {failure}"
            ) from failure
        return new, updated

    def _record(self, state: FeedState, feed: FeedConfig, outcome: PollResult) -> None:
        now = time.time()
        failures = state.failures + 1 if outcome.status == "error" else 0
        delay = self.backoff(feed, failures) if failures else self.interval(feed)
        self.state.save_feed(
            replace(
                state,
                cluster_id=self.cluster_id if outcome.status != "error" else state.cluster_id,
                last_poll=now,
                next_poll=now + delay,
                status=outcome.status,
                failures=failures,
                last_error=outcome.error,
                items=state.items + outcome.new + outcome.updated,
            )
        )
        metrics.POLLS.labels(feed.url, outcome.status).inc()
        if outcome.status == "error":
            log.warning(
                "feed poll failed; will retry",
                extra={
                    "feed": feed.url,
                    "error": outcome.error,
                    "failures": failures,
                    "retry_in_s": round(delay, 1),
                },
            )
        elif outcome.error:
            log.warning(
                "feed polled with problems",
                extra={
                    "feed": feed.url,
                    "problems": outcome.error,
                    "new": outcome.new,
                    "updated": outcome.updated,
                },
            )
        elif outcome.new or outcome.updated:
            log.info(
                "feed polled",
                extra={"feed": feed.url, "new": outcome.new, "updated": outcome.updated},
            )

    def _first_delay(self, feed: FeedConfig) -> float:
        state = self.state.feed(feed.url)
        if state.cluster_id != self.cluster_id or state.next_poll is None:
            return 0.0  # a new broker, or a new feed: poll now
        return max(0.0, state.next_poll - time.time())

    async def _feed_loop(self, feed: FeedConfig, stop: asyncio.Event) -> None:
        delay = self._first_delay(feed)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
                return
            except TimeoutError:
                pass
            try:
                await self.poll_once(feed)
            except Exception:  # a bug must not stop the other feeds, nor this one's retries
                log.exception("unexpected error polling feed", extra={"feed": feed.url})
            next_poll = self.state.feed(feed.url).next_poll
            delay = max(0.0, (next_poll or time.time() + self.interval(feed)) - time.time())

    async def run(self, stop: asyncio.Event) -> None:
        log.info("polling feeds", extra={"feeds": len(self.feeds), "cluster_id": self.cluster_id})
        await asyncio.gather(*(self._feed_loop(feed, stop) for feed in self.feeds))

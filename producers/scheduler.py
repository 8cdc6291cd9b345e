"""Polling every feed on its own schedule until told to stop.

Each feed has its own task: a slow, broken or unreachable feed is logged with its URL and
retried later with exponential backoff, and never holds up the others. Requests go through
the host limiter (politeness); when to poll next is ``producers.schedule``'s business.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from producers import metrics, schedule
from producers.feeds import FeedConfig
from producers.fetcher import Fetcher, FetchFailed, FetchResult
from producers.fulltext import FullText
from producers.items import ItemPublisher
from producers.parser import ParsedFeed
from producers.parsing import Parsing
from producers.politeness import HostLimiter
from producers.publisher import Publisher
from producers.state import FeedState, StateStore
from wirewatch.errors import ParseError, ServiceError
from wirewatch.settings import ProducerSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollResult:
    status: str  # ok | not_modified | unchanged | error | gone
    new: int = 0
    updated: int = 0
    error: str | None = None  # the failure, or what was wrong with a feed that still worked
    kind: str | None = None  # of the failure: connect, timeout, too_large, parse, publish, ...
    retry_after: float | None = None


class FeedPoller:
    def __init__(
        self,
        feeds: list[FeedConfig],
        fetcher: Fetcher,
        publisher: Publisher,
        state: StateStore,
        cluster_id: str,
        settings: ProducerSettings,
        *,
        limiter: HostLimiter | None = None,
        fulltext: FullText | None = None,
        parsing: Parsing | None = None,
    ) -> None:
        self.feeds = feeds
        self.fetcher = fetcher
        self.state = state
        self.cluster_id = cluster_id
        self.settings = settings
        self.limiter = limiter or HostLimiter(
            total=settings.concurrency,
            per_host=settings.per_host_concurrency,
            min_gap=settings.per_host_min_gap,
        )
        self.parsing = parsing or Parsing(0)
        self._processing = asyncio.Semaphore(settings.concurrency)
        self.items = ItemPublisher(state, publisher, cluster_id, fulltext, settings.full_text)

    async def poll_once(self, feed: FeedConfig) -> PollResult:
        """Fetch, parse and publish one feed; record the outcome in the state store."""
        state = self.state.feed(feed.url)
        if state.retired:
            return PollResult("gone", error=state.last_error)
        etag, last_modified = state.validators_for(self.cluster_id)
        parsed: ParsedFeed | None = None
        try:
            async with self.limiter.slot(state.fetch_url):
                result = await self.fetcher.fetch(
                    state.fetch_url, etag=etag, last_modified=last_modified
                )
            metrics.fetch_latency(feed.url, result.seconds)
            state = self._follow_move(state, feed, result)
            if result.not_modified:
                return self._record(state, feed, PollResult("not_modified"), result)
            body_hash = hashlib.sha256(result.content).hexdigest()[:32]
            if body_hash == state.body_hash and state.cluster_id == self.cluster_id:
                # Same bytes as last time from a server without validators: nothing to parse.
                return self._record(state, feed, PollResult("unchanged"), result)
            # Bounded like fetching: a burst of changed feeds must not hold every parsed
            # article and Kafka future in memory at once.
            async with self._processing:
                parsed = await self.parsing.parse(result.content, result.headers, feed)
                published = await self.items.publish(parsed.articles, feed)
        except FetchFailed as exc:
            outcome = PollResult(
                "gone" if exc.kind == "gone" else "error",
                error=str(exc),
                kind=exc.kind,
                retry_after=exc.retry_after,
            )
            return self._record(state, feed, outcome)
        except (ParseError, ServiceError) as exc:
            kind = "parse" if isinstance(exc, ParseError) else "publish"
            return self._record(state, feed, PollResult("error", error=str(exc), kind=kind))
        problems = "; ".join([*parsed.problems, *published.problems]) or None
        outcome = PollResult("ok", published.new, published.updated, error=problems)
        state = replace(
            state,
            etag=result.etag,
            last_modified=result.last_modified,
            body_hash=body_hash,
        )
        return self._record(state, feed, outcome, result, parsed)

    def _follow_move(self, state: FeedState, feed: FeedConfig, result: FetchResult) -> FeedState:
        if result.moved_to and result.moved_to != state.fetch_url:
            log.warning(
                "feed moved permanently; polling its new URL from now on",
                extra={"feed": feed.url, "from": state.fetch_url, "to": result.moved_to},
            )
            return replace(state, current_url=result.moved_to)
        return state

    def _delay(
        self,
        state: FeedState,
        feed: FeedConfig,
        outcome: PollResult,
        failures: int,
        result: FetchResult | None,
        parsed: ParsedFeed | None,
    ) -> float:
        if failures:
            return schedule.failure_delay(feed, self.settings, failures, outcome.retry_after)
        if parsed is None:  # 304 or unchanged: the feed's rhythm has not changed
            previous = state.interval if state.cluster_id == self.cluster_id else None
            return schedule.jittered(
                schedule.healthy_delay(
                    feed, self.settings, headers=result.headers if result else {}, previous=previous
                )
            )
        return schedule.jittered(
            schedule.healthy_delay(
                feed,
                self.settings,
                published=parsed.published,
                now=datetime.now(UTC),
                ttl=parsed.ttl,
                headers=result.headers if result else {},
            )
        )

    def _record(
        self,
        state: FeedState,
        feed: FeedConfig,
        outcome: PollResult,
        result: FetchResult | None = None,
        parsed: ParsedFeed | None = None,
    ) -> PollResult:
        now = time.time()
        failed = outcome.status in ("error", "gone")
        failures = state.failures + 1 if failed else 0
        delay = self._delay(state, feed, outcome, failures, result, parsed)
        self.state.save_feed(
            replace(
                state,
                cluster_id=state.cluster_id if failed else self.cluster_id,
                last_poll=now,
                next_poll=now + delay,
                status=outcome.status,
                failures=failures,
                last_error=outcome.error,
                items=state.items + outcome.new + outcome.updated,
                interval=state.interval if failed else delay,
                retired=outcome.status == "gone",
                last_new=now if outcome.new or outcome.updated else state.last_new,
            )
        )
        metrics.poll(feed.url, outcome.status)
        if failed:
            metrics.error(feed.url, outcome.kind or "unknown")
        self._log(feed, outcome, failures, delay)
        return outcome

    def _log(self, feed: FeedConfig, outcome: PollResult, failures: int, delay: float) -> None:
        if outcome.status == "gone":
            log.warning(
                "feed is gone (HTTP 410); retired, no more polls",
                extra={"feed": feed.url, "error": outcome.error},
            )
        elif outcome.status == "error":
            log.warning(
                "feed poll failed; will retry",
                extra={
                    "feed": feed.url,
                    "kind": outcome.kind,
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
                    "problems": outcome.error[:2000],
                    "new": outcome.new,
                    "updated": outcome.updated,
                },
            )
        elif outcome.new or outcome.updated:
            log.info(
                "feed polled",
                extra={"feed": feed.url, "new": outcome.new, "updated": outcome.updated},
            )

    def _first_delay(self, feed: FeedConfig) -> float | None:
        state = self.state.feed(feed.url)
        if state.retired:
            return None
        if state.next_poll is None:
            return 0.0  # a new feed: poll now
        if state.cluster_id != self.cluster_id and not state.failures:
            return 0.0  # a new broker needs everything again; a failing feed keeps its backoff
        return max(0.0, state.next_poll - time.time())

    async def _feed_loop(self, feed: FeedConfig, stop: asyncio.Event) -> None:
        delay = self._first_delay(feed)
        if delay is None:
            log.info("feed is retired (it answered 410 Gone); not polled", extra={"feed": feed.url})
            return
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
                return
            except TimeoutError:
                pass
            try:
                outcome = await self.poll_once(feed)
            except Exception:  # a bug must not stop the other feeds, nor this one's retries
                log.exception("unexpected error polling feed", extra={"feed": feed.url})
                delay = schedule.failure_delay(feed, self.settings, 1)
                continue
            if outcome.status == "gone":
                return
            next_poll = self.state.feed(feed.url).next_poll
            fallback = time.time() + schedule.base_interval(feed, self.settings)
            delay = max(0.0, (next_poll or fallback) - time.time())

    async def run(self, stop: asyncio.Event) -> None:
        log.info("polling feeds", extra={"feeds": len(self.feeds), "cluster_id": self.cluster_id})
        await asyncio.gather(*(self._feed_loop(feed, stop) for feed in self.feeds))

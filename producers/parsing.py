"""Where feeds are parsed: worker processes, so parsing uses another core and a huge or
hostile feed never stalls the event loop that fetches and publishes the others.

feedparser is pure Python and holds the GIL; in a thread it slows every other feed's fetch.
With ``processes=0`` (tests, tiny deployments) parsing runs in a thread instead. A worker
that dies (out of memory on some monstrous feed) is replaced and the feed reported.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from producers.feeds import FeedConfig
from producers.parser import ParsedFeed, parse_feed
from wirewatch.embedded import die_with_parent
from wirewatch.errors import ParseError

log = logging.getLogger(__name__)


class Parsing:
    def __init__(self, processes: int = 0) -> None:
        self.processes = processes
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor | None:
        if self.processes <= 0:
            return None
        # spawn, not fork: the producer has Kafka and HTTP threads a fork would copy mid-flight.
        return ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=die_with_parent,
        )

    async def parse(self, content: bytes, headers: dict[str, str], feed: FeedConfig) -> ParsedFeed:
        pool = self._pool
        if pool is None:
            return await asyncio.to_thread(parse_feed, content, headers, feed)
        try:
            return await asyncio.get_running_loop().run_in_executor(
                pool, parse_feed, content, headers, feed
            )
        except BrokenProcessPool as exc:
            log.error("feed parser process died; starting a new one", extra={"feed": feed.url})
            if self._pool is pool:
                self._pool = self._new_pool()
                pool.shutdown(wait=False, cancel_futures=True)
            raise ParseError(f"{feed.url}: the parser process died on this feed") from exc

    def worker_pids(self) -> list[int]:
        """Process ids of the parser workers (for memory accounting)."""
        processes = getattr(self._pool, "_processes", None) or {}
        return list(processes)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

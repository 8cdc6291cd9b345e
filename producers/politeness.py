"""Politeness towards the sites we poll: few requests at a time, and a gap between them.

Every request (feed, robots.txt, article page) takes a slot from :class:`HostLimiter` first:
at most ``per_host`` requests in flight to one host, starts at least ``min_gap`` seconds
apart, and at most ``total`` in flight overall.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class HostLimiter:
    def __init__(self, *, total: int, per_host: int, min_gap: float) -> None:
        self.per_host = per_host
        self.min_gap = min_gap
        self._total = asyncio.Semaphore(total)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        host = host_of(url)
        per_host = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        async with per_host:
            # Reserve a start time before waiting, so waiters keep their order and spacing.
            now = time.monotonic()
            start = max(now, self._next_start.get(host, 0.0))
            self._next_start[host] = start + self.min_gap
            if start > now:
                await asyncio.sleep(start - now)
            async with self._total:
                yield

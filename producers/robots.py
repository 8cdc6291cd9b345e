"""robots.txt for article pages, fetched politely and cached per site.

Following RFC 9309: a robots.txt that does not exist (4xx) allows everything; one that
cannot be fetched (5xx, network errors) disallows everything until it can be fetched again.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from producers.fetcher import Fetcher, FetchFailed, Limits
from producers.politeness import HostLimiter

_ROBOTS_LIMITS = Limits(
    total=15.0,
    connect=10.0,
    read=10.0,
    max_bytes=512 * 1024,
    max_decompressed=512 * 1024,
    max_redirects=5,
)
_FRESH = 24 * 3600.0
_RETRY_UNREACHABLE = 600.0


class RobotsCache:
    def __init__(self, fetcher: Fetcher, limiter: HostLimiter, agent: str = "wirewatch") -> None:
        self.fetcher = fetcher
        self.limiter = limiter
        self.agent = agent
        self._rules: dict[str, tuple[float, RobotFileParser | bool]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        async with self._locks.setdefault(origin, asyncio.Lock()):
            cached = self._rules.get(origin)
            if cached is None or cached[0] < time.monotonic():
                cached = await self._load(origin)
                self._rules[origin] = cached
        rules = cached[1]
        return rules if isinstance(rules, bool) else rules.can_fetch(self.agent, url)

    async def _load(self, origin: str) -> tuple[float, RobotFileParser | bool]:
        now = time.monotonic()
        try:
            async with self.limiter.slot(origin):
                result = await self.fetcher.fetch(
                    f"{origin}/robots.txt", limits=_ROBOTS_LIMITS, accept="text/plain"
                )
        except FetchFailed as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.kind != "throttled":
                return now + _FRESH, True  # no robots.txt: everything is allowed
            return now + _RETRY_UNREACHABLE, False
        parser = RobotFileParser()
        parser.parse(result.content.decode("utf-8", "replace").splitlines())
        return now + _FRESH, parser

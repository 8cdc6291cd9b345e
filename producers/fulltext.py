"""Full text of summary-only entries: fetch the article page and extract its main text.

The page fetch goes through the same client, host limiter and kind of limits as feeds, asks
robots.txt first, and refuses private, loopback, link-local and other non-public addresses
(at every redirect hop) unless ``allow_private_addresses`` is set: feed entries are
written by third parties, and their links must not reach into the operator's network.
Feeds themselves are operator-configured and may live anywhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections import OrderedDict
from urllib.parse import urlsplit

import trafilatura

from producers.fetcher import Fetcher, FetchFailed, Limits
from producers.politeness import HostLimiter
from producers.robots import RobotsCache
from wirewatch.settings import ProducerSettings

log = logging.getLogger(__name__)

_HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
_CACHE_SIZE = 1024


async def refuse_private(url: str) -> None:
    """Raise :class:`FetchFailed` (kind ``refused``) if ``url``'s host is not public."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise FetchFailed(url, "connect", f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if not address.is_global or address.is_multicast:
            raise FetchFailed(url, "refused", f"{host} resolves to non-public address {address}")


class FullText:
    def __init__(self, fetcher: Fetcher, limiter: HostLimiter, settings: ProducerSettings) -> None:
        self.fetcher = fetcher
        self.limiter = limiter
        self.settings = settings
        self.robots = RobotsCache(fetcher, limiter) if settings.robots_txt else None
        self.limits = Limits(
            total=settings.timeout,
            connect=min(settings.connect_timeout, settings.timeout),
            read=min(settings.read_timeout, settings.timeout),
            max_bytes=settings.max_page_bytes,
            max_decompressed=settings.max_page_bytes * 4,
            max_redirects=settings.max_redirects,
        )
        self._cache: OrderedDict[str, str] = OrderedDict()

    async def text_of(self, url: str) -> str:
        """The main text of the page at ``url``; raise :class:`FetchFailed` when there is none."""
        if url in self._cache:
            self._cache.move_to_end(url)
            return self._cache[url]
        guard = None if self.settings.allow_private_addresses else refuse_private
        if guard is not None:
            await guard(url)
        if self.robots is not None and not await self.robots.allowed(url):
            raise FetchFailed(url, "refused", "disallowed by robots.txt")
        async with self.limiter.slot(url):
            result = await self.fetcher.fetch(
                url, limits=self.limits, accept=_HTML_ACCEPT, guard=guard
            )
        kind = result.headers.get("content-type", "text/html").split(";")[0].strip().lower()
        if kind not in ("text/html", "application/xhtml+xml", "text/plain", ""):
            raise FetchFailed(url, "http", f"not an HTML page ({kind})")
        text = await asyncio.to_thread(
            trafilatura.extract,
            result.content,
            url=result.url,
            include_comments=False,
            include_tables=False,
        )
        if not text or not text.strip():
            raise FetchFailed(url, "http", "no main text found on the page")
        self._cache[url] = text.strip()
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return text.strip()

"""HTTP fetching of feeds: our own client, with timeouts, a size limit and validators.

feedparser only ever sees bytes and headers from here (``feedparser.parse(url)`` has no
timeout and can hang forever).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from wirewatch.errors import FetchError

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5


@dataclass(frozen=True)
class FetchResult:
    url: str  # the final URL, after redirects
    status: int
    content: bytes
    headers: dict[str, str]
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    def __init__(self, *, user_agent: str, timeout: float, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.client = httpx.AsyncClient(
            headers={
                "User-Agent": user_agent,
                "Accept": "application/rss+xml, application/atom+xml, "
                "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
        )

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` conditionally; raise :class:`FetchError` with the reason on failure."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with self.client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return self._result(url, response, b"")
                if response.status_code >= 400:
                    raise FetchError(url, f"HTTP {response.status_code} {response.reason_phrase}")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(url, f"response larger than {self.max_bytes} bytes")
                    chunks.append(chunk)
                return self._result(url, response, b"".join(chunks))
        except httpx.TooManyRedirects as exc:
            raise FetchError(url, f"more than {MAX_REDIRECTS} redirects") from exc
        except httpx.TimeoutException as exc:
            raise FetchError(url, f"timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise FetchError(url, f"{type(exc).__name__}: {exc}") from exc

    @staticmethod
    def _result(url: str, response: httpx.Response, content: bytes) -> FetchResult:
        return FetchResult(
            url=str(response.url) or url,
            status=response.status_code,
            content=content,
            headers={k.lower(): v for k, v in response.headers.items()},
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )

    async def aclose(self) -> None:
        await self.client.aclose()

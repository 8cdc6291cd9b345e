"""The feed server of the poll benchmark: N feeds on loopback, one aiohttp process.

``GET /feed/<n>.xml`` serves feed n as of the current round (ETag and Last-Modified, 304 on
a match); ``POST /round/<r>`` moves every feed to round r, which adds ``new_per_round`` items.
Run by ``bench.poll``; not meant to be started by hand.
"""

from __future__ import annotations

import sys
from email.utils import formatdate

from aiohttp import web

ITEMS_PER_FEED = 20


def feed_body(n: int, round_: int, new_per_round: int) -> bytes:
    newest = ITEMS_PER_FEED + round_ * new_per_round
    items = []
    for i in range(newest, newest - ITEMS_PER_FEED, -1):
        items.append(
            f"<item><title>Feed {n} story {i}: ministers discuss sanctions and trade</title>"
            f"<link>https://bench.example/{n}/{i}</link><guid>bench-{n}-{i}</guid>"
            f"<pubDate>{formatdate(1_700_000_000 + i * 600, usegmt=True)}</pubDate>"
            f"<description>Lead paragraph of story {i} of feed {n}. The council met on "
            f"Tuesday and said the measures would stay in force.</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {n}</title><link>https://bench.example/{n}</link>"
        f"<description>bench</description>{''.join(items)}</channel></rss>"
    ).encode()


def main() -> None:
    port, new_per_round = int(sys.argv[1]), int(sys.argv[2])
    state = {"round": 0}
    cache: dict[tuple[int, int], bytes] = {}

    async def feed(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        r = state["round"]
        etag = f'"{n}-{r}"'
        modified = formatdate(1_700_000_000 + r * 3600, usegmt=True)
        headers = {"ETag": etag, "Last-Modified": modified}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        body = cache.get((n, r))
        if body is None:
            body = cache[n, r] = feed_body(n, r, new_per_round)
        return web.Response(body=body, headers=headers, content_type="application/rss+xml")

    async def set_round(request: web.Request) -> web.Response:
        state["round"] = int(request.match_info["r"])
        cache.clear()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/feed/{n}.xml", feed)
    app.router.add_post("/round/{r}", set_round)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=1024)


if __name__ == "__main__":
    main()

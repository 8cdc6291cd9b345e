"""The producer against a scripted local HTTP server and a real broker: conditional GET,
throttling, slow and hostile responses, redirects, encodings, GUID rewrites, full text."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from producers.feeds import FeedConfig
from producers.fetcher import Fetcher, Limits
from producers.fulltext import FullText, refuse_private
from producers.politeness import HostLimiter
from producers.publisher import Publisher
from producers.scheduler import FeedPoller, PollResult
from producers.state import StateStore
from tests.helpers import Item, read_topic, rss
from tests.integration.feedsrv import (
    RSS,
    Conditional,
    Reply,
    ScriptedServer,
    constant,
    entity_bomb,
    gzip_bomb,
)
from wirewatch.errors import FetchError
from wirewatch.kafka import cluster_id, ensure_topics, make_producer
from wirewatch.schema import Article
from wirewatch.settings import ProducerSettings, Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    yield srv
    srv.close()


class Rig:
    """A poller wired to a real broker, with limits small enough for tests."""

    def __init__(self, settings: Settings, tmp_path: Path, **overrides: Any) -> None:
        self.bootstrap = settings.kafka.url or ""
        self.topic = settings.kafka.topics.raw
        ensure_topics(self.bootstrap, settings.kafka)
        self.producer_settings: ProducerSettings = settings.producer.model_copy(
            update={
                "min_interval": 0.05,
                "timeout": 1.5,
                "connect_timeout": 1.0,
                "read_timeout": 1.0,
                "max_feed_bytes": 1_000_000,
                "max_decompressed_bytes": 2_000_000,
                "per_host_min_gap": 0.0,
                "per_host_concurrency": 16,
                "concurrency": 32,
                "allow_private_addresses": True,
                **overrides,
            }
        )
        self.state = StateStore(tmp_path / "producer.sqlite3")
        self.publisher = Publisher(make_producer(self.bootstrap), self.topic)
        self.fetcher = Fetcher(
            user_agent="wirewatch-test", limits=Limits.for_feeds(self.producer_settings)
        )
        s = self.producer_settings
        self.limiter = HostLimiter(
            total=s.concurrency, per_host=s.per_host_concurrency, min_gap=s.per_host_min_gap
        )
        self.fulltext = FullText(self.fetcher, self.limiter, s)
        self.cluster = cluster_id(self.bootstrap)
        # One event loop for the rig's life: the HTTP client keeps connections on it.
        self.runner = asyncio.Runner()

    def poller(self, feeds: list[FeedConfig]) -> FeedPoller:
        return FeedPoller(
            feeds,
            self.fetcher,
            self.publisher,
            self.state,
            self.cluster,
            self.producer_settings,
            limiter=self.limiter,
            fulltext=self.fulltext,
        )

    def poll(self, *feeds: FeedConfig) -> list[PollResult]:
        poller = self.poller(list(feeds))

        async def all_at_once() -> list[PollResult]:
            return await asyncio.gather(*(poller.poll_once(f) for f in feeds))

        return self.runner.run(all_at_once())

    def articles(self) -> list[Article]:
        return [Article.from_bytes(r.value) for r in read_topic(self.bootstrap, self.topic)]

    def close(self) -> None:
        self.runner.run(self.fetcher.aclose())
        self.runner.close()
        self.publisher.close()
        self.state.close()


@pytest.fixture
def rig(settings: Settings, tmp_path: Path) -> Iterator[Rig]:
    r = Rig(settings, tmp_path)
    yield r
    r.close()


def _items(n: int, prefix: str = "a") -> list[Item]:
    return [Item(f"Story {prefix}{i}", f"https://wire.example/{prefix}/{i}") for i in range(n)]


@pytest.mark.parametrize("mode", ["etag", "last-modified"])
def test_an_unchanged_feed_costs_a_304_and_publishes_nothing(
    rig: Rig, server: ScriptedServer, mode: str
) -> None:
    feed_handler = Conditional(rss(_items(3)), mode)
    feed = FeedConfig(url=server.route("/c.xml", feed_handler))

    (first,) = rig.poll(feed)
    (second,) = rig.poll(feed)
    assert (first.status, first.new) == ("ok", 3)
    assert second.status == "not_modified"
    header = "if-none-match" if mode == "etag" else "if-modified-since"
    assert header in server.hits("/c.xml")[-1].headers
    assert feed_handler.full_replies == 1
    polls = REGISTRY.get_sample_value(
        "wirewatch_feed_polls_total", {"feed": feed.url, "outcome": "not_modified"}
    )
    assert polls == 1, "the 304 shows on the metrics endpoint"

    feed_handler.update(rss([*_items(3), Item("Breaking", "https://wire.example/b/1")]))
    (third,) = rig.poll(feed)
    assert (third.status, third.new) == ("ok", 1)
    assert len(rig.articles()) == 4, "each item is in Kafka once"


def test_failing_and_hostile_feeds_are_each_reported_and_never_hold_up_a_good_one(
    rig: Rig, server: ScriptedServer
) -> None:
    cyrillic = rss([Item("Лавров заявил о санкциях", "https://wire.example/ru/1")])
    routes: dict[str, Reply] = {
        "/good.xml": Reply(200, rss(_items(2, "g")).encode(), RSS),
        "/throttled.xml": Reply(429, b"slow down", {"Retry-After": "120"}),
        "/unavailable.xml": Reply(503, b"maintenance"),
        "/drip.xml": Reply(200, rss(_items(50, "d")).encode(), RSS, drip=0.2),
        "/loop-a.xml": Reply(302, headers={"Location": "/loop-b.xml"}),
        "/loop-b.xml": Reply(302, headers={"Location": "/loop-a.xml"}),
        "/bomb.xml": Reply(200, gzip_bomb(50_000_000), {**RSS, "Content-Encoding": "gzip"}),
        "/huge.xml": Reply(
            200, rss(_items(1, "h")).encode() + b" " * 1_500_000, RSS, send_length=False
        ),
        "/entities.xml": Reply(200, entity_bomb(), RSS),
        "/cp1251.xml": Reply(200, cyrillic.encode("cp1251"), RSS),  # served as UTF-8
        "/stray.xml": Reply(200, rss(_items(1, "s")).encode().replace(b"Story", b"St\xffory"), RSS),
        "/gone.xml": Reply(410, b"gone"),
        "/old.xml": Reply(301, headers={"Location": "/new.xml"}),
        "/new.xml": Reply(200, rss(_items(1, "n")).encode(), RSS),
    }
    for hop in range(8):  # a chain longer than max_redirects
        routes[f"/hop{hop}.xml"] = Reply(302, headers={"Location": f"/hop{hop + 1}.xml"})
    for path, reply in routes.items():
        server.route(path, constant(reply))
    feeds = {path: FeedConfig(url=server.url(path)) for path in routes if "loop-b" not in path}
    feeds = {p: f for p, f in feeds.items() if not p.startswith("/hop") or p == "/hop0.xml"}
    del feeds["/new.xml"]
    order = list(feeds)
    poller = rig.poller(list(feeds.values()))

    async def timed(feed: FeedConfig) -> tuple[PollResult, float]:
        started = time.monotonic()
        result = await poller.poll_once(feed)
        return result, time.monotonic() - started

    async def all_at_once() -> list[tuple[PollResult, float]]:
        return await asyncio.gather(*(timed(f) for f in feeds.values()))

    outcomes = dict(zip(order, rig.runner.run(all_at_once()), strict=True))
    result = {path: r for path, (r, _) in outcomes.items()}

    assert (result["/good.xml"].status, result["/good.xml"].new) == ("ok", 2)
    assert outcomes["/good.xml"][1] < 1.0, "the good feed waited for a bad one"
    assert outcomes["/drip.xml"][1] < 3.0, "a slow drip is cut at the total timeout"

    def failed(path: str, kind: str, text: str) -> None:
        r = result[path]
        assert (r.status, r.kind) == ("error", kind), (path, r)
        assert text in (r.error or ""), (path, r.error)
        assert rig.state.feed(feeds[path].url).last_error == r.error

    failed("/throttled.xml", "throttled", "HTTP 429")
    assert rig.state.feed(feeds["/throttled.xml"].url).next_poll >= time.time() + 110  # type: ignore[operator]
    restarted = rig.poller([feeds["/throttled.xml"]])
    assert (restarted._first_delay(feeds["/throttled.xml"]) or 0) > 100, "a restart keeps it"
    failed("/unavailable.xml", "throttled", "HTTP 503")
    failed("/drip.xml", "timeout", "no complete response within 1.5 s")
    failed("/loop-a.xml", "redirects", "redirect loop")
    failed("/hop0.xml", "redirects", "more than 5 redirects")
    failed("/bomb.xml", "too_large", "after decompression")
    failed("/huge.xml", "too_large", "larger than 1000000 bytes")
    failed("/entities.xml", "parse", "entity-expansion bomb")

    assert result["/cp1251.xml"].status == "ok"
    assert "bytes are cp1251" in (result["/cp1251.xml"].error or "")
    assert result["/stray.xml"].status == "ok"
    assert "1 invalid UTF-8 sequences replaced" in (result["/stray.xml"].error or "")
    titles = {a.title for a in rig.articles()}
    assert "Лавров заявил о санкциях" in titles and "St\ufffdory s0" in titles

    assert result["/gone.xml"].status == "gone"
    assert rig.state.feed(feeds["/gone.xml"].url).retired
    assert rig.poll(feeds["/gone.xml"])[0].status == "gone"
    assert len(server.hits("/gone.xml")) == 1, "a retired feed is not polled again"

    assert result["/old.xml"].status == "ok"
    assert rig.state.feed(feeds["/old.xml"].url).current_url == server.url("/new.xml")
    rig.poll(feeds["/old.xml"])
    assert len(server.hits("/old.xml")) == 1, "after a 301 the new URL is polled directly"


def test_a_rewritten_guid_is_not_news_and_a_changed_entry_is_an_update(
    rig: Rig, server: ScriptedServer
) -> None:
    items = [Item(f"Story {i}", f"https://wire.example/s/{i}", guid=f"g-{i}") for i in range(3)]
    url = server.static("/g.xml", rss(items))
    feed = FeedConfig(url=url)
    assert rig.poll(feed)[0].new == 3

    rewritten = [Item(i.title, i.link, guid=f"urn:new:{i.guid}") for i in items]
    server.static("/g.xml", rss(rewritten))
    assert (rig.poll(feed)[0].new, rig.poll(feed)[0].updated) == (0, 0)

    rewritten[1].description = "Now with a lead paragraph."
    server.static("/g.xml", rss(rewritten))
    outcome = rig.poll(feed)[0]
    assert (outcome.new, outcome.updated) == (0, 1)

    records = rig.articles()
    assert len(records) == 4
    versions = [a for a in records if a.title == "Story 1"]
    assert len(versions) == 2 and versions[0].id == versions[1].id, "an update keeps its id"
    assert versions[0].content_hash != versions[1].content_hash


def test_summary_only_entries_get_the_page_text_politely(rig: Rig, server: ScriptedServer) -> None:
    page = (
        "<html><head><title>Embargo</title></head><body><nav>Home | World</nav><article>"
        "<h1>Lavrov proposes embargo</h1>"
        + "".join(
            f"<p>Paragraph {i}: the minister said the measures would stay in force until "
            f"the council reviewed them, according to the statement.</p>"
            for i in range(6)
        )
        + "</article><footer>Copyright</footer></body></html>"
    )
    server.static("/news/1", page, content_type="text/html; charset=utf-8")
    server.static("/private/2", page, content_type="text/html; charset=utf-8")
    server.static("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    items = [
        Item("Lavrov proposes embargo", server.url("/news/1"), description="Short lead."),
        Item("Private", server.url("/private/2"), description="Only a lead."),
    ]
    feed = FeedConfig(url=server.static("/ft.xml", rss(items)), full_text=True)
    outcome = rig.poll(feed)[0]
    assert (outcome.status, outcome.new) == ("ok", 2)
    assert "disallowed by robots.txt" in (outcome.error or "")
    by_title = {a.title: a for a in rig.articles()}
    assert "Paragraph 5: the minister said" in by_title["Lavrov proposes embargo"].text
    assert "Copyright" not in by_title["Lavrov proposes embargo"].text
    assert by_title["Private"].text == "" and by_title["Private"].summary == "Only a lead."
    assert len(server.hits("/robots.txt")) == 1, "robots.txt is fetched once per site"
    assert rig.poll(feed)[0].new == 0, "the full text does not make the entry look changed"


def test_article_pages_on_private_addresses_are_refused_unless_allowed() -> None:
    for url in ("http://127.0.0.1/x", "http://10.1.2.3/x", "http://169.254.169.254/latest"):
        with pytest.raises(FetchError, match="non-public address"):
            asyncio.run(refuse_private(url))
    asyncio.run(refuse_private("http://93.184.215.14/article"))  # a public address passes


def test_requests_to_one_host_are_spaced_and_limited(
    settings: Settings, server: ScriptedServer, tmp_path: Path
) -> None:
    rig = Rig(settings, tmp_path, per_host_min_gap=0.25, per_host_concurrency=1)
    try:
        feeds = [
            FeedConfig(url=server.static(f"/p{i}.xml", rss(_items(1, f"p{i}")))) for i in range(4)
        ]
        assert all(r.status == "ok" for r in rig.poll(*feeds))
        times = sorted(r.at for r in server.requests)
        gaps = [b - a for a, b in pairwise(times)]
        assert min(gaps) >= 0.2, gaps
    finally:
        rig.close()


def test_request_carries_the_configured_user_agent(
    settings: Settings, server: ScriptedServer, tmp_path: Path
) -> None:
    import producers

    s = settings.producer.model_copy(update={"contact": "desk@example.org"})
    agent = producers.user_agent(s)
    url = server.static("/ua.xml", rss(_items(1)))

    async def fetch_once() -> None:
        fetcher = Fetcher(user_agent=agent, limits=Limits(total=2.0))
        try:
            await fetcher.fetch(url)
        finally:
            await fetcher.aclose()

    asyncio.run(fetch_once())
    assert server.hits("/ua.xml")[0].headers["user-agent"].endswith("(contact: desk@example.org)")

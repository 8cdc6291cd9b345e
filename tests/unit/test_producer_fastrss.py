"""The lxml fast path for plain RSS 2.0 reads every feed exactly as feedparser does.

Runs both paths over the shared real feeds and feedparser's own corpus (skipped where
absent) and over feeds written here; a feed the fast path takes must give identical
articles, and a feed it cannot take exactly goes to feedparser.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import producers.parser as parser_module
from producers.fastrss import parse_rss
from producers.feeds import FeedConfig
from producers.parser import parse_feed
from tests.helpers import SHARED_DATA, Item, rss
from wirewatch.errors import ParseError

FEED = FeedConfig(url="https://wire.example/rss", tags=["t"])
_FIELDS = ("id", "url", "guid", "title", "summary", "text", "language", "published", "tags")


def _both(content: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    def outcome() -> object:
        try:
            parsed = parse_feed(content, {"content-type": "application/rss+xml"}, FEED)
        except ParseError as exc:
            return ("error", str(exc))
        return [tuple(getattr(a, f) for f in _FIELDS) for a in parsed.articles], parsed.ttl

    fast = outcome()
    with monkeypatch.context() as m:
        m.setattr(parser_module, "parse_rss", lambda *_: None)
        slow = outcome()
    return fast, slow


def _rss_files() -> list[Path]:
    roots = [SHARED_DATA / "feeds", SHARED_DATA / "feedparser_corpus" / "tests"]
    return sorted(
        p
        for root in roots
        if root.is_dir()
        for p in root.rglob("*")
        if p.suffix in (".xml", ".rss") and "html" not in p.parts
    )


def test_fast_path_and_feedparser_agree_on_every_shared_feed_it_takes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = _rss_files()
    if not files:
        pytest.skip(f"shared feeds not found under {SHARED_DATA} (shared data absent)")
    taken = 0
    for path in files:
        content = path.read_bytes()
        if parse_rss(content, {}) is None:
            continue
        taken += 1
        fast, slow = _both(content, monkeypatch)
        assert fast == slow, path
    assert taken >= 10, "the fast path should take the plain RSS 2.0 feeds"


def test_fast_path_agrees_on_written_feeds(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    body = rss(
        [
            Item(
                "Lavrov &amp; embargo <b>now</b>",
                "https://wire.example/a/1?utm_source=rss",
                guid="https://wire.example/a/1",
                description="<p>Lead <b>paragraph</b></p>",
                content="<p>First.</p><p>Second &amp; last.</p>",
                published=datetime(2017, 10, 4, 12, 0, tzinfo=UTC),
            ),
            Item("No GUID", "https://wire.example/a/2", description="Short"),
            Item("Only GUID", "", guid="https://wire.example/a/3"),
        ]
    ).encode()
    assert parse_rss(body, {}) is not None
    fast, slow = _both(body, monkeypatch)
    assert fast == slow


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel/></rss>',
        b'<rss version="0.91"><channel><item><title>x</title></item></channel></rss>',
        b'<rss version="2.0"><channel><item><itunes:summary xmlns:itunes="http://www.itunes.com/'
        b'dtds/podcast-1.0.dtd">s</itunes:summary></item></channel></rss>',
        b'<rss version="2.0"><channel><item><title>a<b>b</b></title></item></channel></rss>',
        b'<rss version="2.0"><channel><item><title>unclosed</item></channel></rss>',
    ],
)
def test_anything_unusual_goes_to_feedparser(body: bytes) -> None:
    assert parse_rss(body, {}) is None

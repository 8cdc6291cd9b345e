from datetime import UTC, datetime

import pytest

from producers.feeds import FeedConfig
from producers.parser import html_to_text, parse_feed
from tests.helpers import Item, rss
from wirewatch.errors import ParseError
from wirewatch.schema import article_id

FEED = FeedConfig(url="https://wire.example/rss.xml", name="Example Wire", tags=["test"])


def test_rss_entries_become_articles() -> None:
    body = rss(
        [
            Item(
                "Lavrov proposes embargo",
                "https://wire.example/a/1?utm_source=rss",
                guid="https://wire.example/a/1",
                description="<p>Lead <b>paragraph</b></p>",
                content="<p>First paragraph.</p><p>Second &amp; last.</p>",
                published=datetime(2017, 10, 4, 12, 0, tzinfo=UTC),
            ),
            Item("No GUID here", "https://wire.example/a/2", description="Short"),
        ]
    )
    articles = parse_feed(body.encode(), {"content-type": "application/rss+xml"}, FEED).articles
    first, second = articles
    assert first.title == "Lavrov proposes embargo"
    assert first.url == "https://wire.example/a/1"
    assert first.summary == "Lead paragraph"
    assert first.text == "First paragraph.\nSecond & last."
    assert first.published == datetime(2017, 10, 4, 12, 0, tzinfo=UTC)
    assert first.language == "en"
    assert first.source == "Example Wire" and first.feed == FEED.url and first.tags == ["test"]
    assert second.guid is None and second.id == article_id(None, "https://wire.example/a/2")


def test_atom_entries_become_articles() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB">
      <title>Atom wire</title><id>urn:x</id><updated>2024-01-02T03:04:05Z</updated>
      <entry><title>Council extends sanctions</title><id>urn:uuid:1234</id>
        <link href="https://atom.example/n/5"/><updated>2024-01-02T03:04:05+01:00</updated>
        <summary>The council extended measures.</summary></entry>
    </feed>"""
    (article,) = parse_feed(atom, {}, FEED).articles
    assert article.guid == "urn:uuid:1234"
    assert article.id == article_id("urn:uuid:1234", None)
    assert article.url == "https://atom.example/n/5"
    assert article.published == datetime(2024, 1, 2, 2, 4, 5, tzinfo=UTC)
    assert article.language == "en"


def test_same_entry_polled_twice_gives_the_same_id_and_hash() -> None:
    body = rss([Item("Same", "https://wire.example/a/9", description="x")]).encode()
    (a,) = parse_feed(body, {}, FEED).articles
    (b,) = parse_feed(body, {}, FEED).articles
    assert (a.id, a.content_hash) == (b.id, b.content_hash)


def test_entries_without_guid_or_link_are_skipped() -> None:
    body = rss([Item("Orphan", ""), Item("Kept", "https://wire.example/a/3")]).encode()
    parsed = parse_feed(body, {}, FEED)
    assert [a.title for a in parsed.articles] == ["Kept"]
    assert parsed.problems == ["1 entries without GUID or link skipped"]


def test_a_truncated_feed_with_nothing_usable_is_an_error_not_an_empty_feed() -> None:
    with pytest.raises(ParseError, match="not a usable feed: malformed feed"):
        parse_feed(b"<rss><channel><item><title>unclosed", {}, FEED)


@pytest.mark.parametrize(
    "junk", [b"", b"<html><body>Not a feed</body></html>", b"\x00\xff\xfe garbage"]
)
def test_something_that_is_not_a_feed_is_a_parse_error_naming_the_feed(junk: bytes) -> None:
    with pytest.raises(ParseError, match=r"wire\.example/rss\.xml"):
        parse_feed(junk, {"content-type": "text/html"}, FEED)


def test_html_to_text_keeps_paragraphs_and_unescapes() -> None:
    assert html_to_text("<p>A&nbsp;b</p><p>c<br/>d</p>") == "A\xa0b\nc\nd"

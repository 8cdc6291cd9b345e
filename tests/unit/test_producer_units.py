"""Pure pieces of the producer: scheduling, decompression limits, the XML guard, encodings."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from producers.encoding import settle_encoding
from producers.feeds import FeedConfig
from producers.fetcher import FetchFailed, _Inflater, parse_retry_after
from producers.schedule import (
    cache_max_age,
    failure_delay,
    healthy_delay,
    publishing_interval,
    ttl_seconds,
)
from producers.xmlguard import check_entities
from wirewatch.settings import ProducerSettings

S = ProducerSettings(default_interval=300, min_interval=60, max_interval=3600, max_backoff=7200)
FEED = FeedConfig(url="https://wire.example/rss")
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_a_busy_feed_is_polled_more_often_and_a_quiet_one_less() -> None:
    busy = [NOW - timedelta(minutes=4 * i) for i in range(20)]  # an item every 4 minutes
    quiet = [NOW - timedelta(days=2 + i) for i in range(20)]  # nothing for two days
    assert healthy_delay(FEED, S, published=busy, now=NOW) == 120  # half the typical gap
    assert healthy_delay(FEED, S, published=quiet, now=NOW) == 3600  # capped at max_interval
    assert healthy_delay(FEED, S, published=[], now=NOW) == 300  # undated: the default


def test_adaptive_interval_stays_within_bounds() -> None:
    burst = [NOW - timedelta(seconds=5 * i) for i in range(20)]
    assert publishing_interval(burst, NOW, 60, 3600) == 60
    assert publishing_interval(burst[:2], NOW, 60, 3600) is None


def test_ttl_and_max_age_lengthen_the_interval_but_never_beyond_the_cap() -> None:
    assert healthy_delay(FEED, S, ttl="30") == 1800
    assert healthy_delay(FEED, S, headers={"cache-control": "public, max-age=900"}) == 900
    assert healthy_delay(FEED, S, ttl="1440") == 3600
    assert healthy_delay(FEED, S, headers={"cache-control": "max-age=10"}) == 300  # never shorter
    assert cache_max_age({"cache-control": "no-cache, max-age=600"}) is None
    assert ttl_seconds("soon") is None


def test_failures_back_off_exponentially_with_jitter_and_honour_retry_after() -> None:
    delays = [failure_delay(FEED, S, n) for n in (1, 2, 3, 10)]
    assert 240 <= delays[0] <= 360 and 480 <= delays[1] <= 720 and 960 <= delays[2] <= 1440
    assert delays[3] <= 7200 * 1.2
    assert failure_delay(FEED, S, 1, retry_after=5000) == 5000
    assert parse_retry_after("120") == 120
    soon = parse_retry_after("Wed, 01 May 2024 12:02:00 GMT", now=NOW)
    assert soon == 120


def test_a_gzip_bomb_is_stopped_at_the_limit_without_inflating_it() -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    inflater = _Inflater("https://x.example/", "gzip", 1_000_000)
    with pytest.raises(FetchFailed, match="after decompression") as caught:
        for i in range(0, len(bomb), 4096):
            inflater.feed(bomb[i : i + 4096])
    assert caught.value.kind == "too_large"
    assert inflater.size <= 1_000_001


def test_deflate_and_identity_bodies_come_through_whole() -> None:
    text = b"<rss>" + b"x" * 10_000 + b"</rss>"
    deflated = _Inflater("u", "deflate", 100_000)
    assert deflated.feed(zlib.compress(text)) + deflated.flush() == text
    assert _Inflater("u", "", 100_000).feed(text) == text
    with pytest.raises(FetchFailed, match="Content-Encoding"):
        _Inflater("u", "br", 100)


@pytest.mark.parametrize(
    ("doctype", "reason"),
    [
        ('<!DOCTYPE r [<!ENTITY a "x"><!ENTITY b "&a;&a;">]>', "entity-expansion bomb"),
        ('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "external entity"),
        ('<!DOCTYPE r [<!ENTITY % p "x">]>', "parameter entity"),
        (f'<!DOCTYPE r [<!ENTITY big "{"A" * 5000}">]>', "entity expansion"),
    ],
)
def test_hostile_doctypes_are_refused(doctype: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_entities(f'<?xml version="1.0"?>{doctype}<rss/>'.encode())


def test_harmless_doctypes_pass() -> None:
    check_entities(b'<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "x.dtd"><rss/>')
    check_entities(b'<!DOCTYPE rss [<!ENTITY copy "&#169;">]><rss/>')


def test_windows_1251_served_as_utf8_comes_out_as_cyrillic() -> None:
    body = '<?xml version="1.0" encoding="utf-8"?><rss><title>Москва санкции</title></rss>'
    content, headers, problem = settle_encoding(
        body.encode("cp1251"), {"content-type": "application/rss+xml; charset=utf-8"}
    )
    assert "Москва санкции" in content.decode("utf-8")
    assert headers["content-type"].endswith("charset=utf-8")
    assert problem == "declared utf-8 but the bytes are cp1251"


def test_correctly_declared_feeds_pass_through_untouched() -> None:
    body = '<?xml version="1.0" encoding="koi8-r"?><rss><title>Привет</title></rss>'.encode(
        "koi8-r"
    )
    assert settle_encoding(body, {}) == (body, {}, None)
    utf8 = "<rss><title>Привет</title></rss>".encode()
    assert settle_encoding(utf8, {"content-type": "text/xml; charset=utf-8"})[2] is None

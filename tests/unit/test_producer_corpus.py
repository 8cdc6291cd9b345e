"""Every feed of the shared corpora goes through the parser without an unhandled exception.

Reads ../shared/data/feedparser_corpus (feedparser's own test inputs: well-formed,
ill-formed, encodings, entities) and ../shared/data/feeds (real news feeds); skipped with a
message where they are absent. A file may be refused (ParseError, with its reason), never
crash the parser.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from producers.feeds import FeedConfig
from producers.parser import ParsedFeed, parse_feed
from tests.helpers import SHARED_DATA
from wirewatch.errors import ParseError

CORPUS = SHARED_DATA / "feedparser_corpus" / "tests"
FEEDS = SHARED_DATA / "feeds"
_HEADER = re.compile(rb"^\s*Header:\s*([A-Za-z-]+):\s*(.+?)\s*$", re.MULTILINE)


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix in (".xml", ".json", ".rss", ".atom") and "html" not in p.parts
    )


def _headers(content: bytes) -> dict[str, str]:
    """The simulated HTTP headers feedparser's harness reads from a file's comment."""
    head = content[:2000]
    return {
        m.group(1).decode().lower(): m.group(2).decode("latin-1") for m in _HEADER.finditer(head)
    }


def _parse(path: Path) -> ParsedFeed | ParseError:
    content = path.read_bytes()
    feed = FeedConfig(url=f"https://corpus.example/{path.name}")
    try:
        return parse_feed(content, _headers(content), feed)
    except ParseError as exc:
        return exc


def test_feedparser_corpus_never_crashes_the_parser() -> None:
    files = _files(CORPUS)
    if not files:
        pytest.skip(f"feedparser corpus not found at {CORPUS} (shared data absent)")
    results = {p: _parse(p) for p in files}
    refused = {p: r for p, r in results.items() if isinstance(r, ParseError)}
    # Well-formed feeds with entries come through; what is refused says why.
    wellformed = [p for p in files if "wellformed" in p.parts]
    refused_wellformed = [p for p in wellformed if p in refused]
    assert len(refused_wellformed) < len(wellformed) * 0.2, refused_wellformed[:10]
    assert all(str(e) for e in refused.values())


def test_real_news_feeds_yield_their_articles_in_correct_unicode() -> None:
    files = _files(FEEDS)
    if not files:
        pytest.skip(f"real feed snapshots not found at {FEEDS} (shared data absent)")
    results = {p.name: _parse(p) for p in files}
    broken = {"rss_2.0_invalid_1.xml"}  # a real Reuters feed cut off by a server error
    for name, result in results.items():
        if name in broken:
            continue
        assert isinstance(result, ParsedFeed), f"{name}: {result}"
        assert result.articles, f"{name}: no articles"
        for article in result.articles:
            assert "\ufffd" not in article.title, f"{name}: {article.title!r}"
    iconv = results["iconv.xml"]
    assert isinstance(iconv, ParsedFeed)
    assert any("Оренбург" in a.title or "Бузулук" in a.title for a in iconv.articles)

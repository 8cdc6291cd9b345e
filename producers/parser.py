"""Feed bytes to articles, with feedparser doing the parsing.

Before feedparser sees them, the bytes are checked (``producers.xmlguard``: no entity
expansion bombs, no external entities) and their encoding is settled
(``producers.encoding``: a feed served with the wrong charset comes out as correct Unicode,
or as a clear error).
"""

from __future__ import annotations

import calendar
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from producers.encoding import settle_encoding
from producers.fastrss import parse_rss
from producers.feeds import FeedConfig
from producers.xmlguard import check_entities
from wirewatch.errors import ParseError
from wirewatch.schema import Article

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[ \t\r\f\v]+")


def html_to_text(value: str) -> str:
    """Feed summaries are often HTML; keep the words and the paragraph breaks."""
    value = re.sub(r"(?i)<br\s*/?>|</p>", "\n", value)
    text = html.unescape(_TAG.sub("", value))
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _time(entry: Any, *keys: str) -> datetime | None:
    for key in keys:
        parsed = dict.get(entry, key)  # no feedparser key mapping (and its warning)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _full_text(entry: Any) -> str:
    contents = entry.get("content") or []
    texts = [html_to_text(c.get("value", "")) for c in contents if c.get("value")]
    return max(texts, key=len) if texts else ""


def entry_to_article(
    entry: Any, feed: FeedConfig, feed_language: str | None, fetched: datetime | None = None
) -> Article | None:
    """One feed entry as a raw article; None for an entry with neither GUID nor link."""
    guid = (entry.get("id") or "").strip() or None
    link = (entry.get("link") or "").strip()
    if not guid and not link:
        return None
    title = html_to_text(entry.get("title", ""))
    summary = html_to_text(entry.get("summary", ""))
    text = _full_text(entry)
    if text == summary:
        text = ""
    language = feed.language or feed_language
    return Article.new(
        feed=feed.url,
        source=feed.display_name,
        url=link or (guid if guid and guid.startswith(("http://", "https://")) else ""),
        guid=guid,
        title=title,
        summary=summary,
        text=text,
        language=language.split("-")[0].lower() if language else None,
        published=_time(entry, "published_parsed", "updated_parsed"),
        fetched=fetched,
        tags=list(feed.tags),
    )


@dataclass(frozen=True)
class ParsedFeed:
    articles: list[Article]
    problems: list[str]  # what was wrong but could be worked around
    title: str = ""
    version: str = ""  # rss20, atom10, ... as feedparser names them
    encoding: str = ""
    ttl: str | None = None  # RSS <ttl>, minutes
    entries: int = 0
    published: list[datetime] = field(default_factory=list)  # dates of the entries


def parse_feed(content: bytes, headers: dict[str, str], feed: FeedConfig) -> ParsedFeed:
    """All usable entries of a fetched feed, and what was wrong with it.

    Raises :class:`ParseError` when the bytes are not a feed, are hostile (entity bombs,
    external entities), cannot be decoded, or a malformed feed yields no usable entry: a
    broken feed is reported, never taken for an empty one.
    """
    try:
        check_entities(content)
        content, headers, encoding_problem = settle_encoding(content, headers)
    except ValueError as exc:
        raise ParseError(f"{feed.url}: {exc}") from exc
    fast = parse_rss(content, headers)
    if fast is not None:
        channel, entries = fast
        version, encoding, malformed = "rss20", "utf-8", None
    else:
        parsed = feedparser.parse(
            content, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
        malformed = (
            f"malformed feed: {parsed.get('bozo_exception', 'unknown error')}"
            if parsed.bozo
            else None
        )
        if not parsed.get("version") and not parsed.entries:
            raise ParseError(
                f"{feed.url}: not an RSS or Atom feed" + (f" ({malformed})" if malformed else "")
            )
        channel, entries = parsed.feed, parsed.entries
        version, encoding = str(parsed.get("version") or ""), str(parsed.get("encoding") or "")
    language = channel.get("language")
    fetched = datetime.now(UTC)
    found = [entry_to_article(e, feed, language, fetched) for e in entries]
    articles = [a for a in found if a is not None]
    problems = [p for p in (encoding_problem, malformed) if p]
    if len(articles) < len(found):
        problems.append(f"{len(found) - len(articles)} entries without GUID or link skipped")
    if malformed and not articles:
        raise ParseError(f"{feed.url}: not a usable feed: {'; '.join(problems)}")
    return ParsedFeed(
        articles,
        problems,
        title=html_to_text(channel.get("title", "")),
        version=version,
        encoding=encoding,
        ttl=channel.get("ttl"),
        entries=len(found),
        published=[a.published for a in articles if a.published is not None],
    )

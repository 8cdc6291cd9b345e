"""Files to articles for offline enrichment: plain text, HTML, or article JSON.

Article JSON is what travels on ``news.raw`` (one object, a list of them, or one per line);
HTML goes through trafilatura's main-text extraction (tags stripped if it finds nothing);
anything else is read as text. Bytes that are not UTF-8 are decoded with replacement, so odd
input becomes an article with notes, never an exception.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from pydantic import ValidationError

from wirewatch.schema import Article

_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_HTML_HINT = re.compile(r"<\s*(html|body|p|div|article|!doctype)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _article(name: str, title: str, text: str) -> Article:
    return Article.new(
        feed="file:" + name,
        source="file",
        url="file://" + str(Path(name).resolve()) if name != "-" else "file:///dev/stdin",
        guid=name,
        title=title.strip(),
        text=text,
    )


def _from_json(name: str, text: str) -> list[Article] | None:
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        data = json.loads(stripped)
        items = data if isinstance(data, list) else [data]
    except json.JSONDecodeError:
        try:
            items = [json.loads(line) for line in stripped.splitlines() if line.strip()]
        except json.JSONDecodeError:
            return None
    try:
        return [Article.model_validate(item) for item in items]
    except ValidationError:
        return None


def _from_html(name: str, text: str) -> Article:
    import trafilatura

    title_match = _TITLE.search(text)
    title = html.unescape(_TAGS.sub("", title_match.group(1))) if title_match else ""
    body = trafilatura.extract(text, include_comments=False) or ""
    if not body.strip():
        body = html.unescape(_TAGS.sub(" ", text))
    return _article(name, title, body)


def read_articles(name: str, data: bytes) -> list[Article]:
    """The articles in one input file (``name`` is shown in notes and URLs)."""
    text = data.decode("utf-8", errors="replace")
    articles = _from_json(name, text)
    if articles is not None:
        return articles
    if _HTML_HINT.search(text[:4000]):
        return [_from_html(name, text)]
    return [_article(name, "", text)]

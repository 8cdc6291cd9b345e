"""``wirewatch feeds``: the state of every configured feed, and a one-off check of a feed."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wirewatch.cli._common import app, settings

if TYPE_CHECKING:
    from producers.state import FeedState

feeds_app = typer.Typer(help="The feeds the producer polls.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")


def _when(stamp: float | None) -> str:
    if stamp is None:
        return "-"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _row(name: str, url: str, state: FeedState | None) -> dict[str, Any]:
    if state is None:
        return {"name": name, "url": url, "status": "never polled"}
    return {
        "name": name,
        "url": url,
        "polling": state.current_url or url,
        "status": "retired (410 Gone)" if state.retired else state.status or "never polled",
        "last_poll": _when(state.last_poll),
        "next_poll": "-" if state.retired else _when(state.next_poll),
        "interval_s": round(state.interval, 1) if state.interval else None,
        "items": state.items,
        "failures": state.failures,
        "last_error": state.last_error,
    }


@feeds_app.command("list")
def list_feeds(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per feed")] = False,
) -> None:
    """Each configured feed: last poll, status, items, next poll, last error."""
    from producers.feeds import load_feeds
    from producers.state import StateStore

    s = settings()
    feeds = load_feeds(s.producer.feeds_file)
    path = s.data_dir / "producer.sqlite3"
    states: dict[str, FeedState] = {}
    if path.exists():
        store = StateStore(path)
        try:
            states = {st.url: st for st in store.feeds()}
        finally:
            store.close()
    rows = [_row(f.display_name, f.url, states.get(f.url)) for f in feeds]
    for row in rows:
        if as_json:
            print(json.dumps(row, ensure_ascii=False))
            continue
        print(f"{row['name']}  <{row['url']}>")
        if row.get("polling") and row["polling"] != row["url"]:
            print(f"    moved to   {row['polling']}")
        print(f"    status     {row['status']}")
        if "last_poll" in row:
            print(f"    last poll  {row['last_poll']} UTC   next poll  {row['next_poll']} UTC")
            print(
                f"    items      {row['items']}   failures {row['failures']}"
                f"   interval {row['interval_s'] or '-'} s"
            )
        if row.get("last_error"):
            print(f"    last error {row['last_error']}")
    if not as_json and not path.exists():
        print(f"(no producer state yet in {path})")


@feeds_app.command("check")
def check(
    url: Annotated[str, typer.Argument(help="feed URL to fetch and parse once")],
    show: Annotated[int, typer.Option("-n", "--show", min=0, help="entries to list")] = 5,
) -> None:
    """Fetch and parse one feed once; print what it holds and what is wrong with it.

    Exits non-zero when the feed cannot be fetched, is not a feed, or holds no usable entry.
    """
    import producers
    from producers.feeds import FeedConfig
    from producers.fetcher import Fetcher, FetchFailed, Limits
    from producers.parser import parse_feed
    from producers.schedule import cache_max_age, ttl_seconds
    from wirewatch.errors import ConfigError, ParseError

    s = settings().producer
    try:
        feed = FeedConfig(url=url)
    except ValueError as exc:
        raise ConfigError(f"not a feed URL: {url}") from exc

    async def fetch() -> Any:
        fetcher = Fetcher(user_agent=producers.user_agent(s), limits=Limits.for_feeds(s))
        try:
            return await fetcher.fetch(url)
        finally:
            await fetcher.aclose()

    try:
        result = asyncio.run(fetch())
    except FetchFailed as exc:
        print(f"FAILED to fetch ({exc.kind}): {exc.reason}")
        raise typer.Exit(1) from exc
    print(f"fetched    {result.url}  HTTP {result.status}  {len(result.content)} bytes")
    print(f"           in {result.seconds:.2f} s")
    if result.moved_to:
        print(f"moved      permanently to {result.moved_to} (update your feed list)")
    print(f"validators ETag {result.etag or '-'}   Last-Modified {result.last_modified or '-'}")
    if not (result.etag or result.last_modified):
        print("           (none: every poll downloads the whole feed)")
    age = cache_max_age(result.headers)
    try:
        parsed = parse_feed(result.content, result.headers, feed)
    except ParseError as exc:
        print(f"FAILED to parse: {exc}")
        raise typer.Exit(1) from exc
    ttl = ttl_seconds(parsed.ttl)
    print(
        f"feed       {parsed.title or '(no title)'}  [{parsed.version or '?'}, {parsed.encoding}]"
    )
    print(f"hints      ttl {f'{ttl:.0f} s' if ttl else '-'}   max-age {age or '-'}")
    print(f"entries    {parsed.entries}, usable {len(parsed.articles)}")
    for article in parsed.articles[:show]:
        when = article.published.strftime("%Y-%m-%d %H:%M") if article.published else "(no date)"
        words = len((article.text or article.summary).split())
        print(f"  {when}  {article.title[:90]}")
        print(f"      {article.url}  ({'full text' if article.text else 'summary'}, {words} words)")
    for problem in parsed.problems:
        print(f"PROBLEM    {problem}")
    if not parsed.articles:
        print("FAILED: no usable entry")
        raise typer.Exit(1)

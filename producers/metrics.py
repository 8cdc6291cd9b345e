"""Prometheus metrics of the feed producer, per feed and in total.

Totals are separate series (no ``feed`` label) so a dashboard of hundreds of feeds does not
have to sum them; per-feed latency is a summary (count and sum) to keep series few.
"""

from prometheus_client import Counter, Histogram, Summary

POLLS = Counter(
    "wirewatch_feed_polls_total",
    "Feed polls by outcome (ok, not_modified, error)",
    ["feed", "outcome"],
)
ITEMS = Counter(
    "wirewatch_feed_items_total", "Items published by kind (new, updated)", ["feed", "kind"]
)
ERRORS = Counter("wirewatch_feed_errors_total", "Feed errors by kind", ["feed", "kind"])
FETCH_SECONDS = Summary("wirewatch_feed_fetch_seconds", "Feed fetch latency", ["feed"])

POLLS_ALL = Counter("wirewatch_polls_total", "Feed polls of all feeds by outcome", ["outcome"])
ITEMS_ALL = Counter("wirewatch_items_total", "Items published from all feeds by kind", ["kind"])
ERRORS_ALL = Counter("wirewatch_errors_total", "Errors of all feeds by kind", ["kind"])
FETCH_SECONDS_ALL = Histogram("wirewatch_fetch_seconds", "Fetch latency of all feeds")


def poll(feed: str, outcome: str) -> None:
    POLLS.labels(feed, outcome).inc()
    POLLS_ALL.labels(outcome).inc()


def item(feed: str, kind: str) -> None:
    ITEMS.labels(feed, kind).inc()
    ITEMS_ALL.labels(kind).inc()


def error(feed: str, kind: str) -> None:
    ERRORS.labels(feed, kind).inc()
    ERRORS_ALL.labels(kind).inc()


def fetch_latency(feed: str, seconds: float) -> None:
    FETCH_SECONDS.labels(feed).observe(seconds)
    FETCH_SECONDS_ALL.observe(seconds)

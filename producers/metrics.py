"""Prometheus metrics of the feed producer."""

from prometheus_client import Counter, Histogram

POLLS = Counter("wirewatch_feed_polls_total", "Feed polls by outcome", ["feed", "outcome"])
ITEMS = Counter("wirewatch_feed_items_total", "Items published by kind", ["feed", "kind"])
ERRORS = Counter("wirewatch_feed_errors_total", "Feed errors by kind", ["feed", "kind"])
FETCH_SECONDS = Histogram("wirewatch_feed_fetch_seconds", "Feed fetch latency", ["feed"])

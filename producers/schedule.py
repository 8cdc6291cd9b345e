"""When to poll a feed next: pure functions of the feed, its last answer and the settings.

- A healthy feed is polled at its interval (the feed's own, else the default); with
  ``adaptive`` on, the interval follows how often the feed actually publishes (about half
  the typical gap between its items, longer while it is quiet), within
  ``[min_interval, max_interval]``.
- The publisher's hints lengthen it, never shorten it: RSS ``<ttl>`` (minutes) and
  ``Cache-Control: max-age``; capped by ``max_interval`` so a feed is never forgotten.
- A failing feed backs off exponentially with jitter up to ``max_backoff``; a 429/503 with
  ``Retry-After`` waits at least that long.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise

from producers.feeds import FeedConfig
from wirewatch.settings import ProducerSettings

_MAX_AGE = re.compile(r"(?:^|[,\s])(s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)
_MAX_RETRY_AFTER = 24 * 3600.0  # a Retry-After of days is a misconfiguration, not a plan


def base_interval(feed: FeedConfig, settings: ProducerSettings) -> float:
    return max(feed.interval or settings.default_interval, settings.min_interval)


def cache_max_age(headers: dict[str, str]) -> float | None:
    """``max-age`` (or ``s-maxage``) of a ``Cache-Control`` header; None when absent."""
    value = headers.get("cache-control", "")
    if "no-cache" in value.lower() or "no-store" in value.lower():
        return None
    ages = [int(m.group(2)) for m in _MAX_AGE.finditer(value)]
    return float(max(ages)) if ages else None


def ttl_seconds(ttl: str | None) -> float | None:
    """RSS ``<ttl>`` is in minutes."""
    if ttl is None:
        return None
    try:
        minutes = float(str(ttl).strip())
    except ValueError:
        return None
    return minutes * 60.0 if minutes > 0 else None


def publishing_interval(
    published: Sequence[datetime], now: datetime, lower: float, upper: float
) -> float | None:
    """Half the typical gap between the feed's recent items, so a new item waits about a
    quarter of a gap on average; longer while the newest item is older than that gap.

    None when the feed does not date enough items to tell.
    """
    times = sorted((t for t in published if t <= now), reverse=True)[:30]
    if len(times) < 3:
        return None
    gaps = sorted((a - b).total_seconds() for a, b in pairwise(times))
    typical = gaps[len(gaps) // 2]
    quiet = (now - times[0]).total_seconds()
    estimate = max(typical, quiet / 2) / 2
    return min(max(estimate, lower), upper)


def healthy_delay(
    feed: FeedConfig,
    settings: ProducerSettings,
    *,
    published: Sequence[datetime] = (),
    now: datetime | None = None,
    ttl: str | None = None,
    headers: dict[str, str] | None = None,
    previous: float | None = None,
) -> float:
    """Seconds until the next poll of a feed that answered.

    ``previous`` is the interval used last time: a 304 or an unchanged feed keeps it.
    """
    interval = previous or base_interval(feed, settings)
    if settings.adaptive and now is not None:
        adapted = publishing_interval(
            published, now, settings.min_interval, max(settings.max_interval, settings.min_interval)
        )
        if adapted is not None:
            interval = adapted
    hints = [h for h in (ttl_seconds(ttl), cache_max_age(headers or {})) if h]
    if hints:
        interval = max(interval, min(max(hints), settings.max_interval))
    return max(interval, settings.min_interval)


def failure_delay(
    feed: FeedConfig, settings: ProducerSettings, failures: int, retry_after: float | None = None
) -> float:
    """Exponential backoff with jitter, capped; at least ``Retry-After`` when given."""
    growth = 2.0 ** max(failures - 1, 0)
    delay = min(settings.max_backoff, base_interval(feed, settings) * growth)
    delay *= random.uniform(0.8, 1.2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, _MAX_RETRY_AFTER))
    return delay


def jittered(delay: float) -> float:
    """Spread polls a little so feeds started together do not stay in lockstep."""
    return delay * random.uniform(0.95, 1.05)

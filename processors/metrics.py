"""Prometheus metrics of the processors."""

from prometheus_client import Counter, Histogram

ENRICHED = Counter("wirewatch_articles_enriched_total", "Articles enriched and forwarded")
DEAD_LETTERED = Counter(
    "wirewatch_processor_dead_letters_total", "Records sent to the DLQ", ["reason"]
)
ENRICH_SECONDS = Histogram("wirewatch_enrich_seconds", "Time to enrich one article")

"""Kafka topic names, in one place.

A deployment may set a prefix (``WIREWATCH_TOPIC_PREFIX``) so several pipelines, or
several tests, share one cluster without seeing each other's records.
"""

from dataclasses import dataclass

RAW = "news.raw"
ENRICHED = "news.enriched"
ALERTS = "news.alerts"
DLQ = "news.dlq"


@dataclass(frozen=True)
class Topics:
    """The four topic names of one pipeline, with its prefix applied."""

    raw: str
    enriched: str
    alerts: str
    dlq: str

    @classmethod
    def with_prefix(cls, prefix: str = "") -> "Topics":
        return cls(
            raw=prefix + RAW, enriched=prefix + ENRICHED, alerts=prefix + ALERTS, dlq=prefix + DLQ
        )

    def all(self) -> list[str]:
        return [self.raw, self.enriched, self.alerts, self.dlq]

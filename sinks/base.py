"""A batching sink: records are added, written as a batch, and only then committed.

``write_batch`` says of every record whether it was written, dead-lettered or must be retried;
the runner retries with backoff until none is left, and only then commits the offsets.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

# Statuses at which a write can succeed later: retried with backoff, never dead-lettered.
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class SourceRecord:
    """One Kafka record as the sink received it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class BatchResult:
    written: int = 0
    stale: int = 0  # an equal or newer version was already in the index
    dead_lettered: int = 0
    retry: list[SourceRecord] = field(default_factory=list)  # can succeed later (429, 5xx)
    retry_reason: str | None = None


class BatchingSink(ABC):
    @abstractmethod
    def setup(self) -> None:
        """Create what the sink writes into (templates, aliases)."""

    @abstractmethod
    def write_batch(self, records: list[SourceRecord]) -> BatchResult:
        """Write or dead-letter each record, or hand it back in ``retry`` when it can
        succeed later (connection lost, 429, 5xx)."""

    @abstractmethod
    def close(self) -> None:
        """Release clients."""

"""Replay: re-send a range of a topic (or the dead letters, after a fix) through the sink or
the processors.

* to the sink: records are indexed in-process by the same :class:`ArticleSink` (same ids and
  versions, so a replay never duplicates and an older version never wins);
* to the processors: the original bytes are re-published to ``news.raw``, keys kept, for the
  running Faust workers to enrich again.

A dead letter goes back where it failed (``--to auto``): ``processors.*`` letters to the
processors, ``sinks.elasticsearch`` letters to the sink. A letter whose original was
truncated is replayed from the full record it points at, while the topic still retains it.
The range ends at records produced after the replay started, so the letters a replay itself
dead-letters are not replayed again.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition
from pydantic import ValidationError

from sinks.base import BatchingSink, SourceRecord
from sinks.elasticsearch import TRUNCATED
from wirewatch.errors import ServiceError
from wirewatch.schema import DeadLetter
from wirewatch.settings import Settings

log = logging.getLogger(__name__)

Destination = Literal["auto", "sink", "processors"]
_IDLE_MS = 2000


@dataclass(frozen=True)
class ReplayRange:
    topic: str
    partitions: tuple[int, ...] = ()  # all when empty
    from_offset: int | None = None
    to_offset: int | None = None  # exclusive
    since: datetime | None = None  # by record timestamp
    until: datetime | None = None  # exclusive
    stage: str | None = None  # dead letters of this stage only


@dataclass
class ReplayReport:
    read: int = 0
    indexed: int = 0
    stale: int = 0
    dead_lettered: int = 0
    republished: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def lines(self, raw_topic: str) -> list[str]:
        out = [
            f"read {self.read} records",
            f"  to the sink: indexed {self.indexed}, already current {self.stale}, "
            f"dead-lettered again {self.dead_lettered}",
            f"  to the processors: re-published {self.republished} to {raw_topic}",
        ]
        out += [f"  skipped {n}: {why}" for why, n in sorted(self.skipped.items())]
        return out


def read_range(bootstrap: str, spec: ReplayRange, started_ms: int) -> Iterator[Any]:
    """The records of ``spec``, partition by partition, produced before ``started_ms``."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","),
        enable_auto_commit=False,
        max_partition_fetch_bytes=16 * 1024 * 1024,
        client_id="wirewatch-replay",
    )
    try:
        known = consumer.partitions_for_topic(spec.topic)
        if not known:
            raise ServiceError(f"topic {spec.topic!r} does not exist")
        for partition in sorted(spec.partitions or known):
            yield from _read_partition(
                consumer, TopicPartition(spec.topic, partition), spec, started_ms
            )
    finally:
        consumer.close()


def _read_partition(
    consumer: KafkaConsumer, tp: TopicPartition, spec: ReplayRange, started_ms: int
) -> Iterator[Any]:
    consumer.assign([tp])
    if spec.from_offset is not None:
        consumer.seek(tp, spec.from_offset)
    elif spec.since is not None:
        found = consumer.offsets_for_times({tp: int(spec.since.timestamp() * 1000)}).get(tp)
        if found is None:
            return  # nothing at or after ``since``
        consumer.seek(tp, found.offset)
    else:
        consumer.seek_to_beginning(tp)
    until_ms = int(spec.until.timestamp() * 1000) if spec.until else started_ms
    # An empty poll ends the partition: end offsets are not trusted (tansu reports them per
    # record batch), record timestamps and the idle poll are.
    while True:
        polled = consumer.poll(timeout_ms=_IDLE_MS).get(tp, [])
        if not polled:
            return
        for record in polled:
            if spec.to_offset is not None and record.offset >= spec.to_offset:
                return
            if record.timestamp >= min(until_ms, started_ms):
                return
            yield record


def fetch_record(bootstrap: str, topic: str, partition: int, offset: int) -> bytes | None:
    """The value of one record, or None when retention has removed it."""
    for record in read_range(
        bootstrap,
        ReplayRange(topic, (partition,), from_offset=offset, to_offset=offset + 1),
        int(time.time() * 1000) + 1,
    ):
        return bytes(record.value) if record.offset == offset else None
    return None


class Replayer:
    def __init__(
        self,
        settings: Settings,
        bootstrap: str,
        sink: BatchingSink | None,
        producer: KafkaProducer | None,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.sink = sink
        self.producer = producer
        self.stop = stop or threading.Event()
        self.report = ReplayReport()
        self._batch: list[SourceRecord] = []

    def _destination(self, spec: ReplayRange, to: Destination, stage: str | None) -> str | None:
        if to != "auto":
            return to
        topics = self.settings.kafka.topics
        if spec.topic == topics.dlq:
            if stage and stage.startswith("processors"):
                return "processors"
            if stage == "sinks.elasticsearch":
                return "sink"
            return None
        if spec.topic == topics.raw:
            return "processors"
        return "sink"

    def _unwrap(self, value: bytes) -> tuple[DeadLetter | None, str | None]:
        try:
            letter = DeadLetter.model_validate_json(value)
        except (ValidationError, ValueError):
            return None, "not a dead letter"
        return letter, None

    def run(
        self, spec: ReplayRange, to: Destination = "auto", dry_run: bool = False
    ) -> ReplayReport:
        started_ms = int(time.time() * 1000)
        is_dlq = spec.topic == self.settings.kafka.topics.dlq
        for record in read_range(self.bootstrap, spec, started_ms):
            if self.stop.is_set():
                break
            self.report.read += 1
            source = SourceRecord(
                record.topic, record.partition, record.offset, record.key, record.value or b""
            )
            stage = None
            if is_dlq:
                letter, problem = self._unwrap(source.value)
                if letter is None:
                    self.report.skipped[problem or "unreadable"] += 1
                    continue
                if spec.stage and letter.stage != spec.stage:
                    self.report.skipped[f"stage {letter.stage}"] += 1
                    continue
                stage = letter.stage
                restored = self._original(letter)
                if restored is None:
                    self.report.skipped["truncated original no longer in its topic"] += 1
                    continue
                source = restored
            where = self._destination(spec, to, stage)
            if where is None:
                self.report.skipped[f"no replay target for stage {stage}"] += 1
            elif dry_run:
                self.report.skipped[f"dry run ({where})"] += 1
            elif where == "processors":
                self._republish(source)
            else:
                self._batch.append(source)
                if len(self._batch) >= self.settings.sink.batch_size:
                    self._flush()
        self._flush()
        if self.producer is not None:
            self.producer.flush()
        return self.report

    def _original(self, letter: DeadLetter) -> SourceRecord | None:
        original = letter.original()
        if TRUNCATED in letter.reason and letter.topic and letter.partition is not None:
            full = fetch_record(self.bootstrap, letter.topic, letter.partition, letter.offset or 0)
            if full is None:
                return None
            original = full
        return SourceRecord(
            letter.topic or "",
            letter.partition or 0,
            letter.offset or 0,
            (letter.key or letter.article_id or "").encode() or None,
            original,
        )

    def _republish(self, record: SourceRecord) -> None:
        if self.producer is None:
            raise ServiceError("replay to the processors needs a Kafka producer")
        self.producer.send(self.settings.kafka.topics.raw, key=record.key, value=record.value)
        self.report.republished += 1

    def _flush(self) -> None:
        """Write the batch through the sink, retrying with backoff what can succeed later."""
        pending, self._batch = self._batch, []
        attempt = 0
        while pending and self.sink is not None and not self.stop.is_set():
            result = self.sink.write_batch(pending)
            self.report.indexed += result.written
            self.report.stale += result.stale
            self.report.dead_lettered += result.dead_lettered
            pending = result.retry
            if pending:
                attempt += 1
                s = self.settings.sink
                delay = min(s.max_backoff, s.backoff_initial * 2.0 ** (attempt - 1))
                log.warning(
                    "index refused the replayed batch; retrying",
                    extra={
                        "records": len(pending),
                        "reason": result.retry_reason,
                        "attempt": attempt,
                    },
                )
                self.stop.wait(delay * random.uniform(0.8, 1.2))

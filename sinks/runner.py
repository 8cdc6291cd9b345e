"""The consume → write → commit loop shared by the sinks.

Offsets are committed only for records that the sink wrote or dead-lettered. While the
index refuses writes the consumer pauses its partitions but keeps polling, so it stays in
its group and holds no more than one batch (bounded by count and bytes) in memory. Consumer
lag (end offset minus committed offset) is measured every ``sink.lag_seconds``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout

from kafka import KafkaConsumer
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition

from sinks import metrics
from sinks.base import BatchingSink, BatchResult, SourceRecord
from wirewatch.errors import SinkError
from wirewatch.settings import SinkSettings

log = logging.getLogger(__name__)

_POLL_MS = 200
_KEEPALIVE_AFTER = 1.0  # seconds a write may take before the consumer is polled meanwhile


class SinkRunner:
    def __init__(
        self,
        consumer: KafkaConsumer,
        sink: BatchingSink,
        settings: SinkSettings,
        stop: threading.Event,
    ) -> None:
        self.consumer = consumer
        self.sink = sink
        self.settings = settings
        self.stop = stop
        self.lag: int | None = None  # records behind, as last measured
        self._lag_due = 0.0
        self._paused = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sink-write")

    def _backoff(self, attempt: int) -> float:
        s = self.settings
        delay: float = min(s.max_backoff, s.backoff_initial * 2.0 ** (attempt - 1))
        return delay * random.uniform(0.8, 1.2)

    def _idle(self, seconds: float, paused: bool = False) -> None:
        """Wait while keeping the consumer in its group; nothing polled here is consumed."""
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and time.monotonic() < deadline:
            polled = self.consumer.poll(
                timeout_ms=min(_POLL_MS, int((deadline - time.monotonic()) * 1000) + 1)
            )
            # Partitions assigned by a rebalance during the pause are not paused: rewind
            # what they returned so it is read again later rather than skipped.
            for tp, records in polled.items():
                if records:
                    self.consumer.seek(tp, min(r.offset for r in records))
            if paused:
                self.consumer.pause(*self.consumer.assignment())
            self._measure_lag()

    def _measure_lag(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._lag_due:
            return
        self._lag_due = now + self.settings.lag_seconds
        assigned = list(self.consumer.assignment())
        if not assigned:
            return
        try:
            ends = self.consumer.end_offsets(assigned)
            total = 0
            metrics.CONSUMER_LAG.clear()
            for tp in assigned:
                committed = self.consumer.committed(tp)
                lag = max(0, ends.get(tp, 0) - (committed or 0))
                metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)
                total += lag
            self.lag = total
        except KafkaError as exc:
            log.debug("consumer lag not measured", extra={"error": str(exc)})

    def _setup(self) -> None:
        attempt = 0
        while not self.stop.is_set():
            try:
                self.sink.setup()
                return
            except SinkError as exc:
                attempt += 1
                delay = self._backoff(attempt)
                log.warning(
                    "sink setup failed; retrying",
                    extra={"error": str(exc), "retry_in_s": round(delay, 1)},
                )
                self._idle(delay)

    def _collect(self) -> list[SourceRecord]:
        batch: list[SourceRecord] = []
        size = 0
        deadline = time.monotonic() + self.settings.batch_seconds
        while (
            not self.stop.is_set()
            and len(batch) < self.settings.batch_size
            and size < self.settings.batch_bytes
        ):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            polled = self.consumer.poll(
                timeout_ms=int(min(remaining, 0.5) * 1000) + 1,
                max_records=self.settings.batch_size - len(batch),
            )
            for records in polled.values():
                for r in records:
                    batch.append(
                        SourceRecord(r.topic, r.partition, r.offset, r.key, r.value or b"")
                    )
                    size += len(r.value or b"") + len(r.key or b"")
            if batch and not polled:
                break  # nothing more waiting: write what we have now, not at the deadline
        if batch:
            metrics.BATCH_BYTES.observe(size)
        return batch

    def _attempt(self, pending: list[SourceRecord]) -> BatchResult:
        """One ``write_batch``, in a worker thread: a slow bulk request must not keep this
        thread from polling, or the consumer would overrun ``max_poll_interval_ms`` and
        leave its group. While it runs past a second, the partitions are paused and polled."""
        future = self._worker.submit(self.sink.write_batch, pending)
        try:
            return future.result(timeout=_KEEPALIVE_AFTER)
        except FuturesTimeout:
            pass
        self.consumer.pause(*self.consumer.assignment())
        self._paused = True
        while True:
            try:
                return future.result(timeout=_POLL_MS / 1000)
            except FuturesTimeout:
                self._idle(0.001, paused=True)

    def _write(self, batch: list[SourceRecord]) -> bool:
        """Write until every record is written or dead-lettered; False if stopped first."""
        pending = batch
        attempt = 0
        started = time.monotonic()
        try:
            while pending:
                result = self._attempt(pending)
                metrics.DOCUMENTS.labels("written").inc(result.written)
                metrics.DOCUMENTS.labels("stale").inc(result.stale)
                metrics.DOCUMENTS.labels("dead_lettered").inc(result.dead_lettered)
                pending = result.retry
                if not pending:
                    break
                attempt += 1
                metrics.RETRIES.inc()
                delay = self._backoff(attempt)
                log.warning(
                    "index refused the batch; pausing and retrying",
                    extra={
                        "records": len(pending),
                        "reason": (result.retry_reason or "")[:300],
                        "attempt": attempt,
                        "retry_in_s": round(delay, 1),
                    },
                )
                # Paused until the batch is through: nothing more is fetched meanwhile.
                self.consumer.pause(*self.consumer.assignment())
                self._paused = True
                metrics.PAUSED.set(1)
                self._idle(delay, paused=True)
                if self.stop.is_set():
                    return False
        finally:
            if self._paused:
                self.consumer.resume(*self.consumer.paused())
                self._paused = False
                metrics.PAUSED.set(0)
        if attempt:
            log.info("index accepted the batch again", extra={"attempts": attempt + 1})
        metrics.BATCH_SECONDS.observe(time.monotonic() - started)
        return True

    def _commit(self, batch: list[SourceRecord]) -> None:
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for record in batch:
            tp = TopicPartition(record.topic, record.partition)
            if tp not in offsets or offsets[tp].offset <= record.offset:
                offsets[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
        try:
            self.consumer.commit(offsets)
            metrics.BATCHES.inc()
        except (CommitFailedError, KafkaError) as exc:
            # The group rebalanced under us: the new owner re-reads and re-writes these
            # records, which the article id and version make harmless.
            log.warning(
                "offset commit failed; records will be re-delivered",
                extra={"error": str(exc), "records": len(batch)},
            )

    def run(self) -> None:
        try:
            self._setup()
            while not self.stop.is_set():
                batch = self._collect()
                if batch and self._write(batch):
                    self._commit(batch)
                    log.debug("batch committed", extra={"records": len(batch)})
                self._measure_lag()
        finally:
            self._worker.shutdown(wait=True)

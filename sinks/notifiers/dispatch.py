"""Delivering ``news.alerts`` to the channels without one channel ever holding up another.

Each channel has its own thread and bounded queue; the consumer only hands alerts over, so a
hung receiver costs its own channel a timeout per attempt and nothing else. A delivery that
still fails after the channel's retries, or that finds its channel's queue full, is recorded:
an error log line and a dead letter (the alert, the channel, the reason) on ``news.dlq``.
An offset is committed once every channel has delivered or recorded its alert, so a
restarted notifier redelivers only what was in flight.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from kafka import KafkaConsumer
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition
from prometheus_client import Counter
from pydantic import ValidationError

from sinks.notifiers.channels import Channel, DeliveryError
from wirewatch.alerts import Alert
from wirewatch.kafka import DeadLetters

log = logging.getLogger(__name__)

DELIVERIES = Counter(
    "wirewatch_alert_deliveries_total",
    "Alert deliveries by channel and result",
    ["channel", "result"],
)
_POLL_MS = 100
_COMMIT_EVERY = 1.0


class OffsetTracker:
    """Which offsets are fully handled; commits never pass a record still in flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._remaining: dict[tuple[TopicPartition, int], int] = {}
        self._order: dict[TopicPartition, deque[int]] = {}

    def add(self, tp: TopicPartition, offset: int) -> None:
        """A record arrives, held until :meth:`done` is called for it once."""
        with self._lock:
            self._remaining[(tp, offset)] = 1
            self._order.setdefault(tp, deque()).append(offset)

    def more(self, tp: TopicPartition, offset: int, deliveries: int) -> None:
        """The record also waits for ``deliveries`` more :meth:`done` calls."""
        with self._lock:
            self._remaining[(tp, offset)] += deliveries

    def done(self, tp: TopicPartition, offset: int) -> None:
        with self._lock:
            self._remaining[(tp, offset)] -= 1

    def committable(self) -> dict[TopicPartition, OffsetAndMetadata]:
        out: dict[TopicPartition, OffsetAndMetadata] = {}
        with self._lock:
            for tp, offsets in self._order.items():
                last = None
                while offsets and self._remaining[(tp, offsets[0])] <= 0:
                    last = offsets.popleft()
                    del self._remaining[(tp, last)]
                if last is not None:
                    out[tp] = OffsetAndMetadata(last + 1, "", -1)
        return out


@dataclass(frozen=True)
class _Job:
    alert: Alert
    original: bytes
    done: Callable[[], None]


class ChannelWorker:
    """One channel's thread: attempts, backoff, and the record of what could not be sent."""

    def __init__(
        self,
        channel: Channel,
        queue_size: int,
        failed: Callable[[Channel, _Job, str], None],
        stop: threading.Event,
    ) -> None:
        self.channel = channel
        self.queue: queue.Queue[_Job] = queue.Queue(queue_size)
        self.failed = failed
        self.stop = stop
        self.thread = threading.Thread(target=self._run, name=f"notify-{channel.name}", daemon=True)

    def start(self) -> ChannelWorker:
        self.thread.start()
        return self

    def offer(self, job: _Job) -> bool:
        try:
            self.queue.put_nowait(job)
            return True
        except queue.Full:
            return False

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                job = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                finished = self._deliver(job)
            except Exception as exc:  # a bug in a channel must not kill its thread
                log.exception("alert delivery crashed", extra={"channel": self.channel.name})
                self.failed(self.channel, job, f"{type(exc).__name__}: {exc}")
                finished = True
            if finished:
                job.done()
            # else: stopped mid-retry; the offset stays uncommitted and the alert is
            # delivered again after the restart.
        self.channel.close()

    def _deliver(self, job: _Job) -> bool:
        """Deliver or record the failure (True), or give up because we are stopping."""
        attempt = 0
        while True:
            try:
                self.channel.send(job.alert)
                DELIVERIES.labels(self.channel.name, "delivered").inc()
                if attempt:
                    log.info(
                        "alert delivered after retries",
                        extra={
                            "channel": self.channel.name,
                            "alert_id": job.alert.id,
                            "attempts": attempt + 1,
                        },
                    )
                return True
            except DeliveryError as exc:
                attempt += 1
                if not exc.retryable or attempt > self.channel.retries:
                    self.failed(self.channel, job, f"{exc} (after {attempt} attempt(s))")
                    return True
                if self.stop.is_set():
                    return False
                delay = self.channel.backoff * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
                log.warning(
                    "alert delivery failed; retrying",
                    extra={
                        "channel": self.channel.name,
                        "alert_id": job.alert.id,
                        "error": str(exc),
                        "retry_in_s": round(delay, 2),
                    },
                )
                if self.stop.wait(delay):
                    return False


class Notifier:
    """Consumes ``news.alerts`` and hands each new alert to the channels it asks for."""

    def __init__(
        self,
        consumer: KafkaConsumer,
        channels: list[Channel],
        dead_letters: DeadLetters,
        stop: threading.Event,
        queue_size: int = 1000,
    ) -> None:
        self.consumer = consumer
        self.dead_letters = dead_letters
        self.stop = stop
        self.tracker = OffsetTracker()
        self._warned: set[str] = set()
        self._workers_stop = threading.Event()
        self.workers = {
            c.name: ChannelWorker(c, queue_size, self._failed, self._workers_stop) for c in channels
        }

    def _failed(self, channel: Channel, job: _Job, reason: str) -> None:
        DELIVERIES.labels(channel.name, "failed").inc()
        log.error(
            "alert delivery failed",
            extra={
                "channel": channel.name,
                "alert_id": job.alert.id,
                "rule": job.alert.rule,
                "reason": reason,
            },
        )
        try:
            self.dead_letters.send(
                f"alert not delivered to {channel.name}: {reason}",
                job.original,
                key=job.alert.id,
                article_id=job.alert.article_id,
            )
        except KafkaError as exc:  # the log line above is then the only record
            log.error("cannot dead-letter the failed delivery", extra={"error": str(exc)})

    def _dispatch(self, tp: TopicPartition, offset: int, value: bytes) -> None:
        try:
            alert = Alert.from_bytes(value)
        except (ValidationError, ValueError) as exc:
            self.dead_letters.send(
                f"invalid alert record: {exc}",
                value,
                topic=tp.topic,
                partition=tp.partition,
                offset=offset,
            )
            return
        if not alert.notify:
            return  # only a count update of an alert already delivered
        missing = set(alert.channels) - set(self.workers) - self._warned
        if missing:
            # Said once per channel: the rule routes to a channel these settings leave off.
            self._warned |= missing
            log.warning(
                "a rule asks for channels that are not configured",
                extra={"rule": alert.rule, "channels": ",".join(sorted(missing))},
            )
        wanted = [
            w
            for name, w in self.workers.items()
            if not alert.channels or name in alert.channels or name == "log"
        ]
        self.tracker.more(tp, offset, len(wanted))
        for worker in wanted:
            job = _Job(alert, value, lambda: self.tracker.done(tp, offset))
            if not worker.offer(job):
                self._failed(worker.channel, job, "channel backlogged: its queue is full")
                job.done()

    def _commit(self) -> None:
        offsets = self.tracker.committable()
        if not offsets:
            return
        try:
            self.consumer.commit(offsets)
        except KafkaError as exc:
            log.warning("alert offsets not committed", extra={"error": str(exc)})

    def run(self) -> None:
        for worker in self.workers.values():
            worker.start()
        last_commit = time.monotonic()
        try:
            while not self.stop.is_set():
                for tp, records in self.consumer.poll(timeout_ms=_POLL_MS).items():
                    for record in records:
                        self.tracker.add(tp, record.offset)
                        try:
                            self._dispatch(tp, record.offset, record.value or b"")
                        finally:
                            self.tracker.done(tp, record.offset)
                if time.monotonic() - last_commit >= _COMMIT_EVERY:
                    self._commit()
                    last_commit = time.monotonic()
        finally:
            self._workers_stop.set()
            for worker in self.workers.values():
                worker.thread.join(timeout=5)
            self._commit()

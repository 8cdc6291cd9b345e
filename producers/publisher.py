"""Publishing raw articles to ``news.raw`` and waiting for the broker's acknowledgement."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from wirewatch.errors import ServiceError
from wirewatch.schema import Article

Where = tuple[str, int, int]  # topic, partition, offset


class Publisher:
    def __init__(self, producer: KafkaProducer, topic: str) -> None:
        self.producer = producer
        self.topic = topic

    async def publish_many(self, articles: list[Article]) -> list[Where | ServiceError]:
        """Send each keyed by article id; return, in order, where the broker stored it
        (acks=all) or why it did not.

        kafka-python acknowledges from its I/O thread; the event loop is woken once for the
        whole batch, not once per record (that wake-up was most of a cold round's cost).
        """
        if not articles:
            return []
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        results: list[Where | ServiceError | None] = [None] * len(articles)
        remaining = [len(articles)]
        lock = threading.Lock()

        def finish() -> None:
            if not done.done():
                done.set_result(None)

        def settle(index: int, outcome: Where | ServiceError) -> None:
            with lock:
                results[index] = outcome
                remaining[0] -= 1
                last = remaining[0] == 0
            if last:
                loop.call_soon_threadsafe(finish)

        for index, article in enumerate(articles):
            try:
                future = self.producer.send(
                    self.topic, key=article.id.encode(), value=article.to_bytes()
                )
            except KafkaError as exc:
                settle(index, ServiceError(f"cannot send article {article.id}: {exc}"))
                continue
            future.add_callback(_on_success, index, settle)
            future.add_errback(_on_error, index, article.id, settle)
        await done
        return [r if r is not None else ServiceError("no outcome") for r in results]

    async def publish(self, article: Article) -> Where:
        """Send one article; return where the broker stored it, or raise ServiceError."""
        (outcome,) = await self.publish_many([article])
        if isinstance(outcome, ServiceError):
            raise outcome
        return outcome

    def close(self, timeout: float = 5.0) -> None:
        self.producer.flush(timeout=timeout)
        self.producer.close(timeout=timeout)


def _on_success(index: int, settle: Any, meta: Any) -> None:
    settle(index, (str(meta.topic), int(meta.partition), int(meta.offset)))


def _on_error(index: int, article_id: str, settle: Any, exc: BaseException) -> None:
    settle(index, ServiceError(f"Kafka did not accept article {article_id}: {exc}"))

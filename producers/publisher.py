"""Publishing raw articles to ``news.raw`` and waiting for the broker's acknowledgement."""

from __future__ import annotations

import asyncio
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from wirewatch.errors import ServiceError
from wirewatch.schema import Article


class Publisher:
    def __init__(self, producer: KafkaProducer, topic: str) -> None:
        self.producer = producer
        self.topic = topic

    async def publish(self, article: Article) -> tuple[str, int, int]:
        """Send keyed by article id; return (topic, partition, offset) once the broker
        acknowledged it (acks=all)."""
        loop = asyncio.get_running_loop()
        acked: asyncio.Future[tuple[str, int, int]] = loop.create_future()

        def settle(where: tuple[str, int, int] | None, error: BaseException | None) -> None:
            if acked.done():
                return
            if where is not None:
                acked.set_result(where)
            else:
                acked.set_exception(
                    ServiceError(f"Kafka did not accept article {article.id}: {error}")
                )

        # kafka-python calls back from its I/O thread.
        def on_success(meta: Any) -> None:
            where = (str(meta.topic), int(meta.partition), int(meta.offset))
            loop.call_soon_threadsafe(settle, where, None)

        def on_error(exc: BaseException) -> None:
            loop.call_soon_threadsafe(settle, None, exc)

        try:
            future = self.producer.send(
                self.topic, key=article.id.encode(), value=article.to_bytes()
            )
        except KafkaError as exc:
            raise ServiceError(f"cannot send article {article.id}: {exc}") from exc
        future.add_callback(on_success)
        future.add_errback(on_error)
        return await acked

    def close(self, timeout: float = 5.0) -> None:
        self.producer.flush(timeout=timeout)
        self.producer.close(timeout=timeout)

"""Sending from agents: wait for the broker's ack, and dead-letter an event with its reason.

Both agents commit an input offset only after what they made of it (an output record or a
dead letter) was acknowledged, so neither can lose an event silently.
"""

from __future__ import annotations

import logging

import faust

from wirewatch.schema import DeadLetter

log = logging.getLogger(__name__)


async def send_and_wait(topic: faust.TopicT, key: bytes | None, value: bytes) -> None:
    """Send and wait for the broker's ack."""
    pending = await topic.send(key=key, value=value)
    await pending


async def dead_letter(
    dlq: faust.TopicT,
    event: faust.EventT[bytes],
    stage: str,
    reason: str,
    article_id: str | None = None,
) -> None:
    """Put the event's original bytes on ``news.dlq`` with the stage and the reason."""
    message = event.message
    letter = DeadLetter.of(
        stage,
        reason,
        message.value or b"",
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key.decode("utf-8", "replace") if message.key else None,
        article_id=article_id,
    )
    await send_and_wait(dlq, message.key, letter.to_bytes())
    log.warning(
        "record dead-lettered",
        extra={"stage": stage, "topic": message.topic, "offset": message.offset, "reason": reason},
    )

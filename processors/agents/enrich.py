"""The ``enrich`` agent: ``news.raw`` -> enrichment -> ``news.enriched``.

Faust acknowledges an event even when the agent raised, which would lose the article
silently; so every event is handled inside its own ``try`` and failures go to ``news.dlq``.
spaCy runs in an executor thread so heartbeats and rebalances are not starved.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust
from pydantic import ValidationError

from processors import metrics
from processors.nlp.pipeline import Enricher
from processors.topics import AgentTopics
from wirewatch.schema import Article, DeadLetter

log = logging.getLogger(__name__)


async def _send_and_wait(topic: faust.TopicT, key: bytes | None, value: bytes) -> None:
    """Send and wait for the broker's ack, so the input offset is committed only after it."""
    pending = await topic.send(key=key, value=value)
    await pending


def register(app: faust.App, topics: AgentTopics, enricher: Enricher) -> Any:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spacy")

    async def dead_letter(event: faust.EventT[bytes], reason: str, article_id: str | None) -> None:
        message = event.message
        letter = DeadLetter.of(
            "processors.enrich",
            reason,
            message.value or b"",
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key.decode("utf-8", "replace") if message.key else None,
            article_id=article_id,
        )
        await _send_and_wait(topics.dlq, message.key, letter.to_bytes())
        metrics.DEAD_LETTERED.labels(reason.split(":", 1)[0]).inc()
        log.warning(
            "record dead-lettered",
            extra={"topic": message.topic, "offset": message.offset, "reason": reason},
        )

    @app.agent(topics.raw, name="enrich")
    async def enrich(stream: faust.StreamT[bytes]) -> None:
        loop = asyncio.get_running_loop()
        async for event in stream.events():
            raw = event.value if isinstance(event.value, bytes) else b""
            try:
                article = Article.from_bytes(raw)
            except (ValidationError, ValueError) as exc:
                await dead_letter(event, f"invalid article record: {exc}", None)
                continue
            started = time.monotonic()
            try:
                enriched = await loop.run_in_executor(executor, enricher.enrich, article)
            except Exception as exc:
                log.exception("enrichment failed", extra={"article_id": article.id})
                await dead_letter(
                    event, f"enrichment failed: {type(exc).__name__}: {exc}", article.id
                )
                continue
            metrics.ENRICH_SECONDS.observe(time.monotonic() - started)
            await _send_and_wait(topics.enriched, article.id.encode(), enriched.to_bytes())
            metrics.ENRICHED.inc()
            log.debug(
                "article enriched",
                extra={"article_id": article.id, "entities": len(enriched.entities)},
            )

    return enrich

"""The ``enrich`` agent: ``news.raw`` -> enrichment -> ``news.enriched``.

Faust acknowledges an event even when the agent raised, which would lose the article
silently; so every event is handled on its own and failures go to ``news.dlq``: a record that
is not an article, and an article whose enrichment raised. Events are taken in small batches
so spaCy's ``nlp.pipe`` batches them, and spaCy runs in an executor thread so heartbeats and
rebalances are not starved (the app also keeps ``broker_max_poll_records`` small).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust
from pydantic import ValidationError

from processors import metrics
from processors.agents import records
from processors.agents.records import send_and_wait
from processors.nlp.pipeline import Enricher
from processors.topics import AgentTopics
from wirewatch.schema import Article

log = logging.getLogger(__name__)

BATCH_MAX = 8  # events per nlp.pipe call: enough to batch, small enough to keep polls short
BATCH_WITHIN = 0.5  # seconds to wait for a batch to fill before enriching what there is


def parse_event(raw: object) -> Article:
    """The article in a ``news.raw`` record; raises ValueError for anything else."""
    if not isinstance(raw, bytes | bytearray):
        raise ValueError(f"record value is {type(raw).__name__}, not bytes")
    return Article.from_bytes(bytes(raw))


def register(app: faust.App, topics: AgentTopics, enricher: Enricher) -> Any:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spacy")

    async def dead_letter(event: faust.EventT[bytes], reason: str, article_id: str | None) -> None:
        await records.dead_letter(topics.dlq, event, "processors.enrich", reason, article_id)
        metrics.DEAD_LETTERED.labels(reason.split(":", 1)[0]).inc()

    async def handle(events: Sequence[faust.EventT[bytes]]) -> None:
        parsed: list[tuple[faust.EventT[bytes], Article]] = []
        for event in events:
            try:
                parsed.append((event, parse_event(event.message.value)))
            except (ValidationError, ValueError) as exc:
                await dead_letter(event, f"invalid article record: {exc}", None)
        if not parsed:
            return
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        articles = [article for _, article in parsed]
        results: list[Article | Exception]
        try:
            results = await loop.run_in_executor(executor, enricher.enrich_many, articles)
        except Exception as exc:  # the batch itself failed (e.g. the model): each one to DLQ
            log.exception("batch enrichment failed")
            results = [exc] * len(parsed)
        elapsed = (time.monotonic() - started) / len(parsed)
        for (event, article), result in zip(parsed, results, strict=True):
            if isinstance(result, Exception):
                reason = f"enrichment failed: {type(result).__name__}: {result}"
                await dead_letter(event, reason, article.id)
                continue
            metrics.ENRICH_SECONDS.observe(elapsed)
            await send_and_wait(topics.enriched, article.id.encode(), result.to_bytes())
            metrics.ENRICHED.inc()
            log.debug(
                "article enriched",
                extra={
                    "article_id": article.id,
                    "entities": len(result.entities),
                    "statements": len(result.statements),
                },
            )

    @app.agent(topics.raw, name="enrich")
    async def enrich(stream: faust.StreamT[bytes]) -> None:
        batches = stream.take_events(BATCH_MAX, within=BATCH_WITHIN)  # type: ignore[attr-defined]
        async for events in batches:
            try:
                await handle(events)
            except Exception:
                # Sending to the DLQ or the output failed: re-raise so Faust stops and the
                # uncommitted events are read again after a restart, not lost.
                log.exception("could not forward an enrichment batch")
                raise

    return enrich

"""The ``alert`` agents: ``news.enriched`` -> rules -> fold -> ``news.alerts``.

Two hops, because the fold's state must live with its key: ``alert-match`` tests every rule
against every statement and re-keys each match by (rule, speaker, target) onto an internal
topic; ``alert`` owns the partitions of those keys and folds them with a Faust table (per key:
the open throttle window and the statements seen lately). The table is backed by a changelog
topic, so a restarted worker, or the worker that takes over a partition in a rebalance,
recovers it.
As in ``enrich``, every event is handled in its own ``try`` and failures go to ``news.dlq``.
"""

from __future__ import annotations

import logging
from typing import Any

import faust
from prometheus_client import Counter
from pydantic import ValidationError

from processors.agents import records
from processors.agents.records import send_and_wait
from processors.alerts import Candidate, RuleSet, candidates, fold
from processors.topics import AgentTopics
from wirewatch.schema import Article

log = logging.getLogger(__name__)

MATCHES = Counter("wirewatch_alert_matches_total", "Rule matches on statements", ["rule"])
ALERTS = Counter("wirewatch_alerts_total", "Alert records emitted", ["rule", "kind"])
DEAD_LETTERED = Counter("wirewatch_alert_dead_letters_total", "Alert records sent to the DLQ")


def register(
    app: faust.App,
    topics: AgentTopics,
    rules: RuleSet,
    partitions: int,
    remember_seconds: float = 7 * 86400,
) -> Any:
    folds = app.Table(
        "alert-folds",
        partitions=partitions,
        key_type=str,
        help="per (rule, speaker, target): the open window and the statements seen",
    )

    async def dead_letter(event: faust.EventT[bytes], stage: str, reason: str) -> None:
        await records.dead_letter(topics.dlq, event, stage, reason)
        DEAD_LETTERED.inc()

    @app.agent(topics.enriched, name="alert-match")
    async def match(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            raw = event.value if isinstance(event.value, bytes) else b""
            try:
                article = Article.from_bytes(raw)
                found = candidates(article, rules)
            except (ValidationError, ValueError) as exc:
                await dead_letter(event, "processors.alert", f"invalid enriched article: {exc}")
                continue
            except Exception as exc:
                log.exception("rule evaluation failed")
                await dead_letter(
                    event, "processors.alert", f"rule evaluation failed: {type(exc).__name__}"
                )
                continue
            for candidate in found:
                MATCHES.labels(candidate.alert.rule).inc()
                await send_and_wait(
                    topics.alert_candidates,
                    candidate.throttle_key.encode("utf-8"),
                    candidate.to_bytes(),
                )

    @app.agent(topics.alert_candidates, name="alert")
    async def alert(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            raw = event.value if isinstance(event.value, bytes) else b""
            try:
                candidate = Candidate.from_bytes(raw)
                raised = fold(candidate, folds, remember_seconds=remember_seconds)
            except Exception as exc:
                await dead_letter(
                    event, "processors.alert", f"alert fold failed: {type(exc).__name__}: {exc}"
                )
                continue
            if raised is None:
                log.debug(
                    "statement already alerted",
                    extra={"rule": candidate.alert.rule, "article_id": candidate.alert.article_id},
                )
                continue
            await send_and_wait(topics.alerts, raised.id.encode(), raised.to_bytes())
            ALERTS.labels(raised.rule, "new" if raised.notify else "folded").inc()
            log.info(
                "alert raised" if raised.notify else "alert folded",
                extra={
                    "rule": raised.rule,
                    "alert_id": raised.id,
                    "count": raised.count,
                    "speaker": raised.speaker,
                    "stance": raised.stance,
                    "target": raised.target,
                    "article_id": raised.article_id,
                },
            )

    return match, alert

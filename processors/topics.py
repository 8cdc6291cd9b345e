"""The Faust topics the agents read and write (names from ``wirewatch.topics``)."""

from __future__ import annotations

from dataclasses import dataclass

import faust

from wirewatch.topics import Topics


@dataclass(frozen=True)
class AgentTopics:
    raw: faust.TopicT
    enriched: faust.TopicT
    dlq: faust.TopicT
    alerts: faust.TopicT
    # Matches re-keyed by (rule, speaker, target), so one partition owns each fold's state.
    alert_candidates: faust.TopicT


def declare(app: faust.App, names: Topics) -> AgentTopics:
    # Records are our own JSON (the Article model), so Faust sees plain bytes.
    def topic(name: str) -> faust.TopicT:
        return app.topic(name, key_serializer="raw", value_serializer="raw")

    return AgentTopics(
        raw=topic(names.raw),
        enriched=topic(names.enriched),
        dlq=topic(names.dlq),
        alerts=topic(names.alerts),
        alert_candidates=app.topic(
            names.alerts + ".candidates",
            key_serializer="raw",
            value_serializer="raw",
            internal=True,  # Faust creates it, like a repartition topic
        ),
    )

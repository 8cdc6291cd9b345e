"""Rules against statements: the candidates one enriched article yields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from processors.alerts.dedupe import Candidate, fold, statement_id, throttle_key
from processors.alerts.rules import Rule, RuleSet
from wirewatch.alerts import Alert
from wirewatch.schema import Article, Statement


def _alert(rule: Rule, article: Article, statement: Statement, now: datetime) -> Alert:
    speaker, target = statement.speaker, statement.target
    return Alert(
        id="",
        rule=rule.name,
        description=rule.description,
        channels=list(rule.channels),
        first_seen=now,
        last_seen=now,
        speaker=speaker.name if speaker else None,
        speaker_id=speaker.canonical_id if speaker else None,
        speaker_type=speaker.type if speaker else None,
        stance=statement.stance,
        target=target.name if target else None,
        target_id=target.canonical_id if target else None,
        target_type=target.type if target else None,
        topics=list(statement.topics),
        statement_id=statement_id(speaker, statement.text),
        evidence=statement.text,
        cues=list(statement.evidence),
        confidence=statement.confidence,
        article_id=article.id,
        article_url=article.url,
        article_title=article.title,
        source=article.source,
        feed=article.feed,
        language=article.language,
        published=article.published,
    )


def candidates(article: Article, rules: RuleSet, now: datetime | None = None) -> list[Candidate]:
    """Every (rule, statement) match of one article, in statement order."""
    now = now or datetime.now(UTC)
    found: list[Candidate] = []
    for statement in article.statements:
        for rule in rules.matching(article, statement):
            found.append(
                Candidate(
                    throttle_key=throttle_key(rule.name, statement.speaker, statement.target),
                    throttle_seconds=rule.throttle_seconds,
                    alert=_alert(rule, article, statement, now),
                )
            )
    return found


class Folder:
    """The fold with in-memory state: what one worker's tables would hold, for offline use."""

    def __init__(self, remember_seconds: float = 7 * 86400) -> None:
        self.state: dict[str, Any] = {}
        self.remember_seconds = remember_seconds

    def alerts(
        self, articles: list[Article], rules: RuleSet, now: datetime | None = None
    ) -> list[Alert]:
        """The alerts as a desk would see them: one per rule, speaker and target, with the
        final count (the records that only update a count are merged into their alert)."""
        latest: dict[str, Alert] = {}
        for article in articles:
            for candidate in candidates(article, rules, now):
                alert = fold(candidate, self.state, now, self.remember_seconds)
                if alert is not None:
                    latest[alert.id] = alert
        return [a.model_copy(update={"notify": True}) for a in latest.values()]

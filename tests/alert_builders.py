"""Enriched articles with real Statement objects: exactly what flows on ``news.enriched``."""

from __future__ import annotations

from datetime import UTC, datetime

from wirewatch.schema import (
    Article,
    Enrichment,
    EntityRef,
    Mention,
    Stance,
    Statement,
    utcnow,
)

LAVROV = EntityRef(name="Sergey Lavrov", type="PERSON", canonical_id="Q131742")
ISLAMIC_STATE = EntityRef(name="Islamic State", type="ORG", canonical_id="Q2429253")
BORRELL = EntityRef(name="Josep Borrell", type="PERSON", canonical_id="Q57371")
IRAN = EntityRef(name="Iran", type="GPE", canonical_id="Q794")

EMBARGO = (
    "Russia has offered the Security Council to impose a comprehensive trade-economic "
    "embargo on any territories under the IS control"
)


def statement(
    text: str = EMBARGO,
    speaker: EntityRef | None = LAVROV,
    target: EntityRef | None = ISLAMIC_STATE,
    topics: tuple[str, ...] = ("sanctions",),
    stance: Stance = "support",
    cue: str = "impose",
) -> Statement:
    return Statement(
        speaker=speaker,
        text=text,
        start=0,
        end=len(text),
        kind="quote",
        topics=list(topics),
        stance=stance,
        target=target,
        evidence=[Mention(text=cue, start=0, end=len(cue), cue="stance:support")],
        confidence=0.9,
    )


def article(
    *statements: Statement,
    guid: str = "wire-1",
    feed: str = "https://tass.com/rss/v2.xml",
    source: str = "TASS",
    title: str = "Lavrov calls for embargo on Islamic State territories",
    language: str = "en",
) -> Article:
    text = " ".join(f'"{s.text}," he said.' for s in statements)
    raw = Article.new(
        feed=feed,
        source=source,
        url=f"https://wire.example/{guid}",
        guid=guid,
        title=title,
        text=text,
        language=language,
        published=datetime(2024, 3, 1, 9, 0, tzinfo=UTC),
    )
    return raw.model_copy(
        update={
            "statements": list(statements),
            "enrichment": Enrichment(version=2, model="test", enriched_at=utcnow()),
        }
    )

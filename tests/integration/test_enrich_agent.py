"""The enrich agent on real tansu: statements on the wire, odd articles with reasons,
unparseable records in the dead-letter topic, and the stream going on past all of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from kafka import KafkaProducer

from tests.helpers import read_topic, wait_for
from tests.integration.stages import stage
from wirewatch.kafka import ensure_topics
from wirewatch.schema import Article, DeadLetter
from wirewatch.settings import Settings

pytestmark = pytest.mark.integration


def _article(guid: str, text: str, title: str = "") -> Article:
    return Article.new(
        feed="https://wire.example/rss",
        source="Test Wire",
        url=f"https://wire.example/{guid}",
        guid=guid,
        title=title,
        text=text,
    )


def test_the_agent_enriches_odd_articles_with_reasons_and_dead_letters_junk(
    settings: Settings, tmp_path: Path
) -> None:
    bootstrap = settings.kafka.url or ""
    topics = settings.kafka.topics
    ensure_topics(bootstrap, settings.kafka)
    good = _article(
        "good",
        "Russian Foreign Minister Sergey Lavrov said on Wednesday that Moscow opposes the "
        'unilateral sanctions. "They are illegal," he added.',
        title="Lavrov on sanctions",
    )
    odd = [
        _article("empty", ""),
        _article("binary", "\x00\x01\x02\x03\ufffd" * 400),
        # Over the 200,000 characters enriched, under Kafka's 1 MB message limit.
        _article("huge", "The embargo stays, the minister said. " * 8_000),
    ]
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    producer.send(topics.raw, key=b"junk", value=b"\x89PNG\r\n\x1a\n not an article")
    for a in [*odd, good]:
        producer.send(topics.raw, key=a.id.encode(), value=a.to_bytes())
    producer.flush()
    producer.close()

    with stage("process", settings, tmp_path / "logs"):
        records = wait_for(
            lambda: (r := read_topic(bootstrap, topics.enriched)) and len(r) >= 4 and r,
            90,
            "four enriched articles",
        )
        letters = wait_for(lambda: read_topic(bootstrap, topics.dlq), 30, "the dead letter")

    enriched = {a.guid: a for a in (Article.from_bytes(r.value) for r in records)}
    lavrov = enriched["good"]
    (statement,) = [s for s in lavrov.statements if "sanctions" in s.topics][:1]
    assert statement.speaker is not None and statement.speaker.name == "Sergey Lavrov"
    assert statement.stance == "oppose"
    assert any(m.cue.startswith("stance:oppose") for m in statement.evidence)
    notes = {
        guid: " ".join(enriched[guid].enrichment.notes) for guid in ("empty", "binary", "huge")
    }  # type: ignore[union-attr]
    assert "no text" in notes["empty"]
    assert "binary" in notes["binary"]
    assert "cut to the first" in notes["huge"]
    (letter,) = [DeadLetter.model_validate_json(r.value) for r in letters]
    assert letter.stage == "processors.enrich" and "invalid article record" in letter.reason
    assert letter.original().startswith(b"\x89PNG")

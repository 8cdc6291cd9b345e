"""What counts as a new statement, and how repeats fold into one alert with a count."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from processors.alerts import Folder, candidates, fold, load_rules
from tests.alert_builders import BORRELL, EMBARGO, IRAN, article, statement
from wirewatch.alerts import Alert

RULES = load_rules()
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


class Tables:
    def __init__(self, remember_seconds: float = 7 * 86400) -> None:
        self.state: dict[str, Any] = {}
        self.remember_seconds = remember_seconds

    def run(self, art: Any, at: datetime = T0) -> list[Alert]:
        out = []
        for c in candidates(art, RULES, at):
            if c.alert.rule != "statements about sanctions":
                continue
            alert = fold(c, self.state, at, self.remember_seconds)
            if alert is not None:
                out.append(alert)
        return out


def test_a_new_statement_about_sanctions_raises_one_alert_with_what_a_desk_needs() -> None:
    [alert] = Tables().run(article(statement()))
    assert alert.notify and alert.count == 1
    assert (alert.speaker, alert.stance, alert.target) == (
        "Sergey Lavrov",
        "support",
        "Islamic State",
    )
    assert alert.topics == ["sanctions"]
    assert alert.evidence == EMBARGO
    assert alert.article_url == "https://wire.example/wire-1"
    assert alert.cues[0].text == "impose"


def test_the_same_statement_republished_updated_or_from_a_second_feed_does_not_alert_again() -> (
    None
):
    tables = Tables()
    assert len(tables.run(article(statement()))) == 1
    # the same article again (re-publish / replay)
    assert tables.run(article(statement()), T0 + timedelta(hours=3)) == []
    # an update: same statement, different case, quotes and spacing, new title
    updated = statement(
        "  RUSSIA has offered the Security Council to impose a comprehensive "
        "trade–economic embargo on any territories under the IS control.  "
    )
    assert tables.run(article(updated, title="UPDATE"), T0 + timedelta(hours=4)) == []
    # a second feed carrying it, days later
    other = article(
        statement(), guid="reuters-9", feed="https://reuters.example/rss", source="Reuters"
    )
    assert tables.run(other, T0 + timedelta(days=2)) == []


def test_repeats_in_the_window_fold_into_the_first_alert_and_a_later_one_is_new() -> None:
    tables = Tables()
    [first] = tables.run(article(statement()))
    second = statement("Moscow proposes a full embargo on territory seized by the IS")
    [folded] = tables.run(article(second, guid="wire-2"), T0 + timedelta(minutes=20))
    assert folded.id == first.id and folded.count == 2 and not folded.notify
    assert folded.quotes == [EMBARGO, second.text]
    assert folded.evidence == EMBARGO  # the alert stays the one the desk was sent
    # another speaker or target is its own alert
    eu = statement("The EU will extend sanctions on Iran", BORRELL, IRAN)
    [other] = tables.run(article(eu, guid="eu-1"), T0 + timedelta(minutes=21))
    assert other.notify and other.id != first.id
    # after the window (1 h) the same speaker and target alert again
    third = statement("Russia will keep pressing for the embargo on the IS")
    [later] = tables.run(article(third, guid="wire-3"), T0 + timedelta(minutes=70))
    assert later.notify and later.id != first.id and later.count == 1


def test_a_redelivered_candidate_changes_nothing() -> None:
    tables = Tables()
    art = article(statement())
    [c] = [c for c in candidates(art, RULES, T0) if c.alert.rule == "statements about sanctions"]
    assert fold(c, tables.state, T0) is not None
    snapshot = json.dumps(tables.state, sort_keys=True)
    assert fold(c, tables.state, T0 + timedelta(seconds=1)) is None
    assert json.dumps(tables.state, sort_keys=True) == snapshot


def test_offline_evaluation_merges_an_article_repeating_itself_into_one_alert() -> None:
    two = article(statement(), statement("Russia suggests imposing a full trade-economic embargo"))
    alerts = [a for a in Folder().alerts([two], RULES) if a.rule == "statements about sanctions"]
    assert len(alerts) == 1
    assert alerts[0].count == 2 and alerts[0].notify


def test_statements_without_a_speaker_still_alert_and_fold_by_text() -> None:
    tables = Tables()
    anon = statement("Sanctions on Iran will be extended, a source said", None, IRAN)
    assert len(tables.run(article(anon))) == 1
    assert tables.run(article(anon, guid="x"), T0 + timedelta(days=1)) == []


def test_state_stays_bounded_statements_are_forgotten_after_the_retention() -> None:
    tables = Tables(remember_seconds=2 * 86400)
    assert len(tables.run(article(statement()))) == 1
    for day in range(1, 6):
        quote = statement(f"Russia repeats its call for an embargo, day {day}")
        tables.run(article(quote, guid=f"d{day}"), T0 + timedelta(days=day))
    [record] = tables.state.values()
    assert len(record["seen"]) == 2  # days 4 and 5; older statements dropped
    # a statement older than the retention counts as new again
    [again] = tables.run(article(statement(), guid="late"), T0 + timedelta(days=6))
    assert again.notify and again.count == 1

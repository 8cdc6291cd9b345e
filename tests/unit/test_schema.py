from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from wirewatch.schema import SCHEMA_VERSION, Article, DeadLetter, article_id, normalise_url


def test_id_is_stable_under_tracking_parameters_fragments_and_host_case() -> None:
    plain = article_id(None, "https://tass.com/politics/968000")
    assert (
        article_id(None, "https://TASS.com:443/politics/968000/?utm_source=rss&utm_medium=x")
        == plain
    )
    assert article_id(None, "https://tass.com/politics/968000#comments") == plain
    assert article_id(None, "https://tass.com/politics/968000?fbclid=abc") == plain
    assert article_id(None, "https://tass.com/politics/968001") != plain


def test_meaningful_query_parameters_stay_part_of_the_identity() -> None:
    assert normalise_url("https://x.org/a?id=2&page=1") == "https://x.org/a?id=2&page=1"
    assert normalise_url("https://x.org/a?page=1&id=2") == normalise_url(
        "https://x.org/a?id=2&page=1"
    )
    assert article_id(None, "https://x.org/a?id=1") != article_id(None, "https://x.org/a?id=2")


def test_guid_wins_over_the_link_and_url_guids_are_normalised() -> None:
    assert article_id("tag:tass,2017:968000", "https://a.org/x") == article_id(
        "tag:tass,2017:968000", "https://b.org/y"
    )
    assert article_id("https://tass.com/p/1?utm_campaign=z", None) == article_id(
        None, "https://tass.com/p/1"
    )


def test_an_article_needs_a_guid_or_a_url() -> None:
    with pytest.raises(ValueError, match="GUID or a URL"):
        article_id(" ", "")


def _article(**kw: object) -> Article:
    base = dict(
        feed="https://tass.com/rss/v2.xml",
        source="TASS",
        url="https://tass.com/p/1?utm_source=rss",
        guid=None,
        title="Title",
        summary="Lead",
        text="Body",
        published=datetime(2017, 10, 4, 15, 0, tzinfo=timezone(timedelta(hours=3))),
    )
    base.update(kw)
    return Article.new(**base)  # type: ignore[arg-type]


def test_json_round_trip_keeps_everything() -> None:
    article = _article()
    again = Article.from_bytes(article.to_bytes())
    assert again == article
    assert again.schema_version == SCHEMA_VERSION
    assert again.url == "https://tass.com/p/1"


def test_times_are_utc_and_naive_times_are_refused() -> None:
    article = _article()
    assert article.published == datetime(2017, 10, 4, 12, 0, tzinfo=UTC)
    assert article.published is not None and article.published.tzinfo == UTC
    with pytest.raises(ValidationError):
        _article(published=datetime(2017, 10, 4, 12, 0))


def test_content_hash_changes_with_content_but_id_does_not() -> None:
    a, b = _article(), _article(text="Body, corrected")
    assert a.id == b.id
    assert a.content_hash != b.content_hash


def test_unknown_fields_are_refused_on_the_wire() -> None:
    data = _article().model_dump(mode="json") | {"surprise": 1}
    with pytest.raises(ValidationError, match="surprise"):
        Article.model_validate(data)


def test_dead_letter_keeps_the_original_bytes_and_reason() -> None:
    letter = DeadLetter.of("sinks", "bad JSON", b"\xff{not json", topic="news.enriched", offset=7)
    assert letter.original() == b"\xff{not json"
    assert letter.reason == "bad JSON" and letter.offset == 7

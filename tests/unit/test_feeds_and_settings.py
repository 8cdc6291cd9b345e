from pathlib import Path

import pytest

from producers.feeds import load_feeds
from wirewatch.errors import ConfigError
from wirewatch.settings import load_settings


def test_default_feed_list_is_tass_english_and_its_sections() -> None:
    feeds = load_feeds(None)
    assert feeds[0].url == "https://tass.com/rss/v2.xml"
    assert all(f.url.startswith("https://tass.com/rss/v2.xml") for f in feeds)
    assert {"politics", "world", "economy"} <= {t for f in feeds for t in f.tags}
    assert all(f.language == "en" and f.full_text for f in feeds)


def test_a_feed_may_ask_for_full_text(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - url: https://a.example/rss\n    full_text: true\n")
    (feed,) = load_feeds(path)
    assert feed.full_text is True


def test_feed_list_with_names_and_intervals(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "feeds:\n  - url: https://a.example/rss\n    name: A\n    interval: 30\n"
        "  - https://b.example/atom\n"
    )
    a, b = load_feeds(path)
    assert (a.display_name, a.interval) == ("A", 30)
    assert (b.display_name, b.interval) == ("b.example", None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feeds: nope", "top-level `feeds:` list"),
        ("feeds:\n  - name: no url\n", "feed #1: url"),
        ("feeds:\n  - url: ftp://x.example/f\n", "not an http"),
        ("feeds:\n  - url: https://a.example/\n    interval: -1\n", "interval"),
        ("feeds:\n  - url: https://a.example/\n  - url: https://a.example/\n", "more than once"),
        ("feeds: [", "not valid YAML"),
    ],
)
def test_bad_feed_lists_are_refused_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_feeds(path)


def test_missing_feed_list_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml"):
        load_feeds(tmp_path / "nowhere.yaml")


def test_environment_overrides_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "wirewatch.yaml"
    config.write_text("data_dir: /srv/ww\nkafka:\n  url: file-kafka:9092\n  partitions: 8\n")
    monkeypatch.setenv("WIREWATCH_KAFKA__URL", "env-kafka:9092")
    settings = load_settings(config)
    assert settings.kafka.url == "env-kafka:9092"
    assert settings.kafka.partitions == 8
    assert settings.data_dir == Path("/srv/ww")


def test_secrets_are_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_ELASTICSEARCH__API_KEY", "s3cret")
    settings = load_settings(None)
    assert "s3cret" not in repr(settings)
    assert settings.elasticsearch.api_key is not None
    assert settings.elasticsearch.api_key.get_secret_value() == "s3cret"


def test_invalid_settings_name_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[kafka]\npartitions = 0\n")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_settings(config)

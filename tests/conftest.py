"""Session fixtures: real tansu and osmem servers, a local feed server, isolated settings."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import FeedServer
from wirewatch.embedded import Osmem, Tansu
from wirewatch.settings import Settings, load_settings


@pytest.fixture(scope="session")
def tansu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tansu]:
    broker = Tansu(tmp_path_factory.mktemp("tansu")).start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def osmem(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Osmem]:
    server = Osmem(tmp_path_factory.mktemp("osmem")).start()
    yield server
    server.stop()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture
def settings(
    tmp_path: Path, tansu: Tansu, osmem: Osmem, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Settings for one test: its own topics, consumer groups, index and data directory."""
    for name in [k for k in __import__("os").environ if k.startswith("WIREWATCH_")]:
        monkeypatch.delenv(name)
    tag = uuid.uuid4().hex[:8]
    return load_settings(None).model_copy(
        update={
            "data_dir": tmp_path / "data",
            "kafka": load_settings(None).kafka.model_copy(
                update={"url": tansu.bootstrap, "topic_prefix": f"t{tag}.", "partitions": 2}
            ),
            "elasticsearch": load_settings(None).elasticsearch.model_copy(
                update={"url": osmem.url, "index_prefix": f"t{tag}-articles"}
            ),
        }
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a stage subprocess these settings."""
    env = {
        "WIREWATCH_DATA_DIR": str(settings.data_dir),
        "WIREWATCH_KAFKA__URL": settings.kafka.url or "",
        "WIREWATCH_KAFKA__TOPIC_PREFIX": settings.kafka.topic_prefix,
        "WIREWATCH_KAFKA__PARTITIONS": str(settings.kafka.partitions),
        "WIREWATCH_ELASTICSEARCH__URL": settings.elasticsearch.url or "",
        "WIREWATCH_ELASTICSEARCH__INDEX_PREFIX": settings.elasticsearch.index_prefix,
    }
    if settings.producer.feeds_file:
        env["WIREWATCH_PRODUCER__FEEDS_FILE"] = str(settings.producer.feeds_file)
    env["WIREWATCH_PRODUCER__MIN_INTERVAL"] = str(settings.producer.min_interval)
    return env

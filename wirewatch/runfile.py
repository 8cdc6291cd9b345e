"""The endpoints a running ``wirewatch run`` records in the data directory.

Other commands (``search``, ``doctor``, ``feeds``) read it when no URL is configured, so a
user can query the embedded pipeline without knowing its ports.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from wirewatch.errors import ConfigError
from wirewatch.schema import utcnow
from wirewatch.settings import Settings


class StageInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    pid: int
    metrics_url: str | None = None


class RunInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    pid: int
    started: AwareDatetime = Field(default_factory=utcnow)
    kafka_url: str
    elasticsearch_url: str
    index_alias: str
    embedded_kafka: bool
    embedded_elasticsearch: bool
    service_pids: dict[str, int] = Field(default_factory=dict)
    stages: dict[str, StageInfo] = Field(default_factory=dict)


def write(path: Path, info: RunInfo) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(info.model_dump_json(indent=2), encoding="utf-8")
    tmp.replace(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read(path: Path) -> RunInfo | None:
    """The recorded run, or None when there is none or its process has gone."""
    try:
        info = RunInfo.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError):
        return None
    return info if _alive(info.pid) else None


def resolve_urls(settings: Settings) -> tuple[str, str]:
    """Kafka bootstrap and Elasticsearch URL: configured ones first, else the running pipeline's."""
    kafka, es = settings.kafka.url, settings.elasticsearch.url
    if kafka and es:
        return kafka, es
    info = read(settings.run_file)
    if info is None:
        missing = " and ".join(
            n
            for n, v in (("WIREWATCH_KAFKA__URL", kafka), ("WIREWATCH_ELASTICSEARCH__URL", es))
            if not v
        )
        raise ConfigError(
            f"{missing} not set, and no running `wirewatch run` is recorded in {settings.run_file}"
        )
    return kafka or info.kafka_url, es or info.elasticsearch_url

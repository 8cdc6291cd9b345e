"""The feed registry: which feeds to poll, read from a YAML file.

::

    feeds:
      - url: https://tass.com/rss/v2.xml   # required
        name: TASS English                  # optional, defaults to the URL's host
        interval: 120                       # optional, seconds
        language: en
        tags: [tass]
        full_text: true                     # optional; default: producer.full_text
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from wirewatch.errors import ConfigError


class FeedConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    name: str = ""
    interval: float | None = Field(None, gt=0)
    language: str | None = None
    tags: list[str] = Field(default_factory=list)
    full_text: bool | None = None  # fetch article pages of summary-only entries

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value.strip()

    @property
    def display_name(self) -> str:
        return self.name or (urlsplit(self.url).hostname or self.url)


def _parse(text: str, origin: str) -> list[FeedConfig]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"feed list {origin}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("feeds"), list):
        raise ConfigError(f"feed list {origin}: expected a top-level `feeds:` list")
    feeds: list[FeedConfig] = []
    for number, entry in enumerate(data["feeds"], start=1):
        if isinstance(entry, str):
            entry = {"url": entry}
        try:
            feeds.append(FeedConfig.model_validate(entry))
        except ValidationError as exc:
            reasons = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"feed list {origin}: feed #{number}: {reasons}") from exc
    urls = [f.url for f in feeds]
    duplicates = sorted({u for u in urls if urls.count(u) > 1})
    if duplicates:
        raise ConfigError(f"feed list {origin}: listed more than once: {', '.join(duplicates)}")
    return feeds


def load_feeds(path: Path | None = None) -> list[FeedConfig]:
    """The feeds in ``path``, or the built-in list (TASS English) when it is None."""
    if path is None:
        text = resources.files("producers").joinpath("default_feeds.yaml").read_text("utf-8")
        return _parse(text, "(built-in)")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"feed list {path}: {exc.strerror}") from exc
    return _parse(text, str(path))

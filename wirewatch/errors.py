"""The one exception root of wirewatch.

::

    WirewatchError
    ├── ConfigError          settings, feed lists or rule files that cannot be used
    ├── ServiceError         an embedded or configured service (Kafka, Elasticsearch) failed
    ├── FetchError           a feed or page could not be fetched
    ├── ParseError           fetched bytes are not a usable feed or article
    ├── ProcessingError      an article could not be enriched
    └── SinkError            documents could not be written to the index

Third-party errors are wrapped with ``raise ... from`` so a user sees what failed and where.
"""


class WirewatchError(Exception):
    """Base of every error wirewatch raises on purpose."""


class ConfigError(WirewatchError):
    """A setting, feed list or rule file is invalid."""


class ServiceError(WirewatchError):
    """Kafka or Elasticsearch (embedded or configured) is unavailable or misbehaves."""


class FetchError(WirewatchError):
    """A feed or article page could not be fetched."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class ParseError(WirewatchError):
    """Bytes that should be a feed or an article record could not be parsed."""


class ProcessingError(WirewatchError):
    """An article could not be enriched."""


class SinkError(WirewatchError):
    """Documents could not be written to the index."""

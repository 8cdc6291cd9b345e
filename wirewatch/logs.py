"""Structured log lines: ``time level logger message key=value ...``.

Fields passed with ``extra={...}`` become ``key=value`` pairs, so a line can be grepped by
feed URL, article id or topic and still read as a sentence.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def _quote(value: object) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "=\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        fields = " ".join(
            f"{k}={_quote(v)}" for k, v in record.__dict__.items() if k not in _STANDARD
        )
        line = f"{when}Z {record.levelname:<7} {record.name}: {record.getMessage()}"
        if fields:
            line += " " + fields
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Client libraries are chatty at INFO about every connection.
    # (processors.transport subclasses Faust services, which log their lifecycle at INFO.)
    noisy = (
        "kafka",
        "aiokafka",
        "elastic_transport",
        "httpx",
        "httpcore",
        "faust",
        "mode",
        "processors.transport",
    )
    for name in noisy:
        logging.getLogger(name).setLevel(logging.WARNING)

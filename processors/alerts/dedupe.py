"""What makes an alert new, and how repeats fold into one.

* a statement's identity is its speaker and its normalised text: the same statement
  re-published, updated or carried by a second feed has the same id and never alerts twice;
* repeats of one rule for one speaker and target inside the rule's throttle window fold into
  the first alert, whose ``count`` grows; only the first record is delivered to channels.

:func:`fold` works on one mapping keyed by (rule, speaker, target): a Faust table in the agent,
a dict in ``wirewatch alerts test``. It is idempotent for a redelivered candidate.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from wirewatch.alerts import Alert
from wirewatch.schema import EntityRef

MAX_QUOTES = 10  # folded evidence kept on one alert


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def entity_key(ref: EntityRef | None) -> str:
    if ref is None:
        return ""
    return ref.canonical_id or " ".join(ref.name.casefold().split())


def normalise_text(text: str) -> str:
    """Case, quotes, punctuation and spacing do not make a statement new."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def statement_id(speaker: EntityRef | None, text: str) -> str:
    return _digest(entity_key(speaker), normalise_text(text))


def throttle_key(rule: str, speaker: EntityRef | None, target: EntityRef | None) -> str:
    return "\x1f".join((rule, entity_key(speaker), entity_key(target)))


class Candidate(BaseModel):
    """A rule that matched a statement, on its way to the fold (keyed by ``throttle_key``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    throttle_key: str
    throttle_seconds: float
    alert: Alert  # as it would be raised: count 1, first_seen = last_seen = match time

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Candidate:
        return cls.model_validate_json(data)


def fold(
    candidate: Candidate,
    state: MutableMapping[str, Any],
    now: datetime | None = None,
    remember_seconds: float = 7 * 86400,
) -> Alert | None:
    """The alert record to emit for ``candidate``, or None when its statement was seen.

    ``state`` holds one record per (rule, speaker, target): the open window with its alert,
    and the statements seen in the last ``remember_seconds`` (at least the window), so it
    stays bounded however long the pipeline runs.
    """
    now = now or datetime.now(UTC)
    at = now.timestamp()
    new = candidate.alert
    record = state.get(candidate.throttle_key) or {}
    keep = max(remember_seconds, candidate.throttle_seconds)
    seen = {sid: t for sid, t in record.get("seen", {}).items() if at - t < keep}
    if new.statement_id in seen:
        return None  # re-published, updated, carried by another feed, or redelivered
    seen[new.statement_id] = at

    if record.get("alert") is not None and at - record["start"] < candidate.throttle_seconds:
        first = Alert.model_validate(record["alert"])
        quotes = list(first.quotes)
        if new.evidence not in quotes and len(quotes) < MAX_QUOTES:
            quotes.append(new.evidence)
        raised = first.model_copy(
            update={"count": first.count + 1, "last_seen": now, "quotes": quotes, "notify": False}
        )
        start = record["start"]
    else:
        raised = new.model_copy(
            update={
                "id": _digest(candidate.throttle_key, now.isoformat()),
                "first_seen": now,
                "last_seen": now,
                "count": 1,
                "notify": True,
                "quotes": [new.evidence],
            }
        )
        start = at
    state[candidate.throttle_key] = {
        "start": start,
        "alert": raised.model_dump(mode="json"),
        "seen": seen,
    }
    return raised

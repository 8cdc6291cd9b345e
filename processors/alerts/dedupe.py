"""What makes an alert new, and how repeats fold into one.

* a statement's identity is its speaker and its normalised text: the same statement
  re-published, updated or carried by a second feed has the same id and never alerts twice;
* repeats of one rule for one speaker and target inside the rule's throttle window fold into
  the first alert, whose ``count`` grows; only the first record is delivered to channels.

:func:`fold` works on two mappings (statement ids seen, open windows): Faust tables in the
agent, dicts in ``wirewatch alerts test``. It is idempotent for a redelivered candidate.
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
    seen: MutableMapping[str, Any],
    windows: MutableMapping[str, Any],
    now: datetime | None = None,
) -> Alert | None:
    """The alert record to emit for ``candidate``, or None when its statement was seen."""
    now = now or datetime.now(UTC)
    new = candidate.alert
    seen_key = f"{new.rule}\x1f{new.statement_id}"
    if seen.get(seen_key) is not None:
        return None  # re-published, updated, carried by another feed, or redelivered
    seen[seen_key] = now.timestamp()

    window = windows.get(candidate.throttle_key)
    if window is not None and now.timestamp() - window["start"] < candidate.throttle_seconds:
        first = Alert.model_validate(window["alert"])
        quotes = list(first.quotes)
        if new.evidence not in quotes and len(quotes) < MAX_QUOTES:
            quotes.append(new.evidence)
        folded = first.model_copy(
            update={"count": first.count + 1, "last_seen": now, "quotes": quotes, "notify": False}
        )
        windows[candidate.throttle_key] = {
            "start": window["start"],
            "alert": folded.model_dump(mode="json"),
        }
        return folded

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
    windows[candidate.throttle_key] = {
        "start": now.timestamp(),
        "alert": raised.model_dump(mode="json"),
    }
    return raised

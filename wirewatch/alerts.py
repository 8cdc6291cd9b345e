"""The alert record on ``news.alerts``: shared by the processors (which raise alerts), the
sinks (which index and deliver them) and the CLI (which tails them).

Flat on purpose: one row per alert in Kibana, every field a keyword or a date to chart by.
An alert folds every repeat of its rule for the same speaker and target inside the rule's
throttle window: the first record of an ``id`` has ``notify`` set and goes to the channels;
later records of the same ``id`` only raise ``count`` (the index keeps the latest).
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from wirewatch.schema import SCHEMA_VERSION, Mention, Stance


class Alert(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = SCHEMA_VERSION
    id: str  # stable per (rule, speaker, target, throttle window)
    rule: str
    description: str = ""
    channels: list[str] = Field(default_factory=list)  # empty = every configured channel
    notify: bool = True  # False on the records that only update the count
    count: int = Field(1, ge=1)  # statements folded into this alert
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    speaker: str | None = None
    speaker_id: str | None = None
    speaker_type: str | None = None
    stance: Stance = "neutral"
    target: str | None = None
    target_id: str | None = None
    target_type: str | None = None
    topics: list[str] = Field(default_factory=list)
    statement_id: str
    evidence: str  # the statement as reported: the quote or paraphrase span
    quotes: list[str] = Field(default_factory=list)  # evidence of every folded statement
    cues: list[Mention] = Field(default_factory=list)  # what decided topics and stance
    confidence: float = 0.5
    article_id: str
    article_url: str
    article_title: str = ""
    source: str = ""
    feed: str = ""
    language: str | None = None
    published: AwareDatetime | None = None

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Alert:
        return cls.model_validate_json(data)

    def headline(self) -> str:
        """One readable line: who takes which side on what."""
        verb = {"support": "supports", "oppose": "opposes", "neutral": "comments on"}[self.stance]
        what = self.topics[0] if self.topics else "a watched subject"
        who = self.speaker or "An unattributed source"
        line = f"{who} {verb} {what}"
        if self.target:
            line += f" (target: {self.target})"
        return line

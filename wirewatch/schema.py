"""The one article model every stage shares, and the dead-letter record.

On the wire an article is JSON with a ``schema_version``; ``wirewatch schema`` prints the JSON
Schema generated from these models. Times are UTC-aware. An article's id is a stable hash of
its canonical identity (GUID, else normalised URL), so a re-poll, a replay or a retry produces
the same id in Kafka keys and in the index ``_id``.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1

# Query parameters that only track the reader; two URLs that differ in these are one article.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "yclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "igshid",
        "ref",
        "ref_src",
        "cmpid",
        "ncid",
        "ocid",
        "sr_share",
        "spm",
        "at_medium",
        "at_campaign",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_url(url: str) -> str:
    """Canonical form of an article URL: lower-case scheme and host, no default port, no
    fragment, no tracking parameters, the remaining parameters sorted."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith("utm_")
    )
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def _looks_like_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def article_id(guid: str | None, url: str | None) -> str:
    """Stable id from the GUID, else the normalised URL; GUIDs that are URLs are normalised too."""
    if guid and guid.strip():
        identity = guid.strip()
        identity = (
            "url:" + normalise_url(identity) if _looks_like_url(identity) else "guid:" + identity
        )
    elif url and url.strip():
        identity = "url:" + normalise_url(url)
    else:
        raise ValueError("an article needs a GUID or a URL to have an id")
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]


def content_hash(title: str, summary: str, text: str) -> str:
    """Hash of what a reader sees; a changed hash under the same id is an update."""
    digest = hashlib.sha256()
    for part in (title, summary, text):
        digest.update(part.strip().encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(_Frozen):
    """A stretch of article text, by character offsets."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Mention(Span):
    """One place something is named: which field of the article (offsets index into it) and
    what found it (``ner:PERSON``, ``gazetteer``, ...)."""

    field: Literal["title", "summary", "text"] = "text"
    cue: str = "ner"


class Entity(_Frozen):
    """A person, organisation, place or group mentioned in the article."""

    name: str
    type: str
    canonical_id: str | None = None  # e.g. a Wikidata QID
    source: str = "ner"
    mentions: list[Mention] = Field(default_factory=list)
    version: int | None = None  # the enrichment version that produced it


class EntityRef(_Frozen):
    """A pointer to an entity of the same article (a speaker, a target)."""

    name: str
    type: str | None = None
    canonical_id: str | None = None


Stance = Literal["support", "oppose", "neutral"]


class Statement(_Frozen):
    """A reported statement: who said it, what about, and which side they take."""

    speaker: EntityRef | None
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    kind: Literal["quote", "paraphrase", "action"] = "paraphrase"
    field: Literal["title", "summary", "text"] = "text"  # which field start/end index into
    topics: list[str] = Field(default_factory=list)
    stance: Stance = "neutral"
    target: EntityRef | None = None
    # "party": the target is who the measure hits; "measure": the stance is about the measure.
    target_role: Literal["party", "measure"] | None = None
    evidence: list[Mention] = Field(default_factory=list)  # the cues behind each label
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    version: int | None = None  # the enrichment version that produced it


class Topic(_Frozen):
    """An article-level topic with the cues that put it there."""

    name: str
    evidence: list[Mention] = Field(default_factory=list)
    version: int | None = None  # the enrichment version that produced it


class Enrichment(_Frozen):
    """Which enrichment produced the labels, and what it could not do."""

    version: int
    model: str
    enriched_at: AwareDatetime
    notes: list[str] = Field(default_factory=list)


class Article(_Frozen):
    """One news item, from the feed entry to the enriched document in the index."""

    schema_version: int = SCHEMA_VERSION
    id: str
    feed: str  # URL of the feed it came from
    source: str  # the feed's display name
    url: str  # canonical article URL
    guid: str | None = None
    title: str = ""
    summary: str = ""
    text: str = ""
    language: str | None = None
    published: AwareDatetime | None = None
    fetched: AwareDatetime
    content_hash: str
    tags: list[str] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    statements: list[Statement] = Field(default_factory=list)
    topics: list[Topic] = Field(default_factory=list)
    enrichment: Enrichment | None = None

    @field_validator("published", "fetched")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    @classmethod
    def new(
        cls,
        *,
        feed: str,
        source: str,
        url: str,
        guid: str | None,
        title: str,
        summary: str = "",
        text: str = "",
        language: str | None = None,
        published: datetime | None = None,
        fetched: datetime | None = None,
        tags: list[str] | None = None,
    ) -> Article:
        """Build a raw article, computing its id and content hash."""
        return cls(
            id=article_id(guid, url),
            feed=feed,
            source=source,
            url=normalise_url(url) if url else "",
            guid=guid,
            title=title,
            summary=summary,
            text=text,
            language=language,
            published=published,
            fetched=fetched or utcnow(),
            content_hash=content_hash(title, summary, text),
            tags=tags or [],
        )

    @property
    def body(self) -> str:
        """The text the enrichment reads: the full text, else the summary."""
        return self.text or self.summary

    def index_version(self) -> int:
        """Monotonic version for the index: later enrichment wins, then later fetch."""
        enrichment = self.enrichment.version if self.enrichment else 0
        return enrichment * 10**13 + int(self.fetched.timestamp() * 1000)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Article:
        return cls.model_validate_json(data)


class DeadLetter(_Frozen):
    """A record a stage could not handle, kept with the reason and its original bytes."""

    schema_version: int = SCHEMA_VERSION
    stage: str
    reason: str
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    article_id: str | None = None
    original_b64: str
    failed_at: AwareDatetime = Field(default_factory=utcnow)

    @classmethod
    def of(cls, stage: str, reason: str, original: bytes, **where: object) -> DeadLetter:
        return cls.model_validate(
            {
                "stage": stage,
                "reason": reason[:4000],
                "original_b64": base64.b64encode(original).decode("ascii"),
                **where,
            }
        )

    def original(self) -> bytes:
        return base64.b64decode(self.original_b64)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")

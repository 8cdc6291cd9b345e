"""The article sink: bulk-indexes enriched articles, ``_id`` = article id.

Monthly indices chosen by the article's published month (deterministic: the same article
always lands in the same index, so its ``_id`` keeps deduplicating), created on demand from
the template, one alias over them. External versions (``external_gte``) make a later
enrichment or fetch win and an older one a no-op (409, counted as stale).

Per record, ``write_batch`` decides: written, stale, dead-lettered (unparseable, too large,
rejected by the mapping) or handed back for retry (connection lost, 429, 5xx).
"""

from __future__ import annotations

import logging
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, helpers
from pydantic import ValidationError

from sinks import metrics
from sinks.base import RETRYABLE_STATUS, BatchingSink, BatchResult, SourceRecord
from sinks.documents import dated, to_document
from sinks.templates import article_family, install_family
from wirewatch.errors import SinkError
from wirewatch.kafka import DeadLetters
from wirewatch.schema import Article
from wirewatch.settings import SinkSettings

log = logging.getLogger(__name__)

TRUNCATED = "original truncated"  # marks a dead letter whose original is only a prefix


def _error_detail(error: Any) -> str:
    if isinstance(error, dict):
        detail = f"{error.get('type')}: {error.get('reason')}"
        cause = error.get("caused_by")
        if isinstance(cause, dict):
            detail += f" (caused by {cause.get('type')}: {cause.get('reason')})"
        return detail
    return str(error)


class ArticleSink(BatchingSink):
    def __init__(
        self,
        client: Elasticsearch,
        alias: str,
        dead_letters: DeadLetters,
        settings: SinkSettings | None = None,
    ) -> None:
        self.client = client
        # The runner retries, paused and with backoff; the transport's own quick retries
        # would only add a traceback per attempt to the log.
        self.bulk_client = client.options(max_retries=0)
        self.templates = article_family(alias)
        self.dead_letters = dead_letters
        self.settings = settings or SinkSettings()
        self._indices: set[str] = set()  # monthly indices known to exist

    @property
    def alias(self) -> str:
        return self.templates.alias

    def setup(self) -> None:
        try:
            install_family(self.client, self.templates)
        except (ApiError, TransportError) as exc:
            raise SinkError(f"cannot install the index templates of {self.alias!r}: {exc}") from exc

    def dead_letter(self, record: SourceRecord, reason: str, article_id: str | None) -> None:
        original = record.value
        limit = self.settings.dlq_max_original_bytes
        if len(original) > limit:
            # Kafka refuses messages above its max.message.bytes (1 MB by default): keep a
            # prefix and point at the full record, which replay reads back from its topic.
            reason += (
                f" [{TRUNCATED} to {limit} of {len(original)} bytes; full record at "
                f"{record.topic}[{record.partition}]@{record.offset}]"
            )
            original = original[:limit]
        self.dead_letters.send(
            reason,
            original,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode("utf-8", "replace") if record.key else None,
            article_id=article_id,
        )

    def _reject(self, record: SourceRecord, kind: str, reason: str, article_id: str | None) -> None:
        self.dead_letter(record, reason, article_id)
        metrics.REJECTIONS.labels(kind).inc()

    def _parse(
        self, records: list[SourceRecord]
    ) -> tuple[dict[str, tuple[Article, SourceRecord]], int, int]:
        """The newest version of each article in the batch; counts of dead and superseded."""
        dead = superseded = 0
        latest: dict[str, tuple[Article, SourceRecord]] = {}
        limit = self.settings.max_document_bytes
        for record in records:
            if len(record.value) > limit:
                self._reject(
                    record,
                    "too_large",
                    f"record of {len(record.value)} bytes exceeds sink.max_document_bytes "
                    f"({limit})",
                    record.key.decode("utf-8", "replace") if record.key else None,
                )
                dead += 1
                continue
            try:
                article = Article.from_bytes(record.value)
            except (ValidationError, ValueError) as exc:
                self._reject(record, "invalid", f"invalid enriched article: {exc}", None)
                dead += 1
                continue
            held = latest.get(article.id)
            if held and held[0].index_version() >= article.index_version():
                superseded += 1
                continue
            if held:
                superseded += 1
            latest[article.id] = (article, record)
        return latest, dead, superseded

    def _ensure_indices(self, names: set[str]) -> None:
        """Create missing monthly indices from the template (explicitly: clusters often
        restrict ``action.auto_create_index``)."""
        for name in sorted(names - self._indices):
            try:
                self.client.indices.create(index=name)
            except ApiError as exc:
                if exc.status_code != 400 or "already_exists" not in str(exc.body):
                    raise
            self._indices.add(name)

    def write_batch(self, records: list[SourceRecord]) -> BatchResult:
        latest, dead, superseded = self._parse(records)
        if not latest:
            return BatchResult(dead_lettered=dead, stale=superseded)

        actions: list[dict[str, Any]] = []
        for article, _ in latest.values():
            actions.append(
                {
                    "_op_type": "index",
                    "_index": self.templates.index_for(dated(article)),
                    "_id": article.id,
                    "_version": article.index_version(),
                    "_version_type": "external_gte",
                    "_source": to_document(article),
                }
            )
        try:
            self._ensure_indices({a["_index"] for a in actions})
            # One request per batch: the runner bounds the batch by count and bytes, and
            # streaming_bulk's own retries are off (we retry, paused, with backoff).
            results = list(
                helpers.streaming_bulk(
                    self.bulk_client,
                    actions,
                    chunk_size=len(actions),
                    max_chunk_bytes=max(self.settings.batch_bytes * 2, 10 * 1024 * 1024),
                    raise_on_error=False,
                    raise_on_exception=True,
                    max_retries=0,
                )
            )
        except (TransportError, ApiError) as exc:
            status = getattr(exc, "status_code", None)
            if status == 413:
                return self._split(latest, dead, superseded)
            if isinstance(exc, ApiError) and status not in RETRYABLE_STATUS:
                # A 4xx on the whole request (e.g. 401, 403) is a configuration problem no
                # record can be blamed for: retry, loudly, rather than dead-letter them all.
                log.error("the index refused the bulk request", extra={"status": status})
            return BatchResult(
                dead_lettered=dead,
                stale=superseded,
                retry=[rec for _, rec in latest.values()],
                retry_reason=f"{type(exc).__name__}: {exc}",
            )

        written = stale = 0
        retry: list[SourceRecord] = []
        reason = None
        for _ok, item in results:
            result = item.get("index", {})
            article, record = latest[result["_id"]]
            status = int(result.get("status", 500))
            error = result.get("error")
            if status < 300:
                written += 1
            elif status == 409:
                stale += 1  # the index already holds this version or a newer one
            elif status in RETRYABLE_STATUS or (status == 404 and "index_not_found" in str(error)):
                self._indices.discard(str(result.get("_index")))  # deleted under us: recreate
                retry.append(record)
                reason = f"HTTP {status}: {_error_detail(error)}"
            else:
                self._reject(
                    record,
                    "rejected",
                    f"rejected by the index (HTTP {status}): {_error_detail(error)}",
                    article.id,
                )
                dead += 1
        return BatchResult(
            written=written,
            stale=stale + superseded,
            dead_lettered=dead,
            retry=retry,
            retry_reason=reason,
        )

    def _split(
        self, latest: dict[str, tuple[Article, SourceRecord]], dead: int, superseded: int
    ) -> BatchResult:
        """413: the request is above the server's ``http.max_content_length`` (10 MB on
        some hosted clusters). Halve the batch; a single document that is still too large
        is dead-lettered."""
        records = [rec for _, rec in latest.values()]
        if len(records) == 1:
            (article, record), *_ = latest.values()
            self._reject(
                record,
                "too_large",
                "rejected by the index (HTTP 413): larger than its http.max_content_length",
                article.id,
            )
            return BatchResult(dead_lettered=dead + 1, stale=superseded)
        half = len(records) // 2
        first, second = self.write_batch(records[:half]), self.write_batch(records[half:])
        return BatchResult(
            written=first.written + second.written,
            stale=first.stale + second.stale + superseded,
            dead_lettered=first.dead_lettered + second.dead_lettered + dead,
            retry=first.retry + second.retry,
            retry_reason=first.retry_reason or second.retry_reason,
        )

    def close(self) -> None:
        self.client.close()

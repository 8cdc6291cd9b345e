"""The article sink: bulk-indexes enriched articles, ``_id`` = article id.

Monthly indices chosen by the article's published month (deterministic: the same article
always lands in the same index, so its ``_id`` keeps deduplicating), one alias over them.
External versions make a later enrichment or fetch win and an older one a no-op.
"""

from __future__ import annotations

import logging
from typing import Any

from elastic_transport import ConnectionError as EsConnectionError
from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, helpers
from pydantic import ValidationError

from sinks.base import BatchingSink, BatchResult, SourceRecord
from sinks.templates import article_template
from wirewatch.errors import SinkError
from wirewatch.kafka import DeadLetters
from wirewatch.schema import Article

log = logging.getLogger(__name__)

_RETRYABLE_STATUS = {429, 500, 502, 503, 504}


def index_for(alias: str, article: Article) -> str:
    when = article.published or article.fetched
    return f"{alias}-{when:%Y.%m}"


class ArticleSink(BatchingSink):
    def __init__(self, client: Elasticsearch, alias: str, dead_letters: DeadLetters) -> None:
        self.client = client
        self.alias = alias
        self.dead_letters = dead_letters

    def setup(self) -> None:
        try:
            self.client.indices.put_index_template(name=self.alias, **article_template(self.alias))
        except (ApiError, TransportError) as exc:
            raise SinkError(f"cannot install the index template {self.alias!r}: {exc}") from exc

    def _dead_letter(self, record: SourceRecord, reason: str, article_id: str | None) -> None:
        self.dead_letters.send(
            reason,
            record.value,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode("utf-8", "replace") if record.key else None,
            article_id=article_id,
        )

    def write_batch(self, records: list[SourceRecord]) -> BatchResult:
        dead = 0
        latest: dict[str, tuple[Article, SourceRecord]] = {}
        superseded: list[SourceRecord] = []
        for record in records:
            try:
                article = Article.from_bytes(record.value)
            except (ValidationError, ValueError) as exc:
                self._dead_letter(record, f"invalid enriched article: {exc}", None)
                dead += 1
                continue
            held = latest.get(article.id)
            if held and held[0].index_version() >= article.index_version():
                superseded.append(record)
                continue
            if held:
                superseded.append(held[1])
            latest[article.id] = (article, record)
        if not latest:
            return BatchResult(dead_lettered=dead, stale=len(superseded))

        actions: list[dict[str, Any]] = [
            {
                "_op_type": "index",
                "_index": index_for(self.alias, article),
                "_id": article.id,
                "_version": article.index_version(),
                "_version_type": "external_gte",
                "_source": article.model_dump(mode="json"),
            }
            for article, _ in latest.values()
        ]
        try:
            results = list(
                helpers.streaming_bulk(
                    self.client,
                    actions,
                    chunk_size=len(actions),
                    max_chunk_bytes=50 * 1024 * 1024,
                    raise_on_error=False,
                    raise_on_exception=True,
                    max_retries=0,
                )
            )
        except (EsConnectionError, TransportError, ApiError) as exc:
            return BatchResult(
                dead_lettered=dead,
                stale=len(superseded),
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
            if status < 300:
                written += 1
            elif status == 409:
                stale += 1  # the index already holds this version or a newer one
            elif status in _RETRYABLE_STATUS:
                retry.append(record)
                reason = f"HTTP {status}: {result.get('error')}"
            else:
                error = result.get("error", {})
                detail = (
                    f"{error.get('type')}: {error.get('reason')}"
                    if isinstance(error, dict)
                    else str(error)
                )
                self._dead_letter(
                    record, f"rejected by the index (HTTP {status}): {detail}", article.id
                )
                dead += 1
        return BatchResult(
            written=written,
            stale=stale + len(superseded),
            dead_lettered=dead,
            retry=retry,
            retry_reason=reason,
        )

    def close(self) -> None:
        self.client.close()

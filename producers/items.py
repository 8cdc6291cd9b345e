"""From parsed entries to acknowledged records: dedupe, full text, publish, remember.

- An entry whose id was published with the same entry hash is skipped; with another hash
  it is published again under the same id (an update).
- An entry with a new id but the link and title of a published one is the same article
  whose GUID the publisher rewrote: it keeps the old id (and is skipped if unchanged).
- An entry polled by two feeds at once is published by one of them.
- Before a send the item is written to ``pending``; after the broker's ack it moves to
  ``published``. A send that fails stays pending and is sent again at the next poll.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field

from producers import metrics
from producers.feeds import FeedConfig
from producers.fulltext import FullText
from producers.publisher import Publisher
from producers.state import Pending, StateStore
from wirewatch.errors import FetchError, ServiceError
from wirewatch.schema import Article, content_hash

log = logging.getLogger(__name__)


def link_key(article: Article) -> str | None:
    """Identity of an entry apart from its GUID: normalised link and title."""
    if not article.url or not article.title.strip():
        return None
    # Article.url is normalised already (no tracking parameters, canonical host).
    basis = article.url + "\x00" + " ".join(article.title.lower().split())
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


@dataclass
class Published:
    new: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)


class ItemPublisher:
    def __init__(
        self,
        state: StateStore,
        publisher: Publisher,
        cluster_id: str,
        fulltext: FullText | None = None,
        full_text_default: bool = False,
    ) -> None:
        self.state = state
        self.publisher = publisher
        self.cluster_id = cluster_id
        self.fulltext = fulltext
        self.full_text_default = full_text_default
        self._in_flight: set[str] = set()

    def _unseen(self, articles: list[Article]) -> list[tuple[Article, bool, str | None]]:
        keys = [link_key(a) for a in articles]
        seen = self.state.published_hashes(self.cluster_id, [a.id for a in articles])
        unknown = [k for a, k in zip(articles, keys, strict=True) if a.id not in seen and k]
        by_link = self.state.published_by_links(self.cluster_id, unknown) if unknown else {}
        todo: list[tuple[Article, bool, str | None]] = []
        taken: set[str] = set()
        for article, key in zip(articles, keys, strict=True):
            digest = seen.get(article.id)
            if digest is None and key in by_link:
                # The GUID changed, the link and title did not: the same article.
                old_id, digest = by_link[key]
                article = article.model_copy(update={"id": old_id})
            if (
                digest == article.content_hash
                or article.id in self._in_flight
                or article.id in taken
            ):
                continue
            taken.add(article.id)
            todo.append((article, digest is not None, key))
        return todo

    async def publish(self, articles: list[Article], feed: FeedConfig) -> Published:
        """Publish what is new or changed; raise ServiceError if Kafka did not take it all."""
        todo = self._unseen(articles)
        outcome = Published()
        if not todo:
            return outcome
        ids = {a.id for a, _, _ in todo}
        self._in_flight |= ids
        try:
            records = await self._with_full_text([a for a, _, _ in todo], feed, outcome)
            pending = [
                Pending(a.id, a.content_hash, r.content_hash, key)
                for (a, _, key), r in zip(todo, records, strict=True)
            ]
            self.state.add_pending(self.cluster_id, pending)
            results = await self.publisher.publish_many(records)
        finally:
            self._in_flight -= ids
        failure: ServiceError | None = None
        acked: list[Pending] = []
        for (_, is_update, _), item, result in zip(todo, pending, results, strict=True):
            if isinstance(result, ServiceError):
                failure = failure or result
                continue
            acked.append(item)
            metrics.item(feed.url, "updated" if is_update else "new")
            outcome.updated += is_update
            outcome.new += not is_update
        # Only now, after the broker's acks, are the items seen.
        self.state.mark_published(self.cluster_id, acked)
        if failure is not None:
            raise ServiceError(
                f"{len(todo) - outcome.new - outcome.updated} of {len(todo)} items not "
                f"acknowledged by Kafka: {failure}"
            ) from failure
        return outcome

    async def _with_full_text(
        self, articles: list[Article], feed: FeedConfig, outcome: Published
    ) -> list[Article]:
        wanted = feed.full_text if feed.full_text is not None else self.full_text_default
        if self.fulltext is None or not wanted:
            return articles
        fulltext = self.fulltext

        async def complete(article: Article) -> Article:
            if article.text or not article.url:
                return article
            try:
                text = await fulltext.text_of(article.url)
            except Exception as exc:  # a page we cannot read must not cost the item
                reason = exc.reason if isinstance(exc, FetchError) else f"{type(exc).__name__}"
                metrics.error(feed.url, "fulltext")
                outcome.problems.append(f"full text of {article.url}: {reason}")
                return article  # it still goes out, with its summary
            return article.model_copy(
                update={
                    "text": text,
                    "content_hash": content_hash(article.title, article.summary, text),
                }
            )

        return list(await asyncio.gather(*(complete(a) for a in articles)))

"""The producer's state in SQLite: per-feed poll state and the ids it has published.

Seen ids belong to the Kafka cluster they were published to (its cluster id): an embedded
broker keeps topics in memory, so a fresh broker must get everything again. The feed's HTTP
validators belong to that cluster too, for the same reason.

Publishing is recorded in two steps so a kill at any moment loses nothing and duplicates
nothing: an item is written to ``pending`` before it is sent, and moved to ``published``
after the ack. Whatever is still pending
at start is checked against the topic itself (see ``producers.recovery``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    cluster_id TEXT,
    etag TEXT,
    last_modified TEXT,
    last_poll REAL,
    next_poll REAL,
    status TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    items INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS published (
    cluster_id TEXT NOT NULL,
    article_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    published_at REAL NOT NULL,
    PRIMARY KEY (cluster_id, article_id)
);
CREATE TABLE IF NOT EXISTS pending (
    cluster_id TEXT NOT NULL,
    article_id TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    record_hash TEXT NOT NULL,
    link_key TEXT,
    created_at REAL NOT NULL,
    PRIMARY KEY (cluster_id, article_id, record_hash)
);
"""

# Columns added after the first release; added in place to an older database.
_ADDED_COLUMNS = {
    "feeds": {
        "current_url": "TEXT",
        "interval": "REAL",
        "retired": "INTEGER NOT NULL DEFAULT 0",
        "body_hash": "TEXT",
        "last_new": "REAL",
    },
    "published": {"link_key": "TEXT"},
}


@dataclass(frozen=True)
class FeedState:
    url: str
    cluster_id: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_poll: float | None = None
    next_poll: float | None = None
    status: str | None = None
    failures: int = 0
    last_error: str | None = None
    items: int = 0
    current_url: str | None = None  # after a permanent redirect
    interval: float | None = None  # the interval chosen at the last successful poll
    retired: bool = False  # the feed answered 410 Gone
    body_hash: str | None = None  # of the last parsed body, for servers without validators
    last_new: float | None = None  # when the feed last brought a new or updated item

    def validators_for(self, cluster_id: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified, but only if what they vouch for went to this cluster."""
        if self.cluster_id != cluster_id:
            return None, None
        return self.etag, self.last_modified

    @property
    def fetch_url(self) -> str:
        return self.current_url or self.url


_FEED_COLUMNS = [f.name for f in fields(FeedState)]


@dataclass(frozen=True)
class Pending:
    article_id: str
    entry_hash: str  # what dedupe compares: the hash of the feed entry as polled
    record_hash: str  # the content hash in the Kafka record (with full text, if fetched)
    link_key: str | None


class StateStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._migrate()
        self._db.execute(
            "CREATE INDEX IF NOT EXISTS published_link ON published (cluster_id, link_key)"
        )

    def _migrate(self) -> None:
        for table, columns in _ADDED_COLUMNS.items():
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for name, decl in columns.items():
                if name not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- feeds --------------------------------------------------------------------------

    def feed(self, url: str) -> FeedState:
        with self._lock:
            row = self._db.execute(
                f"SELECT {', '.join(_FEED_COLUMNS)} FROM feeds WHERE url = ?", (url,)
            ).fetchone()
        return _feed_state(row) if row else FeedState(url=url)

    def feeds(self) -> list[FeedState]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(_FEED_COLUMNS)} FROM feeds ORDER BY url"
            ).fetchall()
        return [_feed_state(row) for row in rows]

    def save_feed(self, state: FeedState) -> None:
        values = [getattr(state, name) for name in _FEED_COLUMNS]
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO feeds ({', '.join(_FEED_COLUMNS)})"
                f" VALUES ({', '.join('?' * len(values))})",
                values,
            )

    # -- published items ----------------------------------------------------------------

    def published_hash(self, cluster_id: str, article_id: str) -> str | None:
        """The entry hash last published under this id to this cluster, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT content_hash FROM published WHERE cluster_id = ? AND article_id = ?",
                (cluster_id, article_id),
            ).fetchone()
        return str(row[0]) if row else None

    def published_hashes(self, cluster_id: str, article_ids: list[str]) -> dict[str, str]:
        """Entry hashes published under these ids (one query for a whole feed)."""
        found: dict[str, str] = {}
        with self._lock:
            for i in range(0, len(article_ids), 500):
                chunk = article_ids[i : i + 500]
                found.update(
                    self._db.execute(
                        "SELECT article_id, content_hash FROM published WHERE cluster_id = ?"
                        f" AND article_id IN ({', '.join('?' * len(chunk))})",
                        (cluster_id, *chunk),
                    ).fetchall()
                )
        return found

    def published_by_links(
        self, cluster_id: str, link_keys: list[str]
    ) -> dict[str, tuple[str, str]]:
        """link key -> (article id, entry hash) of items published with that link and title."""
        found: dict[str, tuple[str, str]] = {}
        with self._lock:
            for i in range(0, len(link_keys), 500):
                chunk = link_keys[i : i + 500]
                for key, article_id, digest in self._db.execute(
                    "SELECT link_key, article_id, content_hash FROM published WHERE cluster_id = ?"
                    f" AND link_key IN ({', '.join('?' * len(chunk))})",
                    (cluster_id, *chunk),
                ):
                    found.setdefault(key, (article_id, digest))
        return found

    def add_pending(self, cluster_id: str, items: Iterable[Pending]) -> None:
        """Record items about to be sent (before the send, in one transaction)."""
        now = datetime.now(UTC).timestamp()
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO pending (cluster_id, article_id, entry_hash,"
                " record_hash, link_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (cluster_id, p.article_id, p.entry_hash, p.record_hash, p.link_key, now)
                    for p in items
                ],
            )

    def pending(self, cluster_id: str) -> list[tuple[Pending, float]]:
        """Items sent but not known to be acknowledged, with when they were sent."""
        with self._lock:
            rows = self._db.execute(
                "SELECT article_id, entry_hash, record_hash, link_key, created_at FROM pending"
                " WHERE cluster_id = ?",
                (cluster_id,),
            ).fetchall()
        return [(Pending(*row[:4]), float(row[4])) for row in rows]

    def drop_pending(self, cluster_id: str, items: Iterable[Pending]) -> None:
        """Forget pending items that never reached the broker: the next poll sends them."""
        with self._transaction() as db:
            db.executemany(
                "DELETE FROM pending WHERE cluster_id = ? AND article_id = ? AND record_hash = ?",
                [(cluster_id, p.article_id, p.record_hash) for p in items],
            )

    def mark_published(self, cluster_id: str, items: Iterable[Pending]) -> None:
        """Record items the broker has acknowledged (one transaction for the lot)."""
        now = datetime.now(UTC).timestamp()
        rows = list(items)
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO published (cluster_id, article_id, content_hash,"
                " published_at, link_key) VALUES (?, ?, ?, ?, ?)",
                [(cluster_id, i.article_id, i.entry_hash, now, i.link_key) for i in rows],
            )
            db.executemany(
                "DELETE FROM pending WHERE cluster_id = ? AND article_id = ? AND record_hash = ?",
                [(cluster_id, i.article_id, i.record_hash) for i in rows],
            )

    def published_count(self, cluster_id: str | None = None) -> int:
        with self._lock:
            if cluster_id is None:
                row = self._db.execute("SELECT COUNT(*) FROM published").fetchone()
            else:
                row = self._db.execute(
                    "SELECT COUNT(*) FROM published WHERE cluster_id = ?", (cluster_id,)
                ).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _feed_state(row: tuple[object, ...]) -> FeedState:
    values = dict(zip(_FEED_COLUMNS, row, strict=True))
    values["retired"] = bool(values["retired"])
    return FeedState(**values)  # type: ignore[arg-type]

"""The producer's state in SQLite: per-feed poll state and the ids it has published.

Seen ids belong to the Kafka cluster they were published to (its cluster id): an embedded
broker keeps topics in memory, so a fresh broker must get everything again. The feed's HTTP
validators belong to that cluster too, for the same reason.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
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
"""


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

    def validators_for(self, cluster_id: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified, but only if what they vouch for went to this cluster."""
        if self.cluster_id != cluster_id:
            return None, None
        return self.etag, self.last_modified


class StateStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def feed(self, url: str) -> FeedState:
        with self._lock:
            row = self._db.execute(
                "SELECT url, cluster_id, etag, last_modified, last_poll, next_poll, status,"
                " failures, last_error, items FROM feeds WHERE url = ?",
                (url,),
            ).fetchone()
        return FeedState(*row) if row else FeedState(url=url)

    def feeds(self) -> list[FeedState]:
        with self._lock:
            rows = self._db.execute(
                "SELECT url, cluster_id, etag, last_modified, last_poll, next_poll, status,"
                " failures, last_error, items FROM feeds ORDER BY url"
            ).fetchall()
        return [FeedState(*row) for row in rows]

    def save_feed(self, state: FeedState) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO feeds (url, cluster_id, etag, last_modified, last_poll,"
                " next_poll, status, failures, last_error, items)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    state.url,
                    state.cluster_id,
                    state.etag,
                    state.last_modified,
                    state.last_poll,
                    state.next_poll,
                    state.status,
                    state.failures,
                    state.last_error,
                    state.items,
                ),
            )

    def published_hash(self, cluster_id: str, article_id: str) -> str | None:
        """The content hash last published under this id to this cluster, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT content_hash FROM published WHERE cluster_id = ? AND article_id = ?",
                (cluster_id, article_id),
            ).fetchone()
        return str(row[0]) if row else None

    def mark_published(self, cluster_id: str, article_id: str, content_hash: str) -> None:
        """Record an item the broker has acknowledged."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO published (cluster_id, article_id, content_hash,"
                " published_at) VALUES (?, ?, ?, ?)",
                (cluster_id, article_id, content_hash, datetime.now(UTC).timestamp()),
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

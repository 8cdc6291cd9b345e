"""After a crash: settle the items that were sent but whose acknowledgement was not recorded.

Items are written to ``pending`` before they are sent. At start, any still pending were in
flight when the previous producer died: the broker may or may not have them. The topic is
read from the time the oldest was sent (``offsets_for_times``; from the beginning if the
broker cannot say) and every pending item found there is marked published; the others never
arrived and are dropped from ``pending``, so the next poll sends them. Nothing is lost and
nothing is published twice.
"""

from __future__ import annotations

import json
import logging

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from producers.state import Pending, StateStore
from wirewatch.errors import ServiceError

log = logging.getLogger(__name__)

_CLOCK_SLACK_MS = 60_000  # producer and broker clocks may disagree a little


def settle_pending(state: StateStore, bootstrap: str, topic: str, cluster_id: str) -> int:
    """Mark pending items found in ``topic`` as published, drop the rest; return how many
    were found."""
    pending = state.pending(cluster_id)
    if not pending:
        return 0
    wanted = {(p.article_id, p.record_hash): p for p, _ in pending}
    since_ms = int(min(t for _, t in pending) * 1000) - _CLOCK_SLACK_MS
    try:
        found = _scan(bootstrap, topic, since_ms, wanted)
    except KafkaError as exc:
        raise ServiceError(f"cannot read {topic} to settle pending items: {exc}") from exc
    state.mark_published(cluster_id, found)
    state.drop_pending(cluster_id, [p for p in wanted.values() if p not in found])
    log.info(
        "settled items in flight at the last stop",
        extra={"pending": len(wanted), "already_in_kafka": len(found)},
    )
    return len(found)


def _scan(
    bootstrap: str, topic: str, since_ms: int, wanted: dict[tuple[str, str], Pending]
) -> list[Pending]:
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","),
        enable_auto_commit=False,
        client_id="wirewatch-producer-recovery",
    )
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not tps:
            return []
        consumer.assign(tps)
        end = consumer.end_offsets(tps)
        try:
            starts = consumer.offsets_for_times({tp: max(since_ms, 0) for tp in tps})
        except (KafkaError, ValueError):
            starts = {}
        for tp in tps:
            start = starts.get(tp)
            consumer.seek(tp, start.offset if start is not None else end[tp])
            if start is None and not starts:
                consumer.seek_to_beginning(tp)
        found: dict[tuple[str, str], Pending] = {}
        while any(consumer.position(tp) < end[tp] for tp in tps):
            for batch in consumer.poll(timeout_ms=1000).values():
                for record in batch:
                    key = (record.key or b"").decode("utf-8", "replace")
                    try:
                        digest = str(json.loads(record.value).get("content_hash", ""))
                    except (ValueError, AttributeError):
                        continue
                    if (key, digest) in wanted:
                        found[key, digest] = wanted[key, digest]
        return list(found.values())
    finally:
        consumer.close()

"""The Faust application: built by a factory, never at import time."""

from __future__ import annotations

from pathlib import Path

import faust

from processors.transport import PromptApp
from wirewatch.embedded import free_port
from wirewatch.settings import Settings


def create_app(settings: Settings, bootstrap: str) -> faust.App:
    kafka = settings.kafka
    brokers = ";".join(f"kafka://{b}" for b in bootstrap.split(","))
    datadir = Path(settings.data_dir) / "faust"
    datadir.mkdir(parents=True, exist_ok=True)
    # PromptApp: Faust with a short fetch wait (see processors/transport.py).
    return PromptApp(
        f"{kafka.topic_prefix}wirewatch-processors",
        broker=brokers,
        store="memory://",
        datadir=str(datadir),
        # Our own status server serves metrics and health; Faust's web stays on loopback.
        web_enabled=False,
        web_host="127.0.0.1",
        web_port=free_port(),
        topic_partitions=kafka.partitions,
        topic_allow_declare=True,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_session_timeout=kafka.session_timeout_ms / 1000,
        broker_heartbeat_interval=kafka.heartbeat_interval_ms / 1000,
        broker_rebalance_timeout=kafka.max_poll_interval_ms / 1000,
        broker_max_poll_interval=kafka.max_poll_interval_ms / 1000,
        # Small polls: enrichment is slow per record, and a long batch starves heartbeats.
        broker_max_poll_records=10,
        broker_commit_every=10,
        broker_commit_interval=1.0,
    )

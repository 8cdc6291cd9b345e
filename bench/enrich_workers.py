"""Scaling of the enrich agent across Faust workers: one worker against two, on real tansu.

    .venv/bin/python -m bench.enrich_workers [--copies 4] [--partitions 4]

Starts an embedded tansu, puts the annotated real articles (repeated ``--copies`` times) on
a fresh ``news.raw``, then runs ``wirewatch process`` as one worker, and again as two
workers on fresh topics, and prints enriched articles/s for each, measured between the first
and the last enriched record (so model loading and the first group join do not count).
On a machine whose cores are busy with other work, two workers cannot be faster than one.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from bench.annotated import load
from wirewatch.embedded import Tansu
from wirewatch.kafka import ensure_topics
from wirewatch.schema import Article
from wirewatch.settings import load_settings


def _timestamps(bootstrap: str, topic: str) -> list[int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        stamps: list[int] = []
        while any(consumer.position(tp) < end[tp] for tp in tps):
            for batch in consumer.poll(timeout_ms=1000).values():
                stamps.extend(r.timestamp for r in batch)
        return stamps
    finally:
        consumer.close()


def _run(
    bootstrap: str, articles: list[Article], workers: int, partitions: int, data: Path
) -> float:
    prefix = f"b{uuid.uuid4().hex[:6]}."
    settings = load_settings(None)
    kafka = settings.kafka.model_copy(
        update={"url": bootstrap, "topic_prefix": prefix, "partitions": partitions}
    )
    ensure_topics(bootstrap, kafka)
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for a in articles:
        producer.send(kafka.topics.raw, key=a.id.encode(), value=a.to_bytes())
    producer.flush()
    producer.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.update(
        {
            "WIREWATCH_KAFKA__URL": bootstrap,
            "WIREWATCH_KAFKA__TOPIC_PREFIX": prefix,
            "WIREWATCH_KAFKA__PARTITIONS": str(partitions),
            "WIREWATCH_DATA_DIR": str(data / prefix),
            "WIREWATCH_LOG_LEVEL": "WARNING",
        }
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "wirewatch", "process"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(data / f"{prefix}{i}.log").open("wb"),
        )
        for i in range(workers)
    ]
    try:
        deadline = time.monotonic() + 60 + 3 * len(articles)
        stamps: list[int] = []
        while time.monotonic() < deadline:
            stamps = _timestamps(bootstrap, kafka.topics.enriched)
            if len(stamps) >= len(articles):
                break
            time.sleep(2)
        else:
            sys.exit(f"only {len(stamps)} of {len(articles)} enriched in time; see {data}")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
    span = (max(stamps) - min(stamps)) / 1000
    rate = (len(stamps) - 1) / span
    print(f"{workers} worker(s): {len(stamps)} articles in {span:.1f} s, {rate:.2f} articles/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    base = [item.article for item in load()]
    articles = [
        a.model_copy(update={"id": f"{a.id[:24]}{n:08d}", "guid": f"{a.guid}-{n}"})
        for n in range(args.copies)
        for a in base
    ]
    print(f"{len(articles)} articles, {args.partitions} partitions, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="wirewatch-bench-") as tmp:
        data = Path(tmp)
        (data / "tansu").mkdir()
        tansu = Tansu(data / "tansu").start()
        try:
            one = _run(tansu.bootstrap, articles, 1, args.partitions, data)
            two = _run(tansu.bootstrap, articles, 2, args.partitions, data)
        finally:
            tansu.stop()
    print(f"two workers / one worker: x{two / one:.2f}")


if __name__ == "__main__":
    main()

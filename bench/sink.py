"""Sink benchmarks on embedded tansu and osmem.

1. Throughput: the wirewatch sink (Kafka consume -> parse -> bulk -> commit) against
   ``elasticsearch.helpers.bulk`` of the same documents into the same mapping, in the same
   run, alternating; prints the ratio (goal >= 0.8x).
2. Memory under an outage: the sink as its own process, its index link cut by a TCP proxy
   for ``--outage`` seconds while ``--rate`` docs/s keep arriving; prints its peak RSS
   (goal: bounded, < 300 MB) and checks that every document arrives after the restore.

    .venv/bin/python -m bench.sink [--docs 5000] [--rounds 2] [--outage 60] [--rate 200]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from elastic_transport import TransportError
from elasticsearch import helpers

from sinks import metrics
from sinks.documents import dated, to_document
from sinks.elasticsearch import ArticleSink
from sinks.runner import SinkRunner
from sinks.templates import article_family, install_family
from tests.integration.tcpproxy import TcpProxy
from wirewatch.elastic import make_client
from wirewatch.embedded import Osmem, Tansu
from wirewatch.kafka import DeadLetters, ensure_topics, make_consumer, make_producer
from wirewatch.schema import Article, Enrichment, EntityRef, Statement
from wirewatch.settings import ElasticsearchSettings, KafkaSettings, SinkSettings

WORDS = ["sanctions", "embargo", "minister", "said", "talks", "council", "trade", "export"]


def make_articles(count: int, tag: str) -> list[Article]:
    enrichment = Enrichment(version=1, model="bench", enriched_at=datetime.now(UTC))
    speaker = EntityRef(name="Sergey Lavrov", type="PERSON", canonical_id="Q82955")
    out = []
    for n in range(count):
        text = " ".join(WORDS[(n + i) % len(WORDS)] for i in range(500))  # ~4 KB
        article = Article.new(
            feed="http://bench/rss",
            source="Bench Wire",
            url=f"https://bench.example/{tag}/{n}",
            guid=f"{tag}-{n}",
            title=f"Bench article {n}",
            text=text,
            published=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n % 60),
        )
        statement = Statement(
            speaker=speaker,
            text=text[:120],
            start=0,
            end=120,
            topics=["sanctions"],
            stance="oppose",
        )
        out.append(article.model_copy(update={"statements": [statement], "enrichment": enrichment}))
    return out


def publish(bootstrap: str, topic: str, articles: list[Article]) -> None:
    producer = make_producer(bootstrap)
    for article in articles:
        producer.send(topic, key=article.id.encode(), value=article.to_bytes())
    producer.flush()
    producer.close()


def time_helpers_bulk(es_url: str, articles: list[Article], batch: int) -> float:
    client = make_client(es_url, ElasticsearchSettings())
    templates = article_family(f"bench-raw-{uuid.uuid4().hex[:6]}")
    install_family(client, templates)
    actions = [
        {
            "_index": templates.index_for(dated(a)),
            "_id": a.id,
            "_source": to_document(a),
        }
        for a in articles
    ]
    started = time.perf_counter()
    ok, _ = helpers.bulk(client, actions, chunk_size=batch, max_chunk_bytes=50 * 1024 * 1024)
    elapsed = time.perf_counter() - started
    assert ok == len(articles), ok
    client.close()
    return elapsed


def time_sink(bootstrap: str, es_url: str, articles: list[Article], batch: int) -> float:
    tag = uuid.uuid4().hex[:6]
    kafka = KafkaSettings(url=bootstrap, topic_prefix=f"b{tag}.", partitions=4)
    ensure_topics(bootstrap, kafka)
    publish(bootstrap, kafka.topics.enriched, articles)
    client = make_client(es_url, ElasticsearchSettings())
    dlq = make_producer(bootstrap)
    settings = SinkSettings(batch_size=batch)
    sink = ArticleSink(
        client, f"bench-sink-{tag}", DeadLetters(dlq, kafka.topics.dlq, "bench"), settings
    )
    consumer = make_consumer(
        bootstrap, kafka, f"bench-{tag}", kafka.topics.enriched, max_poll_records=batch
    )
    stop = threading.Event()
    first: list[float] = []
    write = sink.write_batch

    def timed_write(records):  # type: ignore[no-untyped-def]
        if not first:
            first.append(time.perf_counter())  # group join (~3 s on tansu) is not throughput
        return write(records)

    sink.write_batch = timed_write  # type: ignore[method-assign]
    before = metrics.DOCUMENTS.labels("written")._value.get()
    batches_before = metrics.BATCHES._value.get()
    runner = threading.Thread(target=SinkRunner(consumer, sink, settings, stop).run)
    runner.start()
    while metrics.DOCUMENTS.labels("written")._value.get() - before < len(articles):
        time.sleep(0.01)
    elapsed = time.perf_counter() - first[0]
    batches = metrics.BATCHES._value.get() - batches_before
    print(f"  sink wrote {len(articles)} docs in {batches:.0f} batches")
    stop.set()
    runner.join()
    consumer.close()
    dlq.close()
    sink.close()
    return elapsed


def throughput(bootstrap: str, es_url: str, docs: int, rounds: int, batch: int) -> None:
    ratios = []
    for r in range(rounds):
        articles = make_articles(docs, f"r{r}-{uuid.uuid4().hex[:4]}")
        raw = time_helpers_bulk(es_url, articles, batch)
        ours = time_sink(bootstrap, es_url, articles, batch)
        ratios.append(raw / ours)
        print(
            f"round {r + 1}: helpers.bulk {docs / raw:7.0f} docs/s   "
            f"wirewatch sink {docs / ours:7.0f} docs/s   ratio {raw / ours:.2f}x",
            flush=True,
        )
    median = statistics.median(ratios)
    print(f"throughput ratio (sink / helpers.bulk), median of {rounds}: {median:.2f}x")


def outage_memory(bootstrap: str, es_url: str, outage: float, rate: int) -> None:
    tag = uuid.uuid4().hex[:6]
    prefix, alias = f"o{tag}.", f"bench-outage-{tag}"
    kafka = KafkaSettings(url=bootstrap, topic_prefix=prefix, partitions=4)
    ensure_topics(bootstrap, kafka)
    upstream = urlsplit(es_url)
    proxy = TcpProxy(upstream.hostname or "127.0.0.1", upstream.port or 9200)
    env = {
        "WIREWATCH_KAFKA__URL": bootstrap,
        "WIREWATCH_KAFKA__TOPIC_PREFIX": prefix,
        "WIREWATCH_ELASTICSEARCH__URL": proxy.url,
        "WIREWATCH_ELASTICSEARCH__INDEX_PREFIX": alias,
        "WIREWATCH_DATA_DIR": tempfile.mkdtemp(),
        "WIREWATCH_SINK__MAX_BACKOFF": "5",
        "WIREWATCH_LOG_LEVEL": "WARNING",
        "PATH": "/usr/bin:/bin",
    }
    sink = subprocess.Popen([sys.executable, "-m", "wirewatch", "sink"], env=env)
    articles = make_articles(int(rate * (outage + 20)), f"o{tag}")
    producer = make_producer(bootstrap)
    peak = 0
    sent = 0
    started = time.monotonic()
    try:
        for phase, seconds in (("before", 10.0), ("outage", outage), ("after", 10.0)):
            if phase == "outage":
                proxy.cut()
            if phase == "after":
                proxy.restore()
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                tick = time.monotonic()
                for article in articles[sent : sent + rate // 10]:
                    producer.send(
                        kafka.topics.enriched, key=article.id.encode(), value=article.to_bytes()
                    )
                sent += rate // 10
                peak = max(peak, _rss_peak(sink.pid))
                time.sleep(max(0.0, 0.1 - (time.monotonic() - tick)))
            print(f"  {phase:>6}: {sent} published, sink peak RSS {peak / 1024:.0f} MB", flush=True)
        producer.flush()
        client = make_client(es_url, ElasticsearchSettings(request_timeout=120))
        deadline = time.monotonic() + 300
        count = 0
        while time.monotonic() < deadline:
            try:
                client.indices.refresh(index=alias)
                count = int(client.count(index=alias)["count"])
            except TransportError:
                pass  # osmem busy with the backlog: ask again
            peak = max(peak, _rss_peak(sink.pid))
            if count >= sent:
                break
            time.sleep(1)
        client.close()
        print(
            f"outage {outage:.0f} s at {rate} docs/s: {count}/{sent} indexed after the restore "
            f"({time.monotonic() - started:.0f} s in all); sink peak RSS {peak / 1024:.0f} MB"
        )
    finally:
        producer.close()
        sink.terminate()
        sink.wait(30)
        proxy.close()


def _rss_peak(pid: int) -> int:
    """The process's peak resident set (VmHWM), in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--docs", type=int, default=5000)  # 10 bulks: osmem stalls once in 10
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--skip", choices=["throughput", "outage"], default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sink-"))
    (work / "tansu").mkdir()
    (work / "osmem").mkdir()
    with Tansu(work / "tansu").start() as tansu, Osmem(work / "osmem").start() as osmem:
        if args.skip != "throughput":
            throughput(tansu.bootstrap, osmem.url, args.docs, args.rounds, args.batch)
        if args.skip != "outage":
            outage_memory(tansu.bootstrap, osmem.url, args.outage, args.rate)


if __name__ == "__main__":
    main()

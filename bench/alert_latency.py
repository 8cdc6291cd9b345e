"""Wire to inbox: latency from an article published to ``news.raw`` until its alert reaches a
webhook, through the real stages (``wirewatch process``, ``wirewatch sink``) on the embedded
stack (tansu, osmem), at a steady publishing rate.

    .venv/bin/python -m bench.alert_latency                 # 5 and 20 articles/s, 20 s each
    .venv/bin/python -m bench.alert_latency --rates 20 --seconds 30

Every article carries one new statement about sanctions (its own number in the text), and the
rules file used here does not fold (``throttle: 0s``), so every article should raise exactly
one alert. Prints p50/p95/p99/max per rate and how many alerts arrived.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

from wirewatch.embedded import Osmem, Tansu
from wirewatch.kafka import ensure_topics
from wirewatch.schema import Article
from wirewatch.settings import KafkaSettings

RULES = """rules:
  - name: statements about sanctions
    match: {topic: sanctions}
    throttle: 0s
"""
TEXT = (
    "MOSCOW, October 4. /TASS/. Russia suggests imposing a full trade-economic embargo on the "
    "territories seized by Islamic State in region {n}, Russian Foreign Minister Sergey Lavrov "
    'said on Wednesday. "Russia has offered the Security Council to impose a comprehensive '
    'trade-economic embargo on any territories under the IS control in zone {n}," he added.'
)


class Inbox:
    """The webhook receiver: arrival time of each alert, by article id."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.raised: dict[str, float] = {}  # when the fold raised the alert
        self.lock = threading.Lock()
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                now = time.time()
                alert = json.loads(body)
                with inbox.lock:
                    if alert["article_id"] not in inbox.arrivals:
                        inbox.arrivals[alert["article_id"]] = now
                        raised = datetime.fromisoformat(alert["first_seen"]).timestamp()
                        inbox.raised[alert["article_id"]] = raised
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def count(self, ids: set[str]) -> int:
        with self.lock:
            return len(ids & self.arrivals.keys())


@contextmanager
def stage(name: str, env: dict[str, str], log: Path) -> Iterator[None]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wirewatch", name], env=env, stdout=out, stderr=out
        )
    try:
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def article(run: str, n: int) -> Article:
    return Article.new(
        feed="https://bench.example/rss",
        source="Bench",
        url=f"https://bench.example/{run}/{n}",
        guid=f"{run}-{n}",
        title=f"Lavrov calls for embargo on Islamic State, region {n}",
        text=TEXT.format(n=f"{run}-{n}"),  # a statement never seen before
        language="en",
    )


def wait(check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def measure(
    producer: KafkaProducer, topic: str, inbox: Inbox, rate: float, seconds: float
) -> dict[str, Any]:
    run = f"r{rate:g}-{time.time_ns()}"
    sent: dict[str, float] = {}
    total = int(rate * seconds)
    start = time.monotonic()
    for n in range(total):
        # Steady rate: publish article n at start + n/rate.
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        a = article(run, n)
        sent[a.id] = time.time()
        producer.send(topic, key=a.id.encode(), value=a.to_bytes())
    producer.flush()
    ids = set(sent)
    wait(lambda: inbox.count(ids) == len(ids), 60)
    with inbox.lock:
        arrived = [i for i in ids if i in inbox.arrivals]
        latencies = sorted(inbox.arrivals[i] - sent[i] for i in arrived)
        to_inbox = [inbox.arrivals[i] - inbox.raised[i] for i in arrived]
    if not latencies:
        return {"rate": rate, "sent": total, "alerts": 0, "ids": [], "sent_at": sent}
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "rate": rate,
        "sent": total,
        "alerts": len(latencies),
        "p50": q[49],
        "p95": q[94],
        "p99": q[98],
        "max": latencies[-1],
        # where the time goes (medians): raw -> enriched -> alert raised -> webhook
        "to_inbox": statistics.median(to_inbox),
        "ids": arrived,
        "sent_at": sent,
    }


def topic_counts(bootstrap: str) -> dict[str, int]:
    """Records per topic: where alerts that did not arrive stopped."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        counts = {}
        for topic in sorted(consumer.topics()):
            tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            counts[topic] = sum(consumer.end_offsets(tps).values())
        return counts
    finally:
        consumer.close()


def enrichment_done(bootstrap: str) -> dict[str, float]:
    """When each article left the enrichment (its ``enriched_at``), by id."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=2000)
    try:
        tps = [
            TopicPartition("news.enriched", p)
            for p in consumer.partitions_for_topic("news.enriched") or ()
        ]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        done = {}
        for record in consumer:
            a = Article.from_bytes(record.value)
            if a.enrichment:
                done[a.id] = a.enrichment.enriched_at.timestamp()
        return done
    finally:
        consumer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[5.0, 20.0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="wirewatch-bench-"))
    rules = work / "rules.yaml"
    rules.write_text(RULES)
    inbox = Inbox()
    with Tansu(work / "logs").start() as tansu, Osmem(work / "logs").start() as osmem:
        kafka = KafkaSettings(url=tansu.bootstrap, partitions=4)
        ensure_topics(tansu.bootstrap, kafka)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
        env.update(
            WIREWATCH_DATA_DIR=str(work / "data"),
            WIREWATCH_KAFKA__URL=tansu.bootstrap,
            WIREWATCH_ELASTICSEARCH__URL=osmem.url,
            WIREWATCH_ALERTS__RULES_FILE=str(rules),
            WIREWATCH_ALERTS__WEBHOOK__URL=inbox.url,
            WIREWATCH_ALERTS__LOG="false",
            WIREWATCH_LOG_LEVEL="WARNING",
        )
        producer = KafkaProducer(bootstrap_servers=tansu.bootstrap, linger_ms=0)
        with stage("sink", env, work / "sink.log"), stage("process", env, work / "process.log"):
            warm = article("warmup", 0)
            producer.send("news.raw", key=warm.id.encode(), value=warm.to_bytes())
            producer.flush()
            if not wait(lambda: inbox.count({warm.id}) == 1, 120):
                sys.exit(f"the pipeline raised no alert within 120 s; logs in {work}")
            print(f"stages up; logs in {work}", flush=True)
            results = [
                measure(producer, "news.raw", inbox, rate, args.seconds) for rate in args.rates
            ]
            counts = topic_counts(tansu.bootstrap)
            enriched = enrichment_done(tansu.bootstrap)
            for r in results:
                ids = [i for i in r.pop("ids") if i in enriched]
                r["enrich"] = statistics.median(enriched[i] - r["sent_at"][i] for i in ids)
                r["to_fold"] = statistics.median(inbox.raised[i] - enriched[i] for i in ids)
        producer.close()
    print("records per topic:", ", ".join(f"{t}={n}" for t, n in counts.items()))
    header = (
        "rate/s",
        "sent",
        "alerts",
        "p50 s",
        "p95 s",
        "p99 s",
        "max s",
        "enrich",
        "alert",
        "notify",
    )
    print(" ".join(f"{h:>7}" for h in header))
    for r in results:
        if not r["alerts"]:
            print(f"{r['rate']:>7g} {r['sent']:>7} {0:>7}")
            continue
        print(
            f"{r['rate']:>7g} {r['sent']:>7} {r['alerts']:>7} {r['p50']:>7.2f} {r['p95']:>7.2f} "
            f"{r['p99']:>7.2f} {r['max']:>7.2f} "
            f"{r['enrich']:>7.2f} {r['to_fold']:>7.2f} {r['to_inbox']:>7.2f}"
        )
    print(
        "medians of the legs: enrich = news.raw to enriched; alert = to the alert raised by "
        "the fold; notify = to the webhook"
    )


if __name__ == "__main__":
    main()

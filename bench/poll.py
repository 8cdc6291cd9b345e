"""Poll benchmark: 1,000 feeds from a local server, wirewatch's producer against a plain loop.

    .venv/bin/python -m bench.poll [--feeds 1000] [--new 2] [--concurrency 50]

wirewatch (fetch with validators, parse, dedupe, publish to a real embedded tansu with
acks, SQLite state) polls every feed in rounds: a cold round (every item new), a round where
nothing changed (304s), a round with ``--new`` new items per feed, and an unchanged round
again. In the same run a plain asyncio + aiohttp + feedparser loop fetches and parses the same
feeds without conditional GET (and publishes nothing). Politeness is off for the bench
(one loopback host serving every feed): per-host gap 0, per-host concurrency = concurrency.

Prints times, items/s, the share of 304s, peak resident memory and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import aiohttp
import feedparser

from producers.feeds import FeedConfig
from producers.fetcher import Fetcher, Limits
from producers.parsing import Parsing
from producers.publisher import Publisher
from producers.scheduler import FeedPoller, PollResult
from producers.state import StateStore
from wirewatch.embedded import Tansu, free_port
from wirewatch.kafka import cluster_id, ensure_topics, make_producer
from wirewatch.settings import KafkaSettings, ProducerSettings


def _rss_mb(pid: int | str = "self") -> float:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    for line in lines:
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _start_server(port: int, new: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.poll_server", str(port), str(new)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("bench feed server did not start")


def _set_round(port: int, r: int) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/round/{r}", method="POST")
    urllib.request.urlopen(request, timeout=10).read()


async def _wirewatch_round(
    poller: FeedPoller, feeds: list[FeedConfig]
) -> tuple[float, list[PollResult]]:
    started = time.perf_counter()
    results = await asyncio.gather(*(poller.poll_once(f) for f in feeds))
    return time.perf_counter() - started, list(results)


async def _plain_round(urls: list[str], concurrency: int) -> tuple[float, int]:
    # The same HTTP client as wirewatch's fetcher: the ratio measures conditional GET,
    # dedupe and publishing, not a choice of library.
    slots = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def one(url: str) -> int:
            async with slots, client.get(url) as response:
                body = await response.read()
            return len(feedparser.parse(body).entries)

        started = time.perf_counter()
        entries = await asyncio.gather(*(one(u) for u in urls))
        return time.perf_counter() - started, sum(entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--new", type=int, default=2, help="new items per feed per round")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--parse-processes", type=int, default=1, help="parser workers (0 = a thread)"
    )
    args = parser.parse_args()

    port = free_port()
    server = _start_server(port, args.new)
    work = Path(tempfile.mkdtemp(prefix="wirewatch-bench-"))
    tansu = Tansu(work / "tansu").start()
    try:
        urls = [f"http://127.0.0.1:{port}/feed/{n}.xml" for n in range(args.feeds)]
        feeds = [FeedConfig(url=u) for u in urls]
        kafka = KafkaSettings(url=tansu.bootstrap, topic_prefix=f"b{uuid.uuid4().hex[:6]}.")
        ensure_topics(tansu.bootstrap, kafka)
        settings = ProducerSettings(
            concurrency=args.concurrency,
            per_host_concurrency=args.concurrency,
            per_host_min_gap=0.0,
            timeout=60.0,
            read_timeout=60.0,
            parse_processes=args.parse_processes,
        )
        baseline_mb = _rss_mb()
        workers_mb: list[float] = []

        async def wirewatch_rounds() -> dict[str, tuple[float, list[PollResult]]]:
            state = StateStore(work / "producer.sqlite3")
            publisher = Publisher(make_producer(tansu.bootstrap), kafka.topics.raw)
            fetcher = Fetcher(user_agent="wirewatch-bench", limits=Limits.for_feeds(settings))
            parsing = Parsing(settings.parse_processes)
            poller = FeedPoller(
                feeds,
                fetcher,
                publisher,
                state,
                cluster_id(tansu.bootstrap),
                settings,
                parsing=parsing,
            )
            out: dict[str, tuple[float, list[PollResult]]] = {}

            async def measure(name: str) -> None:
                out[name] = await _wirewatch_round(poller, feeds)
                total = _rss_mb() + sum(_rss_mb(pid) for pid in parsing.worker_pids())
                workers_mb.append(total)

            try:
                await measure("cold")
                await measure("unchanged")
                _set_round(port, 1)
                await measure("new items")
                await measure("unchanged again")
                return out
            finally:
                parsing.close()
                await fetcher.aclose()
                publisher.close()
                state.close()

        ours = asyncio.run(wirewatch_rounds())
        ours_peak = _peak_mb()
        plain = [asyncio.run(_plain_round(urls, args.concurrency)) for _ in range(2)]
    finally:
        tansu.stop()
        server.terminate()
        server.wait()

    plain_s = min(t for t, _ in plain)
    print(
        f"poll benchmark: {args.feeds} feeds x 20 items, {args.new} new per feed per round, "
        f"concurrency {args.concurrency}, parser processes {args.parse_processes}"
    )
    print(
        f"plain asyncio+aiohttp+feedparser loop (no conditional GET): {plain_s:.2f} s per round "
        f"({plain[0][1]} entries parsed)"
    )
    for name, (seconds, results) in ours.items():
        items = sum(r.new + r.updated for r in results)
        share_304 = sum(r.status == "not_modified" for r in results) / len(results)
        errors = sum(r.status == "error" for r in results)
        print(
            f"wirewatch {name:<16} {seconds:6.2f} s  {items:6d} items  "
            f"{items / seconds:8.0f} items/s  304s {share_304:6.1%}  errors {errors}  "
            f"plain/wirewatch {plain_s / seconds:5.1f}x"
        )
    print(
        f"peak RSS of the producer process {ours_peak:.0f} MB (baseline before the rounds "
        f"{baseline_mb:.0f} MB); with its parser worker, at most {max(workers_mb):.0f} MB"
    )


if __name__ == "__main__":
    main()

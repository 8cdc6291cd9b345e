"""``wirewatch enrich``: the enrichment of text, HTML or article JSON files, offline.

It runs the same ``Enricher`` as the Faust agent, without Kafka, for users who want to see
why an article was tagged: ``--json`` prints each enriched article as it goes on the wire;
without it a readable summary marks the evidence in the text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from wirewatch.cli._common import app, settings
from wirewatch.errors import WirewatchError
from wirewatch.schema import Article, Mention, Statement


def _mark(text: str, base: int, marks: list[Mention], color: bool) -> str:
    """The statement text with each cue in [brackets] (bold on a terminal)."""
    spans = sorted(
        {
            (m.start - base, m.end - base)
            for m in marks
            if base <= m.start and m.end - base <= len(text)
        }
    )
    out, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(text[pos:start])
        word = text[start:end]
        out.append(f"\x1b[1m{word}\x1b[0m" if color else f"[{word}]")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _statement_lines(s: Statement, color: bool) -> list[str]:
    speaker = s.speaker.name if s.speaker else "?"
    target = f" -> {s.target.name}" if s.target else ""
    topics = ", ".join(s.topics) or "no topic"
    head = f"  {s.stance.upper():<8} {speaker}{target}  [{topics}; {s.kind}; {s.confidence:.2f}]"
    body = _mark(s.text, s.start, [m for m in s.evidence if m.field == s.field], color)
    cues = "; ".join(f"{m.cue} {m.text!r}" for m in s.evidence)
    return [head, f"      {body}", f"      why: {cues}"]


def _readable(name: str, article: Article, color: bool) -> str:
    lines = [f"== {name}: {article.title or '(no title)'}"]
    if article.enrichment and article.enrichment.notes:
        lines.append("notes: " + "; ".join(article.enrichment.notes))
    if article.topics:
        topics = ", ".join(
            f"{t.name} ({', '.join(dict.fromkeys(m.text for m in t.evidence[:3]))})"
            for t in article.topics
        )
        lines.append(f"topics: {topics}")
    lines.append(f"entities ({len(article.entities)}):")
    for e in article.entities:
        qid = f" {e.canonical_id}" if e.canonical_id else ""
        seen = ", ".join(dict.fromkeys(f"{m.text!r}" for m in e.mentions))
        lines.append(f"  {e.name} ({e.type}{qid}) x{len(e.mentions)} [{e.source}]: {seen}")
    lines.append(f"statements ({len(article.statements)}):")
    for s in article.statements:
        lines.extend(_statement_lines(s, color))
    return "\n".join(lines)


@app.command()
def enrich(
    files: Annotated[
        list[Path], typer.Argument(help="text, HTML or article JSON files ('-' for stdin)")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="one enriched article JSON object per line")
    ] = False,
) -> None:
    """Enrich files offline (no Kafka) with the pipeline's own enrichment, and show why."""
    from processors.nlp.inputs import read_articles
    from processors.nlp.pipeline import Enricher

    s = settings()
    inputs: list[tuple[str, Article]] = []
    failed = False
    for path in files:
        name = str(path)
        try:
            data = sys.stdin.buffer.read() if name == "-" else path.read_bytes()
        except OSError as exc:
            print(f"wirewatch: cannot read {name}: {exc.strerror or exc}", file=sys.stderr)
            failed = True
            continue
        inputs.extend((name, article) for article in read_articles(name, data))
    if not inputs:
        raise typer.Exit(1 if failed else 0)
    try:
        enricher = Enricher(s.processor.spacy_model, s.processor.max_text_chars)
    except WirewatchError as exc:
        print(f"wirewatch: error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from exc
    color = sys.stdout.isatty() and not as_json
    results = enricher.enrich_many([article for _, article in inputs])
    for (name, _), result in zip(inputs, results, strict=True):
        if isinstance(result, Exception):
            print(f"wirewatch: {name}: enrichment failed: {result}", file=sys.stderr)
            failed = True
            continue
        if as_json:
            print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        else:
            print(_readable(name, result, color) + "\n")
    raise typer.Exit(1 if failed else 0)

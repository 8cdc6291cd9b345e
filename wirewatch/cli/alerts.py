"""``wirewatch alerts``: try rules on articles offline, check a rules file, follow alerts."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from wirewatch.cli._common import app, kafka_url, settings, stop_on_signals
from wirewatch.errors import ConfigError

if TYPE_CHECKING:
    from wirewatch.alerts import Alert
    from wirewatch.schema import Article

alerts_app = typer.Typer(help="Alert rules and alerts.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")

RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", "-r", help="rules file (default: the configured or built-in rules)"),
]


def load_articles(path: Path) -> list[Article]:
    """Article JSON (one object, or one per line), or HTML or plain text read by the
    enrichment's own loader (``wirewatch enrich`` reads files the same way)."""
    from processors.nlp.inputs import read_articles
    from wirewatch.schema import Article

    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from exc
    text = data.decode("utf-8", errors="replace")
    if not text.lstrip().startswith("{"):
        return read_articles(str(path), data)
    # JSON must be an article: say why it is not, rather than alerting on its text.
    lines = [line for line in text.splitlines() if line.strip()]
    chunks = lines if len(lines) > 1 and lines[0].rstrip().endswith("}") else [text]
    try:
        return [Article.model_validate_json(chunk) for chunk in chunks]
    except ValidationError as exc:
        raise ConfigError(f"{path}: not an article record:\n{exc}") from exc


def _print_alert(alert: Alert) -> None:
    from sinks.notifiers import readable

    print(readable(alert))
    print()


@alerts_app.command("test")
def test_rules(
    articles: Annotated[
        list[Path], typer.Argument(help="article JSON, HTML or text files ('-' = stdin)")
    ],
    rules: RulesOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per alert")] = False,
) -> None:
    """Show which rules fire on ARTICLEs, offline, with the pipeline's own code path.

    Articles not yet enriched are enriched first (spaCy model from the settings)."""
    from processors.alerts import Folder, load_rules

    s = settings()
    rule_set = load_rules(rules or s.alerts.rules_file, s.alerts.throttle_seconds)
    loaded = [article for path in articles for article in load_articles(path)]
    if any(a.enrichment is None for a in loaded):
        from processors.nlp.pipeline import Enricher

        enricher = Enricher(s.processor.spacy_model, s.processor.max_text_chars)
        loaded = [a if a.enrichment else enricher.enrich(a) for a in loaded]
    found = Folder(s.alerts.remember_days * 86400).alerts(loaded, rule_set)
    for alert in found:
        if as_json:
            print(json.dumps(alert.model_dump(mode="json"), ensure_ascii=False))
        else:
            _print_alert(alert)
    if not found:
        statements = sum(len(a.statements) for a in loaded)
        print(
            f"no rule fired ({len(rule_set.rules)} rules, {len(loaded)} article(s), "
            f"{statements} statement(s))",
            file=sys.stderr,
        )


@alerts_app.command("check")
def check_rules(rules: RulesOption = None) -> None:
    """Check a rules file and list its rules (a bad file: file, line and reason)."""
    from processors.alerts import load_rules

    s = settings()
    rule_set = load_rules(rules or s.alerts.rules_file, s.alerts.throttle_seconds)
    print(f"{rule_set.source}: {len(rule_set.rules)} rule(s)")
    for rule in rule_set.rules:
        channels = ", ".join(rule.channels) or "all configured"
        print(
            f"  {rule.name}  (line {rule.line}, throttle {rule.throttle_seconds:g} s, {channels})"
        )


@alerts_app.command("tail")
def tail(
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="show the alerts already in the topic")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per record")] = False,
) -> None:
    """Follow news.alerts in the terminal until Ctrl-C."""
    from kafka import KafkaConsumer, TopicPartition

    from wirewatch.alerts import Alert

    s = settings()
    topic = s.kafka.topics.alerts
    stop = threading.Event()
    stop_on_signals(stop)
    consumer = KafkaConsumer(
        bootstrap_servers=kafka_url(s).split(","),
        enable_auto_commit=False,
        fetch_max_wait_ms=200,
        client_id="wirewatch-alerts-tail",
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            raise ConfigError(f"topic {topic} does not exist (is the pipeline running?)")
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        if from_beginning:
            consumer.seek_to_beginning(*tps)
        else:
            consumer.seek_to_end(*tps)
        print(f"following {topic} (Ctrl-C stops)", file=sys.stderr, flush=True)
        while not stop.is_set():
            for records in consumer.poll(timeout_ms=300).values():
                for record in records:
                    try:
                        alert = Alert.from_bytes(record.value or b"")
                    except (ValidationError, ValueError):
                        print(f"(unreadable record at offset {record.offset})", file=sys.stderr)
                        continue
                    if as_json:
                        print(json.dumps(alert.model_dump(mode="json"), ensure_ascii=False))
                    elif alert.notify:
                        print(f"{alert.first_seen:%Y-%m-%d %H:%M:%S}Z  ", end="")
                        _print_alert(alert)
                    else:
                        print(f"  ... {alert.rule}: {alert.headline()} now {alert.count} times")
                    sys.stdout.flush()
    finally:
        consumer.close()

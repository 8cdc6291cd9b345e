"""The processors: a Faust app whose agents enrich articles and raise alerts.

Public surface: :func:`run_worker` (the long-running stage) and :class:`Enricher`
(the same enrichment, offline).
"""

from __future__ import annotations

import logging
import os

import faust

from processors.agents import alert, enrich
from processors.alerts import load_rules
from processors.app import create_app
from processors.nlp.pipeline import Enricher
from processors.topics import declare
from wirewatch.kafka import ensure_topics
from wirewatch.settings import Settings

__all__ = ["Enricher", "build", "run_worker"]

log = logging.getLogger(__name__)


def build(settings: Settings, bootstrap: str) -> faust.App:
    # Refuse bad alert rules before anything starts (file, line and reason).
    rules = load_rules(settings.alerts.rules_file, settings.alerts.throttle_seconds)
    app = create_app(settings, bootstrap)
    topics = declare(app, settings.kafka.topics)
    enricher = Enricher(settings.processor.spacy_model, settings.processor.max_text_chars)
    enrich.register(app, topics, enricher)
    alert.register(
        app, topics, rules, settings.kafka.partitions, settings.alerts.remember_days * 86400
    )
    return app


def run_worker(settings: Settings, bootstrap: str) -> None:
    """Run the Faust worker until SIGINT/SIGTERM; exits the process with Faust's code."""
    ensure_topics(bootstrap, settings.kafka)
    app = build(settings, bootstrap)
    worker = faust.Worker(
        app,
        loglevel=settings.log_level.lower(),
        override_logging=False,
        redirect_stdouts=False,
        quiet=True,
        # Faust's console spinner writes terminal escapes to stdout even when quiet.
        stdout=open(os.devnull, "w"),  # noqa: SIM115 - lives as long as the process
    )
    worker.execute_from_commandline()

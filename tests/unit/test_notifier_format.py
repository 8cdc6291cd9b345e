"""What each channel says, the signature, and when offsets may be committed."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime

from kafka.structs import TopicPartition
from pydantic import SecretStr

from processors.alerts import Folder, load_rules
from sinks.notifiers import (
    Channel,
    DeliveryError,
    EmailChannel,
    OffsetTracker,
    SlackChannel,
    WebhookChannel,
    sign,
)
from sinks.notifiers.dispatch import ChannelWorker, _Job
from tests.alert_builders import EMBARGO, article, statement
from wirewatch.alerts import Alert
from wirewatch.settings import EmailSettings, WebhookSettings


def lavrov_alert() -> Alert:
    alerts = Folder().alerts([article(statement())], load_rules(), datetime(2024, 3, 1, tzinfo=UTC))
    return next(a for a in alerts if a.rule == "statements about sanctions")


def test_the_signature_is_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"a": 1}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert sign("s3cret", body) == "sha256=" + expected


def test_the_webhook_body_is_the_alert_as_json_plus_readable_text() -> None:
    channel = WebhookChannel(WebhookSettings(url="http://127.0.0.1:9/x", secret=SecretStr("k")))
    payload = json.loads(channel.body(lavrov_alert()))
    channel.close()
    assert payload["rule"] == "statements about sanctions"
    assert payload["speaker"] == "Sergey Lavrov" and payload["target"] == "Islamic State"
    assert payload["evidence"] == EMBARGO
    assert "Sergey Lavrov supports sanctions" in payload["text"]


def test_the_slack_text_has_speaker_stance_target_quote_and_link() -> None:
    channel = SlackChannel(WebhookSettings(url="http://127.0.0.1:9/x"))
    text = json.loads(channel.body(lavrov_alert()))["text"]
    channel.close()
    assert "Sergey Lavrov" in text and "support" in text and "Islamic State" in text
    assert f"> {EMBARGO}" in text
    assert "<https://wire.example/wire-1|Lavrov calls for embargo" in text


def test_the_email_names_the_rule_and_carries_the_quote_and_link() -> None:
    channel = EmailChannel(EmailSettings(host="127.0.0.1", recipients=["desk@example.org"]))
    msg = channel.message(lavrov_alert())
    assert msg["Subject"].startswith("[wirewatch] statements about sanctions: Sergey Lavrov")
    body = msg.get_content()
    assert EMBARGO in body and "https://wire.example/wire-1" in body


def test_offsets_are_committed_only_past_records_every_channel_has_finished() -> None:
    tracker = OffsetTracker()
    tp = TopicPartition("news.alerts", 0)
    for offset in (5, 6, 7):
        tracker.add(tp, offset)
        tracker.more(tp, offset, 2)  # two channels
        tracker.done(tp, offset)  # the hand-over itself
    tracker.done(tp, 5)
    assert tracker.committable() == {}
    tracker.done(tp, 5)
    tracker.done(tp, 7)
    tracker.done(tp, 7)
    assert tracker.committable()[tp].offset == 6  # 6 is still in flight
    tracker.done(tp, 6)
    tracker.done(tp, 6)
    assert tracker.committable()[tp].offset == 8


class _Unavailable(Channel):
    """A receiver that answers 503 forever (an in-memory stand-in above the HTTP seam)."""

    name = "unavailable"
    retries = 5
    backoff = 30.0

    def __init__(self) -> None:
        self.tried = threading.Event()

    def send(self, alert: Alert) -> None:
        self.tried.set()
        raise DeliveryError("HTTP 503")


def test_an_alert_still_being_retried_at_shutdown_is_not_committed_nor_recorded_as_failed() -> None:
    channel, stop, failures = _Unavailable(), threading.Event(), []
    worker = ChannelWorker(channel, 10, lambda c, j, reason: failures.append(reason), stop)
    worker.start()
    tracker = OffsetTracker()
    tp = TopicPartition("news.alerts", 0)
    tracker.add(tp, 3)
    tracker.more(tp, 3, 1)
    tracker.done(tp, 3)
    worker.offer(_Job(lavrov_alert(), b"{}", lambda: tracker.done(tp, 3)))
    assert channel.tried.wait(5)
    stop.set()
    worker.thread.join(5)
    assert not worker.thread.is_alive()
    assert tracker.committable() == {}  # delivered again after the restart
    assert failures == []

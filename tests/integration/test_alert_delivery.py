"""Alerts from ``news.alerts`` to real receivers: a local HTTP server (webhook, Slack) and a
local SMTP server, through real tansu."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaProducer
from pydantic import SecretStr

from processors.alerts import Folder, load_rules
from sinks.notifiers import DeliveryError, EmailChannel, Notifier, configured_channels, sign
from tests.alert_builders import BORRELL, EMBARGO, IRAN, article, statement
from tests.helpers import read_topic, wait_for
from tests.integration.receivers import HttpReceiver, SmtpReceiver, self_signed_certificate
from wirewatch.alerts import Alert
from wirewatch.kafka import DeadLetters, ensure_topics, make_consumer, make_producer
from wirewatch.schema import DeadLetter
from wirewatch.settings import AlertSettings, EmailSettings, Settings, WebhookSettings

pytestmark = pytest.mark.integration

SECRET = "desk-secret"


def sanctions_alert(*statements: object, guid: str = "wire-1") -> Alert:
    arts = [article(*statements, guid=guid)]  # type: ignore[arg-type]
    alerts = Folder().alerts(arts, load_rules(), datetime.now(UTC))
    return next(a for a in alerts if a.rule == "statements about sanctions")


@pytest.fixture
def webhook() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def slack() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    yield receiver
    receiver.close()


class Running:
    def __init__(self, settings: Settings, alerts: AlertSettings) -> None:
        self.bootstrap = settings.kafka.url or ""
        self.topics = settings.kafka.topics
        ensure_topics(self.bootstrap, settings.kafka)
        self.stop = threading.Event()
        self.producer = make_producer(self.bootstrap)
        consumer = make_consumer(
            self.bootstrap,
            settings.kafka,
            f"{settings.kafka.topic_prefix}notify",
            self.topics.alerts,
            fetch_max_wait_ms=50,
        )
        self.notifier = Notifier(
            consumer,
            configured_channels(alerts),
            DeadLetters(self.producer, self.topics.dlq, "sinks.notify"),
            self.stop,
        )
        self.thread = threading.Thread(target=self.notifier.run, daemon=True)
        self.thread.start()
        self.publisher = KafkaProducer(bootstrap_servers=self.bootstrap)

    def publish(self, alert: Alert) -> None:
        self.publisher.send(self.topics.alerts, key=alert.id.encode(), value=alert.to_bytes())
        self.publisher.flush()

    def dead_letters(self) -> list[DeadLetter]:
        return [
            DeadLetter.model_validate_json(r.value)
            for r in read_topic(self.bootstrap, self.topics.dlq)
        ]

    def close(self) -> None:
        self.stop.set()
        self.thread.join(20)
        self.notifier.consumer.close()
        self.publisher.close()
        self.producer.close()


def channel_settings(
    webhook: HttpReceiver, slack: HttpReceiver, smtp: SmtpReceiver, **webhook_options: object
) -> AlertSettings:
    return AlertSettings(
        webhook=WebhookSettings.model_validate(
            {"url": webhook.url(), "secret": SecretStr(SECRET), "backoff": 0.05, **webhook_options}
        ),
        slack=WebhookSettings(url=slack.url("/slack"), backoff=0.05),
        email=EmailSettings(
            host="127.0.0.1", port=smtp.port, recipients=["desk@example.org"], backoff=0.05
        ),
    )


def test_a_new_alert_reaches_every_channel_with_content_and_signature(
    settings: Settings, webhook: HttpReceiver, slack: HttpReceiver, smtp: SmtpReceiver
) -> None:
    running = Running(settings, channel_settings(webhook, slack, smtp))
    try:
        alert = sanctions_alert(statement())
        running.publish(alert)
        [hook] = wait_for(webhook.received, 30, "the webhook delivery")
        body = hook.json()
        assert (body["rule"], body["speaker"], body["stance"], body["target"]) == (
            "statements about sanctions",
            "Sergey Lavrov",
            "support",
            "Islamic State",
        )
        assert body["evidence"] == EMBARGO and body["article_url"] == alert.article_url
        assert hook.headers["X-Wirewatch-Signature"] == sign(SECRET, hook.body)
        assert hook.headers["X-Wirewatch-Alert-Id"] == alert.id

        [message] = wait_for(slack.received, 10, "the Slack delivery")
        text = message.json()["text"]
        for part in ("Sergey Lavrov", "support", "Islamic State", EMBARGO, alert.article_url):
            assert part in text
        assert "X-Wirewatch-Signature" not in message.headers  # no secret, no signature

        [(to, mail, _)] = wait_for(smtp.received, 10, "the e-mail")
        assert to == ["desk@example.org"]
        assert mail["Subject"].startswith("[wirewatch] statements about sanctions: Sergey Lavrov")
        content = mail.get_payload(decode=True).decode("utf-8")
        assert EMBARGO in content and alert.article_url in content

        # A count update of the same alert is not delivered again; the next new alert is.
        running.publish(alert.model_copy(update={"count": 2, "notify": False}))
        other = sanctions_alert(statement("The EU extends sanctions on Iran", BORRELL, IRAN))
        running.publish(other)
        wait_for(lambda: len(slack.received()) == 2, 10, "the second alert on Slack")
        wait_for(lambda: len(webhook.received()) == 2, 10, "the second alert on the webhook")
        assert [r.json()["speaker"] for r in webhook.received()] == [
            "Sergey Lavrov",
            "Josep Borrell",
        ]
        wait_for(lambda: len(smtp.received()) == 2, 10, "the second e-mail")
    finally:
        running.close()


def test_a_500_is_retried_until_the_alert_is_delivered(
    settings: Settings, webhook: HttpReceiver, slack: HttpReceiver, smtp: SmtpReceiver
) -> None:
    webhook.fail_next(2)
    running = Running(settings, channel_settings(webhook, slack, smtp, retries=3))
    try:
        running.publish(sanctions_alert(statement()))
        [hook] = wait_for(webhook.received, 30, "the webhook delivery after two 500s")
        assert webhook.attempts == 3
        assert hook.headers["X-Wirewatch-Signature"] == sign(SECRET, hook.body)
    finally:
        running.close()
    assert not [d for d in running.dead_letters() if d.stage == "sinks.notify"]


def test_a_hung_webhook_does_not_stall_the_other_channels_and_its_failure_is_recorded(
    settings: Settings, webhook: HttpReceiver, slack: HttpReceiver, smtp: SmtpReceiver
) -> None:
    webhook.hang()
    timeout = 4.0
    running = Running(settings, channel_settings(webhook, slack, smtp, timeout=timeout, retries=0))
    try:
        alerts = [
            sanctions_alert(statement()),
            sanctions_alert(statement("The EU extends sanctions on Iran", BORRELL, IRAN)),
        ]
        sent = time.time()
        for alert in alerts:
            running.publish(alert)
        wait_for(lambda: len(slack.received()) == 2, 30, "both alerts on Slack")
        wait_for(lambda: len(smtp.received()) == 2, 30, "both alerts by e-mail")
        # Both arrived while the webhook still held its first request open.
        assert max(r.at for r in slack.received()) - sent < timeout
        assert max(at for _, _, at in smtp.received()) - sent < timeout
        assert webhook.attempts == 1 and webhook.received() == []

        letters = wait_for(
            lambda: [d for d in running.dead_letters() if d.stage == "sinks.notify"],
            30,
            "the webhook failures in the dead-letter topic",
        )
        assert "not delivered to webhook" in letters[0].reason
        assert "timeout" in letters[0].reason
        assert Alert.from_bytes(letters[0].original()).id in {a.id for a in alerts}
    finally:
        webhook.release()
        running.close()


def test_email_goes_over_starttls_with_login_and_a_wrong_password_is_not_retried(
    tmp_path: Path,
) -> None:
    cert, key = self_signed_certificate(tmp_path)
    server = SmtpReceiver(tls=(cert, key), login=("desk", "pa55"))
    try:
        options = {
            "host": "127.0.0.1",
            "port": server.port,
            "starttls": True,
            "username": "desk",
            "ca_certs": cert,
            "recipients": ["desk@example.org"],
        }
        alert = sanctions_alert(statement())
        EmailChannel(EmailSettings.model_validate({**options, "password": "pa55"})).send(alert)
        [(_, mail, _)] = server.received()
        assert mail["X-Wirewatch-Alert-Id"] == alert.id

        wrong = EmailChannel(EmailSettings.model_validate({**options, "password": "nope"}))
        with pytest.raises(DeliveryError) as refused:
            wrong.send(alert)
        assert not refused.value.retryable
        assert "nope" not in str(refused.value)
    finally:
        server.close()

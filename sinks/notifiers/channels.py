"""Where an alert is delivered: a log line, a webhook, a Slack-compatible webhook, e-mail.

A channel makes one attempt per :meth:`Channel.send` and raises :class:`DeliveryError` when
it failed; ``retryable`` says whether another attempt can succeed. Retries, backoff and the
record of a failure belong to the worker that drives the channel (``sinks.notifiers.worker``).
Secrets (webhook keys, SMTP passwords) are ``SecretStr`` and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import ssl
from email.message import EmailMessage

import httpx

from wirewatch.alerts import Alert
from wirewatch.errors import WirewatchError
from wirewatch.settings import AlertSettings, EmailSettings, WebhookSettings

log = logging.getLogger("wirewatch.alerts")

SIGNATURE_HEADER = "X-Wirewatch-Signature"
_RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


class DeliveryError(WirewatchError):
    """One delivery attempt failed."""

    def __init__(self, reason: str, retryable: bool = True) -> None:
        super().__init__(reason)
        self.retryable = retryable


def sign(secret: str, body: bytes) -> str:
    """The signature header value: ``sha256=`` + HMAC-SHA256 of the exact body, hex."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def readable(alert: Alert) -> str:
    """The alert as a person reads it: who, which side, on whom, the quote, the link."""
    lines = [f"{alert.rule}: {alert.headline()}"]
    if alert.count > 1:
        lines[0] += f" ({alert.count} statements)"
    quoted = alert.evidence.startswith(('"', "“", "«"))
    lines.append(alert.evidence if quoted else f'"{alert.evidence}"')
    lines.append(
        f"speaker: {alert.speaker or 'unknown'} | stance: {alert.stance} | "
        f"target: {alert.target or '-'} | topics: {', '.join(alert.topics) or '-'}"
    )
    lines.append(f"{alert.article_title} ({alert.source}) {alert.article_url}".strip())
    return "\n".join(lines)


class Channel:
    name = "channel"
    retries = 0
    backoff = 0.5

    def send(self, alert: Alert) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""


class LogChannel(Channel):
    """A structured log line per alert; never fails."""

    name = "log"

    def send(self, alert: Alert) -> None:
        log.info(
            "ALERT " + alert.headline(),
            extra={
                "rule": alert.rule,
                "alert_id": alert.id,
                "speaker": alert.speaker,
                "stance": alert.stance,
                "target": alert.target,
                "topics": ",".join(alert.topics),
                "evidence": alert.evidence[:300],
                "url": alert.article_url,
                "article_id": alert.article_id,
            },
        )


class _HttpChannel(Channel):
    def __init__(self, settings: WebhookSettings) -> None:
        assert settings.url is not None
        self.url = settings.url
        self.secret = settings.secret
        self.retries = settings.retries
        self.backoff = settings.backoff
        self.client = httpx.Client(timeout=settings.timeout, follow_redirects=False)

    def body(self, alert: Alert) -> bytes:
        raise NotImplementedError

    def send(self, alert: Alert) -> None:
        body = self.body(alert)
        headers = {"Content-Type": "application/json", "X-Wirewatch-Alert-Id": alert.id}
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = sign(self.secret.get_secret_value(), body)
        try:
            response = self.client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"no answer within the timeout ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise DeliveryError(
                f"HTTP {response.status_code}: {response.text[:200]}",
                retryable=response.status_code in _RETRYABLE_STATUS,
            )

    def close(self) -> None:
        self.client.close()


class WebhookChannel(_HttpChannel):
    """The alert as JSON (the ``news.alerts`` record plus a readable ``text``)."""

    name = "webhook"

    def body(self, alert: Alert) -> bytes:
        payload = {**alert.model_dump(mode="json"), "text": readable(alert)}
        return json.dumps(payload, ensure_ascii=False).encode("utf-8")


class SlackChannel(_HttpChannel):
    """A Slack-compatible incoming webhook: ``{"text": ...}`` in Slack's mrkdwn."""

    name = "slack"

    def body(self, alert: Alert) -> bytes:
        def esc(text: str) -> str:
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

        title = esc(alert.article_title or alert.article_url)
        lines = [
            f"*{esc(alert.rule)}*: {esc(alert.headline())}"
            + (f" ({alert.count} statements)" if alert.count > 1 else ""),
            f"> {esc(alert.evidence)}",
            f"*Speaker:* {esc(alert.speaker or 'unknown')}  *Stance:* {alert.stance}  "
            f"*Target:* {esc(alert.target or '-')}  *Topics:* {esc(', '.join(alert.topics))}",
            f"<{alert.article_url}|{title}> ({esc(alert.source)})",
        ]
        return json.dumps({"text": "\n".join(lines)}, ensure_ascii=False).encode("utf-8")


class EmailChannel(Channel):
    """Plain-text e-mail over SMTP; STARTTLS, implicit TLS and login when configured."""

    name = "email"

    def __init__(self, settings: EmailSettings) -> None:
        assert settings.host is not None
        self.settings = settings
        self.retries = settings.retries
        self.backoff = settings.backoff

    def message(self, alert: Alert) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = f"[wirewatch] {alert.rule}: {alert.headline()}"[:250]
        msg["From"] = self.settings.sender
        msg["To"] = ", ".join(self.settings.recipients)
        msg["X-Wirewatch-Alert-Id"] = alert.id
        msg.set_content(readable(alert) + "\n")
        return msg

    def send(self, alert: Alert) -> None:
        s = self.settings
        assert s.host is not None
        try:
            smtp: smtplib.SMTP
            tls = ssl.create_default_context(cafile=str(s.ca_certs) if s.ca_certs else None)
            if s.ssl:
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=tls)
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            with smtp:
                if s.starttls and not s.ssl:
                    smtp.starttls(context=tls)
                if s.username and s.password is not None:
                    smtp.login(s.username, s.password.get_secret_value())
                smtp.send_message(self.message(alert))
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP login refused: {exc.smtp_code}", retryable=False) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipients refused: {list(exc.recipients)}", False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {type(exc).__name__}: {exc}") from exc


def configured_channels(settings: AlertSettings) -> list[Channel]:
    """The channels these settings turn on, log first."""
    channels: list[Channel] = []
    if settings.log:
        channels.append(LogChannel())
    if settings.webhook.url:
        channels.append(WebhookChannel(settings.webhook))
    if settings.slack.url:
        channels.append(SlackChannel(settings.slack))
    if settings.email.host and settings.email.recipients:
        channels.append(EmailChannel(settings.email))
    return channels

"""Alert delivery: channels (log, webhook, Slack-compatible webhook, e-mail) and the
notifier that feeds them from ``news.alerts``."""

from sinks.notifiers.channels import (
    Channel,
    DeliveryError,
    EmailChannel,
    LogChannel,
    SlackChannel,
    WebhookChannel,
    configured_channels,
    readable,
    sign,
)
from sinks.notifiers.dispatch import Notifier, OffsetTracker

__all__ = [
    "Channel",
    "DeliveryError",
    "EmailChannel",
    "LogChannel",
    "Notifier",
    "OffsetTracker",
    "SlackChannel",
    "WebhookChannel",
    "configured_channels",
    "readable",
    "sign",
]

"""Alerts to Slack through slack-sdk: Block Kit messages, threads per incident, paced and retried.

Two ways in, chosen by the environment: a bot token (`SLACK_BOT_TOKEN`, `chat.postMessage`, threads,
two channels) or an incoming webhook (`SLACK_WEBHOOK_URL`, one channel, no threads).
- 429s are retried by slack-sdk's `RateLimitErrorRetryHandler`, which waits for `Retry-After`; 5xx and
  connection errors by its server/connection handlers. What still fails goes back to the outbox, which
  retries later with back-off, so an outage delays alerts but never drops them.
- Slack disables senders that flood (>1 message/s sustained), so messages are paced.
- Each message carries its alert key in a context line. Before re-sending an alert whose previous attempt
  was cut off, the sink looks for that key in the channel (or thread), so a crash never posts it twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.alert_sinks import OutgoingAlert, render_text

log = structlog.get_logger("vigia.slack")

SEVERITY_EMOJI = {"critico": ":red_circle:", "aviso": ":large_orange_circle:", "info": ":large_green_circle:"}
SENTIMENT_ES = {"negative": "negativo", "neutral": "neutral", "positive": "positivo"}
REF_PREFIX = "Ref. "


class SlackDeliveryError(Exception):
    pass


def retry_handlers() -> list[Any]:
    return [
        RateLimitErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=2),
        ConnectionErrorRetryHandler(max_retry_count=2),
    ]


def _mrkdwn_escape(text: str) -> str:
    """Slack's three control characters; post texts are untrusted and must not inject mentions or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_blocks(alert: OutgoingAlert) -> list[dict[str, Any]]:
    """Block Kit layout: header, the facts, what drove it, the top posts, a link, and the reference key."""
    d = alert.details
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _truncate(alert.title, 150), "emoji": True}},
    ]
    if "value" in d and "expected" in d:
        expected = float(d["expected"])
        ratio = f"x{float(d['value']) / expected:.1f}" if expected > 0.05 else "sin precedente"
        fields = [
            {"type": "mrkdwn", "text": f"*Señal:*\n{_mrkdwn_escape(str(d.get('label', d.get('key', ''))))}"},
            {"type": "mrkdwn", "text": f"*Volumen:*\n{float(d['value']):.0f} vs. {expected:.1f} esperado ({ratio})"},
        ]
        if d.get("since"):
            fields.append({"type": "mrkdwn", "text": f"*Desde:*\n{_mrkdwn_escape(str(d['since']))[:16]} UTC"})
        if d.get("sentiment") and d.get("posts"):
            total = int(d["posts"]) or 1
            mix = ", ".join(f"{SENTIMENT_ES.get(k, k)} {100 * int(v) / total:.0f}%" for k, v in d["sentiment"].items())
            fields.append({"type": "mrkdwn", "text": f"*Tono:*\n{mix}"})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": SEVERITY_EMOJI.get(alert.severity, "")
                                                   + " " + _truncate(_mrkdwn_escape(alert.body.splitlines()[0]), 2900)},
                       "fields": fields[:10]})
        drivers = []
        if d.get("top_terms"):
            drivers.append("*Términos:* " + _mrkdwn_escape(", ".join(d["top_terms"])))
        if d.get("top_hashtags"):
            drivers.append("*Hashtags:* " + _mrkdwn_escape(" ".join(d["top_hashtags"])))
        if drivers:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _truncate("\n".join(drivers), 2900)}})
        posts = []
        for n, post in enumerate(d.get("top_posts") or [], 1):
            text = _mrkdwn_escape(" ".join(str(post.get("text", "")).split())[:200])
            link = f" <{post['url']}|ver>" if str(post.get("url") or "").startswith("https://") else ""
            posts.append(f"{n}. *@{_mrkdwn_escape(str(post.get('author', '')))}* "
                         f"({post.get('engagement', 0)} interacciones): {text}{link}")
        if posts:
            blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                       "text": _truncate("*Publicaciones con más interacción:*\n"
                                                                         + "\n".join(posts), 2900)}})
    else:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": _truncate(_mrkdwn_escape(alert.body), 2900)}})
    if str(d.get("inbox_url", "")).startswith(("http://", "https://")):
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Abrir la bandeja de revisión"},
             "url": d["inbox_url"], "action_id": "open_inbox"}]})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"{REF_PREFIX}{alert.key}"}]})
    return blocks


class _Pacer:
    """At most one message per `interval` seconds (Slack's sustained limit is about 1/s)."""

    def __init__(self, interval: float, sleep: Callable[[float], None], monotonic: Callable[[], float]):
        self.interval, self.sleep, self.monotonic = interval, sleep, monotonic
        self._last = -1e9
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            gap = self.monotonic() - self._last
            if gap < self.interval:
                self.sleep(self.interval - gap)
            self._last = self.monotonic()


class SlackSink:
    """Posts alerts with `chat.postMessage` to the alerts or the operations channel."""

    name = "slack"
    threads = True

    def __init__(self, client: WebClient, channels: dict[str, str], *, min_interval: float = 1.1,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic):
        self.client = client
        self.channels = channels  # {"alerts": "#vigia-alertas", "ops": "#vigia-operaciones"}
        self._pacer = _Pacer(min_interval, sleep, monotonic)
        self._channel_ids: dict[str, str] = {}

    def _channel(self, alert: OutgoingAlert) -> str:
        return self.channels.get(alert.channel, self.channels["alerts"])

    def send(self, alert: OutgoingAlert) -> str | None:
        self._pacer.wait()
        try:
            response = self.client.chat_postMessage(
                channel=self._channel(alert),
                text=_truncate(render_text(alert), 3900),  # the notification and accessibility fallback
                blocks=build_blocks(alert),
                thread_ts=alert.thread_ref.split(":")[-1] if alert.thread_ref else None,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            raise SlackDeliveryError(f"chat.postMessage failed: {exc.response.get('error', exc)}") from None
        self._channel_ids[self._channel(alert)] = response["channel"]
        return f"{response['channel']}:{response['ts']}"

    def find_delivered(self, alert: OutgoingAlert, oldest: float) -> str | None:
        """The message of an earlier, interrupted attempt, if Slack has it (searched by its reference key)."""
        channel = self._channel_ids.get(self._channel(alert), self._channel(alert))
        marker = f"{REF_PREFIX}{alert.key}"
        try:
            if alert.thread_ref:
                response = self.client.conversations_replies(channel=channel, ts=alert.thread_ref.split(":")[-1],
                                                              oldest=f"{oldest:.6f}", limit=200)
            else:
                response = self.client.conversations_history(channel=channel, oldest=f"{oldest:.6f}", limit=200)
        except SlackApiError as exc:
            log.warning("could not check for an earlier delivery; sending again", key=alert.key,
                        error=exc.response.get("error"))
            return None
        for message in response.get("messages", []):
            if marker in str(message.get("blocks", "")) or marker in str(message.get("text", "")):
                return f"{response.get('channel', channel)}:{message['ts']}"
        return None


class SlackWebhookSink:
    """Posts alerts to an incoming webhook (one fixed channel; Slack threads are not available)."""

    name = "slack"
    threads = False

    def __init__(self, client: WebhookClient, *, min_interval: float = 1.1,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic):
        self.client = client
        self._pacer = _Pacer(min_interval, sleep, monotonic)

    def send(self, alert: OutgoingAlert) -> str | None:
        self._pacer.wait()
        response = self.client.send(text=_truncate(render_text(alert), 3900), blocks=build_blocks(alert),
                                    unfurl_links=False, unfurl_media=False)
        if response.status_code != 200:
            raise SlackDeliveryError(f"webhook answered HTTP {response.status_code}: {response.body[:200]}")
        return None


def build_slack_sink(token: str | None, webhook_url: str | None, base_url: str,
                     channels: dict[str, str]) -> SlackSink | SlackWebhookSink | None:
    if token:
        base = base_url if base_url.endswith("/") else base_url + "/"
        return SlackSink(WebClient(token=token, base_url=base, timeout=15, retry_handlers=retry_handlers()),
                         channels)
    if webhook_url:
        return SlackWebhookSink(WebhookClient(webhook_url, timeout=15, retry_handlers=retry_handlers()))
    return None

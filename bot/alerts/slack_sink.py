"""Alerts to Slack through slack-sdk: Block Kit messages, threads per incident, paced, posted at most once per
attempt.

Two ways in, chosen by the environment: a bot token (`SLACK_BOT_TOKEN`, `chat.postMessage`, threads,
two channels) or an incoming webhook (`SLACK_WEBHOOK_URL`, one channel, no threads).
- slack-sdk retries only what cannot have been posted (a 429; reads), see bot/slack/client.py. Anything else
  that fails goes back to the outbox (bot/alerts/delivery.py), which backs off per channel and, before the next
  attempt, looks for the message in the channel: a lost answer never becomes a second post.
- Each message carries Slack message metadata (`event_type` "vigia_alert", the alert key and outbox id) and
  a `Ref. <key>` context line; the earlier-delivery check looks for them by channel ID (names are resolved
  once and stored, bot/slack/channels.py).
- Slack disables senders that flood (>1 message/s sustained), so messages are paced.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.client import HTTPException
from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.alerts.incidents import author_es, interactions_es, places_es, voices_es
from bot.alerts.sinks import OutgoingAlert, render_text
from bot.slack.channels import ChannelDirectory, MemoryChannelDirectory
from bot.slack.client import (
    REF_PREFIX,
    SlackUnavailable,
    build_web_client,
    find_marked,
    metadata,
    resolve_channel_id,
    retry_after_of,
    retry_handlers,
    unavailable,
)

log = structlog.get_logger("vigia.slack")

ALERT_EVENT = "vigia_alert"  # our Slack message metadata event type
_BLOCK_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format"})
_METADATA_ERRORS = frozenset({"invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large",
                              "metadata_must_be_sent_from_app"})
SEVERITY_EMOJI = {"critico": ":red_circle:", "aviso": ":large_orange_circle:", "info": ":large_green_circle:"}
SENTIMENT_ES = {"negative": "negativo", "neutral": "neutral", "positive": "positivo"}


class SlackDeliveryError(Exception):
    """Not delivered now; `retry_after` is Slack's own wait, when it gave one."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def _mrkdwn_escape(text: str) -> str:
    """Slack's three control characters; post texts are untrusted and must not inject mentions or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _safe_url(url: object) -> str | None:
    """An https link fit for Slack's <url|text> syntax, or None."""
    text = str(url or "")
    if not text.startswith("https://") or any(c in text for c in "<>| \n\t"):
        return None
    return text


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
        voices = voices_es(d.get("voices") or {})
        if voices:
            fields.append({"type": "mrkdwn", "text": f"*Voces:*\n{_mrkdwn_escape(voices)}"})
        where = places_es(d.get("places") or {})
        if where:
            fields.append({"type": "mrkdwn", "text": f"*Dónde:*\n{_mrkdwn_escape(where)}"})
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
                         f"({interactions_es(post.get('engagement', 0))}): {text}{link}")
        if posts:
            blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                       "text": _truncate("*Publicaciones con más interacción:*\n"
                                                                         + "\n".join(posts), 2900)}})
        authors = []
        for n, author in enumerate(d.get("top_authors") or [], 1):
            url = _safe_url(author.get("url"))
            line = _mrkdwn_escape(author_es(author))
            authors.append(f"{n}. {line} <{url}|perfil>" if url else f"{n}. {line}")
        if authors:
            blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                       "text": _truncate("*Autores con más seguidores:*\n"
                                                                         + "\n".join(authors), 2900)}})
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
    """Posts alerts with `chat.postMessage` to the alerts or the operations channel, by channel ID."""

    name = "slack"
    threads = True
    announces_backlog = True  # after an outage, a long backlog is announced first (bot/alerts/delivery.py)

    def __init__(self, client: WebClient, channels: dict[str, str], *, directory: ChannelDirectory | None = None,
                 min_interval: float = 1.1, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic):
        self.client = client
        self.channels = channels  # {"alerts": "#vigia-alertas", "ops": "#vigia-operaciones"}
        self.directory: ChannelDirectory = directory if directory is not None else MemoryChannelDirectory()
        self._pacer = _Pacer(min_interval, sleep, monotonic)

    def _channel(self, alert: OutgoingAlert) -> str:
        return self.channels.get(alert.channel, self.channels["alerts"])

    def send(self, alert: OutgoingAlert) -> str | None:
        """Post once. A lost answer raises: the outbox looks for the message before any new attempt."""
        self._pacer.wait()
        name = self._channel(alert)
        thread_ts = None
        if alert.thread_ref:
            channel, _, thread_ts = alert.thread_ref.rpartition(":")
        else:
            try:
                channel = resolve_channel_id(self.client, self.directory, name) or name
            except SlackUnavailable as exc:
                raise SlackDeliveryError(str(exc), exc.retry_after) from None
        args: dict[str, Any] = {
            "channel": channel,
            "text": _truncate(render_text(alert), 3900),  # the notification and accessibility fallback
            "blocks": build_blocks(alert),
            "metadata": metadata(ALERT_EVENT, "alert_key", alert.key, outbox_id=alert.outbox_id),
            "thread_ts": thread_ts,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        try:
            response = _post(self.client, args)
        except SlackDeliveryError as exc:
            if thread_ts or channel == name or "channel_not_found" not in str(exc):
                raise
            # A stored ID Slack no longer knows: nothing was posted, so asking again by name is safe.
            log.warning("stored channel ID not found; posting by name", channel=name, stale_id=channel)
            self.directory.forget(name)
            response = _post(self.client, {**args, "channel": name})
        if not thread_ts:
            self.directory.put(name, str(response["channel"]))
        return f"{response['channel']}:{response['ts']}"

    def find_delivered(self, alert: OutgoingAlert, oldest: float) -> str | None:
        """The message of an earlier, interrupted attempt, if Slack has it (found by metadata or `Ref.`).

        Raises `SlackDeliveryError` when Slack cannot be asked now, so the outbox waits instead of posting.
        """
        thread_ts = None
        if alert.thread_ref:
            channel, _, thread_ts = alert.thread_ref.rpartition(":")
        try:
            if not thread_ts:
                found_id = resolve_channel_id(self.client, self.directory, self._channel(alert))
                if found_id is None:
                    log.warning("channel ID unknown; cannot check for an earlier delivery, posting again",
                                key=alert.key, channel=self._channel(alert))
                    return None
                channel = found_id
            ts = find_marked(self.client, channel, event_type=ALERT_EVENT, key_field="alert_key", key=alert.key,
                             oldest=oldest, thread_ts=thread_ts)
        except SlackUnavailable as exc:
            raise SlackDeliveryError(str(exc), exc.retry_after) from None
        return f"{channel}:{ts}" if ts else None


def _post(client: WebClient, args: dict[str, Any]) -> Any:
    """`chat.postMessage` with no blind re-send. A refusal of the content (not a post) is retried plainer:
    without blocks, or without metadata (the `Ref.` line still marks it)."""
    for _ in range(3):
        try:
            return client.chat_postMessage(**args)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if exc.response.status_code == 200 and error in _BLOCK_ERRORS and "blocks" in args:
                log.warning("Slack refused the blocks; posting the text only", error=error)
                args = {k: v for k, v in args.items() if k != "blocks"}
                continue
            if exc.response.status_code == 200 and error in _METADATA_ERRORS and "metadata" in args:
                log.warning("Slack refused the message metadata; posting without it", error=error)
                args = {k: v for k, v in args.items() if k != "metadata"}
                continue
            failure = unavailable(exc, "chat.postMessage") if exc.response.status_code != 200 else None
            raise SlackDeliveryError(str(failure) if failure else f"chat.postMessage failed: {error}",
                                     failure.retry_after if failure else None) from None
        except (OSError, HTTPException) as exc:  # the answer was lost: Slack may have posted it
            raise SlackDeliveryError(f"chat.postMessage: {type(exc).__name__}: {exc}"[:300]) from None
    raise SlackDeliveryError("chat.postMessage refused every variant of the message")


class SlackWebhookSink:
    """Posts alerts to an incoming webhook (one fixed channel; Slack threads are not available)."""

    name = "slack"
    threads = False
    announces_backlog = True

    def __init__(self, client: WebhookClient, *, min_interval: float = 1.1,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic):
        self.client = client
        self._pacer = _Pacer(min_interval, sleep, monotonic)

    def send(self, alert: OutgoingAlert) -> str | None:
        self._pacer.wait()
        response = self.client.send(text=_truncate(render_text(alert), 3900), blocks=build_blocks(alert),
                                    unfurl_links=False, unfurl_media=False)
        if response.status_code != 200:
            raise SlackDeliveryError(f"webhook answered HTTP {response.status_code}: {response.body[:200]}",
                                     retry_after_of(response.headers))
        return None


def build_slack_sink(token: str | None, webhook_url: str | None, base_url: str, channels: dict[str, str],
                     directory: ChannelDirectory | None = None) -> SlackSink | SlackWebhookSink | None:
    if token:
        return SlackSink(build_web_client(token, base_url), channels, directory=directory)
    if webhook_url:
        return SlackWebhookSink(WebhookClient(webhook_url, timeout=15, retry_handlers=retry_handlers()))
    return None

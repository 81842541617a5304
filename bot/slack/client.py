"""slack-sdk plumbing shared by alerts and reports: the retry policy, channel IDs, and finding our messages.

Retry policy (issue 12): slack-sdk retries inside one call, invisibly to the outbox. That is only safe when
the call had no effect:
- HTTP 429: Slack rejected the request and did nothing ("If you go over these limits … Slack will start
  returning a HTTP 429 Too Many Requests error … and a Retry-After header containing the number of seconds
  until you can retry", https://docs.slack.dev/apis/web-api/rate-limits), so a 429 is retried for every
  method, once, when Retry-After is short (a long one goes back to the outbox's back-off).
- Connection errors and 5xx are retried only for reads (`conversations.history`, `.replies`, `.list`,
  `auth.test`). A `chat.postMessage` whose connection dropped may have been posted: only the outbox retries
  it, after looking for it in the channel.

Every message we post carries Slack message metadata (an `event_type` of ours and the alert's key), and a
`Ref. <key>` line in its context block as a fallback; `find_marked` looks for either in a channel by ID.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from http.client import HTTPException
from typing import Any
from urllib.parse import urlparse

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.slack.channels import ChannelDirectory

log = structlog.get_logger("vigia.slack")

READ_METHODS = frozenset({"conversations.history", "conversations.replies", "conversations.list", "auth.test"})
MAX_INLINE_RETRY_AFTER = 5  # seconds; a longer Retry-After is left to the outbox's back-off
REF_PREFIX = "Ref. "
_REF = re.compile(r"Ref\. (\S+)")
CHANNEL_ID_PATTERN = re.compile(r"^[CGD][A-Z0-9]{8,}$")
# A check for an earlier delivery that cannot be done at all (rather than "Slack is down, try later").
CHECK_IMPOSSIBLE = frozenset({"missing_scope", "not_in_channel", "channel_not_found", "thread_not_found",
                              "not_authed", "invalid_auth", "account_inactive", "token_revoked"})


class SlackUnavailable(Exception):
    """Slack could not be asked (down, rate limited, connection lost): try again later."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def api_method(url: str) -> str:
    return urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]


class ReadsOnly(RetryHandler):
    """Lets `inner` retry only read methods: a write whose answer was lost may already have taken effect."""

    def __init__(self, inner: RetryHandler):
        super().__init__(inner.max_retry_count, inner.interval_calculator)
        self.inner = inner

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return api_method(request.url) in READ_METHODS and self.inner._can_retry(
            state=state, request=request, response=response, error=error)

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        self.inner.prepare_for_next_attempt(state=state, request=request, response=response, error=error)


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """Retries a 429 (nothing was done) in line only when Slack asks for a short wait."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        assert response is not None
        wait = retry_after_of(response.headers)
        return wait is None or wait <= MAX_INLINE_RETRY_AFTER


def retry_handlers() -> list[RetryHandler]:
    return [
        ShortRateLimitRetry(max_retry_count=1),
        ReadsOnly(ServerErrorRetryHandler(max_retry_count=2)),
        ReadsOnly(ConnectionErrorRetryHandler(max_retry_count=2)),
    ]


def build_web_client(token: str, base_url: str, timeout: int = 15) -> WebClient:
    base = base_url if base_url.endswith("/") else base_url + "/"
    return WebClient(token=token, base_url=base, timeout=timeout, retry_handlers=retry_handlers())


def retry_after_of(headers: Any) -> float | None:
    """Retry-After from a slack-sdk header mapping (values may be lists)."""
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def unavailable(exc: Exception, what: str) -> SlackUnavailable:
    """A transport or HTTP failure as `SlackUnavailable`, keeping Slack's Retry-After."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        return SlackUnavailable(f"{what}: HTTP {response.status_code} {response.get('error', '')}".strip(),
                                retry_after_of(response.headers))
    return SlackUnavailable(f"{what}: {type(exc).__name__}: {exc}"[:300])


def resolve_channel_id(client: WebClient, directory: ChannelDirectory, name: str) -> str | None:
    """The conversation ID for a configured channel: stored, or looked up once with `conversations.list`.

    None when Slack will not say (no `channels:read`, or the channel is not visible): the caller then posts
    by name and stores the ID from `chat.postMessage`'s answer. Raises `SlackUnavailable` when Slack cannot
    be asked now.
    """
    if CHANNEL_ID_PATTERN.match(name):
        return name
    known = directory.get(name)
    if known:
        return known
    wanted = name.lstrip("#")
    cursor = None
    try:
        for _ in range(100):  # pages; a workspace with more than 100 pages of channels is not expected
            response = client.conversations_list(types="public_channel,private_channel", exclude_archived=True,
                                                 limit=200, cursor=cursor)
            for channel in response.get("channels", []):
                if channel.get("name") == wanted:
                    directory.put(name, str(channel["id"]))
                    return str(channel["id"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except SlackApiError as exc:
        if exc.response.status_code != 200:
            raise unavailable(exc, "conversations.list") from None
        log.warning("could not resolve a channel name with conversations.list", channel=name,
                    error=exc.response.get("error"))
    except (OSError, HTTPException) as exc:
        raise unavailable(exc, "conversations.list") from None
    return None


def metadata(event_type: str, key_field: str, key: str, **extra: Any) -> dict[str, Any]:
    """Slack message metadata carrying our stable id (https://docs.slack.dev/messaging/message-metadata)."""
    payload = {key_field: key, **{k: v for k, v in extra.items() if v is not None}}
    return {"event_type": event_type, "event_payload": payload}


def carries(message: dict[str, Any], event_type: str, key_field: str, key: str) -> bool:
    """Whether a message from history is ours for `key`: by metadata, else by the exact `Ref.` token in a
    context block (never the message text, which quotes citizens' posts)."""
    meta = message.get("metadata") or {}
    if meta.get("event_type") == event_type and (meta.get("event_payload") or {}).get(key_field) == key:
        return True
    for block in message.get("blocks") or []:
        if block.get("type") != "context":
            continue
        for element in block.get("elements") or []:
            if key in _REF.findall(str(element.get("text", ""))):
                return True
    return False


def _pages(client: WebClient, channel: str, oldest: float, thread_ts: str | None) -> Iterator[dict[str, Any]]:
    cursor = None
    for _ in range(20):  # 4,000 messages since the attempt: far more than a bot channel sees
        args: dict[str, Any] = {"channel": channel, "oldest": f"{oldest:.6f}", "limit": 200,
                                "include_all_metadata": True, "cursor": cursor}
        if thread_ts:
            response = client.conversations_replies(ts=thread_ts, **args)
        else:
            response = client.conversations_history(**args)
        yield from response.get("messages", [])
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not response.get("has_more") or not cursor:
            return


def find_marked(client: WebClient, channel_id: str, *, event_type: str, key_field: str, key: str,
                oldest: float, thread_ts: str | None = None) -> str | None:
    """The ts of our message for `key` in a channel (or thread) since `oldest`, or None if it is not there.

    Raises `SlackUnavailable` when Slack cannot be asked now. When it can never be asked (no
    `channels:history`, bot not in the channel) it logs a warning and returns None: the alert is posted
    again rather than lost (the residual window documented in docs/alerts.md).
    """
    try:
        for message in _pages(client, channel_id, oldest, thread_ts):
            if carries(message, event_type, key_field, key):
                return str(message["ts"])
    except SlackApiError as exc:
        error = exc.response.get("error")
        if exc.response.status_code == 200 and error in CHECK_IMPOSSIBLE:
            log.warning("cannot check for an earlier delivery; posting again", channel=channel_id, key=key,
                        error=error)
            return None
        raise unavailable(exc, "earlier-delivery check") from None
    except (OSError, HTTPException) as exc:  # URLError, connection reset, timeout, a torn answer
        raise unavailable(exc, "earlier-delivery check") from None
    return None

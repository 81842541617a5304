"""A local fake of the Slack Web API and incoming webhooks, on 127.0.0.1, for tests.

It speaks Slack's wire format as the OpenAPI spec in ../shared/specs describes it: the auth header, the
form or JSON request bodies, `{"ok": ...}` envelopes, `ts` values, HTTP 429 with `Retry-After`. It checks
what arrives (a token, a channel, parameter names the spec knows, the shape of Block Kit blocks), records
every request, and can be told to fail the next requests (429, 5xx, or refuse everything as an outage).

Like the real API (and unlike the published spec, which predates them): `chat.postMessage` takes a channel
name or ID and answers with the ID; `conversations.history` and `.replies` take IDs only (a name is
`channel_not_found`); message `metadata` (`event_type`, `event_payload`) is stored and returned only with
`include_all_metadata=true`; history pages with `limit`/`cursor`. Faults: a 429 with Retry-After, a 5xx,
an outage (`down`: 503 to everything; `SlackServer.refuse()`: connection refused), and `Fault(drop=True)`:
the request is carried out (the message is posted) and the connection is closed without an answer.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

# shared/ lies beside the repository (or beside the folder of its worktrees), in development and in CI alike.
_SPEC = Path("shared") / "specs" / "slack-web-api-openapi-v2.json"
SPEC_PATH = next((p / _SPEC for p in Path(__file__).resolve().parents[3:5] if (p / _SPEC).exists()),
                 Path(__file__).resolve().parents[3] / _SPEC)

TOKEN = "xoxb-test-0000-vigia"
BLOCK_TYPES = {"header", "section", "context", "actions", "divider", "image", "rich_text", "input", "file",
               "video"}
SDK_EXTRA_PARAMS = {"token"}
# Methods newer than the published spec (its files.* upload v2 entries are empty): their documented parameters.
NEWER_METHODS = {
    "files.getUploadURLExternal": {"filename", "length", "alt_txt", "snippet_type"},
    "files.completeUploadExternal": {"files", "channel_id", "channels", "initial_comment", "thread_ts", "blocks"},
}
# Parameters newer than the spec on methods it has (https://docs.slack.dev/messaging/message-metadata).
NEWER_PARAMS = {
    "chat.postMessage": {"metadata"},
    "conversations.history": {"include_all_metadata"},
    "conversations.replies": {"include_all_metadata"},
}


def load_spec() -> dict[str, Any]:
    """The published spec, plus what Slack added since: message metadata and history's cursor paging."""
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    spec["definitions"]["objs_message"]["properties"]["metadata"] = {
        "type": "object", "required": ["event_type", "event_payload"],
        "properties": {"event_type": {"type": "string"}, "event_payload": {"type": "object"}}}
    history = spec["paths"]["/conversations.history"]["get"]["responses"]["200"]["schema"]
    history["properties"]["response_metadata"] = {"type": "object",
                                                  "properties": {"next_cursor": {"type": "string"}}}
    return spec


@dataclass
class Fault:
    """The next matching request fails: HTTP `status` (429 with `retry_after`), or with `drop` it is carried
    out and the connection is closed unanswered. `method` limits it to one API method."""

    status: int = 0
    retry_after: int | None = None
    method: str | None = None
    drop: bool = False


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, Any]


@dataclass
class FakeSlack:
    """State of the fake: messages per channel, recorded requests, scripted faults."""

    spec: dict[str, Any] = field(default_factory=load_spec)
    requests: list[Recorded] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: deque[Fault] = field(default_factory=deque)
    down: bool = False  # an outage: every request answers 503
    history_lag: float = 0.0  # seconds before a posted message shows in conversations.history/.replies
    missing_scopes: set[str] = field(default_factory=set)  # methods that answer `missing_scope`
    now: Callable[[], float] = time.time  # Slack's wall clock, which `ts` values come from
    after_post: Callable[[str, dict[str, Any]], None] | None = None  # called once a message is stored
    uploads: dict[str, bytes] = field(default_factory=dict)
    schema_errors: list[str] = field(default_factory=list)  # our own responses that break the spec
    channel_ids: dict[str, str] = field(default_factory=lambda: {"#vigia-alertas": "C0ALERTS1",
                                                                   "#vigia-operaciones": "C0OPS0001",
                                                                   "#vigia-informes": "C0REPORT1"})
    _clock: float = field(default_factory=lambda: 1_764_000_000.0)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_ts(self) -> str:
        """Slack's ts: the epoch time of the message, unique per channel."""
        self._clock = max(self._clock + 0.000001, self.now())
        return f"{self._clock:.6f}"

    def spec_params(self, method: str) -> set[str]:
        if method in NEWER_METHODS:
            return NEWER_METHODS[method]
        path = self.spec["paths"].get(f"/{method}", {})
        names: set[str] = set()
        for op in path.values():
            names.update(p["name"] for p in op.get("parameters", []))
        return names

    def check_response(self, method: str, body: dict[str, Any]) -> None:
        """Validate a success response against the spec's schema, so the fake cannot drift from Slack."""
        import jsonschema

        op = next(iter(self.spec["paths"].get(f"/{method}", {}).values()), None)
        if op is None or not body.get("ok"):
            return
        if method == "conversations.history" and not body.get("messages"):
            return  # the spec says minItems 1, but Slack answers an empty list for a quiet channel
        schema = {**op["responses"]["200"]["schema"], "definitions": self.spec["definitions"]}
        errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(body), key=str)
        if errors:
            self.schema_errors.append(f"{method}: {errors[0].message}")

    def posted(self, channel_id: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            if channel_id:
                return list(self.messages.get(channel_id, []))
            return sorted((m for msgs in self.messages.values() for m in msgs), key=lambda m: float(m["ts"]))

    def take_fault(self, method: str) -> Fault | None:
        """The first queued fault that applies to `method` (call with the lock held)."""
        for fault in self.faults:
            if fault.method in (None, method):
                self.faults.remove(fault)
                return fault
        return None


def _check_blocks(blocks: Any) -> str | None:
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return "invalid_blocks_format"
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "invalid_blocks"
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            return "invalid_blocks"
        text = block.get("text")
        if text is not None:
            if not isinstance(text, dict) or text.get("type") not in ("mrkdwn", "plain_text"):
                return "invalid_blocks"
            limit = 150 if block["type"] == "header" else 3000
            if block["type"] == "header" and text.get("type") != "plain_text":
                return "invalid_blocks"
            if not isinstance(text.get("text"), str) or not (0 < len(text["text"]) <= limit):
                return "invalid_blocks"
        for f in block.get("fields", []) or []:
            if f.get("type") not in ("mrkdwn", "plain_text") or len(f.get("text", "")) > 2000:
                return "invalid_blocks"
        if block["type"] in ("context", "actions") and not block.get("elements"):
            return "invalid_blocks"
    return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    _method = ""
    _raw_body = b""
    _drop = False

    def _hang_up(self) -> None:
        """Close the connection without a byte of answer (the client sees RemoteDisconnected)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        if self._drop:
            return self._hang_up()
        if isinstance(body, dict) and self._method:
            self.server.fake.check_response(self._method, body)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8" if not isinstance(body, bytes)
                         else "text/plain")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _params(self) -> dict[str, Any]:
        parsed = urlparse(self.path)
        params: dict[str, Any] = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self._raw_body = raw  # uploads keep their bytes whatever Content-Type urllib gave them
        ctype = self.headers.get("Content-Type", "")
        if raw and "json" in ctype:
            params.update(json.loads(raw))
        elif raw and "x-www-form-urlencoded" in ctype:
            params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
        elif raw:
            params["_body"] = raw
        return params

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, verb: str) -> None:
        fake = self.server.fake
        path = urlparse(self.path).path
        params = self._params()
        method = path[len("/api/"):] if path.startswith("/api/") else path
        with fake.lock:
            fake.requests.append(Recorded(verb, path, dict(self.headers), params))
            fault = fake.take_fault(method)
            down = fake.down
        if down:
            return self._reply(503, b"service unavailable")
        if fault is not None and fault.drop:
            self._drop = True  # carry the request out, then hang up instead of answering
        elif fault is not None:
            if fault.status == 429:
                return self._reply(429, {"ok": False, "error": "ratelimited"},
                                   {"Retry-After": str(fault.retry_after or 1)})
            return self._reply(fault.status, b"upstream error")
        if path.startswith("/services/"):
            return self._webhook(params)
        if path.startswith("/upload/"):
            with fake.lock:
                fake.uploads[path.rsplit("/", 1)[-1]] = self._raw_body
            return self._reply(200, b"OK - 1")
        if not path.startswith("/api/"):
            return self._reply(404, {"ok": False, "error": "unknown_method"})
        auth = self.headers.get("Authorization", "")
        if auth != f"Bearer {TOKEN}":
            return self._reply(200, {"ok": False, "error": "not_authed" if not auth else "invalid_auth"})
        known = fake.spec_params(method) | NEWER_PARAMS.get(method, set())
        if not known:
            return self._reply(200, {"ok": False, "error": "unknown_method"})
        unknown = set(params) - known - SDK_EXTRA_PARAMS - {"_body"}
        if unknown:
            return self._reply(200, {"ok": False, "error": "invalid_arg_name",
                                     "response_metadata": {"messages": [f"unknown: {sorted(unknown)}"]}})
        if method in fake.missing_scopes:
            return self._reply(200, {"ok": False, "error": "missing_scope", "needed": "channels:read"})
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            return self._reply(200, {"ok": False, "error": "unknown_method"})
        self._method = method
        return handler(params)

    def _channel_id(self, name: str) -> str | None:
        """chat.postMessage's rule: an ID, or a name with or without '#'."""
        fake = self.server.fake
        if name in fake.channel_ids.values():
            return name
        return fake.channel_ids.get(name) or fake.channel_ids.get("#" + name.lstrip("#"))

    def _conversation(self, value: str) -> str | None:
        """conversations.history/.replies' rule: a conversation ID only."""
        return value if value in self.server.fake.channel_ids.values() else None

    def api_auth_test(self, params: dict[str, Any]) -> None:
        self._reply(200, {"ok": True, "url": "https://vigia-test.slack.com/", "team": "Vigía", "user": "vigia",
                          "team_id": "T0VIGIA01", "user_id": "U0VIGIA01"})

    def api_chat_postMessage(self, params: dict[str, Any]) -> None:
        fake = self.server.fake
        channel = self._channel_id(str(params.get("channel", "")))
        if not params.get("channel"):
            return self._reply(200, {"ok": False, "error": "invalid_arguments"})
        if channel is None:
            return self._reply(200, {"ok": False, "error": "channel_not_found"})
        if not params.get("text") and not params.get("blocks"):
            return self._reply(200, {"ok": False, "error": "no_text"})
        if params.get("blocks") is not None:
            problem = _check_blocks(params["blocks"])
            if problem:
                return self._reply(200, {"ok": False, "error": problem})
        thread_ts = params.get("thread_ts")
        with fake.lock:
            if thread_ts and not any(m["ts"] == thread_ts for m in fake.messages.get(channel, [])):
                return self._reply(200, {"ok": False, "error": "thread_not_found"})
            ts = fake.next_ts()
            blocks = params.get("blocks")
            message = {"type": "message", "subtype": "bot_message", "text": params.get("text", ""), "ts": ts,
                       "bot_id": "B0VIGIA01", "username": "Vigía",
                       "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks}
            if thread_ts:
                message["thread_ts"] = thread_ts
            meta = params.get("metadata")
            meta = json.loads(meta) if isinstance(meta, str) else meta
            if meta is not None:
                if not isinstance(meta, dict) or not meta.get("event_type") \
                        or not isinstance(meta.get("event_payload"), dict):
                    return self._reply(200, {"ok": False, "error": "invalid_metadata_format"})
                message["metadata"] = meta
            fake.messages.setdefault(channel, []).append(message)
        if fake.after_post is not None:
            fake.after_post(channel, message)  # e.g. a soak test killing the client before it hears back
        response = {"ok": True, "channel": channel, "ts": ts,
                    "message": {k: v for k, v in message.items() if v is not None}}
        self._reply(200, response)

    @staticmethod
    def _shown(message: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """A stored message as history shows it: metadata only when asked for with include_all_metadata."""
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        return {k: v for k, v in message.items() if v is not None and (with_metadata or k != "metadata")}

    def _visible(self, message: dict[str, Any]) -> bool:
        """History lags behind posting by `history_lag` seconds (Slack's reads are eventually consistent)."""
        return float(message["ts"]) <= self.server.fake.now() - self.server.fake.history_lag

    def api_conversations_history(self, params: dict[str, Any]) -> None:
        fake = self.server.fake
        channel = self._conversation(str(params.get("channel", "")))
        if channel is None:
            return self._reply(200, {"ok": False, "error": "channel_not_found"})
        oldest = float(params.get("oldest") or 0)
        limit = max(1, min(999, int(params.get("limit") or 100)))
        start = int(params.get("cursor") or 0)
        with fake.lock:
            msgs = [self._shown(m, params) for m in reversed(fake.messages.get(channel, []))
                    if float(m["ts"]) >= oldest and "thread_ts" not in m and self._visible(m)]
        page, more = msgs[start:start + limit], start + limit < len(msgs)
        self._reply(200, {"ok": True, "messages": page, "has_more": more, "pin_count": 0,
                          "channel_actions_ts": None, "channel_actions_count": 0,
                          "response_metadata": {"next_cursor": str(start + limit) if more else ""}})

    def api_conversations_replies(self, params: dict[str, Any]) -> None:
        fake = self.server.fake
        channel = self._conversation(str(params.get("channel", "")))
        if channel is None:
            return self._reply(200, {"ok": False, "error": "channel_not_found"})
        ts = params.get("ts")
        oldest = float(params.get("oldest") or 0)
        with fake.lock:
            msgs = [self._shown(m, params) for m in fake.messages.get(channel, [])
                    if (m["ts"] == ts or m.get("thread_ts") == ts) and self._visible(m)
                    and (m["ts"] == ts or float(m["ts"]) >= oldest)]
        if not msgs:
            return self._reply(200, {"ok": False, "error": "thread_not_found"})
        self._reply(200, {"ok": True, "messages": msgs, "has_more": False})

    def api_files_getUploadURLExternal(self, params: dict[str, Any]) -> None:
        if not params.get("filename") or not params.get("length"):
            return self._reply(200, {"ok": False, "error": "invalid_arguments"})
        fake = self.server.fake
        with fake.lock:
            file_id = f"F{len(fake.uploads) + len(fake.requests):08d}"
        host, port = self.server.server_address[:2]
        self._reply(200, {"ok": True, "upload_url": f"http://{host}:{port}/upload/{file_id}", "file_id": file_id})

    def api_files_completeUploadExternal(self, params: dict[str, Any]) -> None:
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        if not files:
            return self._reply(200, {"ok": False, "error": "invalid_arguments"})
        fake = self.server.fake
        channel = params.get("channel_id")
        if channel and channel not in fake.channel_ids.values():
            return self._reply(200, {"ok": False, "error": "channel_not_found"})
        with fake.lock:
            missing = [f["id"] for f in files if f["id"] not in fake.uploads]
        if missing:
            return self._reply(200, {"ok": False, "error": "file_not_found"})
        self._reply(200, {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]})

    def api_conversations_list(self, params: dict[str, Any]) -> None:
        """One channel per page, so clients must follow `next_cursor` (as with a big workspace)."""
        fake = self.server.fake
        with fake.lock:
            names = sorted(fake.channel_ids.items(), key=lambda kv: kv[1])
        start = int(params.get("cursor") or 0)
        page = names[start:start + 1]
        channels = [{"id": cid, "name": name.lstrip("#"), "name_normalized": name.lstrip("#"), "created": 1_700_000_000,
                     "creator": "U0VIGIA01", "is_archived": False, "is_channel": True, "is_general": False,
                     "is_mpim": False, "is_group": False, "is_org_shared": False, "is_im": False, "is_shared": False,
                     "is_private": False, "is_member": True,
                     "topic": {"value": "", "creator": "", "last_set": 0},
                     "purpose": {"value": "", "creator": "", "last_set": 0}} for name, cid in page]
        next_cursor = str(start + 1) if start + 1 < len(names) else ""
        self._reply(200, {"ok": True, "channels": channels, "response_metadata": {"next_cursor": next_cursor}})

    def _webhook(self, params: dict[str, Any]) -> None:
        fake = self.server.fake
        if not params.get("text") and not params.get("blocks"):
            return self._reply(400, b"no_text")
        if params.get("blocks") is not None and _check_blocks(params["blocks"]):
            return self._reply(400, b"invalid_blocks")
        with fake.lock:
            fake.messages.setdefault("webhook", []).append(
                {"type": "message", "text": params.get("text", ""), "ts": fake.next_ts(),
                 "blocks": params.get("blocks")})
        self._reply(200, b"ok")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeSlack, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer (killed, timed out) is part of the game, not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SlackServer:
    """Context manager: `with SlackServer() as slack: slack.base_url, slack.fake`.

    `refuse()` closes the listening socket (clients get "connection refused", as when Slack's edge is
    unreachable) and `accept()` opens it again on the same port, with the same state.
    """

    def __init__(self, port: int = 0) -> None:
        self.fake = FakeSlack()
        self._server = _Server(self.fake, port)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/T0VIGIA01/B0VIGIA01/xyz"

    @property
    def refusing(self) -> bool:
        return self._server is None

    def refuse(self) -> None:
        with self._lock:
            if self._server is None:
                return
            self._server.shutdown()
            self._server.server_close()
            self._server = None  # type: ignore[assignment]

    def accept(self) -> None:
        with self._lock:
            if self._server is not None:
                return
            self._server = _Server(self.fake, self.port)
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
            self._thread.start()

    def __enter__(self) -> SlackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.refuse()
        time.sleep(0)

"""Meta's webhook: Instagram `mentions` notices go into the queue the Instagram connector polls.

Instagram does not list @-mentions in other people's captions and comments; it only announces their ids
through the `mentions` field of the `instagram` webhook object. Meta calls this route, not a person, so it is
the one route without login or CSRF; instead:
- `GET` answers the subscription check: `hub.mode=subscribe` and `hub.verify_token` equal to
  META_WEBHOOK_VERIFY_TOKEN, and then echoes `hub.challenge`;
- `POST` must carry `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body keyed with META_APP_SECRET>`,
  compared in constant time; unset secrets refuse everything (403). A signed body that is not a JSON object
  nested at most MAX_JSON_DEPTH levels is a 400.
The receiver only stores ids and answers 200 at once (Meta retries slow or failed deliveries, and the queue
ignores repeats); fetching the posts is the connector's job.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool

from bot.web.context import web
from bot.web.inputs import safe_json
from bot.web.security import same_secret
from storage.mentions_repository import MentionNotice, MentionQueueRepository

log = structlog.get_logger("vigia.web.webhooks")

PATH = "/webhooks/meta"
MAX_BODY_BYTES = 1 << 20  # Meta batches at most 1,000 changes per delivery: far below this
MAX_CHALLENGE_CHARS = 256
MAX_JSON_DEPTH = 32  # Meta's deliveries nest 5 levels; Python's parser would recurse once per level
_ID = re.compile(r"[0-9]{1,64}")  # Graph ids are digits; anything else never reaches a Graph field expression

router = APIRouter()


@dataclass(frozen=True)
class WebhookSecrets:
    """The verify token chosen when subscribing, and the app secret Meta signs deliveries with."""

    verify_token: SecretStr | None = None
    app_secret: SecretStr | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookSecrets:
        env = os.environ if env is None else env

        def get(name: str) -> SecretStr | None:
            value = env.get(name, "").strip()
            return SecretStr(value) if value else None

        return cls(get("META_WEBHOOK_VERIFY_TOKEN"), get("META_APP_SECRET"))


def signature_ok(body: bytes, header: str | None, app_secret: SecretStr | None) -> bool:
    """Whether `X-Hub-Signature-256` is the HMAC-SHA256 of exactly these bytes (False when unset)."""
    if app_secret is None or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256="):].strip().lower().encode(), expected.encode())


def mention_notices(payload: Any) -> Iterator[MentionNotice]:
    """The `mentions` changes of an `instagram` delivery; anything else (other objects or fields, ids that
    are not Graph ids) is skipped. Accepts both layouts Meta documents: `entry[].changes[]` (Instagram API
    with Facebook Login) and `entry[].field/value` (Business Login examples)."""
    if not isinstance(payload, Mapping) or payload.get("object") != "instagram":
        return
    entries = payload.get("entry")
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, Mapping):
            continue
        user = _id(entry.get("id"))
        changes = entry.get("changes")
        changes = changes if isinstance(changes, list) else [entry]
        for change in changes:
            if not isinstance(change, Mapping) or change.get("field") != "mentions":
                continue
            value = change.get("value")
            if user is None or not isinstance(value, Mapping):
                continue
            media = _id(value.get("media_id"))
            comment = _id(value.get("comment_id"))
            if media is None or (comment is None and value.get("comment_id") not in (None, "")):
                continue
            yield MentionNotice(user, media, comment)


def _id(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def _secrets(request: Request) -> WebhookSecrets:
    return request.app.state.meta_webhook  # type: ignore[no-any-return]


@router.get(PATH)
def verify_subscription(request: Request) -> Response:
    """Meta's subscription check (also repeated when the callback URL or token changes)."""
    params = request.query_params
    challenge = params.get("hub.challenge", "")
    token = _secrets(request).verify_token
    if (params.get("hub.mode") == "subscribe" and token is not None
            and same_secret(params.get("hub.verify_token"), token.get_secret_value())
            and 0 < len(challenge) <= MAX_CHALLENGE_CHARS):
        return PlainTextResponse(challenge)
    log.warning("webhook subscription check refused", mode=params.get("hub.mode"))
    return PlainTextResponse("Verificación rechazada.", status_code=403)


@router.post(PATH)
async def receive(request: Request) -> Response:
    """Check the signature on the raw bytes, queue the mentions, answer 200."""
    body = await _read_body(request)
    if body is None:
        return PlainTextResponse("Carga demasiado grande.", status_code=413)
    if not signature_ok(body, request.headers.get("x-hub-signature-256"), _secrets(request).app_secret):
        log.warning("webhook delivery refused: bad or missing signature", bytes=len(body))
        return PlainTextResponse("Firma inválida.", status_code=403)
    try:
        payload = safe_json(body, MAX_JSON_DEPTH)
    except ValueError:  # UnicodeDecodeError included
        log.warning("webhook delivery is not JSON, or nested too deeply", bytes=len(body))
        return PlainTextResponse("La carga no es JSON válido (o está anidada más de "
                                 f"{MAX_JSON_DEPTH} niveles).", status_code=400)
    if not isinstance(payload, Mapping):
        log.warning("webhook delivery is not a JSON object", bytes=len(body))
        return PlainTextResponse("La carga no es un objeto JSON.", status_code=400)
    notices = list(mention_notices(payload))
    new = await run_in_threadpool(_store, request, notices) if notices else 0
    log.info("webhook delivery", object=payload.get("object"), mentions=len(notices), new=new)
    return PlainTextResponse("EVENT_RECEIVED")


async def _read_body(request: Request) -> bytes | None:
    """The raw body, or None past MAX_BODY_BYTES (read no further: the signature is checked afterwards)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _store(request: Request, notices: list[MentionNotice]) -> int:
    ctx = web(request)
    with ctx.sessions() as session:
        new = MentionQueueRepository(session).enqueue(notices, ctx.clock())
        session.commit()
    return len(new)

"""Meta's webhook receiver: subscription check, signature on the raw body, payload shapes, the queue."""

from __future__ import annotations

import hashlib
import hmac
import json
import warnings
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from bot.config import Config
from bot.web.app import create_app, fast_passwords
from bot.web.routes_webhooks import MAX_BODY_BYTES, PATH, WebhookSecrets, mention_notices, signature_ok
from storage.mentions_repository import MentionNotice, pending_mentions_reader
from tests.web.helpers import NOW

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

VERIFY, SECRET = "token-de-verificacion-vigia", "secreto-de-la-app"
IG_ID = "17841400000000001"


def client_for(engine: Engine, secrets: WebhookSecrets | None = None) -> TestClient:
    secrets = secrets or WebhookSecrets(SecretStr(VERIFY), SecretStr(SECRET))
    app = create_app(Config(), engine, passwords=fast_passwords(), clock=lambda: NOW, tune=False,
                     webhook_secrets=secrets)
    return TestClient(app)


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def delivery(*values: dict[str, Any], user: str = IG_ID) -> bytes:
    changes = [{"field": "mentions", "value": v} for v in values]
    return json.dumps({"object": "instagram", "entry": [{"id": user, "time": 1763305200, "changes": changes}]},
                      separators=(",", ":")).encode()


def queued(engine: Engine, user: str = IG_ID) -> list[tuple[str, str | None]]:
    return [(n.media_id, n.comment_id) for n in pending_mentions_reader(engine)(user, 0, 100)]


# --- GET: the subscription check ---------------------------------------------------------------------------


def test_the_subscription_check_echoes_the_challenge_only_for_the_right_token(sqlite_engine):
    client = client_for(sqlite_engine)
    ok = client.get(PATH, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    assert ok.headers["content-type"].startswith("text/plain")
    for params in ({"hub.mode": "subscribe", "hub.verify_token": "otro", "hub.challenge": "1"},
                   {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"},
                   {"hub.mode": "subscribe", "hub.challenge": "1"},
                   {"hub.mode": "subscribe", "hub.verify_token": VERIFY}):
        refused = client.get(PATH, params=params)
        assert refused.status_code == 403 and "1" not in refused.text


def test_without_a_configured_verify_token_every_check_is_refused(sqlite_engine):
    client = client_for(sqlite_engine, WebhookSecrets(None, SecretStr(SECRET)))
    for token in ("", "None", VERIFY):
        assert client.get(PATH, params={"hub.mode": "subscribe", "hub.verify_token": token,
                                        "hub.challenge": "7"}).status_code == 403


def test_secrets_come_from_the_environment():
    secrets = WebhookSecrets.from_env({"META_WEBHOOK_VERIFY_TOKEN": " mi-token-secreto ", "META_APP_SECRET": ""})
    assert secrets.verify_token is not None and secrets.verify_token.get_secret_value() == "mi-token-secreto"
    assert secrets.app_secret is None and "mi-token-secreto" not in repr(secrets)


# --- POST: signature -----------------------------------------------------------------------------------------


def test_a_signed_delivery_is_queued_without_login_or_csrf(engine):
    body = delivery({"media_id": "17918195224117851"}, {"media_id": "17918195224117851", "comment_id": "1789"})
    response = client_for(engine).post(PATH, content=body, headers=signed(body))
    assert response.status_code == 200
    assert queued(engine) == [("17918195224117851", None), ("17918195224117851", "1789")]


def test_other_posts_still_need_a_login(sqlite_engine):
    response = client_for(sqlite_engine).post("/logout", follow_redirects=False)
    assert response.status_code in (401, 403)


@pytest.mark.parametrize("headers", [
    {"X-Hub-Signature-256": "sha256=" + "0" * 64},
    {"X-Hub-Signature-256": "sha1=abc"},
    {},
    "other-secret",
    "reserialised",
])
def test_a_wrong_or_missing_signature_is_refused_and_nothing_is_stored(engine, headers):
    body = delivery({"media_id": "1791"})
    if headers == "other-secret":
        headers = signed(body, "otro-secreto")
    elif headers == "reserialised":  # same JSON, other bytes: the HMAC is over the raw body
        headers = signed(json.dumps(json.loads(body), indent=1).encode())
    response = client_for(engine).post(PATH, content=body, headers=headers)
    assert response.status_code == 403
    assert queued(engine) == []


def test_without_an_app_secret_nothing_is_accepted(sqlite_engine):
    body = delivery({"media_id": "1791"})
    client = client_for(sqlite_engine, WebhookSecrets(SecretStr(VERIFY), None))
    assert client.post(PATH, content=body, headers=signed(body, "")).status_code == 403
    assert queued(sqlite_engine) == []


def test_signature_check_units():
    body = b'{"object":"instagram"}'
    good = signed(body)["X-Hub-Signature-256"]
    assert signature_ok(body, good, SecretStr(SECRET))
    assert signature_ok(body, good.upper().replace("SHA256=", "sha256="), SecretStr(SECRET))
    assert not signature_ok(body + b" ", good, SecretStr(SECRET))
    assert not signature_ok(body, good, None)
    assert not signature_ok(body, None, SecretStr(SECRET))


# --- POST: payload shapes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"{not json", b"", b'{"object": "instagram", "entry": [', b"\xff\xfe{}",
                                  b"[]", b'"instagram"', b"null"])
def test_a_malformed_signed_body_is_a_400_and_nothing_is_stored(engine, body):
    response = client_for(engine).post(PATH, content=body, headers=signed(body))
    assert response.status_code == 400
    assert queued(engine) == []


def test_a_body_over_the_limit_is_refused_before_the_signature(sqlite_engine):
    body = b" " * (MAX_BODY_BYTES + 1)
    assert client_for(sqlite_engine).post(PATH, content=body, headers=signed(body)).status_code == 413


@pytest.mark.parametrize("payload", [
    {"object": "page", "entry": [{"id": IG_ID, "changes": [{"field": "mentions", "value": {"media_id": "1"}}]}]},
    {"object": "instagram", "entry": [{"id": IG_ID, "changes": [{"field": "comments",
                                                                   "value": {"id": "1", "text": "hola"}}]}]},
    {"object": "instagram", "entry": {"id": IG_ID}},
    {"object": "instagram", "entry": [None, 3, {"id": IG_ID, "changes": "x"}]},
    {"object": "instagram", "entry": [{"changes": [{"field": "mentions", "value": {"media_id": "1"}}]}]},
    {"object": "instagram", "entry": [{"id": IG_ID, "changes": [{"field": "mentions"}]}]},
    {"object": "instagram", "entry": [{"id": IG_ID, "changes": [{"field": "mentions",
                                                                   "value": {"media_id": "1){x}"}}]}]},
    {"object": "instagram", "entry": [{"id": IG_ID, "changes": [{"field": "mentions",
                                                                   "value": {"media_id": "1", "comment_id": ["2"]}}]}]},
    {"object": "instagram", "entry": [{"id": IG_ID, "changes": [{"field": "mentions", "value": {"media_id": True}}]}]},
    {},
])
def test_signed_payloads_without_a_usable_mention_are_accepted_and_store_nothing(engine, payload):
    body = json.dumps(payload).encode()
    response = client_for(engine).post(PATH, content=body, headers=signed(body))
    assert response.status_code == 200  # Meta would only retry a refusal; the log says what was skipped
    assert queued(engine) == []


def test_layouts_and_id_types_meta_sends_are_understood():
    flat = {"object": "instagram", "entry": [{"id": IG_ID, "time": 1, "field": "mentions",
                                              "value": {"media_id": 1791, "comment_id": "1801"}}]}
    assert list(mention_notices(flat)) == [MentionNotice(IG_ID, "1791", "1801")]
    several = json.loads(delivery({"media_id": "1"}, {"media_id": "2", "comment_id": ""}, {"media_id": "3"}))
    several["entry"].append({"id": "17841400000000002", "changes": [{"field": "mentions", "value": {"media_id": "4"}}]})
    assert list(mention_notices(several)) == [MentionNotice(IG_ID, "1"), MentionNotice(IG_ID, "2"),
                                              MentionNotice(IG_ID, "3"), MentionNotice("17841400000000002", "4")]


def test_a_repeated_delivery_is_queued_once(engine):
    body = delivery({"media_id": "1791"}, {"media_id": "1791", "comment_id": "1801"})
    client = client_for(engine)
    for _ in range(3):
        assert client.post(PATH, content=body, headers=signed(body)).status_code == 200
    assert queued(engine) == [("1791", None), ("1791", "1801")]

"""End to end: Meta's signed `mentions` webhook -> the web app's queue -> the bot's `instagram:mentions:<user>`
stream (wired by bootstrap, fetching from the fake Graph API) -> stored and analysed posts, once."""

from __future__ import annotations

import hashlib
import hmac
import json
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot import events
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.config import Secrets, parse_config
from bot.web.app import create_app, fast_passwords
from bot.web.routes_webhooks import PATH, WebhookSecrets
from storage.models import AnalysisRow
from storage.unit_of_work import UnitOfWork
from tests.fakes.graph_api import APP_SECRET, TOKEN, FakeGraphAPI

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
USER, IG_ID = "mintic_colombia", "17841400000000001"
STREAM = f"instagram:mentions:{USER}"


@pytest.fixture
def fake():
    with FakeGraphAPI(app_secret=APP_SECRET) as server:
        page_id = server.add_page("MinTIC Colombia", "MinTICColombia", page_id="1001")
        server.add_ig_user(USER, page_id=page_id, ig_id=IG_ID)
        yield server


def config_for(fake: FakeGraphAPI, tmp_path):  # type: ignore[no-untyped-def]
    return parse_config({
        "accounts": {"facebook": [], "instagram": [USER], "x": []},
        "connectors": {"sample": {"enabled": False},
                       "instagram": {"enabled": True, "api_base_url": fake.base_url}},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })


def post_webhook(client: TestClient, *values: dict[str, str]) -> int:
    body = json.dumps({"object": "instagram", "entry": [{"id": IG_ID, "time": 1763305200, "changes": [
        {"field": "mentions", "value": v} for v in values]}]}).encode()
    signature = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post(PATH, content=body, headers={"X-Hub-Signature-256": f"sha256={signature}",
                                                    "Content-Type": "application/json"}).status_code


def polled(bus) -> events.PollCompleted:  # type: ignore[no-untyped-def]
    return next(e for e in bus.handle(events.PollStream(STREAM)) if isinstance(e, events.PollCompleted))


def test_a_webhook_mention_is_fetched_by_the_bot_stored_and_analysed_once(fake, engine, tmp_path):
    media = fake.add_media(None, NOW - timedelta(hours=2), "Denuncio una estafa que usa el nombre de @mintic_colombia",
                           owner_username="alerta_ciudadana", mentions=[IG_ID])
    elsewhere = fake.add_media(None, NOW - timedelta(hours=3), "Foto del parque", owner_username="otro")
    comment = fake.add_ig_comment(elsewhere, NOW - timedelta(hours=1), "@mintic_colombia llevo 3 días sin internet")
    config = config_for(fake, tmp_path)
    secrets = Secrets(meta_access_token=SecretStr(TOKEN), meta_app_secret=SecretStr(APP_SECRET))
    bus = bootstrap(config, engine=engine, secrets=secrets, clock=ManualClock(NOW),
                    sinks={"file": FileSink(config.alerts.outbox_file)})
    assert STREAM in bus.services.connectors  # bootstrap wired the queue reader
    app = create_app(config, engine, passwords=fast_passwords(), clock=lambda: NOW, tune=False,
                     webhook_secrets=WebhookSecrets(SecretStr("verificar"), SecretStr(APP_SECRET)))
    client = TestClient(app)

    assert polled(bus).new == 0  # nothing announced yet
    assert post_webhook(client, {"media_id": media}, {"media_id": elsewhere, "comment_id": comment}) == 200

    first = polled(bus)
    assert (first.new, first.rejected, first.failed) == (2, 0, False)
    with UnitOfWork(engine) as uow:
        stored = {p: uow.posts.get("instagram", p) for p in (media, comment)}
        analysed = uow.session.scalar(select(func.count()).select_from(AnalysisRow))
        cursor = uow.cursors.get(STREAM)
    assert all(s is not None and s.post.kind.value == "mention" for s in stored.values())
    assert stored[media].post.author_handle == "alerta_ciudadana"  # type: ignore[union-attr]
    assert stored[comment].post.in_reply_to_id == elsewhere  # type: ignore[union-attr]
    assert analysed == 2
    assert cursor is not None and TOKEN not in (cursor.value or "")

    fake.clear_log()
    assert post_webhook(client, {"media_id": media}) == 200  # Meta retries a delivery: no new queue row
    second = polled(bus)
    assert (second.new, second.updated, second.failed) == (0, 0, False)
    assert fake.http_requests() == []  # nothing left to fetch, not even a repeat
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 2

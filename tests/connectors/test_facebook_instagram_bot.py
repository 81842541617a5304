"""End to end through the bot: fake Graph API -> Facebook and Instagram connectors (built by their factories
from the parsed config) -> poll_stream -> database -> the same analyzers and spike counts as X posts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import events
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.config import parse_config
from connectors.facebook import build_facebook_connector
from connectors.instagram import build_instagram_connector
from storage.models import AnalysisRow, SpikeBucketRow
from storage.unit_of_work import UnitOfWork
from tests.fakes.graph_api import APP_SECRET, TOKEN, FakeGraphAPI

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
PAGE, USER = "MinTICColombia", "mintic_colombia"


@pytest.fixture
def fake():
    with FakeGraphAPI(app_secret=APP_SECRET) as server:
        page_id = server.add_page("MinTIC Colombia", PAGE, page_id="1001")
        server.add_ig_user(USER, page_id=page_id, ig_id="17841400000000001")
        yield server


def seed(fake: FakeGraphAPI) -> dict[str, str]:
    at = NOW - timedelta(hours=6)
    post = fake.add_post("1001", at, "Abrimos 5.000 becas de Talento TI #MinTIC", reactions=210, shares=35)
    complaint = fake.add_comment(post, at + timedelta(minutes=10),
                                 "Llevo 3 días sin internet en el Centro Digital de mi vereda y nadie responde")
    answer = fake.add_comment(post, at + timedelta(minutes=40), "Hola, ya escalamos su caso al operador",
                              author=("1001", "MinTIC Colombia"), parent=complaint)
    fake.add_comment(post, at + timedelta(minutes=50), "¿Cómo me inscribo a las becas?")
    fake.add_post("1001", at + timedelta(hours=1), "Denuncio una estafa que usa el nombre del MinTIC", kind="tagged")
    media = fake.add_media("17841400000000001", at, None, likes=540)  # a photo without caption
    fake.add_ig_comment(media, at + timedelta(minutes=5), "Excelente iniciativa, gracias", username="ana.pasto")
    fake.add_media(None, at + timedelta(hours=2), "Con @mintic_colombia en Mitú", owner_username="viajera",
                   tagged=["17841400000000001"])
    return {"post": post, "complaint": complaint, "answer": answer, "media": media}


def bus_for(fake: FakeGraphAPI, engine, tmp_path, token: str = TOKEN):
    config = parse_config({
        "accounts": {"facebook": [PAGE], "instagram": [USER], "x": []},
        "connectors": {"sample": {"enabled": False},
                       "facebook": {"enabled": True, "api_base_url": fake.base_url},
                       "instagram": {"enabled": True, "api_base_url": fake.base_url}},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })
    clock = ManualClock(NOW)
    facebook = build_facebook_connector(config.connectors.facebook, config.accounts.facebook, token, APP_SECRET,
                                        clock, sleep=lambda _s: None)
    instagram = build_instagram_connector(config.connectors.instagram, config.accounts.instagram, token,
                                          APP_SECRET, clock, sleep=lambda _s: None)
    streams = {s: c for c in (facebook, instagram) for s in c.streams()}
    bus = bootstrap(config, engine=engine, clock=clock, connectors=streams,
                    sinks={"file": FileSink(config.alerts.outbox_file)})
    return bus, list(streams)


def completed(handled) -> events.PollCompleted:
    return next(e for e in handled if isinstance(e, events.PollCompleted))


def test_facebook_and_instagram_posts_flow_through_the_pipeline_and_a_second_poll_stores_nothing(
        fake, engine, tmp_path):
    ids = seed(fake)
    bus, streams = bus_for(fake, engine, tmp_path)
    assert streams == [f"facebook:posts:{PAGE}", f"facebook:comments:{PAGE}", f"facebook:tagged:{PAGE}",
                       "facebook:token", f"instagram:media:{USER}", f"instagram:comments:{USER}",
                       f"instagram:tags:{USER}", "instagram:token"]
    first = {s: completed(bus.handle(events.PollStream(s))) for s in streams}
    assert not any(c.failed for c in first.values())
    assert sum(c.new for c in first.values()) == 8
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 8
        assert uow.session.scalar(select(func.count()).select_from(AnalysisRow)) == 8
        citizen_posts = uow.session.scalar(
            select(func.sum(SpikeBucketRow.count)).where(SpikeBucketRow.key == "all"))
        answer = uow.posts.get("facebook", ids["answer"]).post  # type: ignore[union-attr]
        own = uow.posts.get("facebook", ids["post"]).post  # type: ignore[union-attr]
        media = uow.posts.get("instagram", ids["media"]).post  # type: ignore[union-attr]
        cursors = {s: uow.cursors.get(s).value for s in streams}  # type: ignore[union-attr]
    assert citizen_posts == 5  # 2 citizens' Facebook comments, the tagged post, the IG comment and IG tag
    assert answer.is_own and answer.in_reply_to_id == ids["complaint"] and answer.kind.value == "reply"
    assert (own.metrics.reactions, own.metrics.comments, own.metrics.shares) == (210, 3, 35)
    assert media.text == "" and media.metrics.likes == 540
    assert all(cursors.values()) and all(TOKEN not in v for v in cursors.values())

    fake.clear_log()
    second = {s: completed(bus.handle(events.PollStream(s))) for s in streams}
    assert all(c.new == 0 and c.rejected == 0 and not c.failed for c in second.values())
    assert second[f"facebook:posts:{PAGE}"].updated == 1  # the own post's counts were refreshed
    assert second[f"instagram:media:{USER}"].updated == 1
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 8
    assert len(fake.http_requests()) == 7  # posts, comments listing, tagged, feed, media, media listing, tags


def test_an_expired_token_reaches_operators_as_one_alert_with_the_way_to_renew_it(fake, engine, tmp_path):
    seed(fake)
    fake.expire_token(after_requests=0)
    bus, streams = bus_for(fake, engine, tmp_path)
    for _ in range(2):
        for stream in streams:
            bus.handle(events.PollStream(stream))
    assert len(fake.http_requests()) == 1  # the first 190 pauses every stream that uses the token
    lines = (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    alerts = [json.loads(line) for line in lines]
    assert len(alerts) == 1 and {a["channel"] for a in alerts} == {"ops"}  # one token, one problem
    assert all(a["severity"] == "critico" and "META_ACCESS_TOKEN" in a["body"] for a in alerts)
    assert all(TOKEN not in a["body"] for a in alerts)

"""End to end through the bot: fake X API → tweepy → X connector → poll_stream handler → database (both
SQLite and, when configured, PostgreSQL) → analysis. The second round stores nothing and costs one request per
stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot import events
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.config import parse_config
from connectors.x import build_x_connector
from storage.models import AnalysisRow
from storage.unit_of_work import UnitOfWork
from tests.connectors.x_support import HANDLE, QUERY, Harness, x_harness
from tests.fakes.x_api import TOKEN


@pytest.fixture
def x() -> Iterator[Harness]:
    with x_harness() as harness:
        yield harness


def _bus(x: Harness, engine, tmp_path, token: str = TOKEN):
    """The bot as bootstrap wires it, with the X connector built by its factory from the parsed config."""
    config = parse_config({
        "accounts": {"x": [HANDLE]},
        "connectors": {"sample": {"enabled": False},
                       "x": {"enabled": True, "api_base_url": x.server.base_url, "searches": [QUERY]}},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })
    connector = build_x_connector(config.connectors.x, config.accounts.x, token, x.clock, sleep=x.sleeps.append)
    bus = bootstrap(config, engine=engine, clock=x.clock, connectors={s: connector for s in connector.streams()},
                    sinks={"file": FileSink(config.alerts.outbox_file)})
    return bus, connector


def _completed(handled) -> events.PollCompleted:
    return next(e for e in handled if isinstance(e, events.PollCompleted))


def test_polling_through_the_bot_stores_analyses_and_then_costs_one_request_per_stream(x, engine, tmp_path):
    announcement = x.fake.post(HANDLE, "Abrimos convocatoria #MinTIC", at=x.clock() - timedelta(hours=6))
    complaints = x.mentions(130, text="llevo 3 días sin señal en la vereda, nadie responde")
    reply = x.fake.post(HANDLE, "@ciudadano_1 ya escalamos su caso", at=x.clock() - timedelta(minutes=5),
                        reply_to=complaints[1])
    x.fake.post("periodista", "El MinTIC anunció la subasta 5G", at=x.clock() - timedelta(hours=2))
    bus, connector = _bus(x, engine, tmp_path)
    streams = connector.streams()
    assert streams == [f"x:mentions:{HANDLE}", f"x:own:{HANDLE}", f"x:metrics:{HANDLE}", "x:search:1"]
    first = {s: _completed(bus.handle(events.PollStream(s))) for s in streams}
    assert first[f"x:mentions:{HANDLE}"].new == 130 and first[f"x:mentions:{HANDLE}"].pages == 2
    assert first[f"x:own:{HANDLE}"].new == 2
    assert first[f"x:metrics:{HANDLE}"].new == 0 and first[f"x:metrics:{HANDLE}"].updated == 2
    assert first["x:search:1"].new == 1
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 133
        assert uow.session.scalar(select(func.count()).select_from(AnalysisRow)) == 133
        stored_reply = uow.posts.get("x", reply)
        assert stored_reply is not None and stored_reply.post.is_own
        assert stored_reply.post.in_reply_to_id == complaints[1]
        assert uow.posts.get("x", announcement).post.kind.value == "own_post"  # type: ignore[union-attr]
        cursors = {s: uow.cursors.get(s).value for s in streams}  # type: ignore[union-attr]
    assert all(cursors.values())
    before = len(x.fake.requests)
    second = {s: _completed(bus.handle(events.PollStream(s))) for s in streams}
    assert all((c.new, c.updated, c.rejected) == (0, 0, 0) for c in second.values())
    per_stream = len(x.fake.requests) - before
    assert per_stream == 3  # mentions, own, search: one each; metrics is not due again for 3 h
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 133
        assert {s: uow.cursors.get(s).value for s in streams} == cursors  # type: ignore[union-attr]


def test_an_invalid_token_reaches_operators_as_one_alert(x, engine, tmp_path):
    bus, connector = _bus(x, engine, tmp_path, token="revoked")
    for _ in range(2):
        for stream in connector.streams():
            bus.handle(events.PollStream(stream))
    assert len(x.fake.requests) == 1  # the first 401 pauses every stream
    lines = (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    alerts = [json.loads(line) for line in lines]
    assert len(alerts) == 1 and alerts[0]["channel"] == "ops" and alerts[0]["severity"] == "critico"
    assert "X_BEARER_TOKEN" in alerts[0]["body"] and "revoked" not in alerts[0]["body"]


def test_rejected_tweets_are_kept_in_the_database(x, engine, tmp_path):
    ok = x.mentions(2)
    broken = x.fake.post("c", f"@{HANDLE} roto", at=x.clock() - timedelta(minutes=1))
    x.fake.corrupt(broken, drop=["created_at"])
    bus, _ = _bus(x, engine, tmp_path)
    done = _completed(bus.handle(events.PollStream(f"x:mentions:{HANDLE}")))
    assert (done.new, done.rejected) == (len(ok), 1)
    with UnitOfWork(engine) as uow:
        assert uow.rejected.count() == 1


def test_a_rate_limited_stream_is_not_called_recovered_until_it_really_polls_again(x, engine, tmp_path):
    bus, _ = _bus(x, engine, tmp_path)
    stream = f"x:mentions:{HANDLE}"
    bus.handle(events.PollStream(stream))
    ids = x.mentions(250, start=x.clock() + timedelta(seconds=1))
    x.fake.fail(429, endpoint="mentions", at=2, reset_in=600)
    x.clock.advance(timedelta(minutes=2))
    assert _completed(bus.handle(events.PollStream(stream))).failed
    x.clock.advance(timedelta(minutes=2))
    before = len(x.fake.requests)
    skipped = _completed(bus.handle(events.PollStream(stream)))  # before the reset: the stored pause holds it
    assert (skipped.paused_by, skipped.pages, skipped.proven) == ("rate_limit:x:mentions", 0, ())
    assert len(x.fake.requests) == before
    x.clock.advance(timedelta(minutes=8, seconds=1))  # past the reset X announced (10 min after the 429)
    assert not _completed(bus.handle(events.PollStream(stream))).failed
    alerts = [json.loads(line) for line in (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [a["kind"] for a in alerts] == ["operational", "recovery"]
    with UnitOfWork(engine) as uow:
        assert {i for i in ids if uow.posts.get("x", i)} == set(ids)

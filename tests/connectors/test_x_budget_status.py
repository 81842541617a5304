"""X's request budget as operators see it, end to end on SQLite and PostgreSQL: fake X API (rate-limit headers)
-> tweepy -> the real X connector -> poll_stream -> database -> `main.py status`, its JSON and the `/metrics` gauges.

When the 15-minute window of an endpoint is spent (or a 429 blocks it) the connector asks X nothing until the
reset. Such a poll collected nothing, so it must not count as the stream's last successful poll (the lag grows
and the `health:` thresholds fire), and the stream shows as paused with the reason and until when."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.config import parse_config
from connectors.base import ConnectorError, held_of
from connectors.x import XConnector, build_x_connector
from connectors.x_settings import XSettings
from tests.connectors.stream_status import last_ok, paused_gauge, poll, status
from tests.connectors.x_support import HANDLE, QUERY
from tests.fakes.x_api import TOKEN, FakeXApi, XApiServer

MENTIONS = f"x:mentions:{HANDLE}"
WINDOW = timedelta(minutes=15)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC))  # bookmarks are stamped with the wall clock: the manual clock starts there


@pytest.fixture
def server(clock: ManualClock) -> Iterator[XApiServer]:
    api = FakeXApi(clock=clock, limits={"mentions": 3})  # three pages of mentions per 15-minute window
    api.add_user(HANDLE)
    api.add_user("MinTIC_responde")
    with XApiServer(api) as running:
        yield running
    assert api.schema_errors == [] and api.internal_errors == []


@pytest.fixture
def fake(server: XApiServer) -> FakeXApi:
    return server.fake


def _connector(server: XApiServer, clock: ManualClock) -> XConnector:
    """Two watched accounts (two mention streams share the endpoint's budget), as the factory builds it."""
    settings = XSettings(enabled=True, api_base_url=server.base_url, searches=[QUERY])
    return build_x_connector(settings, [HANDLE, "MinTIC_responde"], TOKEN, clock, sleep=lambda _s: None,
                             rng=random.Random(7))


def _wire(server: XApiServer, engine, tmp_path, clock: ManualClock):  # type: ignore[no-untyped-def]
    config = parse_config({
        "accounts": {"x": [HANDLE]},
        "connectors": {"sample": {"enabled": False},
                       "x": {"enabled": True, "api_base_url": server.base_url, "searches": [QUERY]}},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })
    x = build_x_connector(config.connectors.x, config.accounts.x, TOKEN, clock, sleep=lambda _s: None)
    bus = bootstrap(config, engine=engine, clock=clock, connectors={s: x for s in x.streams()},
                    sinks={"file": FileSink(config.alerts.outbox_file)})
    return bus, config


def test_a_spent_x_budget_shows_the_stream_paused_and_its_last_poll_stays_the_last_collection(
        server, fake, clock, engine, tmp_path):
    start = clock()
    for i in range(500):
        fake.post(f"ciudadano_{i % 50}", f"@{HANDLE} sin señal en la vereda #{i}",
                  at=start - timedelta(hours=1) + i * timedelta(seconds=3))
    bus, config = _wire(server, engine, tmp_path, clock)

    first = poll(bus, MENTIONS)
    assert (first.new, first.pages, first.failed) == (300, 3, False)  # the window's 3 pages, then the budget stops
    assert [r.status for r in fake.requests_to("mentions")] == [200, 200, 200]  # never a 429
    collected = last_ok(engine, MENTIONS)
    report, stream, _ = status(config, engine, clock(), MENTIONS)
    until = stream.paused_until
    assert stream.paused_by == "budget:x:mentions" and until is not None  # shown at once
    assert start + WINDOW <= until <= start + WINDOW + timedelta(seconds=1)  # X's x-rate-limit-reset
    assert stream.state == "ok" and not any(f.what.startswith(MENTIONS) for f in report.findings)

    asked = len(fake.requests)
    clock.advance(timedelta(minutes=10))
    held = poll(bus, MENTIONS)
    assert len(fake.requests) == asked  # X was not asked
    assert (held.new, held.pages, held.failed, held.proven) == (0, 0, False, ())
    assert (held.paused_by, held.paused_until) == ("budget:x:mentions", until)
    assert last_ok(engine, MENTIONS) == collected  # a poll that asked nothing is not a successful poll

    report, stream, text = status(config, engine, clock(), MENTIONS)
    assert stream.last_ok_at == collected and stream.lag_seconds is not None and stream.lag_seconds > 590
    assert stream.state == "degraded"  # 10 min > 3 intervals of 120 s: the thresholds still fire
    assert (stream.paused_by, stream.paused_until) == ("budget:x:mentions", until)
    reason = "presupuesto de solicitudes de X agotado en mentions (3 por ventana de 15 min)"
    assert stream.paused_reason == reason
    bogota = f"{until.astimezone(config.tz):%Y-%m-%d %H:%M}"
    late = next(f.what for f in report.findings if f.what.startswith(MENTIONS))
    assert "último sondeo exitoso hace 10 min" in late and f"en pausa por {reason} hasta {bogota}" in late
    assert "America/Bogota" in late
    assert f"en pausa por {reason} hasta {bogota} (America/Bogota)" in text
    as_json = next(s for s in report.as_json()["streams"] if s["stream"] == MENTIONS)
    assert (as_json["paused_by"], as_json["paused_reason"]) == ("budget:x:mentions", reason)
    assert paused_gauge(config, engine, clock(), MENTIONS) == 1.0

    clock.advance(timedelta(minutes=6))  # past the reset: the stream asks again and resumes where it stopped
    resumed = poll(bus, MENTIONS)
    assert (resumed.new, resumed.failed, resumed.paused_by) == (200, False, None)
    report, stream, _ = status(config, engine, clock(), MENTIONS)
    assert last_ok(engine, MENTIONS) > collected and stream.paused_by is None and stream.paused_reason is None
    assert paused_gauge(config, engine, clock(), MENTIONS) == 0.0


def test_a_429_on_an_endpoint_holds_the_other_streams_that_need_it_until_x_s_reset(server, fake, clock):
    """The account lookup is nobody's endpoint: a 429 there blocks it for every stream that still needs it."""
    x = _connector(server, clock)
    fake.fail(429, endpoint="users_by_username", reset_in=600)
    with pytest.raises(ConnectorError) as failed:
        list(x.poll(MENTIONS, None))
    assert failed.value.problem == "rate_limit:x:users_by_username"
    assert held_of(x, MENTIONS) is None  # a failure, the bot's problem: not a hold

    other = "x:mentions:MinTIC_responde"
    asked = len(fake.requests)
    assert list(x.poll(other, None)) == [] and len(fake.requests) == asked  # stopped before asking
    hold = held_of(x, other)
    assert hold is not None and hold.key == "budget:x:users_by_username"
    assert hold.reason == "límite de X (HTTP 429) en users_by_username"
    assert timedelta(seconds=599) <= hold.until - clock() <= timedelta(seconds=600)
    clock.advance(timedelta(seconds=601))
    assert held_of(x, other) is None  # the reset has passed: free to ask


def test_a_stream_past_its_fair_share_is_held_while_the_rest_is_the_other_streams(server, fake, clock):
    x = _connector(server, clock)
    for i in range(300):
        fake.post(f"ciudadano_{i % 50}", f"@{HANDLE} reclamo #{i}", at=clock() - timedelta(minutes=30 - i / 20))
    assert sum(len(b.posts) for b in x.poll(MENTIONS, None)) == 200  # 2 of the window's 3: 1 is the other's
    hold = held_of(x, MENTIONS)
    assert hold is not None and hold.key == "budget:x:mentions"
    assert hold.reason == ("presupuesto de solicitudes de X agotado en mentions (su parte de las 3 por ventana de "
                           "15 min ya se usó; lo que queda, 1, es de otros flujos)")
    assert held_of(x, "x:mentions:MinTIC_responde") is None  # its share is still there

"""Operational problems under injected faults, end to end: fake X (through tweepy) and fake Graph API (through
the project's httpx client) on 127.0.0.1 → connectors → poll handler → problems stored in the database →
ops alerts in the outbox. Each test would fail on the old per-stream pause logic (issue 12, items 4–7)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from bot import events
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.config import parse_config
from connectors.facebook import build_facebook_connector
from connectors.instagram import build_instagram_connector
from connectors.x import build_x_connector
from storage.unit_of_work import UnitOfWork
from tests.connectors.x_support import HANDLE, Harness, x_harness
from tests.fakes.graph_api import APP_SECRET, TOKEN, FakeGraphAPI, rate_limited
from tests.fakes.x_api import TOKEN as X_TOKEN
from tests.fakes.x_api import FakeXApi, XApiServer

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
PAGE, PAGE_ID, USER, IG_ID = "MinTICColombia", "1001", "mintic_colombia", "17841400000000001"


# --- helpers ------------------------------------------------------------------------------------------


def _config(tmp_path, **connectors):  # type: ignore[no-untyped-def]
    return parse_config({
        "accounts": {"facebook": [PAGE], "instagram": [USER], "x": [HANDLE]},
        "connectors": {"sample": {"enabled": False}, **connectors},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })


def _wire(config, engine, clock, connectors):  # type: ignore[no-untyped-def]
    streams = {s: c for c in connectors for s in c.streams()}
    bus = bootstrap(config, engine=engine, clock=clock, connectors=streams,
                    sinks={"file": FileSink(config.alerts.outbox_file)})
    bus.services.rng = random.Random(12)
    return bus


def _alerts(tmp_path) -> list[dict]:  # type: ignore[no-untyped-def]
    path = tmp_path / "outbox.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line) for line in lines]


def _open(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        return [row.key for row in uow.ops.open_problems()]


def _problem(engine, key: str):  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        return uow.ops.get(key)


def _tick_order(streams: list[str], tick: int, first: str | None = None) -> list[str]:
    """The order a scheduler tick polls streams in: rotating, so each stream is sometimes the first after a
    pause ends (and `first`, a request-less stream like the token check, always first when given)."""
    rest = [s for s in streams if s != first]
    k = tick % len(rest)
    return ([first] if first else []) + rest[k:] + rest[:k]


def _completed(handled) -> events.PollCompleted:  # type: ignore[no-untyped-def]
    return next(e for e in handled if isinstance(e, events.PollCompleted))


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI(app_secret=APP_SECRET) as server:
        server.add_page("MinTIC Colombia", PAGE, page_id=PAGE_ID)
        server.add_ig_user(USER, page_id=PAGE_ID, ig_id=IG_ID)
        post = server.add_post(PAGE_ID, NOW - timedelta(hours=3), "Abrimos convocatoria #MinTIC")
        server.add_comment(post, NOW - timedelta(hours=2), "¿Cómo me inscribo?")
        media = server.add_media(IG_ID, NOW - timedelta(hours=3), "Conectividad en Mitú")
        server.add_ig_comment(media, NOW - timedelta(hours=2), "Gracias", username="ana.pasto")
        yield server


def _meta(graph: FakeGraphAPI, clock: ManualClock, platforms: tuple[str, ...], **settings):  # type: ignore[no-untyped-def]
    common = {"api_base_url": graph.base_url, **settings}
    built = []
    if "facebook" in platforms:
        built.append(build_facebook_connector(common, [PAGE], TOKEN, APP_SECRET, clock, sleep=lambda _s: None))
    if "instagram" in platforms:
        built.append(build_instagram_connector(common, [USER], TOKEN, APP_SECRET, clock, sleep=lambda _s: None))
    return built


@pytest.fixture
def x() -> Iterator[Harness]:
    with x_harness(spec_checked=False) as harness:
        yield harness


def _x_bus(x: Harness, engine, tmp_path, token: str = X_TOKEN, **settings):  # type: ignore[no-untyped-def]
    config = _config(tmp_path, x={"enabled": True, "api_base_url": x.server.base_url, "searches": ["MinTIC"],
                                  **settings})
    connector = build_x_connector(config.connectors.x, config.accounts.x, token, x.clock, sleep=x.sleeps.append)
    return _wire(config, engine, x.clock, [connector]), connector


# --- item 4: no false recovery, one alert per problem, back-off that does not reset ------------------------


def test_instagram_answering_190_everywhere_is_one_problem_one_alert_and_no_false_recovery(graph, engine,
                                                                                           tmp_path):
    clock = ManualClock(NOW)
    config = _config(tmp_path, instagram={"enabled": True, "api_base_url": graph.base_url})
    (instagram,) = _meta(graph, clock, ("instagram",), token_retry_seconds=60, token_retry_max_seconds=600)
    bus = _wire(config, engine, clock, [instagram])
    streams = instagram.streams()
    assert "instagram:token" in streams
    for stream in streams:  # healthy first: the token was checked today, so instagram:token now waits a day
        assert not _completed(bus.handle(events.PollStream(stream))).failed
    graph.expire_token(after_requests=0)
    probes: list[int] = []  # seconds after the token died at which a request was made
    for second in range(60, 55 * 60, 10):  # the scheduler, every 10 s, for 55 minutes
        clock.set(NOW + timedelta(seconds=second))
        graph.clear_log()
        for stream in _tick_order(streams, second // 10, first="instagram:token"):
            bus.handle(events.PollStream(stream))
        made = len(graph.http_requests())
        assert made <= 1  # one probe; every other stream sharing the token waits for the stored pause
        if made:
            probes.append(second)
    assert _open(engine) == ["token:meta"]  # exactly one open problem: the token, not a stream
    alerts = _alerts(tmp_path)
    assert [(a["kind"], a["severity"]) for a in alerts] == [("operational", "critico")]
    assert "META_ACCESS_TOKEN" in alerts[0]["body"] and TOKEN not in alerts[0]["body"]
    assert not any("recuperad" in a["title"].lower() for a in alerts)
    gaps = [b - a for a, b in pairwise(probes)]
    assert gaps[:4] == sorted(gaps[:4]) and gaps[0] >= 60 and gaps[1] >= 120 and gaps[2] >= 240  # doubling
    assert all(600 <= gap <= 670 for gap in gaps[4:])  # up to the cap (plus at most 10 % jitter, 10 s ticks)
    assert _problem(engine, "token:meta").attempts == len(probes)  # type: ignore[union-attr]

    graph.restore_token()  # the operator renews it; nothing is said until a request proves it
    clock.set(NOW + timedelta(minutes=55, seconds=5))
    for stream in streams:
        bus.handle(events.PollStream(stream))
    until = _problem(engine, "token:meta").paused_until  # type: ignore[union-attr]
    if until is not None and until > clock():
        assert [a["kind"] for a in _alerts(tmp_path)] == ["operational"]
        clock.set(until + timedelta(seconds=1))
        for stream in streams:
            bus.handle(events.PollStream(stream))
    assert [a["kind"] for a in _alerts(tmp_path)] == ["operational", "recovery"]
    assert _open(engine) == []


def test_x_answering_401_for_150_seconds_is_one_critical_alert_and_one_recovery_after_the_first_success(
        x, engine, tmp_path):
    bus, connector = _x_bus(x, engine, tmp_path, auth_pause_seconds=60, auth_pause_max_seconds=3600)
    streams = connector.streams()
    x.mentions(3)
    for stream in streams:
        bus.handle(events.PollStream(stream))
    x.fake.fail(401, times=10_000)
    start = x.clock()
    first_ok: datetime | None = None
    for second in range(0, 600, 10):
        x.clock.set(start + timedelta(seconds=second))
        if second == 150:
            x.fake.faults.clear()  # X takes the token again
        before = len(x.fake.requests)
        for stream in _tick_order(streams, second // 10):
            bus.handle(events.PollStream(stream))
        statuses = [r.status for r in x.fake.requests[before:]]
        if first_ok is None and 200 in statuses:
            first_ok = x.clock()
        if second < 150:
            assert 200 not in statuses
    alerts = _alerts(tmp_path)
    assert [(a["kind"], a["severity"]) for a in alerts] == [("operational", "critico"), ("recovery", "info")]
    assert first_ok is not None and first_ok >= start + timedelta(seconds=150)
    assert datetime.fromisoformat(alerts[1]["created_at"]) == first_ok  # the recovery is the first success
    assert "X_BEARER_TOKEN" in alerts[0]["body"]
    assert _open(engine) == []


def test_back_off_doubles_to_its_cap_ignores_request_less_polls_and_survives_a_restart(x, engine, tmp_path):
    settings = {"auth_pause_seconds": 300, "auth_pause_max_seconds": 3600}
    bus, connector = _x_bus(x, engine, tmp_path, token="revoked", **settings)
    streams = connector.streams()

    def probe(bus) -> float:  # type: ignore[no-untyped-def]
        """Poll every stream once the pause is over; the new pause, in seconds from now."""
        row = _problem(engine, "token:x")
        if row is not None and row.paused_until is not None:
            x.clock.set(row.paused_until + timedelta(seconds=1))
        before = len(x.fake.requests)
        for stream in streams:
            bus.handle(events.PollStream(stream))
        assert len(x.fake.requests) - before == 1  # one probe, the rest wait
        row = _problem(engine, "token:x")
        return (row.paused_until - x.clock()).total_seconds()

    assert 300 <= probe(bus) <= 330
    assert 600 <= probe(bus) <= 660
    row = _problem(engine, "token:x")
    for _ in range(3):  # ticks inside the pause make no request and change nothing
        x.clock.advance(timedelta(seconds=60))
        for stream in streams:
            assert _completed(bus.handle(events.PollStream(stream))).paused_by == "token:x"
    after = _problem(engine, "token:x")
    assert (after.attempts, after.paused_until) == (row.attempts, row.paused_until) == (2, row.paused_until)

    restarted, connector = _x_bus(x, engine, tmp_path, token="revoked", **settings)  # a new process, same DB
    before = len(x.fake.requests)
    for stream in streams:
        assert _completed(restarted.handle(events.PollStream(stream))).paused_by == "token:x"
    assert len(x.fake.requests) == before  # the stored pause holds across the restart
    assert 1200 <= probe(restarted) <= 1320  # the back-off goes on doubling from the stored attempt
    assert 2400 <= probe(restarted) <= 2640
    assert 3600 <= probe(restarted) <= 3960  # capped (plus jitter)
    assert _problem(engine, "token:x").attempts == 5  # type: ignore[union-attr]
    alerts = _alerts(tmp_path)
    assert [a["severity"] for a in alerts] == ["critico", "critico"]  # the opening, and one reminder after 1 h
    assert "Sigue abierto" in alerts[1]["body"]


# --- item 5: one shared cause pauses every stream that shares it ------------------------------------------


def test_metas_app_rate_limit_pauses_facebook_and_instagram_together_and_resumes_them_together(
        graph, engine, tmp_path):
    clock = ManualClock(NOW)
    config = _config(tmp_path, facebook={"enabled": True, "api_base_url": graph.base_url},
                     instagram={"enabled": True, "api_base_url": graph.base_url})
    facebook, instagram = _meta(graph, clock, ("facebook", "instagram"), rate_limit_pause_seconds=600)
    bus = _wire(config, engine, clock, [facebook, instagram])
    for stream in (*facebook.streams(), *instagram.streams()):
        bus.handle(events.PollStream(stream))
    clock.advance(timedelta(minutes=5))
    graph.fail(r"/posts$", rate_limited(4), status=403)
    failed = bus.handle(events.PollStream(f"facebook:posts:{PAGE}"))
    assert next(e for e in failed if isinstance(e, events.ConnectorFailed)).problem == "rate_limit:meta_app"
    graph.clear_log()
    for stream in (*facebook.streams(), *instagram.streams()):
        done = _completed(bus.handle(events.PollStream(stream)))
        assert done.paused_by == "rate_limit:meta_app", stream
    assert graph.http_requests() == []  # Instagram, same app, does not keep calling
    assert [a["kind"] for a in _alerts(tmp_path)] == ["operational"]
    assert "Facebook e Instagram" in _alerts(tmp_path)[0]["title"]

    clock.advance(timedelta(seconds=661))  # past the pause (600 s plus at most 10 % jitter)
    resumed = _completed(bus.handle(events.PollStream(f"instagram:media:{USER}")))
    assert not resumed.failed and "rate_limit:meta_app" in resumed.proven
    assert [a["kind"] for a in _alerts(tmp_path)] == ["operational", "recovery"]
    graph.clear_log()
    assert _completed(bus.handle(events.PollStream(f"facebook:posts:{PAGE}"))).paused_by is None
    assert graph.http_requests() != []  # Facebook resumes with it
    assert _open(engine) == []


# --- item 6: a malformed Graph page is a warning, kept aside; repeats escalate -----------------------------


@pytest.mark.parametrize(("gap", "pages"), [(timedelta(minutes=5), 3), (timedelta(minutes=61), 2)])
def test_a_malformed_graph_page_is_kept_aside_as_a_warning_and_repeats_escalate(graph, engine, tmp_path, gap,
                                                                               pages):
    clock = ManualClock(NOW)
    config = _config(tmp_path, facebook={"enabled": True, "api_base_url": graph.base_url})
    (facebook,) = _meta(graph, clock, ("facebook",))
    bus = _wire(config, engine, clock, [facebook])
    stream = f"facebook:posts:{PAGE}"
    bus.handle(events.PollStream(stream))
    with UnitOfWork(engine) as uow:
        bookmark = uow.cursors.get(stream).value  # type: ignore[union-attr]
    graph.fail(r"/posts$", {"unexpected": True}, status=200, times=None)
    severities = []
    for _ in range(pages):
        clock.advance(gap)
        graph.clear_log()
        done = _completed(bus.handle(events.PollStream(stream)))
        assert done.failed and done.rejected == 1 and len(graph.http_requests()) == 1  # asked: no pause
        severities.append([a["severity"] for a in _alerts(tmp_path)])
    with UnitOfWork(engine) as uow:
        assert uow.rejected.count() == pages  # every malformed page kept for inspection
        assert uow.cursors.get(stream).value == bookmark  # type: ignore[union-attr]
    # a warning first; critical at the third malformed page in a row, or when they have gone on for an hour
    assert severities[0] == ["aviso"] and "formato inesperado" in _alerts(tmp_path)[0]["title"]
    assert severities[1:] == [["aviso"]] * (pages - 2) + [["aviso", "critico"]]
    assert "Posible cambio de la API" in _alerts(tmp_path)[1]["title"]
    graph.faults.clear()
    clock.advance(timedelta(minutes=5))
    assert not _completed(bus.handle(events.PollStream(stream))).failed
    assert [a["kind"] for a in _alerts(tmp_path)][-1] == "recovery" and _open(engine) == []


def test_x_follows_the_same_severity_rule_for_malformed_pages(x, engine, tmp_path):
    bus, _ = _x_bus(x, engine, tmp_path)
    stream = f"x:mentions:{HANDLE}"
    bus.handle(events.PollStream(stream))
    for _ in range(3):
        x.clock.advance(timedelta(minutes=2))
        x.fake.fail("malformed", endpoint="mentions")
        done = _completed(bus.handle(events.PollStream(stream)))
        assert done.failed and done.rejected == 1
    assert [a["severity"] for a in _alerts(tmp_path)] == ["aviso", "critico"]
    assert "Posible cambio de la API de X" in _alerts(tmp_path)[1]["title"]
    x.clock.advance(timedelta(minutes=2))
    assert "payload:x" in _completed(bus.handle(events.PollStream(stream))).proven
    assert _alerts(tmp_path)[-1]["kind"] == "recovery" and _open(engine) == []


# --- item 7: `poll --once` twice respects a stored 429 reset ---------------------------------------------


def test_poll_once_run_twice_does_not_ask_again_before_the_429_reset(tmp_path):
    fake = FakeXApi()  # the wall clock: reset headers are real times, as the child processes see them
    fake.add_user(HANDLE)
    server = XApiServer(fake).start()
    try:
        config = {
            "accounts": {"x": [HANDLE], "facebook": [], "instagram": []},
            "connectors": {"sample": {"enabled": False},
                           "x": {"enabled": True, "api_base_url": server.base_url, "metrics_refresh_days": 0}},
            "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
            "paths": {"var_dir": str(tmp_path), "models_dir": str(tmp_path / "models")},
        }
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "META_", "VIGIA_"))}
        env.update(X_BEARER_TOKEN=X_TOKEN, VIGIA_DATABASE_URL=f"sqlite:///{tmp_path / 'vigia.db'}")

        def poll_once() -> str:
            child = subprocess.run([sys.executable, "main.py", "--config", str(tmp_path / "config.yaml"), "poll",
                                    "--once"], cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
            assert child.returncode == 0, child.stderr[-3000:]
            return child.stdout

        fake.fail(429, endpoint="mentions", reset_in=600)
        first = poll_once()
        asked = len(fake.requests_to("mentions"))
        assert asked == 1 and fake.requests_to("mentions")[0].status == 429
        own = len(fake.requests_to("user_tweets"))
        second = poll_once()  # from cron, a minute later: a new process
        assert len(fake.requests_to("mentions")) == asked  # not asked again before the reset
        assert len(fake.requests_to("user_tweets")) == own + 1  # the other endpoint is asked as usual
        assert f"x:mentions:{HANDLE}: not asked, paused by rate_limit:x:mentions" in second
        assert "paused by" not in first
        outbox = _alerts(tmp_path)
        assert [a["kind"] for a in outbox] == ["operational"]  # one alert across both runs
    finally:
        server.stop()


def test_poll_once_exits_1_and_names_the_streams_that_failed(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = {
        "accounts": {"x": [HANDLE], "facebook": [], "instagram": []},
        "connectors": {"sample": {"enabled": False},
                       "x": {"enabled": True, "api_base_url": f"http://127.0.0.1:{port}/", "metrics_refresh_days": 0}},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"var_dir": str(tmp_path), "models_dir": str(tmp_path / "models")},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "META_", "VIGIA_"))}
    env.update(X_BEARER_TOKEN=X_TOKEN, VIGIA_DATABASE_URL=f"sqlite:///{tmp_path / 'vigia.db'}")
    child = subprocess.run([sys.executable, "main.py", "--config", str(tmp_path / "config.yaml"), "poll", "--once"],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert child.returncode == 1, child.stderr[-2000:]
    assert f"x:mentions:{HANDLE}: FAILED" in child.stderr
    assert "streams failed" in child.stderr

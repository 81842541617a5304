"""A Meta usage slow-down as operators see it, end to end on SQLite and PostgreSQL: fake Graph API (usage headers)
-> the real Facebook connector -> poll_stream -> database -> `main.py status`, its JSON and the `/metrics` gauges.

The slow-down asks Meta nothing until it ends. Such a poll collected nothing, so it must not count as the
stream's last successful poll (the lag grows and the `health:` thresholds fire when the pause lasts), and the
stream shows as paused with the reason and until when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.config import parse_config
from connectors.facebook import build_facebook_connector
from tests.connectors.stream_status import last_ok, paused_gauge, poll, status
from tests.fakes.graph_api import APP_SECRET, TOKEN, FakeGraphAPI

PAGE, PAGE_ID = "MinTICColombia", "1001"
COMMENTS = f"facebook:comments:{PAGE}"
FULL = {"call_count": 100, "total_time": 10, "total_cputime": 10}  # 100 %: the longest pause, 3600 s
LOW = {"call_count": 20, "total_time": 10, "total_cputime": 10}


@pytest.fixture
def fake():
    with FakeGraphAPI(app_secret=APP_SECRET) as server:
        server.add_page("MinTIC Colombia", PAGE, page_id=PAGE_ID)
        yield server


def _wire(fake: FakeGraphAPI, engine, tmp_path, clock: ManualClock):  # type: ignore[no-untyped-def]
    config = parse_config({
        "accounts": {"facebook": [PAGE], "instagram": [], "x": []},
        "connectors": {"sample": {"enabled": False},
                       "facebook": {"enabled": True, "api_base_url": fake.base_url, "page_ids": {PAGE: PAGE_ID},
                                    "comments_page_size": 25}},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })
    facebook = build_facebook_connector(config.connectors.facebook, config.accounts.facebook, TOKEN, APP_SECRET,
                                        clock, sleep=lambda _s: None)
    bus = bootstrap(config, engine=engine, clock=clock, connectors={s: facebook for s in facebook.streams()},
                    sinks={"file": FileSink(config.alerts.outbox_file)})
    return bus, config


def test_a_slowed_down_meta_stream_shows_paused_and_its_last_poll_stays_the_last_collection(fake, engine, tmp_path):
    start = datetime.now(UTC)  # bookmarks are stamped with the wall clock: the manual clock starts there
    clock = ManualClock(start)
    post = fake.add_post(PAGE_ID, start - timedelta(hours=10), "Anuncio")
    for i in range(60):
        fake.add_comment(post, start - timedelta(hours=9) + timedelta(minutes=i), f"comentario {i}")
    bus, config = _wire(fake, engine, tmp_path, clock)
    until = start + timedelta(seconds=3600)

    fake.set_usage(app=FULL)
    first = poll(bus, COMMENTS)
    assert (first.new, first.failed) == (25, False)  # the page in hand is stored, then the connector slows down
    collected = last_ok(engine, COMMENTS)
    report, stream, text = status(config, engine, clock(), COMMENTS)
    assert (stream.paused_by, stream.paused_until) == ("usage:facebook", until)  # shown at once
    assert stream.state == "ok"  # a short, self-imposed wait is no failure: nothing to look at yet
    assert not any(f.what.startswith(COMMENTS) for f in report.findings)

    fake.clear_log()
    clock.advance(timedelta(minutes=20))
    held = poll(bus, COMMENTS)
    assert fake.http_requests() == []  # Meta was not asked
    assert (held.new, held.pages, held.failed, held.proven) == (0, 0, False, ())
    assert (held.paused_by, held.paused_until) == ("usage:facebook", until)
    assert last_ok(engine, COMMENTS) == collected  # a poll that asked nothing is not a successful poll

    report, stream, text = status(config, engine, clock(), COMMENTS)
    assert stream.last_ok_at == collected and stream.lag_seconds is not None and stream.lag_seconds > 1150
    assert stream.state == "degraded"  # 20 min > 3 intervals of 300 s: the thresholds still fire
    assert stream.paused_by == "usage:facebook" and stream.paused_until == until
    assert "uso de la Graph API al 100 % (x-app-usage" in (stream.paused_reason or "")
    bogota = until.astimezone(config.tz)
    late = next(f.what for f in report.findings if f.what.startswith(COMMENTS))
    assert "último sondeo exitoso hace 20 min" in late and "en pausa por uso de la Graph API al 100 %" in late
    assert f"{bogota:%Y-%m-%d %H:%M}" in late and "America/Bogota" in late
    assert "en pausa por uso de la Graph API al 100 % (x-app-usage" in text and f"{bogota:%Y-%m-%d %H:%M}" in text
    assert report.as_json()["streams"][0]["paused_reason"] == stream.paused_reason
    assert paused_gauge(config, engine, clock(), COMMENTS) == 1.0

    clock.advance(timedelta(minutes=35))  # 55 min without collecting: more than 10 intervals
    assert poll(bus, COMMENTS).paused_by == "usage:facebook"
    report, stream, _ = status(config, engine, clock(), COMMENTS)
    assert stream.state == "down" and stream.paused_by == "usage:facebook"
    assert any(f.state == "down" and f.what.startswith(COMMENTS) for f in report.findings)
    assert last_ok(engine, COMMENTS) == collected

    fake.set_usage(app=LOW)
    clock.advance(timedelta(minutes=6))  # the pause is over: the stream collects again
    resumed = poll(bus, COMMENTS)
    assert (resumed.new, resumed.failed, resumed.paused_by) == (35, False, None)
    report, stream, _ = status(config, engine, clock(), COMMENTS)
    assert last_ok(engine, COMMENTS) > collected and stream.paused_by is None and stream.paused_reason is None
    assert paused_gauge(config, engine, clock(), COMMENTS) == 0.0

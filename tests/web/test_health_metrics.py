"""`/healthz` (no login, no data, 503 when the database is gone or behind) and `/metrics` (bearer token or an
admin's session; the real Prometheus text format, parsed with prometheus_client's own parser), with the
counters moved by a real poll of the fake X API through the real pipeline (bootstrap, bus, handlers)."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot import events
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.config import Config, parse_config
from bot.metrics import Metrics, start_metrics_server
from bot.web.app import create_app, fast_passwords
from connectors.x import build_x_connector
from storage import db
from storage.models import AlertRow
from storage.run_nodes import RunNodeRepository
from tests.connectors.x_support import HANDLE, QUERY, Harness, x_harness
from tests.fakes.x_api import TOKEN
from tests.web.conftest import log_in
from tests.web.helpers import NOW, username

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

METRICS_TOKEN = "prometheus-de-prueba-0123456789"


def _families(text: str) -> dict[str, object]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def _value(families: dict[str, object], name: str, **labels: str) -> float:
    family = families[name]
    total = 0.0
    for sample in family.samples:  # type: ignore[attr-defined]
        wanted = sample.name in (name, name + "_total")
        if wanted and all(sample.labels.get(k) == v for k, v in labels.items()):
            total += sample.value
    return total


@pytest.fixture
def metrics_app(web_config: Config, sqlite_engine: Engine, seeded):  # type: ignore[no-untyped-def]
    return create_app(web_config, sqlite_engine, passwords=fast_passwords(), clock=lambda: NOW,
                      metrics_token=METRICS_TOKEN)


def test_healthz_needs_no_login_and_says_only_ok(metrics_app):
    with TestClient(metrics_app) as client:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "set-cookie" not in response.headers


def test_healthz_is_503_when_the_migration_is_behind(engine):
    app = create_app(Config(), engine, passwords=fast_passwords(), tune=False)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        command.downgrade(db.alembic_config(engine), "0012")
        response = client.get("/healthz")
        assert response.status_code == 503 and response.json() == {"status": "unavailable"}
        db.upgrade(engine)
        assert client.get("/healthz").status_code == 200


def test_healthz_is_503_when_the_database_is_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = db.create_db_engine(f"postgresql+psycopg://vigia@127.0.0.1:{port}/vigia")
    app = create_app(Config(), engine, passwords=fast_passwords(), tune=False, metrics_token=METRICS_TOKEN)
    with TestClient(app) as client:
        response = client.get("/healthz")
        assert response.status_code == 503 and response.json() == {"status": "unavailable"}
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert scraped.status_code == 200  # the scrape still answers: it says the database is down
    families = _families(scraped.text)
    assert _value(families, "vigia_database_up") == 0 and _value(families, "vigia_health_status") == 2


def test_metrics_refuses_without_a_token_or_admin_session(metrics_app, client_for):
    with TestClient(metrics_app) as anonymous:
        refused = anonymous.get("/metrics")
        assert refused.status_code == 401 and "Bearer" in refused.headers["www-authenticate"]
        assert "vigia_" not in refused.text
        wrong = anonymous.get("/metrics", headers={"Authorization": "Bearer otro-token"})
        assert wrong.status_code == 403 and "vigia_" not in wrong.text
        basic = anonymous.get("/metrics", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
        assert basic.status_code == 401
    viewer = client_for("viewer")
    assert viewer.get("/metrics").status_code == 403
    manager = client_for("community_manager")
    assert manager.get("/metrics").status_code == 403
    admin = client_for("admin")
    response = admin.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert "vigia_health_status" in _families(response.text)


def test_metrics_with_no_token_configured_refuses_every_token(web_config, sqlite_engine, seeded, monkeypatch):
    monkeypatch.delenv("VIGIA_METRICS_TOKEN", raising=False)
    app = create_app(web_config, sqlite_engine, passwords=fast_passwords(), clock=lambda: NOW)
    with TestClient(app) as client:
        for header in ("Bearer ", "Bearer cualquier-cosa", ""):
            refused = client.get("/metrics", headers={"Authorization": header})
            assert refused.status_code == 403 and "VIGIA_METRICS_TOKEN" in refused.text
        assert log_in(client, username("admin")).status_code == 303
        assert client.get("/metrics").status_code == 200  # an admin still sees them


def test_metrics_token_from_the_environment(web_config, sqlite_engine, seeded, monkeypatch):
    monkeypatch.setenv("VIGIA_METRICS_TOKEN", METRICS_TOKEN)
    app = create_app(web_config, sqlite_engine, passwords=fast_passwords(), clock=lambda: NOW)
    with TestClient(app) as client:
        assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200


@pytest.fixture
def x() -> Iterator[Harness]:
    with x_harness() as harness:
        yield harness


def test_a_real_poll_moves_the_counters_and_the_gauges_come_from_the_database(x, engine, tmp_path):
    x.mentions(130, text="llevo 3 días sin señal en la vereda, nadie responde")
    x.fake.post(HANDLE, "Abrimos convocatoria #MinTIC", at=x.clock() - timedelta(hours=6))
    config = parse_config({
        "accounts": {"x": [HANDLE]},
        "connectors": {"sample": {"enabled": False},
                       "x": {"enabled": True, "api_base_url": x.server.base_url, "searches": [QUERY]}},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })
    connector = build_x_connector(config.connectors.x, config.accounts.x, TOKEN, x.clock, sleep=x.sleeps.append)
    metrics = Metrics()
    bus = bootstrap(config, engine=engine, clock=x.clock, connectors={s: connector for s in connector.streams()},
                    sinks={"file": FileSink(config.alerts.outbox_file)}, metrics=metrics)
    app = create_app(config, engine, passwords=fast_passwords(), tune=False, metrics=metrics,
                     metrics_token=METRICS_TOKEN)
    now = datetime.now(UTC)
    with Session(engine) as s:
        RunNodeRepository(s).heartbeat("n1", hostname="h", pid=1, role="leader", started_at=now, now=now,
                                       leader_since=now, epoch=1, version="t")
        s.add(AlertRow(key="k", sink="file", kind="spike", severity="aviso", channel="alerts", title="t", body="b",
                       details={}, created_at=now - timedelta(seconds=90), attempts=0))
        s.commit()
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    with TestClient(app) as client:
        before = _families(client.get("/metrics", headers=headers).text)
        assert _value(before, "vigia_api_requests", platform="x") == 0
        requests_before = len(x.fake.requests)
        for stream in connector.streams():
            bus.handle(events.PollStream(stream))
        sent = len(x.fake.requests) - requests_before
        bus.handle(events.FlushOutbox(x.clock()))
        after = _families(client.get("/metrics", headers=headers).text)
    mentions = f"x:mentions:{HANDLE}"
    assert _value(after, "vigia_polls", stream=mentions, outcome="ok") == 1
    assert _value(after, "vigia_polls", outcome="ok") == len(connector.streams())
    assert _value(after, "vigia_posts_stored", stream=mentions) == 130
    assert _value(after, "vigia_posts_stored") == 131
    assert sent > 0 and _value(after, "vigia_api_requests", platform="x") == sent  # every request, counted once
    assert _value(after, "vigia_api_errors") == 0
    assert _value(after, "vigia_posts_analysed") == 131
    histogram = after["vigia_analysis_seconds"]
    count = next(s.value for s in histogram.samples if s.name == "vigia_analysis_seconds_count")  # type: ignore[attr-defined]
    assert count >= 1
    assert _value(after, "vigia_alerts_delivered", sink="file") == 1  # the queued row went out
    # the database gauges: every X stream was just polled, the leader beats, the outbox is empty again
    lags = {s.labels["stream"]: s.value for s in after["vigia_stream_lag_seconds"].samples}  # type: ignore[attr-defined]
    assert set(lags) == set(connector.streams()) and all(0 <= v < 60 for v in lags.values())
    assert _value(after, "vigia_leader_present") == 1
    assert _value(after, "vigia_outbox_oldest_undelivered_age_seconds") == 0
    assert _value(before, "vigia_outbox_oldest_undelivered_age_seconds") >= 90
    assert _value(after, "vigia_database_up") == 1 and _value(after, "vigia_migration_pending") == 0


def test_rate_limited_polls_count_failures_and_waits(x, engine, tmp_path):
    config = parse_config({
        "accounts": {"x": [HANDLE]},
        "connectors": {"sample": {"enabled": False}, "x": {"enabled": True, "api_base_url": x.server.base_url}},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })
    connector = build_x_connector(config.connectors.x, config.accounts.x, TOKEN, x.clock, sleep=x.sleeps.append)
    metrics = Metrics()
    bus = bootstrap(config, engine=engine, clock=x.clock, connectors={s: connector for s in connector.streams()},
                    sinks={"file": FileSink(config.alerts.outbox_file)}, metrics=metrics)
    x.fake.fail(429, endpoint="mentions", reset_in=600)
    mentions = f"x:mentions:{HANDLE}"
    bus.handle(events.PollStream(mentions))
    bus.handle(events.PollStream(mentions))  # paused by the stored problem: asks nothing
    families = _families(metrics.exposition().decode())
    assert _value(families, "vigia_polls", stream=mentions, outcome="failed") == 1
    assert _value(families, "vigia_polls", stream=mentions, outcome="paused") == 1
    assert _value(families, "vigia_rate_limit_waits", platform="x") == 2
    assert _value(families, "vigia_api_errors", platform="x", kind="rate_limit") >= 1
    assert _value(families, "vigia_connector_failures", platform="x", problem="rate_limit") == 1


def test_run_metrics_endpoint_needs_the_token():
    metrics = Metrics()
    metrics.polls.labels("x:mentions:a", "ok").inc(3)
    server = start_metrics_server(metrics, "127.0.0.1", 0, METRICS_TOKEN)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for headers, status in (({}, 401), ({"Authorization": "Bearer malo"}, 403)):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(urllib.request.Request(base + "/metrics", headers=headers), timeout=5)
            assert refused.value.code == status
        request = urllib.request.Request(base + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            families = _families(response.read().decode())
        assert _value(families, "vigia_polls", stream="x:mentions:a", outcome="ok") == 3
    finally:
        server.shutdown()
        server.server_close()


def test_run_serves_its_counters_only_when_configured():
    from types import SimpleNamespace

    from pydantic import SecretStr

    from bot.commands.core import _metrics_exporter

    metrics = Metrics()
    metrics.posts_stored.labels("x:mentions:a").inc(7)
    svc = SimpleNamespace(metrics=metrics, secrets=SimpleNamespace(metrics_token=SecretStr(METRICS_TOKEN)))
    assert _metrics_exporter(Config(), svc) is None  # off by default: no port opened
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = _metrics_exporter(parse_config({"health": {"run_metrics_port": port}}), svc)
    assert server is not None
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                         headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            families = _families(response.read().decode())
        assert _value(families, "vigia_posts_stored", stream="x:mentions:a") == 7
        assert _metrics_exporter(parse_config({"health": {"run_metrics_port": port}}), svc) is None  # port taken
    finally:
        server.shutdown()
        server.server_close()


def test_graph_api_requests_are_counted_per_platform(engine, tmp_path):
    from bot.clock import ManualClock
    from connectors.facebook import build_facebook_connector
    from connectors.instagram import build_instagram_connector
    from tests.fakes.graph_api import APP_SECRET, FakeGraphAPI, rate_limited
    from tests.fakes.graph_api import TOKEN as META_TOKEN

    start = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
    clock = ManualClock(start)
    with FakeGraphAPI(app_secret=APP_SECRET) as graph:
        graph.add_page("MinTIC Colombia", "MinTICColombia", page_id="1001")
        graph.add_ig_user("mintic_colombia", page_id="1001", ig_id="17841400000000001")
        graph.add_post("1001", start - timedelta(hours=3), "Abrimos convocatoria #MinTIC")
        common = {"api_base_url": graph.base_url}
        facebook = build_facebook_connector(common, ["MinTICColombia"], META_TOKEN, APP_SECRET, clock,
                                            sleep=lambda _s: None)
        instagram = build_instagram_connector(common, ["mintic_colombia"], META_TOKEN, APP_SECRET, clock,
                                              sleep=lambda _s: None)
        config = parse_config({
            "accounts": {"facebook": ["MinTICColombia"], "instagram": ["mintic_colombia"]},
            "connectors": {"sample": {"enabled": False}},
            "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
            "paths": {"models_dir": str(tmp_path / "models")},
        })
        connectors = {s: c for c in (facebook, instagram) for s in c.streams()}
        metrics = Metrics()
        bus = bootstrap(config, engine=engine, clock=clock, connectors=connectors,
                        sinks={"file": FileSink(config.alerts.outbox_file)}, metrics=metrics)
        graph.clear_log()
        bus.handle(events.PollStream("facebook:posts:MinTICColombia"))
        facebook_calls = len(graph.http_requests())  # a batch call is one request, whatever it holds
        bus.handle(events.PollStream("instagram:media:mintic_colombia"))
        instagram_calls = len(graph.http_requests()) - facebook_calls
        graph.fail(r"/media$", rate_limited(4), status=403)
        bus.handle(events.PollStream("instagram:media:mintic_colombia"))
    families = _families(metrics.exposition().decode())
    assert facebook_calls > 0 and instagram_calls > 0
    assert _value(families, "vigia_api_requests", platform="facebook") == facebook_calls
    assert _value(families, "vigia_api_requests", platform="instagram") >= instagram_calls + 1
    assert _value(families, "vigia_api_errors", platform="instagram", kind="client") >= 1
    assert _value(families, "vigia_connector_failures", platform="instagram", problem="rate_limit") == 1
    assert _value(families, "vigia_posts_stored", stream="facebook:posts:MinTICColombia") == 1

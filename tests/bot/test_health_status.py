"""`main.py status` on real SQLite and PostgreSQL: healthy, degraded (late stream, outbox backlog, pending
migration, open problem), down (no leader heartbeat, stream far behind, database unreachable), with the exit
codes, the Spanish table and the JSON shape."""

from __future__ import annotations

import io
import json
import socket
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import main
from bot.commands.status import gather, render
from bot.config import Config, parse_config
from bot.health import check
from storage import db
from storage.models import AlertRow, CursorRow, OpsProblemRow, ReportRunRow
from storage.run_nodes import RunNodeRepository

STREAM = "sample:x:mentions:Ministerio_TIC"  # the sample replay polls every 15 s by default


def _config(**health: object) -> Config:
    return parse_config({"health": health} if health else {})


def _now() -> datetime:
    return datetime.now(UTC)


def _node(engine: Engine, node_id: str, role: str, beat_age: float, epoch: int | None = 1) -> None:
    now = _now()
    with Session(engine) as s:
        RunNodeRepository(s).heartbeat(node_id, hostname=f"host-{node_id}", pid=4242, role=role,
                                       started_at=now - timedelta(hours=1), now=now - timedelta(seconds=beat_age),
                                       leader_since=now - timedelta(hours=1) if role == "leader" else None,
                                       epoch=epoch if role == "leader" else None, version="test")
        s.commit()


def _cursor(engine: Engine, stream: str, age: float, value: str | None = "k") -> None:
    with Session(engine) as s:
        s.merge(CursorRow(stream=stream, value=value, updated_at=_now() - timedelta(seconds=age)))
        s.commit()


def _healthy(engine: Engine) -> None:
    _node(engine, "a", "leader", 2)
    _node(engine, "b", "standby", 3)
    _cursor(engine, STREAM, 5)
    _cursor(engine, "reanalysis:since", 99_999)  # a job's bookmark, not a stream: never judged


def _alert(engine: Engine, key: str, age: float, sink: str = "slack", sent: bool = False) -> None:
    created = _now() - timedelta(seconds=age)
    with Session(engine) as s:
        s.add(AlertRow(key=key, sink=sink, kind="spike", severity="aviso", channel="alerts", title="t", body="b",
                       details={}, created_at=created, attempts=0, sent_at=created if sent else None))
        s.commit()


def test_healthy_is_ok_with_leader_standby_streams_and_exit_0(engine):
    _healthy(engine)
    _alert(engine, "done", 9_000, sent=True)  # delivered long ago: no backlog
    with Session(engine) as s:
        s.add(ReportRunRow(week="2026-W48", built_at=_now() - timedelta(days=2), files=[], summary={}))
        s.commit()
    report = check(_config(), engine, "db")
    assert report.findings == [] and report.status == "ok" and report.exit_code == 0
    assert report.database.reachable and report.database.revision == report.database.head is not None
    assert report.nodes is not None and report.nodes.leader is not None and report.nodes.leader.node_id == "a"
    assert [n.node_id for n in report.nodes.standbys] == ["b"] and report.nodes.standbys[0].alive
    assert [s.stream for s in report.streams] == [STREAM]
    assert report.streams[0].state == "ok" and 4 <= report.streams[0].lag_seconds < 60  # type: ignore[operator]
    assert report.outbox is not None and report.outbox.backlog == 0 and report.outbox.oldest_undelivered_at is None
    assert report.report is not None and report.report.week == "2026-W48"
    out = io.StringIO()
    render(report, _config(), out)
    text = out.getvalue()
    assert "Estado de Vigía: BIEN (código 0)" in text and "líder" in text and "en espera" in text
    assert STREAM in text and "nada: todo en orden" in text and "2026-W48" in text


def test_a_late_stream_is_degraded_then_down(engine):
    _healthy(engine)
    _cursor(engine, STREAM, 60)  # 4 intervals of 15 s: more than 3, fewer than 10
    report = check(_config(), engine, "db")
    assert report.status == "degraded" and report.exit_code == 1
    assert report.streams[0].state == "degraded"
    assert any(STREAM in f.what and "último sondeo exitoso" in f.what for f in report.findings)
    _cursor(engine, STREAM, 200)  # more than 10 intervals
    report = check(_config(), engine, "db")
    assert report.status == "down" and report.exit_code == 2 and report.streams[0].state == "down"
    relaxed = check(_config(stream_degraded_intervals=20, stream_down_intervals=40), engine, "db")
    assert relaxed.status == "ok"  # the thresholds are the config's


def test_outbox_backlog_is_degraded_then_down_and_says_the_oldest(engine):
    _healthy(engine)
    _alert(engine, "fresh", 10)
    assert check(_config(), engine, "db").status == "ok"  # just queued: the worker has time
    _alert(engine, "stuck", 600, sink="file")
    report = check(_config(), engine, "db")
    assert report.status == "degraded"
    assert report.outbox is not None and report.outbox.backlog == 2
    assert 590 <= report.outbox.oldest_age_seconds < 700  # type: ignore[operator]
    assert {s["sink"]: s["undelivered"] for s in report.outbox.sinks} == {"file": 1, "slack": 1}
    assert any("bandeja de salida" in f.what for f in report.findings)
    _alert(engine, "ancient", 7200)
    assert check(_config(), engine, "db").status == "down"
    many = check(_config(outbox_backlog_degraded=2, outbox_degraded_seconds=10_000, outbox_down_seconds=20_000),
                 engine, "db")
    assert many.status == "degraded" and any("3 alertas sin entregar" in f.what for f in many.findings)


def test_an_open_problem_pauses_its_streams_and_degrades(engine):
    _healthy(engine)
    _cursor(engine, "x:mentions:Ministerio_TIC", 5)
    now = _now()
    with Session(engine) as s:
        s.add(OpsProblemRow(key="rate_limit:x:mentions", message="X limitó las solicitudes", fatal=False,
                            opened_at=now - timedelta(minutes=2), last_seen_at=now, failures=1,
                            paused_until=now + timedelta(minutes=10), attempts=1,
                            last_stream="x:mentions:Ministerio_TIC"))
        s.commit()
    config = parse_config({"accounts": {"x": ["Ministerio_TIC"]},
                           "connectors": {"sample": {"enabled": False}, "x": {"enabled": True}}})
    report = check(config, engine, "db")
    assert report.status == "degraded"
    assert [p.key for p in report.problems] == ["rate_limit:x:mentions"]
    stream = {s.stream: s for s in report.streams}["x:mentions:Ministerio_TIC"]
    assert stream.paused_by == "rate_limit:x:mentions" and stream.paused_until is not None
    assert STREAM not in {s.stream for s in report.streams}  # the sample is off: its bookmark is not judged
    assert [t.platform for t in report.tokens] == ["x"] and "no tiene fecha de vencimiento" in report.tokens[0].note


def test_no_leader_heartbeat_is_down_and_missing_standbys_degrade(engine):
    _cursor(engine, STREAM, 5)
    _node(engine, "old", "leader", 45)  # its last heartbeat 45 s ago: more than 30 s
    report = check(_config(), engine, "db")
    assert report.status == "down"
    assert any("ningún proceso `run` lidera" in f.what for f in report.findings)
    assert report.nodes is not None and report.nodes.leader is not None and not report.nodes.leader.alive
    _node(engine, "new", "leader", 1, epoch=2)
    report = check(_config(min_standbys=1), engine, "db")
    assert report.nodes.leader.node_id == "new"  # type: ignore[union-attr]
    assert report.status == "degraded" and any("health.min_standbys" in f.what for f in report.findings)


def test_meta_token_expiry_comes_from_the_token_check(engine):
    _healthy(engine)
    soon = _now() + timedelta(days=3)
    state = {"checked_at": _now().isoformat(), "expires_at": None, "data_access_expires_at": soon.isoformat(), "v": 1}
    _cursor(engine, "facebook:token", 60, json.dumps(state))
    _cursor(engine, "facebook:posts:MinTICColombia", 5)
    config = parse_config({"accounts": {"facebook": ["MinTICColombia"]},
                           "connectors": {"sample": {"enabled": False}, "facebook": {"enabled": True}}})
    report = check(config, engine, "db")
    (token,) = report.tokens
    assert token.platform == "facebook" and token.data_access_expires_at is not None
    assert abs((token.data_access_expires_at - soon).total_seconds()) < 1
    assert token.state == "degraded" and report.status == "degraded"  # within token_warn_days (7)
    assert {s.stream for s in report.streams} == {"facebook:token", "facebook:posts:MinTICColombia"}
    assert {s.stream: s.state for s in report.streams}["facebook:token"] == "ok"  # checked once a day


def test_pending_migration_is_degraded_and_said(engine):
    _healthy(engine)
    command.downgrade(db.alembic_config(engine), "0012")
    report = check(_config(), engine, "db")
    assert report.database.pending_migration and report.database.revision == "0012"
    assert report.status == "degraded" and report.exit_code == 1
    assert any("pendiente de migrar" in f.what and "main.py db upgrade" in f.what for f in report.findings)
    assert report.nodes is not None and not report.nodes.available  # no run_nodes before 0013: said, not fatal


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_an_unreachable_database_is_down_with_a_clear_message_and_no_traceback(monkeypatch, capsys):
    url = f"postgresql+psycopg://vigia:secreto@127.0.0.1:{_closed_port()}/vigia"
    report = gather(Config(), url)
    assert report.status == "down" and not report.database.reachable
    assert "secreto" not in report.database.url and "***" in report.database.url
    monkeypatch.setenv("VIGIA_DATABASE_URL", url)
    assert main.main(["status"]) == 2
    out = capsys.readouterr()
    assert "INACCESIBLE" in out.out and "Traceback" not in out.out + out.err and "secreto" not in out.out
    assert main.main(["status", "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "down" and data["database"]["reachable"] is False
    assert "127.0.0.1" in data["database"]["error"]


def test_a_missing_sqlite_file_is_down_and_not_created(tmp_path, monkeypatch, capsys):
    path = tmp_path / "nada" / "vigia.db"
    monkeypatch.setenv("VIGIA_DATABASE_URL", f"sqlite:///{path}")
    assert main.main(["status"]) == 2
    assert "no existe" in capsys.readouterr().out and not path.exists()


def _url_of(engine: Engine) -> str:
    """A URL `main.py status` can open on its own: the PostgreSQL test schema travels as libpq options."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
        url += f"?options=-csearch_path%3D{schema}"
    return url


@pytest.mark.parametrize("case", ["healthy", "degraded", "down"])
def test_the_command_exit_codes_and_json_shape(engine, monkeypatch, capsys, case):
    _healthy(engine)
    if case == "degraded":
        _alert(engine, "stuck", 600)
    if case == "down":
        _cursor(engine, STREAM, 600)
    monkeypatch.setenv("VIGIA_DATABASE_URL", _url_of(engine))
    code = main.main(["status", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == {"healthy": 0, "degraded": 1, "down": 2}[case]
    assert data["status"] == {"healthy": "ok", "degraded": "degraded", "down": "down"}[case]
    assert set(data) == {"status", "checked_at", "database", "nodes", "streams", "problems", "outbox", "tokens",
                         "report", "findings", "unknown"}
    assert set(data["database"]) == {"reachable", "url", "revision", "head", "error"}
    assert data["nodes"]["leader"]["node_id"] == "a" and data["nodes"]["leader"]["role"] == "leader"
    assert set(data["nodes"]["leader"]) == {"node_id", "hostname", "pid", "role", "started_at", "heartbeat_at",
                                           "leader_since", "epoch", "version", "heartbeat_age_seconds", "alive"}
    (stream,) = data["streams"]
    assert set(stream) == {"stream", "platform", "interval_seconds", "last_ok_at", "lag_seconds", "state",
                           "paused_by", "paused_until", "paused_reason"}
    datetime.fromisoformat(stream["last_ok_at"])
    assert set(data["outbox"]) == {"backlog", "oldest_undelivered_at", "oldest_age_seconds", "sinks", "lanes_down"}
    assert all(set(f) == {"state", "what"} for f in data["findings"])
    assert main.main(["status"]) == code  # the table says the same
    assert {"healthy": "BIEN", "degraded": "DEGRADADO", "down": "CAÍDO"}[case] in capsys.readouterr().out


def test_health_thresholds_are_checked_and_the_token_stays_out_of_the_file():
    from bot.config import ConfigError

    with pytest.raises(ConfigError) as wrong:
        parse_config({"health": {"stream_degraded_intervals": 5, "stream_down_intervals": 4}})
    assert "health.stream_down_intervals: 4 must be greater than stream_degraded_intervals (5)" in str(wrong.value)
    with pytest.raises(ConfigError) as secret:
        parse_config({"web": {"metrics_token": "abc"}})
    assert "web.metrics_token" in str(secret.value) and "VIGIA_METRICS_TOKEN" in str(secret.value)
    assert parse_config({}).health.stream_down_intervals == 10  # the documented defaults


def test_a_database_that_never_answers_is_down_within_seconds():
    import time

    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        started = time.monotonic()
        report = gather(Config(), f"postgresql+psycopg://vigia@127.0.0.1:{silent.getsockname()[1]}/vigia")
        elapsed = time.monotonic() - started
    assert report.status == "down" and report.exit_code == 2 and not report.database.reachable
    assert elapsed < 20, f"status waited {elapsed:.0f} s for a silent server"


def test_a_real_run_is_healthy_while_it_leads_and_down_once_stopped(tmp_path):
    """`main.py run` (the shipped config: the SYNTHETIC sample replay) as a real process on SQLite: its
    heartbeat and its clean polls make `main.py status` exit 0; after SIGTERM, nobody leads: exit 2."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "META_", "VIGIA_", "X_"))}
    env["VIGIA_DATABASE_URL"] = f"sqlite:///{tmp_path / 'vigia.db'}"

    def status() -> tuple[int, dict]:
        done = subprocess.run([sys.executable, "main.py", "status", "--json"], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=60)
        return done.returncode, json.loads(done.stdout)

    run = subprocess.Popen([sys.executable, "main.py", "run"], cwd=repo, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        code, data = 2, {}
        while time.monotonic() < deadline:
            if (tmp_path / "vigia.db").exists():
                code, data = status()
                if code == 0:
                    break
            time.sleep(2)
        assert code == 0, data.get("findings")
        assert data["nodes"]["leader"]["pid"] == run.pid
        assert {s["platform"] for s in data["streams"]} == {"sample"} and len(data["streams"]) == 3
    finally:
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 0
    code, data = status()
    assert code == 2 and data["nodes"]["leader"] is None
    assert any("ningún proceso `run` lidera" in f["what"] for f in data["findings"])


def test_two_real_runs_on_postgresql_show_a_leader_and_a_standby(pg_engine):
    """Two `main.py run` processes on one PostgreSQL schema: status names the leader and the standby (the
    takeover itself is tested with the hot standby, tests/bot/test_leader.py)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "META_", "VIGIA_", "X_"))}
    env["VIGIA_DATABASE_URL"] = _url_of(pg_engine)
    runs = [subprocess.Popen([sys.executable, "main.py", "run"], cwd=repo, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        deadline = time.monotonic() + 150
        data: dict = {}
        while time.monotonic() < deadline:
            done = subprocess.run([sys.executable, "main.py", "status", "--json"], cwd=repo, env=env,
                                  capture_output=True, text=True, timeout=60)
            data = json.loads(done.stdout)
            nodes = data.get("nodes") or {}
            if done.returncode == 0 and nodes.get("leader") and [n for n in nodes["standbys"] if n["alive"]]:
                break
            time.sleep(2)
        else:
            raise AssertionError(f"no leader and standby seen: {data.get('findings')} {data.get('nodes')}")
        pids = {run.pid for run in runs}
        assert {data["nodes"]["leader"]["pid"], data["nodes"]["standbys"][0]["pid"]} == pids
        assert data["nodes"]["leader"]["alive"] and data["nodes"]["leader"]["leader_since"] is not None
    finally:
        for run in runs:
            run.send_signal(signal.SIGTERM)
        for run in runs:
            run.wait(timeout=60)

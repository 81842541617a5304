"""Who leads: the single-process lock on both engines, the PostgreSQL standby loop and its fence, in process.

The real multi-process kill -9 test is tests/bot/test_standby.py."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from bot import leader
from bot.leader import EXIT_LOST, SQLITE_NOTE, AlreadyRunning, Leadership, Node, leader_lock, serve
from storage.models import CursorRow
from storage.run_nodes import LeaderEpochRepository, RunNodeRepository, StaleLeader


def _second_engine(engine):
    """A separate engine with its own connections, as a second process would have."""
    schema = None
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
    args = {"options": f"-csearch_path={schema}"} if schema else {}
    return create_engine(engine.url.render_as_string(hide_password=False), connect_args=args)


def test_a_second_run_on_the_same_database_is_refused(engine):
    other = _second_engine(engine)
    try:
        with leader_lock(engine), pytest.raises(AlreadyRunning, match="run"), leader_lock(other):
            pass
        with leader_lock(other):  # released: the next run may start
            pass
    finally:
        other.dispose()


def test_sqlite_keeps_one_process_and_says_the_standby_needs_postgresql(sqlite_engine):
    stop, other = threading.Event(), _second_engine(sqlite_engine)
    seen: list[Leadership] = []

    def lead(leadership: Leadership) -> int:
        seen.append(leadership)
        with pytest.raises(AlreadyRunning) as refused:
            serve(other, threading.Event(), lambda _: 0)
        assert SQLITE_NOTE in str(refused.value)
        with Session(sqlite_engine) as session:
            assert [n.role for n in RunNodeRepository(session).nodes()] == ["leader"]
        return 0

    try:
        assert serve(sqlite_engine, stop, lead) == 0
    finally:
        other.dispose()
    assert seen and not seen[0].fenced  # unfenced: nothing to fence against
    with Session(sqlite_engine) as session:
        assert RunNodeRepository(session).nodes() == []  # a clean stop removes its row


@pytest.fixture
def pg(pg_engine):
    return pg_engine


def _run_node(engine, stop, events, name):
    """`serve` in a thread with a `lead` that records when it started and waits for `stop`."""
    result: dict[str, object] = {}

    def lead(leadership: Leadership) -> int:
        events.append((name, "lead", leadership.epoch, time.monotonic()))
        result["leadership"] = leadership
        stop.wait()
        return 0

    def target() -> None:
        result["code"] = serve(engine, stop, lead, node=Node(), try_every=0.2, hard_exit=lambda: None)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, result


def _terminate_lock_holder(engine) -> list[bool]:
    """pg_terminate_backend on the session holding this schema's run lock (and no other test's)."""
    with engine.connect() as conn:
        key = leader._pg_key(conn.execute(text("SELECT current_schema()")).scalar()) & 0xFFFF_FFFF_FFFF_FFFF
        killed = conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND objsubid = 1 AND classid::bigint = :high AND objid::bigint = :low"),
            {"high": key >> 32, "low": key & 0xFFFF_FFFF}).scalars().all()
        conn.commit()
    return list(killed)


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_standby_waits_and_takes_over_when_the_leader_session_dies(pg):
    """The leader's lock session is terminated (what the server does when its host is gone): the leader
    stops (exit code 3) before the standby leads, the standby gets the next epoch, and the deposed leader's
    epoch is refused in any transaction."""
    other = _second_engine(pg)
    events: list[tuple] = []
    stop_a, stop_b = threading.Event(), threading.Event()
    a, result_a = _run_node(pg, stop_a, events, "a")
    try:
        assert _wait(lambda: "leadership" in result_a)
        b, result_b = _run_node(other, stop_b, events, "b")
        with Session(pg) as session:
            assert _wait(lambda: len(RunNodeRepository(session).nodes()) == 2)
            nodes = RunNodeRepository(session).nodes()
            assert [n.role for n in nodes] == ["leader", "standby"]
            first = result_a["leadership"]
            assert RunNodeRepository(session).current_leader(datetime.now(UTC)).epoch == first.epoch
        time.sleep(0.6)
        assert "leadership" not in result_b  # still waiting
        with pg.connect() as conn:  # `run`'s sessions tell the server to drop them when the peer goes silent
            settings = {name: conn.execute(text(f"SHOW {name}")).scalar()
                        for name in ("tcp_user_timeout", "tcp_keepalives_idle", "tcp_keepalives_count")}
        assert settings == {"tcp_user_timeout": "10000", "tcp_keepalives_idle": "5", "tcp_keepalives_count": "3"}
        assert _terminate_lock_holder(pg) == [True]
        assert _wait(lambda: "code" in result_a)
        assert result_a["code"] == EXIT_LOST and stop_a.is_set()
        assert "lock" in first.reason and not first.leading()
        assert _wait(lambda: "leadership" in result_b)
        second = result_b["leadership"]
        assert second.epoch == first.epoch + 1
        with Session(pg) as session:  # the deposed leader's write: refused, rolled back
            session.add(CursorRow(stream="x:test", value="stale", updated_at=datetime.now(UTC)))
            with pytest.raises(StaleLeader):
                first.guard(session)
            session.rollback()
            second.guard(session)
            assert LeaderEpochRepository(session).current() == second.epoch
            session.rollback()
            assert session.get(CursorRow, "x:test") is None
        assert second.deposed(f"host:1:abc#e{first.epoch}") and not second.deposed("host:1:abc")
    finally:
        stop_a.set()
        stop_b.set()
        a.join(10)
        if "b" in locals():
            b.join(10)
        other.dispose()
    assert result_b["code"] == 0


def test_the_deadline_stops_a_leader_whose_checks_hang(pg, monkeypatch):
    """A check that never answers (a dead network): the watchdog deposes the leader once LEASE passes."""
    monkeypatch.setattr(leader, "LEASE", 0.6)
    hang = threading.Event()
    real_holds = leader.LockConnection.holds

    def holds(self):  # type: ignore[no-untyped-def]
        if hang.is_set():
            time.sleep(5)
        return real_holds(self)

    monkeypatch.setattr(leader.LockConnection, "holds", holds)
    stop, events = threading.Event(), []
    thread, result = _run_node(pg, stop, events, "a")
    try:
        assert _wait(lambda: "leadership" in result)
        leadership = result["leadership"]
        time.sleep(0.3)
        assert leadership.leading()
        hang.set()
        started = time.monotonic()
        assert _wait(lambda: "code" in result, timeout=10)
        assert result["code"] == EXIT_LOST and "not confirmed" in leadership.reason
        assert time.monotonic() - started < 3.0
        with pytest.raises(StaleLeader, match="no longer the leader"):
            leadership.guard()
    finally:
        stop.set()
        thread.join(10)


def test_unfenced_services_never_refuse(engine):
    with Session(engine) as session:
        Leadership().guard(session)  # `poll --once`, tests: no epoch, no check
    assert Leadership().deposed("h:1:x#e1") is False


class _RecordingEngine:
    """Stands in for the start-up engine: counts migrations and disposals."""

    def __init__(self) -> None:
        self.upgrades = 0
        self.disposed = False

    def dispose(self) -> None:
        self.disposed = True


def _recording_engines(monkeypatch) -> list[_RecordingEngine]:  # type: ignore[no-untyped-def]
    from bot.commands import core

    made: list[_RecordingEngine] = []

    def create(url: str) -> _RecordingEngine:
        made.append(_RecordingEngine())
        return made[-1]

    def upgrade(engine: _RecordingEngine) -> None:
        engine.upgrades += 1

    monkeypatch.setattr(core.db, "create_db_engine", create)
    monkeypatch.setattr(core.db, "upgrade", upgrade)
    return made


def test_run_starting_with_another_retries_a_start_up_race(monkeypatch):
    """Two processes started together insert the same start-up rows; the one that lost starts again, on the
    same engine (no second pool), and a start-up that finally fails disposes of it."""
    from pathlib import Path

    from sqlalchemy.exc import IntegrityError

    from bot.commands import core
    from bot.config import load_config

    config = load_config(Path(__file__).resolve().parents[2] / "config.yaml")
    engines = _recording_engines(monkeypatch)
    calls, sleeps = [], []

    def racing_bootstrap(cfg, *, engine):  # type: ignore[no-untyped-def]
        calls.append(engine)
        if len(calls) == 1:
            raise IntegrityError("INSERT INTO campaigns", {}, Exception('duplicate key "campaigns_pkey"'))
        return "bus"

    monkeypatch.setattr(core, "bootstrap", racing_bootstrap)
    assert core.bootstrap_when_reachable(config, sleep=sleeps.append) == "bus"
    assert sleeps == [1.0]
    assert len(engines) == 1 and calls == [engines[0], engines[0]] and engines[0].upgrades == 2
    assert not engines[0].disposed

    def always(cfg, *, engine):  # type: ignore[no-untyped-def]
        raise IntegrityError("INSERT", {}, Exception("a real constraint problem"))

    monkeypatch.setattr(core, "bootstrap", always)
    with pytest.raises(IntegrityError):
        core.bootstrap_when_reachable(config, sleep=sleeps.append)
    assert len(engines) == 2 and engines[1].upgrades == 1 + core.STARTUP_RACE_RETRIES and engines[1].disposed


def test_a_frozen_deposed_leader_mid_commit_does_not_block_the_takeover(pg):
    """A deposed leader stopped between its epoch check and its commit holds the share lock on the epoch row:
    the successor ends that session after a few seconds, takes the next epoch, and the stale commit fails."""
    other = _second_engine(pg)
    events: list[tuple] = []
    stop_a, stop_b = threading.Event(), threading.Event()
    a, result_a = _run_node(pg, stop_a, events, "a")
    frozen = Session(other)
    try:
        assert _wait(lambda: "leadership" in result_a)
        first = result_a["leadership"]
        frozen.add(CursorRow(stream="x:frozen", value="stale", updated_at=datetime.now(UTC)))
        first.guard(frozen)  # passed the check, then the process froze before its commit
        frozen.flush()
        b, result_b = _run_node(other, stop_b, events, "b")
        time.sleep(0.5)
        assert _terminate_lock_holder(pg) == [True]
        assert _wait(lambda: "leadership" in result_b, timeout=30)
        assert result_b["leadership"].epoch == first.epoch + 1
        with pytest.raises(Exception, match=r"terminat|closed|connection"):
            frozen.commit()
        with Session(pg) as session:
            assert session.get(CursorRow, "x:frozen") is None
    finally:
        frozen.close()
        stop_a.set()
        stop_b.set()
        a.join(10)
        if "b" in locals():
            b.join(10)
        other.dispose()

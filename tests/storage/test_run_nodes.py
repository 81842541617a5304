"""The hot standby's node registry and fencing token on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from storage.run_nodes import LeaderEpochRepository, RunNodeRepository, StaleLeader

T0 = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def _beat(session, node_id, role, now, epoch=None, pid=1):
    RunNodeRepository(session).heartbeat(node_id, hostname="host-a", pid=pid, role=role, started_at=T0, now=now,
                                         leader_since=now if role == "leader" else None, epoch=epoch,
                                         version="0.1.0")


def test_heartbeats_list_nodes_find_the_leader_and_prune_the_dead(engine):
    with Session(engine) as session:
        epoch = LeaderEpochRepository(session).advance("n-lead", T0)
        _beat(session, "n-lead", "leader", T0, epoch)
        _beat(session, "n-wait", "standby", T0, pid=2)
        _beat(session, "n-old", "leader", T0 - timedelta(days=2), epoch - 1 if epoch > 1 else None, pid=3)
        session.commit()
        _beat(session, "n-wait", "standby", T0 + timedelta(seconds=5), pid=2)  # a beat updates, never adds
        session.commit()
        nodes = RunNodeRepository(session).nodes()
        assert [n.node_id for n in nodes] == ["n-lead", "n-old", "n-wait"]
        assert nodes[2].heartbeat_at == T0 + timedelta(seconds=5) and nodes[2].pid == 2
        leader = RunNodeRepository(session).current_leader(T0 + timedelta(seconds=10))
        assert leader is not None and (leader.node_id, leader.epoch, leader.leader_since) == ("n-lead", epoch, T0)
        assert nodes[0].alive(T0 + timedelta(seconds=14)) and not nodes[0].alive(T0 + timedelta(seconds=15))
        assert RunNodeRepository(session).current_leader(T0 + timedelta(seconds=15)) is None  # sin latido
        assert RunNodeRepository(session).prune(T0 - timedelta(days=1)) == 1
        session.commit()
        assert sorted(n.node_id for n in RunNodeRepository(session).nodes()) == ["n-lead", "n-wait"]
        with pytest.raises(ValueError, match="role"):
            _beat(session, "n-x", "boss", T0)


def test_a_stale_epoch_is_refused_and_its_writes_roll_back(engine):
    with Session(engine) as session:
        first = LeaderEpochRepository(session).advance("a", T0)
        session.commit()
        LeaderEpochRepository(session).check(first)
        session.commit()
        second = LeaderEpochRepository(session).advance("b", T0)
        session.commit()
        assert second == first + 1 == LeaderEpochRepository(session).current()
        _beat(session, "a", "leader", T0, first)
        with pytest.raises(StaleLeader, match=f"epoch {first} is over"):
            LeaderEpochRepository(session).check(first)
        session.rollback()
        assert RunNodeRepository(session).nodes() == []


def test_processes_started_together_migrate_in_turn(pg_database):
    """Every `run` migrates at start-up: three processes at once on a fresh schema take turns instead of racing
    (separate processes: Alembic's context is not thread-safe)."""
    import subprocess
    import sys
    import uuid
    from pathlib import Path

    from sqlalchemy import create_engine, text

    from storage import db

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_database)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    script = ("import sys; from sqlalchemy import create_engine; from storage import db; "
              "db.upgrade(create_engine(sys.argv[1], connect_args={'options': '-csearch_path=' + sys.argv[2]}))")
    engine = create_engine(pg_database, connect_args={"options": f"-csearch_path={schema}"})
    try:
        procs = [subprocess.Popen([sys.executable, "-c", script, pg_database, schema],
                                  cwd=Path(__file__).resolve().parents[2], stderr=subprocess.PIPE, text=True)
                 for _ in range(3)]
        results = [(p.wait(timeout=180), p.stderr.read() if p.stderr else "") for p in procs]
        assert [code for code, _ in results] == [0, 0, 0], [err[-2000:] for _, err in results]
        assert db.current_revision(engine) is not None
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

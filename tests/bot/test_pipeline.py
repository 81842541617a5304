"""The event-driven pipeline end to end on real databases: poll → store → analyse → spikes → alerts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from bot import events
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.config import parse_config
from storage.models import AlertRow, AnalysisRow, IncidentRow, SpikeBucketRow
from storage.unit_of_work import UnitOfWork
from tests.factories import T0, make_post
from tests.fake_connector import ListConnector

REPO = Path(__file__).resolve().parents[2]
STREAM = "fake:x:Ministerio_TIC"


def _config(tmp_path):
    return parse_config({
        "connectors": {"sample": {"enabled": False}},
        "accounts": {"x": ["Ministerio_TIC"]},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })


def _bus(engine, tmp_path, connector, clock=None):
    config = _config(tmp_path)
    return bootstrap(config, engine=engine, clock=clock or ManualClock(T0 + timedelta(days=1)),
                     connectors={connector.stream: connector},
                     sinks={"file": FileSink(config.alerts.outbox_file)})


def _completed(handled):
    return next(e for e in handled if isinstance(e, events.PollCompleted))


def test_poll_stores_and_analyses_and_second_poll_stores_nothing(engine, tmp_path):
    connector = ListConnector([make_post(i) for i in range(25)], page=10)
    bus = _bus(engine, tmp_path, connector)
    first = _completed(bus.handle(events.PollStream(STREAM)))
    assert (first.new, first.pages) == (25, 3)
    second = _completed(bus.handle(events.PollStream(STREAM)))
    assert (second.new, second.updated, second.pages) == (0, 0, 0)
    assert connector.requests == 5  # 3 pages + an empty check, then one request for the quiet poll
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 25
        assert uow.session.scalar(select(func.count()).select_from(AnalysisRow)) == 25
        assert uow.cursors.get(STREAM).value == "25"  # type: ignore[union-attr]
        # every citizen post counted once in the "all" key
        total = uow.session.scalar(select(func.sum(SpikeBucketRow.count)).where(SpikeBucketRow.key == "all"))
    assert total == 25


def test_new_posts_after_the_bookmark_are_picked_up(engine, tmp_path):
    connector = ListConnector([make_post(i) for i in range(5)], page=10)
    bus = _bus(engine, tmp_path, connector)
    bus.handle(events.PollStream(STREAM))
    connector.posts += [make_post(i) for i in range(5, 8)]
    assert _completed(bus.handle(events.PollStream(STREAM))).new == 3


def test_rejected_payloads_are_kept_aside(engine, tmp_path):
    connector = ListConnector([make_post(1)], rejected=[{"id": None, "text": 5}])
    bus = _bus(engine, tmp_path, connector)
    done = _completed(bus.handle(events.PollStream(STREAM)))
    assert done.rejected == 1 and done.new == 1
    with UnitOfWork(engine) as uow:
        assert uow.rejected.count() == 1


def test_connector_failure_keeps_earlier_pages_and_alerts_operators_once_per_hour(engine, tmp_path):
    connector = ListConnector([make_post(i) for i in range(30)], page=10, fail_after_pages=2)
    bus = _bus(engine, tmp_path, connector)
    handled = bus.handle(events.PollStream(STREAM))
    failed = [e for e in handled if isinstance(e, events.ConnectorFailed)]
    assert len(failed) == 1 and failed[0].retry_after == 30
    connector.fail_after_pages = 0
    bus.handle(events.PollStream(STREAM))  # fails again within the same hour
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 20
        assert uow.cursors.get(STREAM).value == "20"  # type: ignore[union-attr]
    lines = (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    ops = [json.loads(line) for line in lines]
    assert len(ops) == 1 and ops[0]["channel"] == "ops" and "503" in ops[0]["body"]


def test_shutdown_stops_between_pages_after_committing(engine, tmp_path):
    connector = ListConnector([make_post(i) for i in range(30)], page=10)
    bus = _bus(engine, tmp_path, connector)
    bus.services.stop.set()
    done = _completed(bus.handle(events.PollStream(STREAM)))
    assert done.pages == 1
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 10 and uow.cursors.get(STREAM).value == "10"  # type: ignore[union-attr]


def test_pending_posts_are_analysed_after_a_stop_between_store_and_analysis(engine, tmp_path):
    with UnitOfWork(engine) as uow:
        uow.posts.upsert([make_post(i) for i in range(4)])
        uow.commit()
    bus = _bus(engine, tmp_path, ListConnector([]))
    bus.handle(events.AnalyzePending())
    with UnitOfWork(engine) as uow:
        assert uow.posts.unanalyzed_ids() == []


def _burst_posts():
    """Three quiet days (one complaint an hour in the day), then 30 outage complaints per 15 min for 2 h."""
    posts, n = [], 0
    for day in range(3):
        for hour in range(12, 23):  # 07:00-18:00 Bogotá
            minutes = day * 1440 + hour * 60 - 15 * 60  # make_post counts minutes from T0 (15:00 UTC)
            posts.append(make_post(n, minutes=minutes, text="Buenos días, ¿cuándo abren la convocatoria?"))
            n += 1
    burst_start = 3 * 1440  # day 4, 10:00 Bogotá
    for minute in range(0, 120):
        for _ in range(2):
            posts.append(make_post(n, minutes=burst_start + minute,
                                   text="La plataforma del MinTIC está caída, llevo 2 horas sin poder entrar 😡"))
            n += 1
    return posts, T0 + timedelta(minutes=burst_start)


def test_a_burst_opens_one_incident_with_recovery_and_no_repeats(engine, tmp_path):
    posts, burst_at = _burst_posts()
    clock = ManualClock(T0)
    connector = ListConnector(posts, page=100)
    bus = _bus(engine, tmp_path, connector, clock)
    bus.handle(events.EvaluateSpikes(clock()))
    while clock() < burst_at + timedelta(hours=8):
        # The quiet days hourly (each evaluation catches up bucket by bucket, as after any pause), from an hour
        # before the burst every 15 min, the scheduler's pace: a third of the rounds, the same buckets.
        clock.advance(timedelta(minutes=60 if clock() < burst_at - timedelta(hours=1) else 15))
        connector.posts = [p for p in posts if p.created_at <= clock()]
        bus.handle(events.PollStream(STREAM))
        bus.handle(events.EvaluateSpikes(clock()))
    with UnitOfWork(engine) as uow:
        incidents = uow.session.scalars(select(IncidentRow)).all()
        alerts = uow.session.scalars(select(AlertRow)).all()
    assert len(incidents) == 1, [(i.keys, i.opened_at) for i in incidents]
    incident = incidents[0]
    # A key with three days of history asks for a surge that holds an hour (its calibration is still mostly
    # prior; docs/spikes.md): the fourth bucket of the burst, not the first.
    assert burst_at <= incident.opened_at <= burst_at + timedelta(minutes=45)
    assert incident.closed_at is not None and "all" in incident.keys
    kinds = [a.kind for a in alerts]
    assert kinds.count("spike") == 1 and kinds.count("recovery") == 1
    delivered = [json.loads(x) for x in (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [d["kind"] for d in delivered] == kinds
    assert "Posible crisis" in delivered[0]["title"]
    # Re-evaluating, and a restart on the same database, fire nothing again.
    bus.handle(events.EvaluateSpikes(clock()))
    restarted = _bus(engine, tmp_path, connector, clock)
    restarted.handle(events.EvaluateSpikes(clock() + timedelta(minutes=15)))
    restarted.handle(events.FlushOutbox(clock()))
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(AlertRow)) == len(alerts)
    assert len((tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()) == len(delivered)


CHILD = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {repo!r})
    from datetime import timedelta
    from sqlalchemy import create_engine
    from bot import events
    from bot.bootstrap import bootstrap
    from bot.clock import ManualClock
    from bot.config import parse_config
    from storage.unit_of_work import UnitOfWork
    from tests.factories import T0, make_post
    from tests.fake_connector import ListConnector

    engine = create_engine({url!r}, connect_args={connect_args!r})
    commits = 0
    real_commit = UnitOfWork.commit
    def dying_commit(self):
        global commits
        commits += 1
        if commits == 2:  # the second page: rows inserted, transaction not committed
            os.kill(os.getpid(), signal.SIGKILL)
        real_commit(self)
    UnitOfWork.commit = dying_commit
    config = parse_config({{"connectors": {{"sample": {{"enabled": False}}}},
                           "paths": {{"models_dir": {models!r}}}}})
    connector = ListConnector([make_post(i) for i in range(30)], page=10)
    bus = bootstrap(config, engine=engine, clock=ManualClock(T0 + timedelta(days=1)),
                    connectors={{connector.stream: connector}}, sinks={{}})
    bus.handle(events.PollStream(connector.stream))
    """
)


def test_a_poll_killed_mid_transaction_loses_and_duplicates_nothing(engine, tmp_path):
    url = engine.url.render_as_string(hide_password=False)
    connect_args = {}
    if engine.dialect.name == "postgresql":
        schema = engine.connect().exec_driver_sql("SHOW search_path").scalar()
        connect_args = {"options": f"-csearch_path={schema}"}
    script = CHILD.format(repo=str(REPO), url=url, connect_args=connect_args, models=str(tmp_path / "m"))
    child = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True,
                           timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 10  # page 1 committed, page 2 rolled back with the process
        assert uow.cursors.get(STREAM).value == "10"  # type: ignore[union-attr]
    # Restart: the poll resumes from the bookmark; every post stored exactly once, all analysed.
    connector = ListConnector([make_post(i) for i in range(30)], page=10)
    bus = _bus(engine, tmp_path, connector)
    bus.handle(events.AnalyzePending())
    done = _completed(bus.handle(events.PollStream(STREAM)))
    assert done.new == 20
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 30
        assert sorted(k for _, k in uow.posts.all_keys()) == sorted(f"test-{i}" for i in range(30))
        assert uow.posts.unanalyzed_ids() == []
        assert uow.cursors.get(STREAM).value == "30"  # type: ignore[union-attr]


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_run_exits_cleanly_on_sigterm(tmp_path):
    """`main.py run` on the shipped sample: starts, polls, and exits 0 on SIGTERM."""
    env = {**os.environ, "VIGIA_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}"}
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["alerts"]["outbox_file"] = str(tmp_path / "outbox.jsonl")
    data["report"]["out_dir"] = str(tmp_path / "reports")
    data["paths"] = {"var_dir": str(tmp_path), "models_dir": str(tmp_path / "models")}
    data["connectors"]["sample"]["path"] = str(REPO / data["connectors"]["sample"]["path"])
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "main.py", "--config", str(cfg), "run"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline_lines = []
        assert proc.stderr is not None
        for line in proc.stderr:
            deadline_lines.append(line)
            if '"event": "poll"' in line:
                break
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, "".join(deadline_lines) + err
    assert '"vigia stopped"' in err or "vigia stopped" in err

"""The scheduler's jobs: one per stream with the right options, spikes, outbox, sweeper, weekly report."""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import OperationalError

from bot import events
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.config import parse_config
from bot.scheduler import DatabaseWatch, _safe, build_scheduler
from tests.factories import T0
from tests.fake_connector import ListConnector


def _bus(sqlite_engine, tmp_path, **config):
    cfg = parse_config({"connectors": {"sample": {"enabled": False}, "x": {"poll_interval_seconds": 90}},
                        "paths": {"models_dir": str(tmp_path / "m")}, **config})
    connectors = {"x:mentions:Ministerio_TIC": ListConnector([], stream="x:mentions:Ministerio_TIC"),
                  "x:search:0": ListConnector([], stream="x:search:0")}
    return bootstrap(cfg, engine=sqlite_engine, clock=ManualClock(T0), connectors=connectors,
                     sinks={"file": FileSink(tmp_path / "outbox.jsonl")})


def test_jobs_and_their_options(sqlite_engine, tmp_path):
    bus = _bus(sqlite_engine, tmp_path, scheduler={"jitter_seconds": 7, "misfire_grace_seconds": 45})
    scheduler = build_scheduler(bus)
    scheduler.start(paused=True)  # job defaults are applied when the scheduler starts
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == {"poll:x:mentions:Ministerio_TIC", "poll:x:search:0", "analyze-pending", "spikes",
                         "outbox", "weekly-report", "retention"}
    poll = jobs["poll:x:mentions:Ministerio_TIC"]
    assert isinstance(poll.trigger, IntervalTrigger)
    assert poll.trigger.interval == timedelta(seconds=90) and poll.trigger.jitter == 7
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1
    assert poll.misfire_grace_time == 45
    report = jobs["weekly-report"]
    assert isinstance(report.trigger, CronTrigger)
    fields = {f.name: str(f) for f in report.trigger.fields}
    assert fields["day_of_week"] == "mon" and fields["hour"] == "8" and fields["minute"] == "0"
    assert str(report.trigger.timezone) == "America/Bogota"
    retention = {f.name: str(f) for f in jobs["retention"].trigger.fields}  # daily, config retention.run_at
    assert (retention["day_of_week"], retention["hour"], retention["minute"]) == ("*", "3", "30")
    # Next Monday 08:00 in Bogotá is 13:00 UTC.
    nxt = report.trigger.get_next_fire_time(None, datetime(2026, 11, 18, 12, 0, tzinfo=report.trigger.timezone))
    assert (nxt.weekday(), nxt.hour, nxt.minute) == (0, 8, 0)


def test_database_outage_is_told_once_then_recovery(sqlite_engine, tmp_path):
    bus = _bus(sqlite_engine, tmp_path)
    watch = DatabaseWatch(bus)
    calls = {"n": 0}

    def failing():
        calls["n"] += 1
        if calls["n"] <= 3:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return events.AnalyzePending()

    job = _safe(bus, failing, "test", watch)
    for _ in range(4):
        job()
    lines = (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert "Base de datos inaccesible" in lines[0] and "Base de datos recuperada" in lines[1]

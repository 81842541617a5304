"""The operational-problem policy (bot/alerts/problems.py): back-off, what pauses, severity, and the recovery rule."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from bot import events
from bot.alerts.problems import backoff_seconds, pauses, title_for
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.config import parse_config
from storage.unit_of_work import UnitOfWork
from tests.factories import T0

STREAM = "fake:x:Ministerio_TIC"


def _bus(engine, tmp_path, clock):  # type: ignore[no-untyped-def]
    config = parse_config({
        "connectors": {"sample": {"enabled": False}},
        "accounts": {"x": ["Ministerio_TIC"]},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })
    bus = bootstrap(config, engine=engine, clock=clock, connectors={},
                    sinks={"file": FileSink(config.alerts.outbox_file)})
    bus.services.rng = random.Random(3)
    return bus


def _alerts(tmp_path) -> list[dict]:  # type: ignore[no-untyped-def]
    path = tmp_path / "outbox.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _failed(stream: str = STREAM, problem: str = "token:x", fatal: bool = True) -> events.ConnectorFailed:
    return events.ConnectorFailed(stream, "HTTP 401", None, fatal, problem, 300, 3600)


def test_back_off_doubles_up_to_the_cap_with_at_most_ten_percent_jitter():
    rng = random.Random(5)
    waits = [backoff_seconds(n, 300, 3600, rng) for n in range(1, 7)]
    for wait, step in zip(waits, (300, 600, 1200, 2400, 3600, 3600), strict=True):
        assert step <= wait <= step * 1.1
    assert len({round(w / s, 6) for w, s in zip(waits, (300, 600, 1200, 2400, 3600, 3600), strict=True)}) > 1


def test_warnings_about_payloads_and_token_checks_do_not_pause_anything():
    assert pauses("token:meta") and pauses("rate_limit:x:mentions") and pauses("connector:x:own:a")
    assert not pauses("payload:instagram") and not pauses("token_check:meta")
    assert "Facebook e Instagram" in title_for("rate_limit:meta_app")
    assert title_for("payload:x", "critico").startswith("Posible cambio de la API de X")


def test_a_failure_recorded_after_a_poll_began_is_not_cleared_by_that_poll(engine, tmp_path):
    """Two threads: stream B's request succeeded, then stream A met the cause, then B's poll ended. B proves
    nothing about a failure it did not see."""
    clock = ManualClock(T0)
    bus = _bus(engine, tmp_path, clock)
    began = clock()
    clock.advance(timedelta(seconds=2))
    bus.handle(_failed("x:mentions:a"))
    clock.advance(timedelta(seconds=1))
    bus.handle(events.PollCompleted("x:search:1", 0, 0, 0, 1, 5.0, proven=("token:x",), started_at=began))
    with UnitOfWork(engine) as uow:
        assert [r.key for r in uow.ops.open_problems()] == ["token:x"]
    bus.handle(events.PollCompleted("x:search:1", 0, 0, 0, 1, 5.0, proven=("token:x",), started_at=clock()))
    with UnitOfWork(engine) as uow:
        assert uow.ops.open_problems() == []
    assert [a["kind"] for a in _alerts(tmp_path)] == ["operational", "recovery"]


def test_a_failure_during_the_pause_is_a_request_in_flight_not_a_new_attempt(engine, tmp_path):
    clock = ManualClock(T0)
    bus = _bus(engine, tmp_path, clock)
    bus.handle(_failed("x:mentions:a"))
    bus.handle(_failed("x:own:a"))  # was already asking when the first failure set the pause
    with UnitOfWork(engine) as uow:
        row = uow.ops.get("token:x")
        assert row is not None and (row.attempts, row.failures) == (1, 2)
        assert 300 <= (row.paused_until - T0).total_seconds() <= 330  # type: ignore[operator]
    assert len(_alerts(tmp_path)) == 1


@pytest.mark.parametrize("minutes", [30, 61])
def test_an_open_problem_is_repeated_at_most_once_an_hour(engine, tmp_path, minutes):
    clock = ManualClock(T0)
    bus = _bus(engine, tmp_path, clock)
    bus.handle(_failed())
    clock.advance(timedelta(minutes=minutes))
    bus.handle(_failed())
    assert len(_alerts(tmp_path)) == (1 if minutes < 60 else 2)

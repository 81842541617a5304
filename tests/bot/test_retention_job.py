"""The daily retention job through the bus (events.ApplyRetention -> handlers.apply_retention) on SQLite: it
anonymises what is due and records the run; without VIGIA_PSEUDONYM_KEY, or with `retention.enabled: false`, it
changes nothing and says why in the log (no personal data in that line)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr
from sqlalchemy import func, select
from structlog.testing import capture_logs

from bot import events
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.config import Secrets, parse_config
from storage.models import DataRequestRow, PostRow
from storage.unit_of_work import UnitOfWork
from tests.factories import T0
from tests.storage.test_retention import KEY, _seed

LATER = T0 + timedelta(days=800)


def _bus(engine, tmp_path, key: str | None, **retention):  # type: ignore[no-untyped-def]
    cfg = parse_config({"connectors": {"sample": {"enabled": False}}, "paths": {"models_dir": str(tmp_path / "m")},
                        "retention": retention})
    secrets = Secrets(pseudonym_key=SecretStr(key) if key else None)
    return bootstrap(cfg, engine=engine, secrets=secrets, clock=ManualClock(LATER), connectors={},
                     sinks={"file": FileSink(tmp_path / "outbox.jsonl")}, resegment_on_start=False)


def _anonymised(engine) -> int:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        return uow.session.scalar(select(func.count()).select_from(PostRow)
                                  .where(PostRow.anonymized_at.is_not(None))) or 0


def test_the_daily_job_applies_the_policy_and_records_the_run(sqlite_engine, tmp_path):  # type: ignore[no-untyped-def]
    _seed(sqlite_engine)
    bus = _bus(sqlite_engine, tmp_path, KEY, batch_size=3)
    bus.handle(events.ApplyRetention(LATER))
    assert _anonymised(sqlite_engine) == 14
    with UnitOfWork(sqlite_engine) as uow:
        assert uow.session is not None
        run = uow.session.scalar(select(DataRequestRow))
    assert run is not None and run.kind == "retention" and run.requested_by == "scheduler"
    assert run.counts["posts"] == 14 and run.platform is None and run.subject_hash is None


def test_without_a_key_or_when_disabled_the_job_changes_nothing(sqlite_engine, tmp_path):  # type: ignore[no-untyped-def]
    _seed(sqlite_engine)
    with capture_logs() as logs:
        _bus(sqlite_engine, tmp_path, None).handle(events.ApplyRetention(LATER))
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["retention skipped"]
    assert "VIGIA_PSEUDONYM_KEY" in next(e["reason"] for e in logs if e["event"] == "retention skipped")
    assert _anonymised(sqlite_engine) == 0
    _bus(sqlite_engine, tmp_path, KEY, enabled=False).handle(events.ApplyRetention(LATER))
    assert _anonymised(sqlite_engine) == 0

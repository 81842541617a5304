"""The sample week loaded once per test session (SQLite), for the report-content and rendering tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from bot.clock import ManualClock
from bot.reports.weekly import ReportOutcome, run_weekly_report
from storage import db
from storage.models import AlertRow, ReportRunRow
from storage.unit_of_work import UnitOfWork
from tests.reports.sample_data import SAMPLE_WEEK, add_sample_incidents, load_sample_week, services

# The Monday after the sample week, 08:00 Bogotá: when the scheduled job builds it.
MONDAY_AFTER = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("sample-db") / "sample.db"
    engine = db.create_db_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    load_sample_week(engine)
    add_sample_incidents(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sample(sample_db) -> Engine:
    """The shared sample database with no report recorded yet (tests must not see each other's runs)."""
    with UnitOfWork(sample_db) as uow:
        assert uow.session is not None
        uow.session.query(ReportRunRow).delete()
        uow.session.query(AlertRow).delete()
        uow.commit()
    return sample_db


@pytest.fixture(scope="session")
def sample_report(sample_db, tmp_path_factory) -> ReportOutcome:  # type: ignore[no-untyped-def]
    """The sample week's report, built once (with the PDF when Chromium is installed)."""
    out = tmp_path_factory.mktemp("sample-report")
    svc = services(sample_db, out, ManualClock(MONDAY_AFTER), pdf=True)
    outcome = run_weekly_report(svc, SAMPLE_WEEK)
    assert outcome.built
    return outcome

"""Anonymising a week must not move a single figure of its report (issue 17, docs/data-protection.md): the sample
week (synthetic) is reported, every citizen text and profile of it anonymised by the retention job, and the report
built again, on SQLite and PostgreSQL. Only the columns that show a person (handle, name, profile link, text) may
change; every count, share, category, tone, topic, place, campaign, interaction and audience figure is identical."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.config import RetentionSettings, segmenter
from bot.reports.model import build_report, report_tables, week_period
from bot.retention import apply_retention
from domain.business_calendar import BusinessCalendar
from storage.models import PostRow
from storage.retention import Pseudonyms
from storage.unit_of_work import UnitOfWork
from tests.reports.conftest import MONDAY_AFTER
from tests.reports.sample_data import SAMPLE_WEEK, load_sample_week

BOGOTA = ZoneInfo("America/Bogota")
PERSONAL_COLUMNS = {"Usuario", "Nombre", "Perfil", "Texto", "Enlace", "Autor"}


def _report(engine) -> tuple[dict[str, Any], dict[str, Any], Any]:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        report = build_report(uow.session, week_period(SAMPLE_WEEK, BOGOTA), MONDAY_AFTER, BusinessCalendar(BOGOTA),
                              segments=segmenter(None).segments)
    return report.summary(), {t.key: t for t in report_tables(report)}, report


def _unordered(figures: Any) -> Any:
    """The period's figures with the per-question timings as a sorted list: PostgreSQL returns them in the rows'
    physical order, which an UPDATE moves (the medians and shares computed from them do not change)."""
    t = figures.timings
    rows = sorted(zip(t.platforms, t.categories, t.received, t.first_reply, t.closed or [None] * len(t.received),
                      strict=True), key=repr)
    return replace(figures, timings=rows)


def test_a_weeks_figures_are_identical_after_anonymising_it(engine):
    load_sample_week(engine)
    summary, tables, report = _report(engine)
    done = apply_retention(engine, RetentionSettings(batch_size=1000), Pseudonyms("s" * 40),
                           MONDAY_AFTER + timedelta(days=800), requested_by="test")
    assert done["posts"] > 3000 and done["authors"] > 1000  # the whole week was anonymised
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        left = uow.session.scalar(select(func.count()).select_from(PostRow).where(
            PostRow.is_own.is_(False), PostRow.anonymized_at.is_(None)))
    assert left == 0
    summary_after, tables_after, report_after = _report(engine)
    assert summary_after == summary
    assert _unordered(report_after.current) == _unordered(report.current)
    assert _unordered(report_after.before) == _unordered(report.before)
    assert report_after.regions == report.regions and report_after.campaigns == report.campaigns
    assert tables_after.keys() == tables.keys()
    changed = set()
    for key, table in tables.items():
        after = tables_after[key]
        assert [c.name for c in after.columns] == [c.name for c in table.columns]
        assert len(after.rows) == len(table.rows), key
        for index, column in enumerate(table.columns):
            if [r[index] for r in after.rows] != [r[index] for r in table.rows]:
                changed.add(column.name)
                assert column.name in PERSONAL_COLUMNS, f"{key}.{column.name} changed"
    assert changed  # the profiles shown in the audience tables are really gone

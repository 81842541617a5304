"""Week-over-week changes compare the two weeks at equal maturity, and a re-run gives the figures it gave then.

Two weeks in Bogotá: W47 (16–22/11/2026) and W48 (23–29/11). The Monday runs are at 08:00 on 23/11 and 30/11.
- W47: own post with 10 likes (read again later with 50), question q1 answered 20/11, question q2 answered
  Tuesday 24/11, after W47's report: that report saw 1 of 2 answered (50 %).
- W48: question q3 answered 25/11.
Recomputed on 30/11, W47 would show 2 of 2 answered and 50 interactions: not what was reported, and a week
more mature than W48.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.reports.weekly import run_weekly_report
from domain import Metrics, Platform, PostKind, TextAnalysis
from storage.models import ReportRunRow
from storage.unit_of_work import UnitOfWork
from tests.reports.sample_data import services, store
from tests.reports.test_indicators_sql import post

BOGOTA = ZoneInfo("America/Bogota")
X = Platform.X
M, R, OWN = PostKind.MENTION, PostKind.REPLY, PostKind.OWN_POST
W47_RUN = datetime(2026, 11, 23, 8, tzinfo=BOGOTA)
W48_RUN = datetime(2026, 11, 30, 8, tzinfo=BOGOTA)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BOGOTA)


OWN_POST = post("own-1", X, OWN, at(2026, 11, 17, 9), own=True, metrics=Metrics(likes=10))
POSTS = [
    OWN_POST,
    post("q1", X, M, at(2026, 11, 17, 10), author="a1"),
    post("q2", X, M, at(2026, 11, 18, 10), author="a2"),
    post("r1", X, R, at(2026, 11, 20, 10), own=True, reply_to="q1"),
    post("q3", X, M, at(2026, 11, 24, 10), author="a3"),
    post("r3", X, R, at(2026, 11, 25, 10), own=True, reply_to="q3"),
]
LATE_REPLY = post("r2", X, R, at(2026, 11, 24, 10), own=True, reply_to="q2")


def _analyses(posts):
    return {(str(p.platform), p.external_id): TextAnalysis("es", "neutral", 0.0, "otro" if p.is_own else "peticion")
            for p in posts}


def _store(engine, posts):
    store(engine, posts, _analyses(posts))


def _kpis(path):
    with (path / "indicadores_clave.csv").open(encoding="utf-8-sig", newline="") as fh:
        return {row["Indicador"]: row for row in csv.DictReader(fh)}


@pytest.fixture
def weeks(engine):
    _store(engine, POSTS)
    return engine


def _later_data(engine):
    """What arrives after W47's report: the late reply, and a new reading of the own post's counter."""
    _store(engine, [LATE_REPLY, replace(OWN_POST, metrics=Metrics(likes=50))])


def test_previous_week_is_the_one_its_report_showed(weeks, tmp_path):
    clock = ManualClock(W47_RUN)
    svc = services(weeks, tmp_path, clock)
    w47 = run_weekly_report(svc, "2026-W47")
    assert w47.summary["kpis"]["tasa_respuesta"] == 0.5 and w47.summary["kpis"]["interacciones"] == 10
    _later_data(weeks)
    clock.set(W48_RUN)
    w48 = run_weekly_report(svc, "2026-W48")
    assert w48.summary["previous"]["tasa_respuesta"] == 0.5  # as reported, not 1.0 recomputed today
    assert w48.summary["previous"]["interacciones"] == 10  # the counter as it stood, not 50
    assert w48.summary["kpis"]["tasa_respuesta"] == 1.0
    assert w48.summary["previous_source"] == "stored"
    assert w48.summary["previous_as_of"] == W47_RUN.isoformat()
    html = (w48.target / "informe-2026-W48.html").read_text(encoding="utf-8")
    assert "comparado con la semana 2026-W47 tal como la presentó su informe (datos al 23/11/2026 08:00)" in html
    assert "Las dos semanas se comparan con la misma madurez" in html


def test_without_a_stored_run_the_previous_week_is_recomputed_a_week_earlier(weeks, tmp_path):
    _later_data(weeks)
    w48 = run_weekly_report(services(weeks, tmp_path, ManualClock(W48_RUN)), "2026-W48")
    # as of 23/11 08:00 (30/11 − 7 days): q2's reply of 24/11 was not known yet
    assert w48.summary["previous"]["tasa_respuesta"] == 0.5
    assert w48.summary["previous"]["mediana_primera_respuesta_h"] == pytest.approx(72.0)
    assert w48.summary["previous"]["interacciones"] == 50  # counters are not versioned: the last reading
    assert w48.summary["previous_source"] == "recomputed"
    html = (w48.target / "informe-2026-W48.html").read_text(encoding="utf-8")
    assert "recalculada con los datos conocidos al 23/11/2026 08:00" in html


def test_a_rerun_gives_the_figures_it_gave_then_unless_forced(weeks, tmp_path):
    clock = ManualClock(W47_RUN)
    svc = services(weeks, tmp_path, clock)
    first = run_weekly_report(svc, "2026-W47")
    _later_data(weeks)
    clock.set(datetime(2026, 12, 10, 9, tzinfo=BOGOTA))
    again = run_weekly_report(svc, "2026-W47", out_dir=tmp_path / "otra")  # files missing there: rebuilt
    assert again.built
    assert again.summary["kpis"] == first.summary["kpis"] and again.summary["as_of"] == first.summary["as_of"]
    assert _kpis(again.target) == _kpis(first.target)
    html = (again.target / "informe-2026-W47.html").read_text(encoding="utf-8")
    assert "Informe regenerado" in html and "use --force" in html
    forced = run_weekly_report(svc, "2026-W47", force=True)
    assert forced.summary["kpis"]["tasa_respuesta"] == 1.0 and forced.summary["kpis"]["interacciones"] == 50
    assert forced.summary["as_of"] == datetime(2026, 12, 10, 9, tzinfo=BOGOTA).isoformat()
    with UnitOfWork(weeks) as uow:
        assert uow.session.get(ReportRunRow, "2026-W47").summary["kpis"]["tasa_respuesta"] == 1.0

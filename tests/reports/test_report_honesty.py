"""Weeks with no data or partial data give honest reports: they say what is missing, never invent figures."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from bot.config import business_calendar
from bot.reports.model import build_report, week_period
from bot.reports.weekly import run_weekly_report
from storage.models import OpsProblemRow
from storage.unit_of_work import UnitOfWork
from tests.reports.conftest import MONDAY_AFTER
from tests.reports.sample_data import SAMPLE_WEEK, sample_posts, services, store

BOGOTA = ZoneInfo("America/Bogota")


def test_a_week_without_data(engine, tmp_path):
    svc = services(engine, tmp_path, ManualClock(MONDAY_AFTER))
    outcome = run_weekly_report(svc, SAMPLE_WEEK)
    html = (outcome.target / f"informe-{SAMPLE_WEEK}.html").read_text(encoding="utf-8")
    assert "No hay publicaciones almacenadas para la semana 2026-W47" in html
    assert "La base de datos aún no tiene publicaciones" in html
    assert "<img" not in html and 'id="indicadores"' not in html  # no charts or tables of zeros
    with (outcome.target / "indicadores_clave.csv").open(encoding="utf-8-sig") as fh:
        rows = {r["Indicador"]: r for r in csv.DictReader(fh)}
    assert rows["Tasa de respuesta"]["Esta semana"] == ""  # unknown, not 0 %
    assert rows["Tono negativo"]["Esta semana"] == ""
    assert outcome.summary["has_data"] is False


def test_a_week_outside_the_stored_data_says_where_the_data_is(engine, tmp_path):
    store(engine, sample_posts()[:50])
    svc = services(engine, tmp_path, ManualClock(datetime(2026, 12, 7, 13, tzinfo=UTC)))
    outcome = run_weekly_report(svc, "2026-W49")
    html = (outcome.target / "informe-2026-W49.html").read_text(encoding="utf-8")
    assert "No hay publicaciones almacenadas para la semana 2026-W49" in html
    assert "La base de datos tiene publicaciones del 16/11/2026 al 16/11/2026" in html


def test_a_connector_down_for_a_day_is_reported(engine, tmp_path):
    posts = [p for p in sample_posts()[::4]  # a quarter of the week keeps every platform busy every day
             if not (p.platform == "instagram" and p.created_at.astimezone(BOGOTA).date().isoformat() == "2026-11-17")]
    store(engine, posts)
    with UnitOfWork(engine) as uow:
        uow.session.add(OpsProblemRow(
            key="connector:instagram:comments:mintic_colombia", message="HTTP 500 de la Graph API", fatal=False,
            opened_at=datetime(2026, 11, 17, 5, tzinfo=UTC), last_seen_at=datetime(2026, 11, 18, 5, tzinfo=UTC),
            resolved_at=datetime(2026, 11, 18, 5, tzinfo=UTC), failures=96))
        uow.commit()
    svc = services(engine, tmp_path, ManualClock(MONDAY_AFTER))
    with UnitOfWork(engine) as uow:
        report = build_report(uow.session, week_period(SAMPLE_WEEK, BOGOTA), MONDAY_AFTER,
                              business_calendar(svc.config))
    [gap] = report.gaps()
    assert (gap.day.isoformat(), gap.platform, gap.posts) == ("2026-11-17", "instagram", 0)
    outcome = run_weekly_report(svc, SAMPLE_WEEK)
    html = (outcome.target / f"informe-{SAMPLE_WEEK}.html").read_text(encoding="utf-8")
    assert "Sin datos de Instagram el martes 17 de noviembre: posible falla de recolección" in html
    assert "Falla de recolección en «instagram:comments:mintic_colombia» desde el mar 17/11 00:00 hasta el " \
           "mié 18/11 00:00 (96 intentos fallidos)" in html
    with (outcome.target / "cobertura_datos.csv").open(encoding="utf-8-sig") as fh:
        tuesday = next(r for r in csv.DictReader(fh) if r["Fecha"] == "2026-11-17")
    assert tuesday["Instagram"] == "0" and "Instagram: sin datos" in tuesday["Observación"]
    assert outcome.summary["gaps"] == [{"day": "2026-11-17", "platform": "instagram", "posts": 0}]


def test_unanalysed_posts_are_counted_but_not_guessed(engine, tmp_path):
    posts = sample_posts()[::4]
    store(engine, posts, analyses={})  # stored, nothing analysed yet
    svc = services(engine, tmp_path, ManualClock(MONDAY_AFTER))
    outcome = run_weekly_report(svc, SAMPLE_WEEK)
    html = (outcome.target / f"informe-{SAMPLE_WEEK}.html").read_text(encoding="utf-8")
    citizens = sum(not p.is_own for p in posts)
    assert f"{citizens:,}".replace(",", ".") + " publicaciones ciudadanas aún no tienen análisis" in html
    assert outcome.summary["kpis"]["tono_negativo"] is None and outcome.summary["kpis"]["tasa_respuesta"] is None

"""The 12-week trend of the key indicators: chart and tendencia_semanal.csv, each week at its own maturity,
weeks without data shown as such (never zeros). On SQLite and PostgreSQL.

Report of W48 (23–29/11/2026, Bogotá) built on Monday 30/11 08:00; the trend covers W37–W48.
- W45 (02–08/11), no stored report: recomputed as of 30/11 − 3 weeks = 09/11 08:00. Citizens: c45a peticion
  negative (answered after 2 h), c45b peticion negative (answered 17/11: unknown on 09/11), c45c felicitacion
  positive. Own post with 7 likes. → 3 mentions, 7 interactions, 2/3 negative, 2 PQRSD, 50 %, median 2 h.
- W46: nothing stored. W37–W44: nothing stored.
- W47 (16–22/11), its report built on 23/11 08:00: c47 peticion neutral answered after 24 h; own post with 5
  likes (read again later with 99), the late reply to c45b. → 1, 5, 0 %, 1, 100 %, 24 h as reported.
- W48: c48a queja negative without answer, c48b otro neutral → 2, 0, 50 %, 1, 0 %, no median.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.clock import ManualClock
from bot.reports.charts import weekly_trend
from bot.reports.weekly import run_weekly_report
from domain import Metrics, Platform, PostKind, TextAnalysis
from tests.reports.sample_data import services, store
from tests.reports.test_indicators_sql import post

BOGOTA = ZoneInfo("America/Bogota")
X = Platform.X
M, R, OWN = PostKind.MENTION, PostKind.REPLY, PostKind.OWN_POST


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BOGOTA)


OWN_47 = post("own47", X, OWN, at(2026, 11, 17, 8), own=True, metrics=Metrics(likes=5))
POSTS = [
    post("own45", X, OWN, at(2026, 11, 4, 9), own=True, metrics=Metrics(likes=7)),
    post("c45a", X, M, at(2026, 11, 3, 10), author="a"),
    post("r45a", X, R, at(2026, 11, 3, 12), own=True, reply_to="c45a"),
    post("c45b", X, M, at(2026, 11, 4, 10), author="b"),
    post("c45c", X, M, at(2026, 11, 5, 10), author="c"),
    OWN_47,
    post("r45b", X, R, at(2026, 11, 17, 9), own=True, reply_to="c45b"),
    post("c47", X, M, at(2026, 11, 17, 10), author="d"),
    post("r47", X, R, at(2026, 11, 18, 10), own=True, reply_to="c47"),
    post("c48a", X, M, at(2026, 11, 24, 10), author="e"),
    post("c48b", X, M, at(2026, 11, 25, 10), author="f"),
]
LABELS = {"c45a": ("negative", "peticion"), "c45b": ("negative", "peticion"), "c45c": ("positive", "felicitacion"),
          "c47": ("neutral", "peticion"), "c48a": ("negative", "queja"), "c48b": ("neutral", "otro")}
ANALYSES = {(str(p.platform), p.external_id):
            TextAnalysis("es", LABELS.get(p.external_id, ("neutral",))[0], 0.0,
                         LABELS.get(p.external_id, ("", "otro"))[1]) for p in POSTS}
COLUMNS = ("Menciones y comentarios recibidos", "Interacciones registradas", "Tono negativo (%)",
           "PQRSD recibidas", "Tasa de respuesta (%)", "Mediana de primera respuesta (h)")


@pytest.fixture
def w48(engine, tmp_path):
    store(engine, POSTS, ANALYSES)
    clock = ManualClock(at(2026, 11, 23, 8))
    svc = services(engine, tmp_path, clock)
    run_weekly_report(svc, "2026-W47")
    store(engine, [replace(OWN_47, metrics=Metrics(likes=99))], {})  # a later reading of the counter
    clock.set(at(2026, 11, 30, 8))
    return run_weekly_report(svc, "2026-W48")


def test_trend_csv_has_each_week_at_its_own_maturity_and_gaps_as_gaps(w48):
    with (w48.target / "tendencia_semanal.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = {row["Semana ISO"]: row for row in csv.DictReader(fh)}
    assert list(rows) == [f"2026-W{n}" for n in range(37, 49)]
    assert rows["2026-W37"]["Desde"] == "2026-09-07" and rows["2026-W48"]["Hasta"] == "2026-11-29"
    figures = {week: tuple(row[c] for c in COLUMNS) for week, row in rows.items()}
    assert figures["2026-W45"] == ("3", "7", "66.67", "2", "50.0", "2.0")  # recomputed as of 09/11 08:00
    assert figures["2026-W47"] == ("1", "5", "0.0", "1", "100.0", "24.0")  # as its report gave it
    assert figures["2026-W48"] == ("2", "0", "50.0", "1", "0.0", "")
    for week in [f"2026-W{n}" for n in (*range(37, 45), 46)]:
        assert figures[week] == ("",) * 6 and rows[week]["Datos"] == "sin datos almacenados"  # not zeros
    assert rows["2026-W45"]["Datos"] == "recalculado (datos al 09/11/2026 08:00)"
    assert rows["2026-W47"]["Datos"] == "informe (datos al 23/11/2026 08:00)"


def test_trend_chart_is_in_the_html(w48):
    html = (w48.target / "informe-2026-W48.html").read_text(encoding="utf-8")
    assert '<section id="tendencia">' in html and "Tendencia de las últimas 12 semanas" in html
    match = re.search(r'<figure class="chart" id="grafico-tendencia_semanal">.*?<img src="data:image/png;base64,'
                      r'([^"]+)" alt="([^"]+)"', html, re.S)
    assert match is not None
    image = Image.open(io.BytesIO(base64.b64decode(match.group(1))))
    image.verify()
    assert image.size[0] >= 900
    assert "9 semanas sin datos almacenados aparecen sombreadas y sin punto (no como cero)" in match.group(2)
    assert "de 2026-W37 a 2026-W48" in match.group(2)
    assert "nunca como cero" in html  # the definition


def test_no_trend_chart_with_a_single_week_of_data(sample_report):
    html = (sample_report.target / "informe-2026-W47.html").read_text(encoding="utf-8")
    assert 'id="grafico-tendencia_semanal"' not in html
    section = html.split('<section id="tendencia">')[1].split("</section>")[0]
    assert "Sin datos suficientes para este gráfico" in section


def test_weeks_without_data_are_not_drawn_as_zeros(w48, engine, monkeypatch):
    """The chart gets NaN (a gap in the line) for weeks without data, never 0."""
    from bot.reports import charts as report_charts
    from bot.reports.model import build_report, week_period
    from domain.business_calendar import BusinessCalendar
    from storage.models import ReportRunRow
    from storage.unit_of_work import UnitOfWork

    with UnitOfWork(engine) as uow:
        history = {row.week: row.summary for row in uow.session.query(ReportRunRow)}
        r = build_report(uow.session, week_period("2026-W48", BOGOTA), at(2026, 11, 30, 8), BusinessCalendar(BOGOTA),
                         previous_summary=history["2026-W47"], history=history)
    assert [w.source for w in r.trend] == ["none"] * 8 + ["recomputed", "none", "stored", "recomputed"]
    plotted: list[list[float]] = []
    original = report_charts.Figure.subplots

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        axes = original(self, *args, **kwargs)
        for ax in axes.flat:
            def record(*a, _real=ax.plot, **k):  # type: ignore[no-untyped-def]
                plotted.append(list(a[1]))
                return _real(*a, **k)

            ax.plot = record
        return axes

    monkeypatch.setattr(report_charts.Figure, "subplots", spy)
    assert weekly_trend(r) is not None
    mentions = plotted[0]  # first panel, its line
    assert len(mentions) == 12 and (mentions[8], mentions[10], mentions[11]) == (3.0, 1.0, 2.0)  # W45, W47, W48
    assert all(v != v for i, v in enumerate(mentions) if i not in (8, 10, 11))  # NaN: no data, not 0

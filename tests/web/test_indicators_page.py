"""The indicators page and the weekly report give the same number for the same week (issue 13, item 3).

The page's figures are read from the rendered HTML and compared with the report's own computation
(`bot.reports.model.period_figures` over `storage/indicators.py`) on the same seeded data, on SQLite and on
PostgreSQL. A page that counted with a query of its own and a different definition (unique citizens across
platforms, replies counted as own posts, other PQRSD categories, replies not yet known…) fails here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from analyzers.indicators import hours
from analyzers.settings import topic_name
from bot import labels
from bot.config import Config, business_calendar
from bot.reports.model import PeriodFigures, period_figures, week_period
from bot.web.indicators import week_figures
from bot.web.templating import WEEKDAYS_ES, number, percent
from domain import CATEGORIES, SENTIMENTS, Metrics, Platform, PostKind
from storage.unit_of_work import UnitOfWork
from tests.web.helpers import NOW, Seeded, analyse, analysis, citizen

WEEK = "2026-W47"  # NOW is its Friday


def _add_week(engine: Engine) -> None:
    """Posts that tell the old page's definitions from the report's, on top of the web seed."""
    x_post = replace(citizen(101, "Nueva convocatoria Talento TI", minutes_ago=60 * 50, own=True),
                     kind=PostKind.OWN_POST, metrics=Metrics(likes=10, reposts=2, replies=1, impressions=500))
    fb_post = replace(citizen(102, "Así avanza la conectividad rural", minutes_ago=60 * 30, own=True,
                              platform=Platform.FACEBOOK, account="MinTICColombia"),
                      kind=PostKind.OWN_POST, metrics=Metrics(reactions=7, comments=3, shares=1))
    # The ministry answers the seeded Facebook question (w-3) a day later; the reply has interactions too.
    answer = replace(citizen(103, "Hola, la inscripción está en talentoti.gov.co", minutes_ago=60 * 48,
                             own=True, reply_to="w-3", conversation="w-3", platform=Platform.FACEBOOK,
                             account="MinTICColombia"), metrics=Metrics(reactions=4))
    # One citizen id on two platforms: two people for the report (author ids are per platform).
    same_x = replace(citizen(104, "Sin internet en el colegio", minutes_ago=60 * 20), author_id="a-shared")
    same_fb = replace(citizen(105, "Sigue sin internet el colegio", minutes_ago=60 * 19, platform=Platform.FACEBOOK,
                              account="MinTICColombia"), author_id="a-shared")
    suggestion = citizen(106, "Sugiero abrir más cupos de formación", minutes_ago=60 * 5)
    unanalysed = citizen(107, "Recién llegado, sin analizar", minutes_ago=3)
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        ids = {p.external_id: uow.posts.upsert([p]).new_ids[0]
               for p in (x_post, fb_post, answer, same_x, same_fb, suggestion, unanalysed)}
        analyse(uow, [(ids["w-104"], analysis("queja", "negative", ("conectividad",))),
                      (ids["w-105"], analysis("queja", "negative", ("conectividad",), ("outage",))),
                      (ids["w-106"], analysis("sugerencia", "positive", ("formacion",)))])
        uow.commit()


def _report(engine: Engine) -> PeriodFigures:
    config = Config()
    with Session(engine) as session:
        return period_figures(session, week_period(WEEK, config.tz), NOW, business_calendar(config))


def _kpis(page: str) -> dict[str, str]:
    found = re.findall(r'<span class="kpi-value">(.*?)</span><span class="kpi-label">(.*?)</span>', page)
    return {html.unescape(re.sub(r" \(\d+ de \d+\)", "", label)): html.unescape(value) for value, label in found}


def _bars(page: str, title: str) -> dict[str, str]:
    """label → value of one SVG bar chart of the page (hbars and columns draw the same texts)."""
    svg = page.split(f'aria-label="{title}"', 1)[1].split("</svg>", 1)[0]
    vals = re.findall(r'class="val">([^<]*)</text>', svg)
    names = re.findall(r'class="lbl">([^<]*)</text>', svg)
    return {html.unescape(n): v for n, v in zip(names, vals, strict=True)}


@pytest.fixture
def page(engine: Engine, seeded_any: Seeded, client_any: Callable[[str], object]) -> str:
    _add_week(engine)
    response = client_any("viewer").get(f"/indicators?semana={WEEK}")  # type: ignore[attr-defined]
    assert response.status_code == 200
    return str(response.text)


def test_the_page_shows_the_reports_key_figures(engine: Engine, page: str) -> None:
    report = _report(engine)
    kpis = _kpis(page)
    median = hours(report.responses.median_s)
    assert kpis == {
        "menciones y comentarios recibidos": number(report.citizen_posts),
        "ciudadanos únicos (por plataforma)": number(report.unique_citizens),
        "publicaciones propias": number(report.own_posts),
        "respuestas del ministerio": number(report.own_replies),
        "interacciones registradas (publicaciones y respuestas del ministerio)": number(report.interactions),
        "PQRSD respondidas por una cuenta del ministerio": percent(report.responses.rate),
        "mediana de primera respuesta": "—" if median is None else f"{number(median, 1)} h",
    }
    assert f"({report.responses.answered} de {report.responses.received})" in page
    # The data set tells the old page's definitions apart: one author on two platforms is two citizens
    # (the old page said 7), the ministry's reply is not an own post (it said 3 own posts), and the
    # reply's interactions are registered interactions.
    assert (report.unique_citizens, report.own_posts, report.own_replies) == (8, 2, 1)
    assert report.interactions == 10 + 2 + 1 + 7 + 3 + 1 + 4
    assert (report.responses.received, report.responses.answered) == (5, 1)


def test_the_page_charts_show_the_reports_breakdowns(engine: Engine, page: str) -> None:
    report = _report(engine)
    days = report.period.days
    per_day = report.daily(lambda r: r.posts, own=False)
    expected_days = {f"{WEEKDAYS_ES[d.weekday()]} {d.day}": number(sum(n for (i, _), n in per_day.items() if i == k))
                     for k, d in enumerate(days)}
    assert _bars(page, "Publicaciones por día") == expected_days
    categories = report.categories()
    assert _bars(page, "Publicaciones por categoría") == {
        labels.label(labels.CATEGORY_ES, c): number(categories.get(c, 0)) for c in CATEGORIES}
    assert _bars(page, "Temas principales") == {topic_name(k): number(v) for k, v in report.topics().items()}
    assert _bars(page, "Publicaciones con alerta") == {
        labels.label(labels.FLAG_ES, k): number(v) for k, v in report.flags().items()}
    sentiment = report.sentiment()
    legend = page.split('aria-label="Distribución del sentimiento"', 1)[1].split("</ul>", 1)[0]
    for s in SENTIMENTS:
        assert f"{labels.SENTIMENT_ES[s]} {number(sentiment.get(s, 0))}</li>" in legend
    assert f"{number(sentiment['sin_analizar'])} sin analizar" in page
    by_platform = {p: sum(r.posts for r in report.citizen if r.platform == p) for p in ("x", "facebook")}
    for p, n in by_platform.items():
        assert f"{labels.label(labels.PLATFORM_ES, p)}: {number(n)} ciudadanas" in page


def test_week_figures_are_the_reports_on_any_week(engine: Engine, seeded_any: Seeded) -> None:
    """Every figure of the page's model, for the seeded week and the one before (with the seeded reply)."""
    _add_week(engine)
    config = Config()
    calendar = business_calendar(config)
    for label in (WEEK, "2026-W46"):
        period = week_period(label, config.tz)
        with Session(engine) as session:
            report = period_figures(session, period, NOW, calendar)
            week = week_figures(session, period.start.date(), calendar, NOW)
        assert week.citizen_posts == report.citizen_posts
        assert week.unique_citizens == report.unique_citizens
        assert (week.own_posts, week.own_replies) == (report.own_posts, report.own_replies)
        assert week.interactions == report.interactions
        assert week.citizen_by_platform == {
            p: n for p, n in report._sum(report.citizen, lambda r: r.platform, lambda r: r.posts).items()}
        assert week.interactions_by_platform == {
            p: n for p, n in report._sum(report.own, lambda r: r.platform, lambda r: r.interactions).items() if n}
        sentiment = report.sentiment()
        assert week.unanalysed == sentiment.pop("sin_analizar", 0)
        assert week.sentiment == dict(sentiment)
        assert week.categories == dict(report.categories())
        assert week.topics == report.topics() and week.flags == report.flags()
        assert week.responses == report.responses
        assert week.days == period.days
        assert sum(week.citizen_per_day) == report.citizen_posts


def test_replies_after_the_pages_moment_are_not_counted_yet(engine: Engine, seeded_any: Seeded) -> None:
    """As in the report: a reply counts once it exists at the page's moment (`as_of`), not before."""
    config = Config()
    calendar = business_calendar(config)
    monday = week_period("2026-W46", config.tz).start.date()
    with Session(engine) as session:
        before = week_figures(session, monday, calendar, NOW - timedelta(days=8, hours=1))
        after = week_figures(session, monday, calendar, NOW)
    assert (before.responses.received, before.responses.answered) == (1, 0)
    assert (after.responses.received, after.responses.answered) == (1, 1)

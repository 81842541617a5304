"""Read-only pages: crisis incidents, this week's indicators, and the learning loop."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from analyzers.settings import topic_name
from bot import labels
from bot.alerts.spike_keys import describe_key
from bot.web import charts
from bot.web.auth import Viewer
from bot.web.context import get_db, render, web
from bot.web.indicators import week_figures
from bot.web.inputs import MAX_DAY, MIN_DAY, PathId, week_param
from bot.web.templating import WEEKDAYS_ES
from domain import CATEGORIES, SENTIMENTS
from storage.inbox_filters import InboxFilters
from storage.inbox_queries import InboxRepository
from storage.indicators import stored_span
from storage.insights import IncidentQueries, LearningQueries

router = APIRouter()
LEARNING_WEEKS = 8


@router.get("/incidents")
def incidents(request: Request, user: Viewer, db: Annotated[Session, Depends(get_db)]) -> Response:
    rows = IncidentQueries(db).recent()
    return render(request, "incidents.html", {"user": user, "incidents": rows})


@router.get("/incidents/{incident_id}")
def incident(request: Request, incident_id: PathId, user: Viewer, db: Annotated[Session, Depends(get_db)]) -> Response:
    ctx = web(request)
    queries = IncidentQueries(db)
    found = queries.get(incident_id)
    if found is None:
        raise HTTPException(404, "Ese incidente no existe.")
    end = found.closed_at or ctx.clock()
    start = found.opened_at - timedelta(hours=3)
    end = end + timedelta(hours=2)
    series = queries.series(found.keys, start, end)
    tz = ctx.config.tz
    chart = charts.lines(series, {k: describe_key(k) for k in found.keys}, start, end,
                         lambda t: f"{WEEKDAYS_ES[t.astimezone(tz).weekday()]} {t.astimezone(tz):%H:%M}")
    repo = InboxRepository(db)
    scope = repo.incident_scope(incident_id)
    posts = repo.page(InboxFilters(state="all", incident=scope), limit=30)
    return render(request, "incident.html", {
        "user": user, "incident": found, "timeline": queries.timeline(incident_id), "chart": chart,
        "posts": posts.rows,
    })


def _week_bounds(label: str | None, latest: datetime | None, now: datetime, tz: Any) -> tuple[str, datetime]:
    """The ISO week asked for, else the week of the newest post (the current one while data flows in)."""
    monday = week_param(label or "")
    if monday is None:
        ref = now if latest is None or latest > now else latest
        year, week, _ = ref.astimezone(tz).isocalendar()
        monday = date.fromisocalendar(year, week, 1)
    return _week_label(monday), datetime.combine(monday, time(0), tzinfo=tz)


def _week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _neighbour_week(start: datetime, weeks: int) -> str | None:
    """The label of the week `weeks` away, if the indicators page can show it."""
    monday = start.date() + timedelta(weeks=weeks)
    return _week_label(monday) if MIN_DAY <= monday <= MAX_DAY else None


@router.get("/indicators")
def indicators(request: Request, user: Viewer, db: Annotated[Session, Depends(get_db)],
               semana: str | None = None) -> Response:
    ctx = web(request)
    tz = ctx.config.tz
    now = ctx.clock()
    label, start = _week_bounds(semana, stored_span(db)[1], now, tz)
    week = week_figures(db, start.date(), ctx.calendar, now)
    per_day = charts.columns([(f"{WEEKDAYS_ES[d.weekday()]} {d.day}", n)
                              for d, n in zip(week.days, week.citizen_per_day, strict=True)], css="c-day")
    cats = charts.hbars([(labels.label(labels.CATEGORY_ES, c), week.categories.get(c, 0)) for c in CATEGORIES],
                        css="c-cat")
    topics = charts.hbars([(topic_name(k), v) for k, v in list(week.topics.items())[:10]], css="c-topic")
    flags = charts.hbars([(labels.label(labels.FLAG_ES, f), n) for f, n in week.flags.items()], css="c-flag")
    sentiment = charts.shares([(labels.SENTIMENT_ES[s], week.sentiment.get(s, 0), f"c-{s}") for s in SENTIMENTS])
    return render(request, "indicators.html", {
        "user": user, "week": week, "week_label": label, "last_day": week.end - timedelta(days=1),
        "per_day": per_day, "cats": cats, "topics": topics,
        "flags": flags, "sentiment": sentiment,
        "prev_week": _neighbour_week(start, -1), "next_week": _neighbour_week(start, 1),
    })


@router.get("/learning")
def learning(request: Request, user: Viewer, db: Annotated[Session, Depends(get_db)]) -> Response:
    ctx = web(request)
    now = ctx.clock()
    since = now - timedelta(weeks=LEARNING_WEEKS)
    queries = LearningQueries(db)
    weeks = queries.agreement_by_week(since, ctx.config.tz)
    chart = charts.columns([(w.week.split("-")[1], round(100 * (w.category_agreement or 0))) for w in weeks],
                           css="c-agree")
    return render(request, "learning.html", {
        "user": user, "weeks": weeks, "chart": chart, "available": queries.corrections_available(),
        "versions": queries.analyzer_versions(since), "learning_weeks": LEARNING_WEEKS,
    })

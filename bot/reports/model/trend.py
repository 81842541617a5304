"""The trend: a few key indicators over the last weeks, each week at the maturity of its own report."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from analyzers.indicators import QUESTION_CATEGORIES, hours, ratio, response_stats
from bot.reports.model.periods import Period
from bot.reports.model.report import TrendWeek, WeeklyReport
from storage import indicators as q

TREND_WEEKS = 12  # weeks in the trend chart and tendencia_semanal.csv, the reported one included
# Key indicators followed over the last weeks (keys of `WeeklyReport.kpis`).
TREND_KEYS: tuple[str, ...] = ("menciones_recibidas", "interacciones", "tono_negativo", "pqrsd_con_respuesta",
                               "tasa_respuesta", "mediana_primera_respuesta_h")


def _stored_week(period: Period, summary: Mapping[str, Any] | None) -> TrendWeek | None:
    if not summary or not summary.get("has_data") or not summary.get("kpis") or not summary.get("as_of"):
        return None
    kpis = summary["kpis"]
    return TrendWeek(period, "stored", datetime.fromisoformat(summary["as_of"]), {k: kpis.get(k) for k in TREND_KEYS})


def build_trend(session: Session, report: WeeklyReport, history: Mapping[str, Mapping[str, Any]],
                weeks: int = TREND_WEEKS) -> list[TrendWeek]:
    """The key indicators of the last `weeks` periods, oldest first, each at the maturity of its own report.

    This period and the previous one are the report's own figures (kpis). An earlier week is taken from its
    stored report (`history[label]`, its report_runs.summary) when there is one with data; otherwise it is
    recomputed as of this report's moment minus 7 days per week back (one pass over the posts of the weeks
    to recompute). A week with no stored posts has no figures (source "none"), never zeros.
    """
    kpis = {k.key: k for k in report.kpis()}
    periods = [report.period]
    for _ in range(max(weeks, 2) - 1):
        periods.append(periods[-1].previous())
    shift = report.period.end - report.period.start
    out: dict[int, TrendWeek] = {
        0: TrendWeek(report.period, "recomputed" if report.frozen is None else "stored", report.as_of,
                     {k: kpis[k].current for k in TREND_KEYS}) if report.has_data else
        TrendWeek(report.period, "none", report.as_of, {}),
    }
    prev_values = {k: kpis[k].previous for k in TREND_KEYS}
    if report.previous_source == "stored" and any(v is not None for v in prev_values.values()):
        out[1] = TrendWeek(report.previous, "stored", report.previous_reported_at, prev_values)
    elif report.has_previous:
        out[1] = TrendWeek(report.previous, "recomputed", report.previous_reported_at, prev_values)
    else:
        out[1] = TrendWeek(report.previous, "none", report.previous_reported_at, {})
    todo = []
    for i in range(2, len(periods)):
        stored = _stored_week(periods[i], history.get(periods[i].label))
        if stored is not None:
            out[i] = stored
        else:
            todo.append(i)
    if todo:
        first, last = periods[max(todo)], periods[min(todo)]
        hull = Period("trend", first.start, last.end)
        day_ranges = hull.day_ranges()
        week_of_day = {}
        for i in todo:
            offset = (periods[i].start.date() - hull.start.date()).days
            week_of_day.update({offset + d: i for d in range(len(periods[i].days))})
        activity = q.activity_by_day(session, day_ranges)
        timings = q.question_timings(session, hull.utc_start, hull.utc_end, QUESTION_CATEGORIES)
        for i in todo:
            rows = [r for r in activity if week_of_day.get(r.day) == i]
            week = periods[i]
            if not rows:
                out[i] = TrendWeek(week, "none", None, {})
                continue
            at = report.as_of - shift * i
            citizen = [r for r in rows if not r.is_own]
            analysed = sum(r.posts for r in citizen if r.sentiment is not None)
            lo, hi = week.utc_start.timestamp(), week.utc_end.timestamp()
            idx = [j for j, t in enumerate(timings.received) if lo <= t < hi]
            stats = response_stats([timings.received[j] for j in idx], [timings.first_reply[j] for j in idx],
                                   [timings.categories[j] for j in idx], at, report.calendar)
            out[i] = TrendWeek(week, "recomputed", at, {
                "menciones_recibidas": sum(r.posts for r in citizen),
                "interacciones": sum(r.interactions for r in rows if r.is_own),
                "tono_negativo": ratio(sum(r.posts for r in citizen if r.sentiment == "negative"), analysed),
                "pqrsd_con_respuesta": stats.received,
                "tasa_respuesta": stats.rate,
                "mediana_primera_respuesta_h": hours(stats.median_s),
            })
    return [out[i] for i in reversed(range(len(periods)))]


def trend_source_text(week: TrendWeek, tz: Any) -> str:
    """Where a trend week's figures come from, in Spanish."""
    when = f"{week.as_of.astimezone(tz):%d/%m/%Y %H:%M}" if week.as_of else ""
    if week.source == "none":
        return "sin datos almacenados"
    if week.source == "stored":
        return f"informe (datos al {when})"
    return f"recalculado (datos al {when})"

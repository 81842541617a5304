"""`build_report`: run the report's queries for a period and the one before it, and gather a `WeeklyReport`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from analyzers.indicators import QUESTION_CATEGORIES, deadline_days
from bot.reports.model.audience import TOP_AUTHORS, TOP_AUTHORS_PER_SEGMENT, account_followers
from bot.reports.model.campaigns import campaign_section
from bot.reports.model.figures import PeriodFigures, period_figures
from bot.reports.model.periods import Period
from bot.reports.model.regions import region_section
from bot.reports.model.report import WeeklyReport
from bot.reports.model.trend import TREND_WEEKS, build_trend
from domain.business_calendar import BusinessCalendar
from storage import audience_indicators as aq
from storage import indicators as q
from storage import region_indicators as rq

PENDING_LOOKBACK = timedelta(days=90)  # overdue posts older than this are no longer listed
PG_WORK_MEM = "64MB"  # per sort/hash node of the report's queries, on PostgreSQL only


def _notable_posts(session: Session, figures: PeriodFigures, top: int) -> list[q.NotablePost]:
    """The most-engaged own posts, making sure each platform's best one is there (platforms differ in scale)."""
    start, end = figures.period.utc_start, figures.period.utc_end
    best = q.top_own_posts(session, start, end, top)
    platforms = sorted({r.platform for r in figures.own if r.kind == "own_post"})
    for platform in platforms:
        if not any(p.platform == platform for p in best):
            best.extend(q.top_own_posts(session, start, end, 1, platform))
    ranked = sorted(best, key=lambda p: (-p.interactions, p.created_at))
    missing = [p for p in ranked[top:] if not any(b.platform == p.platform for b in ranked[:top])]
    return ranked[: top - len(missing)] + missing if missing else ranked[:top]


def build_report(session: Session, period: Period, as_of: datetime, calendar: BusinessCalendar, *,
                 top: int = 10,
                 previous_summary: Mapping[str, Any] | None = None,
                 frozen: Mapping[str, Any] | None = None,
                 history: Mapping[str, Mapping[str, Any]] | None = None,
                 trend_weeks: int = TREND_WEEKS,
                 segments: Sequence[tuple[str, str]] = ()) -> WeeklyReport:
    """Gather every figure of `period` (and the previous period) known at `as_of`.

    The previous period is compared at equal maturity: with `previous_summary` (its report_runs.summary,
    when its report was built and had data) its key figures are the ones that report gave, and its tables
    are recomputed as of that report's moment; without, everything is recomputed as of `as_of` − 7 days.
    `frozen` (this period's own stored summary) re-runs a report with the figures it gave then: its moment
    and its key figures (counters are not versioned, so only the stored figures can be reproduced exactly).
    `history` (stored summaries by week label) feeds the trend of the last `trend_weeks` weeks.
    `segments`: the configured audience segments as (id, label) pairs, in the order the report shows them.
    """
    if frozen is not None:
        as_of = datetime.fromisoformat(frozen["as_of"])
    if previous_summary is not None and not (previous_summary.get("has_data") and previous_summary.get("kpis")
                                             and previous_summary.get("as_of")):
        previous_summary = None
    shift = period.end - period.start
    previous_as_of = as_of - shift
    if frozen is not None and frozen.get("previous_as_of"):
        previous_as_of = datetime.fromisoformat(frozen["previous_as_of"])
    elif previous_summary is not None:
        previous_as_of = datetime.fromisoformat(previous_summary["as_of"])
    if session.get_bind().dialect.name == "postgresql":
        # Grouping a year of posts fits in memory (hash aggregates) instead of spilling to disk sorts;
        # SET LOCAL lasts until the end of this read-only transaction.
        session.execute(text(f"SET LOCAL work_mem = '{PG_WORK_MEM}'"))
    previous = period.previous()
    current = period_figures(session, period, as_of, calendar)
    before = period_figures(session, previous, previous_as_of, calendar)
    cutoffs = {c: calendar.overdue_before(as_of, deadline_days(c)) for c in QUESTION_CATEGORIES}
    since = as_of - PENDING_LOOKBACK
    overdue_counts, overdue_posts = q.overdue_questions(session, cutoffs, since, as_of, limit=25)
    first, last = q.stored_span(session)
    start, end = period.utc_start, period.utc_end
    report = WeeklyReport(
        period=period, previous=previous, current=current, before=before, as_of=as_of, calendar=calendar,
        top_posts=_notable_posts(session, current, top),
        threads=q.busiest_threads(session, start, end, top),
        overdue_counts=overdue_counts, overdue_posts=overdue_posts, overdue_since=since,
        problems=q.collection_problems(session, start, end),
        stored_first=first, stored_last=last,
        previous_as_of=previous_as_of, stored_previous=previous_summary, frozen=frozen,
        segment_labels=tuple(segments),
        influential=aq.influential_authors(session, start, end, {row.segment for row in current.segments},
                                           limit=TOP_AUTHORS, per_segment=TOP_AUTHORS_PER_SEGMENT),
    )
    report.campaigns = campaign_section(session, period, as_of)
    # followers: the daily snapshots of the trend's span (and a week before it, for that week's growth)
    first_day = period.days[0] - timedelta(days=7 * max(trend_weeks, 2))
    snapshots = aq.follower_snapshots(session, first_day, period.days[-1], as_of)
    report.followers = account_followers(snapshots, period, current, before, has_previous=report.has_previous)
    report.trend = build_trend(session, report, history or {}, trend_weeks)
    report.regions = region_section(rq.region_activity(session, start, end),
                                    rq.region_activity(session, previous.utc_start, previous.utc_end)
                                    if report.has_previous else None)
    return report

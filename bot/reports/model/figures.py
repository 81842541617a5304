"""One period's figures: activity, citizens, labels, response times and legal deadlines, counted once."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from analyzers.indicators import QUESTION_CATEGORIES, ResponseStats, ratio, response_stats
from bot.reports.model.deadlines import (
    DUE_SOON_BUSINESS_DAYS,
    DeadlineStats,
    Pending,
    deadline_stats,
    deadline_windows,
    pending_stats,
)
from bot.reports.model.periods import Period
from domain.business_calendar import BusinessCalendar
from storage import audience_indicators as aq
from storage import indicators as q


class ActivityTotals:
    """The ministry's and the citizens' totals of an `activity` list, by the report's definitions: shared by a
    period's figures and a campaign's (bot/reports/model/campaigns.py), so both count the same way."""

    activity: list[q.ActivityRow]

    @property
    def own(self) -> list[q.ActivityRow]:
        return [r for r in self.activity if r.is_own]

    @property
    def citizen(self) -> list[q.ActivityRow]:
        return [r for r in self.activity if not r.is_own]

    @property
    def own_posts(self) -> int:
        return sum(r.posts for r in self.own if r.kind == "own_post")

    @property
    def own_replies(self) -> int:
        return sum(r.posts for r in self.own if r.kind != "own_post")

    @property
    def interactions(self) -> int:
        """Counters of the ministry's posts and replies (the report's interactions)."""
        return sum(r.interactions for r in self.own)

    @property
    def own_post_interactions(self) -> int:
        return sum(r.interactions for r in self.own if r.kind == "own_post")


@dataclass
class PeriodFigures(ActivityTotals):
    """Everything counted for one period (from one pass over its posts plus a few small queries)."""

    period: Period
    activity: list[q.ActivityRow]
    citizens: dict[str, int]  # unique citizen authors per platform
    labels: dict[tuple[str, str], int]
    timings: q.Timings
    responses: ResponseStats
    responses_by_platform: dict[str, ResponseStats]
    responses_by_category: dict[str, ResponseStats]
    incidents: list[q.IncidentInfo] = field(default_factory=list)
    # citizen posts per (audience segment, platform); summed over segments, `authors` gives `citizens`
    segments: list[aq.SegmentRow] = field(default_factory=list)
    # legal deadlines that fell in the period (questions received earlier), and the period's own questions
    deadlines: DeadlineStats | None = None
    deadlines_by_platform: dict[str, DeadlineStats] = field(default_factory=dict)
    deadlines_by_category: dict[str, DeadlineStats] = field(default_factory=dict)
    pending: Pending | None = None
    pending_by_platform: dict[str, Pending] = field(default_factory=dict)
    pending_by_category: dict[str, Pending] = field(default_factory=dict)

    def _sum(self, rows: Iterable[q.ActivityRow], key: Any, value: Any) -> Counter[Any]:
        out: Counter[Any] = Counter()
        for r in rows:
            out[key(r)] += value(r)
        return out

    @property
    def posts(self) -> int:
        return sum(r.posts for r in self.activity)

    @property
    def citizen_posts(self) -> int:
        return sum(r.posts for r in self.citizen)

    def interactions_by_type(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for r in self.own:
            out.update(r.metrics)
        return out

    def by_account(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Per (platform, account): own posts, replies, interactions by type, audience measures, citizen posts."""
        out: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {
            "own_posts": 0, "own_replies": 0, "interactions": 0, "post_interactions": 0,
            "metrics": Counter(), "audience": {}, "citizen_posts": 0, "received": Counter(),
        })
        for r in self.activity:
            acc = out[(r.platform, r.account)]
            if r.is_own:
                acc["own_posts" if r.kind == "own_post" else "own_replies"] += r.posts
                acc["interactions"] += r.interactions
                acc["metrics"].update(r.metrics)
                if r.kind == "own_post":
                    acc["post_interactions"] += r.interactions
                    _add_audience(acc["audience"], r)
            else:
                acc["citizen_posts"] += r.posts
                acc["received"][r.kind] += r.posts
        return dict(out)

    def audience(self) -> dict[tuple[str, str], Audience]:
        """Own posts' audience per (platform, measure) the platform reported; never summed across either."""
        return own_post_audience(self.own)

    def own_post_interactions_of(self, platform: str, account: str) -> int:
        return sum(r.interactions for r in self.own if r.kind == "own_post" and (r.platform, r.account) == (
            platform, account))

    def daily(self, value: Any, *, own: bool | None = None) -> dict[tuple[int, str], int]:
        """Sum of `value(row)` per (day index, platform)."""
        rows = self.activity if own is None else (self.own if own else self.citizen)
        return dict(self._sum(rows, lambda r: (r.day, r.platform), value))

    def received_by_kind(self) -> Counter[str]:
        return self._sum(self.citizen, lambda r: r.kind, lambda r: r.posts)

    def sentiment(self) -> Counter[str]:
        """Citizen posts per sentiment ("sin_analizar" for posts without an analysis yet)."""
        return self._sum(self.citizen, lambda r: r.sentiment or "sin_analizar", lambda r: r.posts)

    def sentiment_by_day(self) -> dict[tuple[int, str], int]:
        return dict(self._sum(self.citizen, lambda r: (r.day, r.sentiment or "sin_analizar"), lambda r: r.posts))

    def categories(self) -> Counter[str]:
        return self._sum([r for r in self.citizen if r.category], lambda r: r.category, lambda r: r.posts)

    @property
    def analysed_citizen_posts(self) -> int:
        return sum(r.posts for r in self.citizen if r.sentiment is not None)

    def sentiment_share(self, sentiment: str) -> float | None:
        return ratio(self.sentiment().get(sentiment, 0), self.analysed_citizen_posts)

    @property
    def unique_citizens(self) -> int:
        return sum(self.citizens.values())

    def topics(self) -> dict[str, int]:
        return {value: n for (kind, value), n in self.labels.items() if kind == "topic"}

    def flags(self) -> dict[str, int]:
        return {value: n for (kind, value), n in self.labels.items() if kind == "flag"}

    @property
    def questions(self) -> int:
        return self.responses.received

    def incident_hours(self, as_of: datetime) -> float:
        """Hours of crisis inside the period (open incidents count until `as_of`)."""
        total = 0.0
        for inc in self.incidents:
            start = max(inc.opened_at, self.period.utc_start)
            end = min(inc.closed_at or as_of, self.period.utc_end, as_of)
            total += max((end - start).total_seconds(), 0.0) / 3600.0
        return total


@dataclass(frozen=True)
class Audience:
    """One audience measure (impressions, views or reach) of a platform's own posts in a period."""

    platform: str
    measure: str  # one of storage.indicators.AUDIENCE_MEASURES
    total: int
    posts: int  # own posts whose platform reported the measure
    interactions: int  # those posts' interactions

    @property
    def interaction_rate(self) -> float | None:
        """Interactions per impression / view / account reached, over the posts that reported the measure."""
        return ratio(self.interactions, self.total)


def own_post_audience(rows: Iterable[q.ActivityRow]) -> dict[tuple[str, str], Audience]:
    """The audience of the ministry's own posts (kind `own_post`) among `rows`, per (platform, measure)."""
    out: dict[tuple[str, str], Audience] = {}
    for r in rows:
        if r.is_own and r.kind == "own_post":
            _add_audience(out, r)
    return out


def _add_audience(out: dict[Any, Audience], r: q.ActivityRow) -> None:
    for m, posts in r.measured_posts.items():
        key = (r.platform, m)
        was = out.get(key) or Audience(r.platform, m, 0, 0, 0)
        out[key] = Audience(r.platform, m, was.total + r.measures.get(m, 0), was.posts + posts,
                            was.interactions + r.measured_interactions.get(m, 0))


def _scoped(t: q.Timings, make: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """`make(indexes)` for all posts, per platform and per category."""
    by_platform: dict[str, list[int]] = defaultdict(list)
    by_category: dict[str, list[int]] = defaultdict(list)
    for i, (platform, category) in enumerate(zip(t.platforms, t.categories, strict=True)):
        by_platform[platform].append(i)
        by_category[category].append(i)
    return (make(list(range(len(t.received)))), {k: make(v) for k, v in sorted(by_platform.items())},
            {k: make(v) for k, v in sorted(by_category.items())})


def _response_groups(t: q.Timings, key: list[str], as_of: datetime,
                     calendar: BusinessCalendar) -> dict[str, ResponseStats]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, k in enumerate(key):
        groups[k].append(i)
    return {k: response_stats([t.received[i] for i in idx], [t.first_reply[i] for i in idx],
                              [t.categories[i] for i in idx], as_of, calendar)
            for k, idx in sorted(groups.items())}


def period_figures(session: Session, period: Period, as_of: datetime, calendar: BusinessCalendar, *,
                   soon_days: int = DUE_SOON_BUSINESS_DAYS) -> PeriodFigures:
    start, end = period.utc_start, period.utc_end
    timings = q.question_timings(session, start, end, QUESTION_CATEGORIES)
    cohort = q.deadline_cohort(session, deadline_windows(calendar, start, end))
    deadlines = _scoped(cohort, lambda idx: deadline_stats(cohort, idx, as_of, calendar))
    pending = _scoped(timings, lambda idx: pending_stats(timings, idx, as_of, calendar, soon_days))
    segments = aq.segment_activity(session, start, end)
    citizens: Counter[str] = Counter()
    for row in segments:  # the same distinct authors per platform as q.unique_citizens, from this pass
        citizens[row.platform] += row.authors
    return PeriodFigures(
        period=period,
        activity=q.activity_by_day(session, period.day_ranges()),
        citizens=dict(citizens),
        segments=segments,
        labels=q.label_counts(session, start, end),
        timings=timings,
        responses=response_stats(timings.received, timings.first_reply, timings.categories, as_of, calendar),
        responses_by_platform=_response_groups(timings, timings.platforms, as_of, calendar),
        responses_by_category=_response_groups(timings, timings.categories, as_of, calendar),
        incidents=q.incidents_between(session, start, end),
        deadlines=deadlines[0], deadlines_by_platform=deadlines[1], deadlines_by_category=deadlines[2],
        pending=pending[0], pending_by_platform=pending[1], pending_by_category=pending[2],
    )

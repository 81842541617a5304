"""The figures of the indicators page: one ISO week, from the weekly report's own queries.

Every count comes from `storage/indicators.py` (the queries the weekly report runs) and the response times
from `analyzers.indicators.response_stats` (the report's arithmetic), summed the way docs/report.md defines
each indicator, so the page and the report give the same number for the same week. Only the inbox's own
figure, posts per review state, has a query of its own (`storage/insights.py`).
tests/web/test_indicators_page.py checks the page against the report's `period_figures`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from analyzers.indicators import QUESTION_CATEGORIES, ResponseStats, response_stats
from domain.business_calendar import BusinessCalendar
from storage import indicators as q
from storage.insights import review_states

OWN_POST = "own_post"  # a ministry post that is not a reply ("Publicaciones propias")


@dataclass(frozen=True)
class WeekFigures:
    start: datetime  # local midnight of the Monday, aware
    end: datetime  # the next Monday
    days: list[date]
    citizen_per_day: list[int]
    citizen_posts: int  # "Menciones y comentarios recibidos"
    unique_citizens: int  # distinct authors per platform, summed
    own_posts: int  # kind own_post
    own_replies: int  # the ministry's other posts (replies)
    interactions: int  # "Interacciones registradas": own posts and replies
    citizen_by_platform: dict[str, int]
    interactions_by_platform: dict[str, int]
    sentiment: dict[str, int]  # analysed citizen posts
    unanalysed: int  # citizen posts without an analysis yet (counted apart)
    categories: dict[str, int]
    topics: dict[str, int]  # most frequent first
    flags: dict[str, int]
    responses: ResponseStats  # questions and complaints received in the week, replies known at `as_of`
    review_states: dict[str, int] = field(default_factory=dict)

    @property
    def median_first_response_hours(self) -> float | None:
        return None if self.responses.median_s is None else self.responses.median_s / 3600.0


def local_days(monday: date, tz: object, count: int = 7) -> list[tuple[datetime, datetime]]:
    """Each local day as a UTC range built from local midnights (as the report's `Period.day_ranges`)."""
    out = []
    for i in range(count):
        day = monday + timedelta(days=i)
        start = datetime.combine(day, time(0), tzinfo=tz)  # type: ignore[arg-type]
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)  # type: ignore[arg-type]
        out.append((start.astimezone(UTC), end.astimezone(UTC)))
    return out


def _by_count(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def week_figures(session: Session, monday: date, calendar: BusinessCalendar, as_of: datetime) -> WeekFigures:
    tz = calendar.tz
    days = local_days(monday, tz)
    start, end = days[0][0], days[-1][1]
    activity = q.activity_by_day(session, days)
    citizen = [r for r in activity if not r.is_own]
    own = [r for r in activity if r.is_own]
    per_day: Counter[int] = Counter()
    by_platform: Counter[str] = Counter()
    sentiment: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for r in citizen:
        per_day[r.day] += r.posts
        by_platform[r.platform] += r.posts
        if r.sentiment is not None:
            sentiment[r.sentiment] += r.posts
        if r.category:
            categories[r.category] += r.posts
    interactions: Counter[str] = Counter()
    for r in own:
        interactions[r.platform] += r.interactions
    labels = q.label_counts(session, start, end)
    timings = q.question_timings(session, start, end, QUESTION_CATEGORIES)
    return WeekFigures(
        start=datetime.combine(monday, time(0), tzinfo=tz),
        end=datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz),
        days=[monday + timedelta(days=i) for i in range(len(days))],
        citizen_per_day=[per_day.get(i, 0) for i in range(len(days))],
        citizen_posts=sum(r.posts for r in citizen),
        unique_citizens=sum(q.unique_citizens(session, start, end).values()),
        own_posts=sum(r.posts for r in own if r.kind == OWN_POST),
        own_replies=sum(r.posts for r in own if r.kind != OWN_POST),
        interactions=sum(interactions.values()),
        citizen_by_platform=_by_count(by_platform),
        interactions_by_platform=_by_count(+interactions),
        sentiment=dict(sentiment),
        unanalysed=sum(r.posts for r in citizen if r.sentiment is None),
        categories=dict(categories),
        topics=_by_count(Counter({v: n for (kind, v), n in labels.items() if kind == "topic"})),
        flags=_by_count(Counter({v: n for (kind, v), n in labels.items() if kind == "flag"})),
        responses=response_stats(timings.received, timings.first_reply, timings.categories, as_of, calendar),
        review_states=review_states(session, start, end),
    )

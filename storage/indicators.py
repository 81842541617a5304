"""Indicator queries: aggregates of stored posts for any period, in SQL, identical on SQLite and PostgreSQL.

Local days are not computed with date functions (SQLite has no time zones, and PostgreSQL's would need the
zone's name): the caller passes each local day as a UTC range [start, end), computed with the configured
zone (so daylight saving, if a zone has it, is honoured), and the query joins posts to that small table of
ranges. Each day is then an index range scan on `ix_posts_created_at`.

Timestamps that the caller needs by the million (response times) come back as Unix seconds computed in SQL
(`epoch_seconds`), not as datetime objects, so a year of data stays cheap to fetch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    and_,
    case,
    distinct,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Select
from sqlalchemy.sql.expression import FunctionElement

from storage.models import (
    AnalysisRow,
    IncidentRow,
    OpsProblemRow,
    PostLabelRow,
    PostReviewRow,
    PostRow,
    UTCDateTime,
)

# Counters that are interactions (PRODUCT.md): X likes, reposts, replies, quotes, bookmarks; Facebook
# reactions, comments, shares; Instagram likes, comments, saves. Impressions are reach, not interactions.
INTERACTION_METRICS: tuple[str, ...] = (
    "likes", "reposts", "replies", "quotes", "bookmarks", "reactions", "comments", "shares", "saves",
)
# How many saw a post, each platform's own measure, never added together: X's impressions, Meta's views
# (Facebook and Instagram; they replaced Facebook's post_impressions, retired on 2025-11-15) and Instagram's
# reach (unique accounts). Not interactions.
AUDIENCE_MEASURES: tuple[str, ...] = ("impressions", "views", "reach")
CLOSED_REVIEW_STATES = ("attended", "not_applicable")


class epoch_seconds(FunctionElement[float]):  # lower case: reads as the SQL function it stands for
    """Unix seconds (float) of a stored UTC timestamp, on either database."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC; julianday keeps milliseconds.
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


class day_index(FunctionElement[int]):  # lower case: reads as the SQL function it stands for
    """Whole days elapsed since a Unix time (`first_midnight`), floored, for stored UTC timestamps."""

    type = Integer()
    inherit_cache = True


@compiles(day_index, "sqlite")
def _day_index_sqlite(element: day_index, compiler: Any, **kw: Any) -> str:
    column, first = list(element.clauses)
    # Non-negative inside the period, so truncation is flooring.
    return (f"CAST(((julianday({compiler.process(column, **kw)}) - 2440587.5) * 86400.0 - "
            f"{compiler.process(first, **kw)}) / 86400.0 AS INTEGER)")


@compiles(day_index, "postgresql")
def _day_index_postgresql(element: day_index, compiler: Any, **kw: Any) -> str:
    column, first = list(element.clauses)
    return (f"CAST(FLOOR((EXTRACT(EPOCH FROM {compiler.process(column, **kw)}) - "
            f"{compiler.process(first, **kw)}) / 86400.0) AS INTEGER)")


class unindexed(FunctionElement[Any]):  # lower case: reads as the SQL it stands for
    """A column that SQLite must not pick an index for (`+column`), of the column's own type; the column itself
    elsewhere (PostgreSQL plans with statistics).

    Without `ANALYZE` statistics SQLite prefers an equality index (`analyses.category IN (…)`, two thirds of
    all analyses) to the period's `created_at` range: 1.8 s instead of 0.2 s for a week of a million posts.
    The other way round, the campaign queries join posts to a few label rows: over a long period SQLite would
    walk every post of the period by `ix_posts_created_at` and probe each one's labels (10 s for a year of a
    million posts) instead of reading the campaign's label rows and fetching those posts, so there it is
    `created_at` that is unindexed.
    """

    inherit_cache = True

    def __init__(self, column: Any):
        super().__init__(column)
        self.type = column.type  # binds compared with it are processed as the column's (UTCDateTime: UTC text)


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


def engagement() -> Any:
    """Interactions of a post (SQL expression): the sum of every interaction counter the platform gave."""
    total: Any = func.coalesce(getattr(PostRow, INTERACTION_METRICS[0]), 0)
    for name in INTERACTION_METRICS[1:]:
        total = total + func.coalesce(getattr(PostRow, name), 0)
    return total


def _in_range(start: datetime, end: datetime, *, indexed: bool = True) -> Any:
    column = PostRow.created_at if indexed else unindexed(PostRow.created_at)
    return and_(column >= start, column < end)


def citizen_posts(start: datetime, end: datetime) -> tuple[Any, ...]:
    """Conditions: citizens' posts (not the ministry's) published in [start, end)."""
    return PostRow.created_at >= start, PostRow.created_at < end, PostRow.is_own == false()


def _day_table(days: Sequence[tuple[datetime, datetime]]) -> Any:
    """A derived table (idx, start, end) of local days as UTC ranges: portable SELECT … UNION ALL."""
    if not days:
        raise ValueError("at least one day is needed")
    rows = [
        select(literal(i, Integer).label("idx"), literal(s, UTCDateTime()).label("day_start"),
               literal(e, UTCDateTime()).label("day_end"))
        for i, (s, e) in enumerate(days)
    ]
    return (rows[0] if len(rows) == 1 else union_all(*rows)).subquery("days")


# --- activity ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityRow:
    """Posts of one (day, platform, account, author side, kind, sentiment, category) group."""

    day: int  # index into the days given
    platform: str
    account: str
    is_own: bool
    kind: str
    sentiment: str | None  # None: not analysed (yet)
    category: str | None
    posts: int
    metrics: Mapping[str, int] = field(default_factory=dict)  # interaction counters summed (absent: 0)
    # per audience measure (AUDIENCE_MEASURES) reported by the platform: its sum, how many posts reported it,
    # and those posts' interactions (for interactions per impression/view/reached account); absent: none did
    measures: Mapping[str, int] = field(default_factory=dict)
    measured_posts: Mapping[str, int] = field(default_factory=dict)
    measured_interactions: Mapping[str, int] = field(default_factory=dict)

    @property
    def interactions(self) -> int:
        return sum(self.metrics.values())


def uniform_days(days: Sequence[tuple[datetime, datetime]]) -> bool:
    """True when the days are consecutive and all 24 h long (no daylight-saving change inside the period)."""
    return all(e - s == timedelta(days=1) for s, e in days) and all(
        a[1] == b[0] for a, b in pairwise(days))


def activity_select(days: Sequence[tuple[datetime, datetime]], *, range_index: bool = True) -> Select[Any]:
    """The statement of `activity_by_day`: (idx, group keys, measures) per local day; callers may add a join,
    a condition and a group key (the campaign report adds its label) and read each row with `activity_row`.
    `range_index=False`: SQLite must not walk the period's posts by `ix_posts_created_at` (the caller's join
    finds fewer posts; see `unindexed`).

    With 24-hour days (any zone without a daylight-saving change in the period, e.g. Bogotá) the day is
    computed arithmetically over one range scan; otherwise posts are joined to the table of day ranges.
    """
    metric_sums = [func.sum(getattr(PostRow, m)).label(m) for m in INTERACTION_METRICS]
    # Interactions per impression/view/reach are only reported for the ministry's posts: the interactions are
    # added up for those rows only (is_own tested first: citizens' rows, most of them, skip the sum).
    eng = engagement()
    audience = [agg for m in AUDIENCE_MEASURES for agg in (
        func.sum(getattr(PostRow, m)).label(f"{m}_sum"), func.count(getattr(PostRow, m)).label(f"{m}_posts"),
        func.sum(case((PostRow.is_own == false(), 0), (getattr(PostRow, m).is_not(None), eng),
                      else_=0)).label(f"{m}_eng"))]
    measures = (func.count().label("n"), *metric_sums, *audience)
    keys = (PostRow.platform, PostRow.account, PostRow.is_own, PostRow.kind, AnalysisRow.sentiment,
            AnalysisRow.category)
    if uniform_days(days):
        idx = day_index(PostRow.created_at, literal(days[0][0].timestamp(), Float())).label("idx")
        return (
            select(idx, *keys, *measures)
            .outerjoin(AnalysisRow, AnalysisRow.post_id == PostRow.id)
            .where(_in_range(days[0][0], days[-1][1], indexed=range_index))
            .group_by(idx, *keys)
        )
    d = _day_table(days)
    return (
        select(d.c.idx, *keys, *measures)
        .select_from(d)
        .join(PostRow, and_(PostRow.created_at >= d.c.day_start, PostRow.created_at < d.c.day_end))
        .outerjoin(AnalysisRow, AnalysisRow.post_id == PostRow.id)
        .group_by(d.c.idx, *keys)
    )


def activity_row(m: Mapping[str, Any]) -> ActivityRow:
    """One row of `activity_select` as an ActivityRow."""
    return ActivityRow(
        day=int(m["idx"]), platform=m["platform"], account=m["account"], is_own=bool(m["is_own"]),
        kind=m["kind"], sentiment=m["sentiment"], category=m["category"], posts=int(m["n"]),
        metrics={name: int(m[name] or 0) for name in INTERACTION_METRICS},
        measures={a: int(m[f"{a}_sum"] or 0) for a in AUDIENCE_MEASURES if m[f"{a}_posts"]},
        measured_posts={a: int(m[f"{a}_posts"]) for a in AUDIENCE_MEASURES if m[f"{a}_posts"]},
        measured_interactions={a: int(m[f"{a}_eng"] or 0) for a in AUDIENCE_MEASURES if m[f"{a}_posts"]},
    )


def activity_by_day(session: Session, days: Sequence[tuple[datetime, datetime]]) -> list[ActivityRow]:
    """Everything countable per local day in one pass: volumes, interaction counters, sentiment, category."""
    return [activity_row(row._mapping) for row in session.execute(activity_select(days))]


def unique_citizens(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Distinct citizen authors per platform (author ids are per platform, so the total is their sum)."""
    stmt = (
        select(PostRow.platform, func.count(distinct(PostRow.author_id)))
        .where(_in_range(start, end), PostRow.is_own == false())
        .group_by(PostRow.platform)
    )
    return {platform: int(n) for platform, n in session.execute(stmt)}


def label_counts(session: Session, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
    """Citizen posts per (label kind, value): topics and crisis flags."""
    stmt = (
        select(PostLabelRow.kind, PostLabelRow.value, func.count())
        .select_from(PostRow)
        .join(PostLabelRow, PostLabelRow.post_id == PostRow.id)
        .where(_in_range(start, end), PostRow.is_own == false())
        .group_by(PostLabelRow.kind, PostLabelRow.value)
    )
    return {(kind, value): int(n) for kind, value, n in session.execute(stmt)}


def stored_span(session: Session) -> tuple[datetime | None, datetime | None]:
    """First and last post stored (for honest "no data" messages)."""
    first = session.scalar(select(func.min(PostRow.created_at)))
    last = session.scalar(select(func.max(PostRow.created_at)))
    return first, last


# --- responses --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timings:
    """Citizen questions received in a period and their first ministry reply, as Unix seconds."""

    platforms: list[str]
    categories: list[str]
    received: list[float]
    first_reply: list[float | None]
    closed: list[bool] = field(default_factory=list)  # closed in the inbox (only `deadline_cohort` fills it)


def _answered(replies_from: datetime, replies_until: datetime | None = None,
              targets: tuple[datetime, datetime] | None = None) -> Any:
    """(citizen post id, first ministry reply) for posts answered by a reply created in the given window.

    Driven from the replies (far fewer than citizen posts) through the unique (platform, external_id)
    index. A reply is a ministry post (`is_own`) whose `in_reply_to_id` is the citizen's post, on the same
    platform. `targets` limits it to citizen posts created in [start, end).
    """
    reply = aliased(PostRow, name="reply")
    target = aliased(PostRow, name="target")
    conditions = [reply.is_own == true(), reply.in_reply_to_id.is_not(None), reply.created_at >= replies_from,
                  target.is_own == false()]
    if replies_until is not None:
        conditions.append(reply.created_at <= replies_until)
    if targets is not None:
        conditions += [target.created_at >= targets[0], target.created_at < targets[1]]
    return (
        select(target.id.label("post_id"), func.min(reply.created_at).label("first_at"))
        .select_from(reply)
        .join(target, and_(target.platform == reply.platform, target.external_id == reply.in_reply_to_id))
        .where(*conditions)
        .group_by(target.id)
    )


def question_timings(session: Session, start: datetime, end: datetime, categories: Sequence[str]) -> Timings:
    """Questions and complaints received in [start, end) and when a ministry account first replied.

    Replies can only follow the post, so only replies created from `start` on are considered.
    """
    answered = _answered(start, targets=(start, end)).subquery("answered")
    stmt = (
        select(PostRow.platform, AnalysisRow.category, epoch_seconds(PostRow.created_at),
               epoch_seconds(answered.c.first_at))
        .join(AnalysisRow, AnalysisRow.post_id == PostRow.id)
        .outerjoin(answered, answered.c.post_id == PostRow.id)
        .where(_in_range(start, end), PostRow.is_own == false(),
               unindexed(AnalysisRow.category).in_(list(categories)))  # driven by the created_at range
    )
    out = Timings([], [], [], [])
    for platform, category, received, replied in session.execute(stmt):
        out.platforms.append(platform)
        out.categories.append(category)
        out.received.append(float(received))
        out.first_reply.append(None if replied is None else float(replied))
    return out


def deadline_cohort(session: Session, windows: Mapping[str, tuple[datetime, datetime]]) -> Timings:
    """Citizen questions whose legal deadline fell in a period, with their first ministry reply.

    `windows[category]` is the receipt range [start, end) whose deadlines fall in the period (computed with
    `BusinessCalendar.overdue_before` at the period's two ends: deadlines grow with the receipt day, so a
    range of deadlines is a range of receipt moments). One range scan over the union of the windows, then
    each category's own window per row. `closed` tells posts a community manager closed in the inbox.
    """
    if not windows:
        return Timings([], [], [], [], [])
    low = min(s for s, _ in windows.values())
    high = max(e for _, e in windows.values())
    answered = _answered(low, targets=(low, high)).subquery("answered")
    closed = select(PostReviewRow.post_id).where(PostReviewRow.state.in_(CLOSED_REVIEW_STATES))
    start_of = case({cat: literal(s, UTCDateTime()) for cat, (s, _) in windows.items()}, value=AnalysisRow.category)
    end_of = case({cat: literal(e, UTCDateTime()) for cat, (_, e) in windows.items()}, value=AnalysisRow.category)
    stmt = (
        select(PostRow.platform, AnalysisRow.category, epoch_seconds(PostRow.created_at),
               epoch_seconds(answered.c.first_at), PostRow.id.in_(closed))
        .join(AnalysisRow, AnalysisRow.post_id == PostRow.id)
        .outerjoin(answered, answered.c.post_id == PostRow.id)
        .where(_in_range(low, high), PostRow.is_own == false(), AnalysisRow.category.in_(list(windows)),
               PostRow.created_at >= start_of, PostRow.created_at < end_of)
        .order_by(PostRow.created_at, PostRow.id)
    )
    out = Timings([], [], [], [], [])
    for platform, category, received, replied, is_closed in session.execute(stmt):
        out.platforms.append(platform)
        out.categories.append(category)
        out.received.append(float(received))
        out.first_reply.append(None if replied is None else float(replied))
        out.closed.append(bool(is_closed))
    return out


@dataclass(frozen=True)
class PendingPost:
    platform: str
    account: str
    external_id: str
    kind: str
    author_handle: str
    text: str
    url: str | None
    created_at: datetime
    category: str


def overdue_questions(session: Session, cutoffs: Mapping[str, datetime], since: datetime, as_of: datetime,
                      limit: int = 20) -> tuple[dict[str, int], list[PendingPost]]:
    """Citizen questions received since `since` with no ministry reply by `as_of` and past their deadline.

    `cutoffs[category]` is the first receipt moment whose deadline has not passed yet (see
    `BusinessCalendar.overdue_before`). Posts a community manager closed in the inbox (attended elsewhere,
    or not applicable) are not waiting. Returns counts per category and the `limit` longest-waiting posts.
    """
    if not cutoffs:
        return {}, []
    latest = max(cutoffs.values())
    answered = _answered(since, as_of, targets=(since, latest)).subquery("answered")
    closed = select(PostReviewRow.post_id).where(PostReviewRow.state.in_(CLOSED_REVIEW_STATES))
    # One range scan up to the latest cut-off, then the category's own cut-off per row (an OR of ranges
    # would make SQLite scan the index once per category).
    deadline_cut = case({cat: literal(cut, UTCDateTime()) for cat, cut in cutoffs.items()},
                        value=AnalysisRow.category)
    where = (PostRow.is_own == false(), PostRow.created_at >= since, PostRow.created_at < latest,
             AnalysisRow.category.in_(list(cutoffs)), PostRow.created_at < deadline_cut,
             PostRow.id.not_in(select(answered.c.post_id)), PostRow.id.not_in(closed))
    counts_stmt = (
        select(AnalysisRow.category, func.count())
        .select_from(PostRow).join(AnalysisRow, AnalysisRow.post_id == PostRow.id)
        .where(*where).group_by(AnalysisRow.category)
    )
    counts = {cat: int(n) for cat, n in session.execute(counts_stmt)}
    rows_stmt = (
        select(PostRow.platform, PostRow.account, PostRow.external_id, PostRow.kind, PostRow.author_handle,
               PostRow.text, PostRow.url, PostRow.created_at, AnalysisRow.category)
        .join(AnalysisRow, AnalysisRow.post_id == PostRow.id)
        .where(*where)
        .order_by(PostRow.created_at, PostRow.id)
        .limit(limit)
    )
    posts = [PendingPost(*row) for row in session.execute(rows_stmt)]
    return counts, posts


# --- notable posts and threads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NotablePost:
    platform: str
    account: str
    external_id: str
    author_handle: str
    text: str
    url: str | None
    created_at: datetime
    interactions: int
    impressions: int | None
    views: int | None = None
    reach: int | None = None

    def audience(self) -> dict[str, int]:
        """The audience measures its platform reported (AUDIENCE_MEASURES order)."""
        return {m: v for m in AUDIENCE_MEASURES if (v := getattr(self, m)) is not None}


def top_own_posts(session: Session, start: datetime, end: datetime, limit: int = 10,
                  platform: str | None = None) -> list[NotablePost]:
    """The ministry's own posts of the period (on one platform, if given) with the most interactions."""
    eng = engagement().label("eng")
    stmt = (
        select(PostRow.platform, PostRow.account, PostRow.external_id, PostRow.author_handle, PostRow.text,
               PostRow.url, PostRow.created_at, eng, PostRow.impressions, PostRow.views, PostRow.reach)
        .where(_in_range(start, end), PostRow.is_own == true(), PostRow.kind == "own_post",
               *([PostRow.platform == platform] if platform else []))
        .order_by(eng.desc(), PostRow.created_at, PostRow.id)
        .limit(limit)
    )
    return [NotablePost(*row[:7], int(row[7]), *row[8:]) for row in session.execute(stmt)]


@dataclass(frozen=True)
class Thread:
    platform: str
    conversation_id: str
    posts: int  # citizen posts in the period
    citizens: int
    negative: int
    first_at: datetime
    last_at: datetime
    root: NotablePost | None  # the post that started it, when stored
    root_is_own: bool = False


def busiest_threads(session: Session, start: datetime, end: datetime, limit: int = 10) -> list[Thread]:
    """Conversations with the most citizen posts in the period (comment threads, reply chains).

    Two steps: rank conversations by a plain count (a hash or sort over the period's posts), then compute
    people, tone and dates for the winners only (distinct counts and the analyses join are the costly part).
    """
    ranked = (
        select(PostRow.platform, PostRow.conversation_id, func.count().label("n"))
        .where(_in_range(start, end), PostRow.is_own == false(), PostRow.conversation_id.is_not(None))
        .group_by(PostRow.platform, PostRow.conversation_id)
        .having(func.count() > 1)
        .order_by(func.count().desc(), PostRow.platform, PostRow.conversation_id)
        .limit(limit)
    )
    top = [(platform, conv) for platform, conv, _ in session.execute(ranked)]
    if not top:
        return []
    in_top = or_(*(and_(PostRow.platform == p, PostRow.conversation_id == c) for p, c in top))
    details_stmt = (
        select(PostRow.platform, PostRow.conversation_id, func.count(), func.count(distinct(PostRow.author_id)),
               func.sum(case((AnalysisRow.sentiment == "negative", 1), else_=0)),
               func.min(PostRow.created_at), func.max(PostRow.created_at))
        .outerjoin(AnalysisRow, AnalysisRow.post_id == PostRow.id)
        .where(_in_range(start, end), PostRow.is_own == false(), in_top)
        .group_by(PostRow.platform, PostRow.conversation_id)
    )
    details = {(row[0], row[1]): row[2:] for row in session.execute(details_stmt)}
    root_stmt = (
        select(PostRow.platform, PostRow.account, PostRow.external_id, PostRow.author_handle, PostRow.text,
               PostRow.url, PostRow.created_at, engagement(), PostRow.impressions, PostRow.is_own)
        .where(or_(*(and_(PostRow.platform == p, PostRow.external_id == c) for p, c in top)))
    )
    roots = {(row[0], row[2]): (NotablePost(*row[:7], int(row[7]), row[8]), bool(row[9]))
             for row in session.execute(root_stmt)}
    out = []
    for key in top:
        n, people, negative, first_at, last_at = details[key]
        root, own = roots.get(key, (None, False))
        out.append(Thread(key[0], key[1], int(n), int(people), int(negative or 0), first_at, last_at, root, own))
    return out


# --- incidents and data collection ------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentInfo:
    id: int
    opened_at: datetime
    closed_at: datetime | None
    level: str
    keys: list[str]
    peak_value: int
    peak_expected: float
    peak_key: str  # the signal the peak counts (all mentions once they joined, else the opening signal)


def incidents_between(session: Session, start: datetime, end: datetime) -> list[IncidentInfo]:
    """Crisis incidents active at some point of [start, end)."""
    stmt = (
        select(IncidentRow)
        .where(IncidentRow.opened_at < end, or_(IncidentRow.closed_at.is_(None), IncidentRow.closed_at >= start))
        .order_by(IncidentRow.opened_at, IncidentRow.id)
    )
    return [IncidentInfo(r.id, r.opened_at, r.closed_at, r.level, list(r.keys or []), r.peak_value,
                         r.peak_expected, r.peak_signal) for r in session.scalars(stmt)]


@dataclass(frozen=True)
class CollectionProblem:
    key: str  # e.g. "connector:x:mentions:Ministerio_TIC"
    message: str
    opened_at: datetime
    resolved_at: datetime | None
    failures: int
    fatal: bool


def collection_problems(session: Session, start: datetime, end: datetime) -> list[CollectionProblem]:
    """Operational problems (failing connectors, expired tokens) that overlapped [start, end)."""
    stmt = (
        select(OpsProblemRow)
        .where(OpsProblemRow.opened_at < end,
               or_(OpsProblemRow.resolved_at.is_(None), OpsProblemRow.resolved_at >= start))
        .order_by(OpsProblemRow.opened_at, OpsProblemRow.key)
    )
    return [CollectionProblem(r.key, r.message, r.opened_at, r.resolved_at, r.failures, r.fatal)
            for r in session.scalars(stmt)]

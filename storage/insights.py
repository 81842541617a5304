"""Read-only figures for the web app's incidents and learning-loop pages, and the inbox-only figure of its
indicators page (posts per review state). Every other indicator comes from storage/indicators.py, the weekly
report's queries, so the page and the report cannot disagree.

Every query is bounded by a time window or an id, so the pages stay fast however large the tables grow.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from storage.models import (
    AlertRow,
    AnalysisRow,
    CorrectionRow,
    IncidentRow,
    PostEventRow,
    PostReviewRow,
    PostRow,
    SpikeBucketRow,
)

REVIEW_ACTIONS = ("category", "sentiment", "topics")
CLOSING_STATES = ("attended", "not_applicable")


@dataclass(frozen=True)
class IncidentSummary:
    id: int
    opened_at: datetime
    closed_at: datetime | None
    level: str
    keys: tuple[str, ...]
    peak_value: int
    peak_expected: float
    peak_key: str  # the signal the peak counts


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    severity: str
    title: str
    body: str


def _incident(row: IncidentRow) -> IncidentSummary:
    return IncidentSummary(row.id, row.opened_at, row.closed_at, row.level, tuple(row.keys or ()),
                           row.peak_value or 0, row.peak_expected or 0.0, row.peak_signal)


class IncidentQueries:
    def __init__(self, session: Session):
        self.session = session

    def recent(self, limit: int = 100) -> list[IncidentSummary]:
        stmt = select(IncidentRow).order_by(IncidentRow.opened_at.desc(), IncidentRow.id.desc()).limit(limit)
        return [_incident(r) for r in self.session.scalars(stmt)]

    def get(self, incident_id: int) -> IncidentSummary | None:
        row = self.session.get(IncidentRow, incident_id)
        return _incident(row) if row else None

    def timeline(self, incident_id: int) -> list[TimelineEntry]:
        """The incident's alerts, once each (the outbox holds one row per sink)."""
        first = (select(func.min(AlertRow.id)).where(AlertRow.incident_id == incident_id)
                 .group_by(AlertRow.key))
        stmt = (select(AlertRow.created_at, AlertRow.kind, AlertRow.severity, AlertRow.title, AlertRow.body)
                .where(AlertRow.id.in_(first)).order_by(AlertRow.created_at, AlertRow.id))
        return [TimelineEntry(*r) for r in self.session.execute(stmt)]

    def series(self, keys: tuple[str, ...], start: datetime, end: datetime) -> dict[str, list[tuple[datetime, int]]]:
        """Bucket counts of the detector keys around the incident, for its chart."""
        if not keys:
            return {}
        stmt = (select(SpikeBucketRow.key, SpikeBucketRow.bucket_start, SpikeBucketRow.count)
                .where(SpikeBucketRow.key.in_(list(keys)), SpikeBucketRow.bucket_start >= start,
                       SpikeBucketRow.bucket_start < end)
                .order_by(SpikeBucketRow.key, SpikeBucketRow.bucket_start))
        out: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
        for key, bucket, count in self.session.execute(stmt):
            out[key].append((bucket, int(count)))
        return dict(out)


def review_states(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Citizen posts created in [start, end) per inbox review state ("new" when no row yet), most first.

    The inbox's own figure: the weekly report counts posts and answers, not the team's review states (its
    figures, and the rest of the indicators page's, come from storage/indicators.py).
    """
    # One expression, grouped by its label: PostgreSQL refuses a GROUP BY whose 'new' is a second bound
    # parameter (it cannot tell the two coalesce() calls are the same).
    state = func.coalesce(PostReviewRow.state, literal_column("'new'")).label("state")
    stmt = (select(state, func.count()).select_from(PostRow)
            .outerjoin(PostReviewRow, PostReviewRow.post_id == PostRow.id)
            .where(PostRow.created_at >= start, PostRow.created_at < end, PostRow.is_own.is_(False))
            .group_by(state))
    rows = [(str(k), int(n)) for k, n in session.execute(stmt)]
    return dict(sorted(rows, key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class WeekAgreement:
    week: str  # ISO week, e.g. "2026-W47"
    reviewed: int
    category_corrected: int
    sentiment_corrected: int

    @property
    def category_agreement(self) -> float | None:
        return 1 - self.category_corrected / self.reviewed if self.reviewed else None

    @property
    def sentiment_agreement(self) -> float | None:
        return 1 - self.sentiment_corrected / self.reviewed if self.reviewed else None


class LearningQueries:
    """How often community managers agree with the classifier, from their audit trail."""

    def __init__(self, session: Session):
        self.session = session

    def agreement_by_week(self, since: datetime, tz: ZoneInfo) -> list[WeekAgreement]:
        """Per ISO week: posts reviewed (closed or corrected) that week, and how many needed a correction.

        A post counts in the week of its first review action since `since`; it counts as corrected when a
        category (or sentiment) correction changed the value at any time.
        """
        reviewed = (
            select(PostEventRow.post_id.label("post_id"), func.min(PostEventRow.created_at).label("first_at"))
            .where(PostEventRow.created_at >= since,
                   or_(PostEventRow.action.in_(REVIEW_ACTIONS),
                       and_(PostEventRow.action == "state", PostEventRow.new_value.in_(CLOSING_STATES))))
            .group_by(PostEventRow.post_id)
            .subquery()
        )
        weeks: dict[str, set[int]] = defaultdict(set)
        for post_id, first_at in self.session.execute(select(reviewed.c.post_id, reviewed.c.first_at)):
            year, week, _ = first_at.astimezone(tz).isocalendar()
            weeks[f"{year}-W{week:02d}"].add(post_id)
        corrected: dict[str, set[int]] = {"category": set(), "sentiment": set()}
        stmt = (select(CorrectionRow.post_id, CorrectionRow.field).distinct()
                .join(reviewed, reviewed.c.post_id == CorrectionRow.post_id)
                .where(CorrectionRow.field.in_(("category", "sentiment")),
                       CorrectionRow.old_value != CorrectionRow.new_value))
        for post_id, field_name in self.session.execute(stmt):
            corrected[field_name].add(post_id)
        return [
            WeekAgreement(label, len(ids), len(ids & corrected["category"]), len(ids & corrected["sentiment"]))
            for label, ids in sorted(weeks.items())
        ]

    def corrections_available(self) -> dict[str, int]:
        """Posts with at least one correction, per field: what `train --from-corrections` can learn from."""
        stmt = (select(CorrectionRow.field, func.count(func.distinct(CorrectionRow.post_id)))
                .group_by(CorrectionRow.field))
        return {f: int(n) for f, n in self.session.execute(stmt)}

    def analyzer_versions(self, since: datetime) -> dict[str, int]:
        """Which analyzer versions produced the analyses of recent posts."""
        stmt = (select(AnalysisRow.version, func.count()).join(PostRow, PostRow.id == AnalysisRow.post_id)
                .where(PostRow.created_at >= since).group_by(AnalysisRow.version))
        return {v or "?": int(n) for v, n in self.session.execute(stmt)}

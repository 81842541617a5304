"""The report's regional queries: where the period's citizen posts come from (DANE department and municipality,
`analyses.place_dpto` / `place_mpio`, set by the placer from the platform's geotag, the text or the author's
profile) and what each department says (tone, PQRSD mix, topics).

A post is "placed" when its analysis names a department; every other citizen post (not analysed yet, or no
evidence of a Colombian place) is counted apart as unplaced, never spread over departments. Storage knows
codes only: department and municipality names come from the DIVIPOLA gazetteer in the report's model.

Each of the two queries is one range scan of the period's citizen posts (`ix_posts_created_at`) joined to their
analysis by primary key (and, for topics, to `post_labels` by its primary key), grouped into at most a few
thousand rows (the municipalities are part of the first grouping: one pass fewer than grouping them apart).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from storage.indicators import citizen_posts
from storage.models import AnalysisRow, PostLabelRow, PostRow

COMPLAINTS = ("queja", "reclamo")  # the PQRSD categories that say something is wrong


@dataclass(frozen=True)
class TopicCount:
    """Placed citizen posts of one (department, topic): all, negative, quejas/reclamos, and negative or
    queja/reclamo (each post once: what "complaining about the topic" counts)."""

    posts: int = 0
    negative: int = 0
    complaints: int = 0
    unhappy: int = 0


@dataclass(frozen=True)
class DepartmentActivity:
    """The placed citizen posts of one department in a period."""

    dpto_code: str  # DANE code, "27"
    posts: int
    evidence: dict[str, int] = field(default_factory=dict)  # posts per evidence ("geo" | "text" | "profile")
    sentiments: dict[str, int] = field(default_factory=dict)  # posts per sentiment
    categories: dict[str, int] = field(default_factory=dict)  # posts per PQRSD category
    topics: dict[str, TopicCount] = field(default_factory=dict)  # per topic (post_labels kind "topic")
    municipalities: dict[str, int] = field(default_factory=dict)  # posts per DANE municipality code, when known

    @property
    def negative(self) -> int:
        return self.sentiments.get("negative", 0)

    @property
    def complaints(self) -> int:
        return sum(self.categories.get(c, 0) for c in COMPLAINTS)


@dataclass(frozen=True)
class RegionActivity:
    """Citizen posts of a period by department: the placed ones per department, and how many are not placed."""

    citizen_posts: int  # every citizen post of the period
    analysed: int  # of which analysed (only an analysis can place a post)
    departments: dict[str, DepartmentActivity] = field(default_factory=dict)  # by DANE department code

    @property
    def placed(self) -> int:
        return sum(d.posts for d in self.departments.values())

    @property
    def unplaced(self) -> int:
        """Citizen posts without a department: not analysed yet, or no evidence of a Colombian place."""
        return self.citizen_posts - self.placed


def region_activity(session: Session, start: datetime, end: datetime) -> RegionActivity:
    """Citizen posts of [start, end) per department: placed posts, evidence, tone, PQRSD, topics, municipalities.

    Two grouped passes over the period's citizen posts: (department, municipality, evidence, sentiment, category)
    including the unplaced and unanalysed ones (the null group), and, only when some are placed, (department,
    topic) with the negative and queja/reclamo counts, for the department x topic view.
    """
    mix = (
        select(AnalysisRow.place_dpto, AnalysisRow.place_mpio, AnalysisRow.place_evidence, AnalysisRow.sentiment,
               AnalysisRow.category, func.count())
        .select_from(PostRow)
        .outerjoin(AnalysisRow, AnalysisRow.post_id == PostRow.id)
        .where(*citizen_posts(start, end))
        .group_by(AnalysisRow.place_dpto, AnalysisRow.place_mpio, AnalysisRow.place_evidence, AnalysisRow.sentiment,
                  AnalysisRow.category)
    )
    total = analysed = 0
    acc: dict[str, dict[str, Any]] = {}
    for dpto, mpio, evidence, sentiment, category, n in session.execute(mix):
        n = int(n)
        total += n
        if sentiment is not None:
            analysed += n
        if dpto is None:
            continue
        a = acc.setdefault(dpto, {"posts": 0, "evidence": {}, "sentiments": {}, "categories": {}, "topics": {},
                                  "municipalities": {}})
        a["posts"] += n
        for key, value in (("evidence", evidence), ("sentiments", sentiment), ("categories", category),
                           ("municipalities", mpio)):
            if value is not None:
                a[key][value] = a[key].get(value, 0) + n
    if not acc:
        return RegionActivity(total, analysed)

    placed = (*citizen_posts(start, end), AnalysisRow.place_dpto.is_not(None))
    negative = func.sum(case((AnalysisRow.sentiment == "negative", 1), else_=0))
    complaints = func.sum(case((AnalysisRow.category.in_(COMPLAINTS), 1), else_=0))
    unhappy = func.sum(case((or_(AnalysisRow.sentiment == "negative", AnalysisRow.category.in_(COMPLAINTS)), 1),
                            else_=0))
    topics = (
        select(AnalysisRow.place_dpto, PostLabelRow.value, func.count(), negative, complaints, unhappy)
        .select_from(PostRow)
        .join(AnalysisRow, AnalysisRow.post_id == PostRow.id)
        .join(PostLabelRow, (PostLabelRow.post_id == PostRow.id) & (PostLabelRow.kind == "topic"))
        .where(*placed)
        .group_by(AnalysisRow.place_dpto, PostLabelRow.value)
    )
    for dpto, topic, n, neg, comp, unh in session.execute(topics):
        if dpto in acc:
            acc[dpto]["topics"][topic] = TopicCount(int(n), int(neg or 0), int(comp or 0), int(unh or 0))
    return RegionActivity(total, analysed, {code: DepartmentActivity(code, **a) for code, a in sorted(acc.items())})


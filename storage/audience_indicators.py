"""The report's audience queries: who spoke (citizen posts by audience segment, the most followed authors of a
period) and how the ministry's own audience grew (its accounts' daily follower snapshots).

Posts join authors on (posts.platform = authors.platform AND posts.author_id = authors.author_id); a post whose
author has no row yet belongs to `NO_PROFILE` ("sin perfil"), never to a segment. Both author queries group
the period's citizen posts per author first (one range scan on `ix_posts_created_at` plus the analyses
primary key) and join the authors table once per author, not once per post (the unique
(platform, author_id) index).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, false, func, literal, or_, select
from sqlalchemy.orm import Session

from domain import CATEGORIES, SENTIMENTS
from storage.models import AccountSnapshotRow, AnalysisRow, AuthorRow, PostRow

NO_PROFILE = "sin_perfil"  # posts whose author has no row in `authors` yet


def _per_author(start: datetime, end: datetime) -> Any:
    """Citizen posts of [start, end) per (platform, author_id): posts, sentiments and categories counted."""
    counts = [func.sum(case((AnalysisRow.sentiment == s, 1), else_=0)).label(f"s_{s}") for s in SENTIMENTS]
    counts += [func.sum(case((AnalysisRow.category == c, 1), else_=0)).label(f"c_{c}") for c in CATEGORIES]
    return (
        select(PostRow.platform, PostRow.author_id, func.count().label("n"), *counts)
        .outerjoin(AnalysisRow, AnalysisRow.post_id == PostRow.id)
        .where(PostRow.created_at >= start, PostRow.created_at < end, PostRow.is_own == false())
        .group_by(PostRow.platform, PostRow.author_id)
        .subquery("per_author")
    )


def _author_join(per: Any) -> Any:
    return and_(AuthorRow.platform == per.c.platform, AuthorRow.author_id == per.c.author_id)


@dataclass(frozen=True)
class SegmentRow:
    """Citizen posts of one (segment, platform) in a period, and how many distinct authors wrote them."""

    segment: str  # a segment id, or NO_PROFILE
    platform: str
    authors: int
    posts: int
    sentiments: dict[str, int] = field(default_factory=dict)  # analysed posts per sentiment
    categories: dict[str, int] = field(default_factory=dict)  # analysed posts per PQRSD category

    @property
    def analysed(self) -> int:
        return sum(self.sentiments.values())


def segment_activity(session: Session, start: datetime, end: datetime) -> list[SegmentRow]:
    """Citizen posts of [start, end) per (audience segment, platform): authors, posts, tone and PQRSD mix.

    Summed over segments, `authors` is the platform's unique citizens (author ids are per platform).
    """
    per = _per_author(start, end)
    segment = func.coalesce(AuthorRow.segment, literal(NO_PROFILE)).label("segment")
    sums = [func.sum(getattr(per.c, f"s_{s}")).label(f"s_{s}") for s in SENTIMENTS]
    sums += [func.sum(getattr(per.c, f"c_{c}")).label(f"c_{c}") for c in CATEGORIES]
    stmt = (
        select(segment, per.c.platform, func.count().label("authors"), func.sum(per.c.n).label("n"), *sums)
        .select_from(per)
        .outerjoin(AuthorRow, _author_join(per))
        .group_by(segment, per.c.platform)
    )
    out = []
    for row in session.execute(stmt):
        m = row._mapping
        out.append(SegmentRow(
            segment=m["segment"], platform=m["platform"], authors=int(m["authors"]), posts=int(m["n"] or 0),
            sentiments={s: int(m[f"s_{s}"] or 0) for s in SENTIMENTS if m[f"s_{s}"]},
            categories={c: int(m[f"c_{c}"] or 0) for c in CATEGORIES if m[f"c_{c}"]},
        ))
    return out


@dataclass(frozen=True)
class AuthorActivity:
    """A citizen author with a profile, and what they posted in the period."""

    platform: str
    author_id: str
    handle: str
    display_name: str | None
    segment: str
    followers: int | None
    verified_type: str | None
    profile_url: str | None
    posts: int
    sentiments: dict[str, int]  # analysed posts per sentiment
    rank: int  # 1 = the most followed author of the period
    segment_rank: int  # 1 = the most followed of its segment


def influential_authors(session: Session, start: datetime, end: datetime, *, limit: int = 25,
                        per_segment: int = 5) -> list[AuthorActivity]:
    """Citizen authors who posted in [start, end), most followers first: the `limit` most followed overall
    plus the `per_segment` most followed of each segment (authors without a profile have no follower count
    and are left out). Ties: more posts in the period, then platform and id.
    """
    per = _per_author(start, end)
    order = (AuthorRow.followers.desc().nulls_last(), per.c.n.desc(), per.c.platform, per.c.author_id)
    ranked = (
        select(per.c.platform, per.c.author_id, AuthorRow.handle, AuthorRow.display_name, AuthorRow.segment,
               AuthorRow.followers, AuthorRow.verified_type, AuthorRow.profile_url, per.c.n,
               *[getattr(per.c, f"s_{s}") for s in SENTIMENTS],
               func.row_number().over(order_by=order).label("rank"),
               func.row_number().over(partition_by=AuthorRow.segment, order_by=order).label("segment_rank"))
        .select_from(per)
        .join(AuthorRow, _author_join(per))
        .subquery("ranked")
    )
    stmt = (select(ranked).where(or_(ranked.c.rank <= limit, ranked.c.segment_rank <= per_segment))
            .order_by(ranked.c.rank))
    out = []
    for row in session.execute(stmt):
        m = row._mapping
        out.append(AuthorActivity(
            platform=m["platform"], author_id=m["author_id"], handle=m["handle"], display_name=m["display_name"],
            segment=m["segment"], followers=None if m["followers"] is None else int(m["followers"]),
            verified_type=m["verified_type"], profile_url=m["profile_url"], posts=int(m["n"]),
            sentiments={s: int(m[f"s_{s}"] or 0) for s in SENTIMENTS}, rank=int(m["rank"]),
            segment_rank=int(m["segment_rank"]),
        ))
    return out


@dataclass(frozen=True)
class FollowerSnapshot:
    platform: str
    account: str
    day: date  # local day (America/Bogota) of the snapshot
    followers: int


def follower_snapshots(session: Session, first_day: date, last_day: date, taken_before: datetime
                       ) -> list[FollowerSnapshot]:
    """The ministry accounts' daily follower counts from `first_day` to `last_day` (taken before
    `taken_before`), plus each account's latest snapshot before `first_day` when it has none in the range
    (so an account whose snapshots stopped shows its last known count and date, not "no data").
    Oldest first per account.
    """
    snap = AccountSnapshotRow
    in_range = (
        select(snap.platform, snap.account, snap.day, snap.followers)
        .where(snap.day >= first_day.isoformat(), snap.day <= last_day.isoformat(), snap.taken_at < taken_before)
    )
    latest_before = (
        select(snap.platform, snap.account, func.max(snap.day).label("day"))
        .where(snap.day < first_day.isoformat(), snap.taken_at < taken_before)
        .group_by(snap.platform, snap.account)
        .subquery("latest_before")
    )
    older = (
        select(snap.platform, snap.account, snap.day, snap.followers)
        .join(latest_before, and_(latest_before.c.platform == snap.platform,
                                  latest_before.c.account == snap.account, latest_before.c.day == snap.day))
    )
    rows = [FollowerSnapshot(p, a, date.fromisoformat(d), int(f))
            for p, a, d, f in session.execute(in_range.union_all(older))]
    in_window = {(r.platform, r.account) for r in rows if r.day >= first_day}
    rows = [r for r in rows if r.day >= first_day or (r.platform, r.account) not in in_window]
    return sorted(rows, key=lambda r: (r.platform, r.account, r.day))

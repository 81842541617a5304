"""The report's audience queries: who spoke (citizen posts by audience segment, the most followed authors of a
period) and how the ministry's own audience grew (its accounts' daily follower snapshots).

Posts join authors on (posts.platform = authors.platform AND posts.author_id = authors.author_id); a post whose
author has no row yet belongs to `NO_PROFILE` ("sin perfil"), never to a segment. Both author queries group
the period's citizen posts per author first (one range scan on `ix_posts_created_at` plus the analyses
primary key) and join the authors table once per author, not once per post (the unique
(platform, author_id) index).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from domain import NO_PROFILE, SENTIMENTS
from storage.indicators import citizen_posts
from storage.models import AccountSnapshotRow, AnalysisRow, AuthorRow, PostRow


def _author_join(platform: Any, author_id: Any) -> Any:
    return and_(AuthorRow.platform == platform, AuthorRow.author_id == author_id)


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

    One pass over the period's citizen posts (the `created_at` range): they are grouped per (platform, author,
    sentiment, category) first, one row of each author flagged (`row_number`), and only those groups look
    their author up (the unique (platform, author_id) index), not every post. Summed over segments, `authors`
    is the platform's unique citizens (author ids are per platform), so `unique_citizens` need not run too.
    """
    first = func.row_number().over(partition_by=(PostRow.platform, PostRow.author_id)) == 1
    per_author = (
        select(PostRow.platform, PostRow.author_id, AnalysisRow.sentiment, AnalysisRow.category,
               func.count().label("n"), case((first, 1), else_=0).label("first"))
        .select_from(PostRow)
        .outerjoin(AnalysisRow, AnalysisRow.post_id == PostRow.id)
        .where(*citizen_posts(start, end))
        .group_by(PostRow.platform, PostRow.author_id, AnalysisRow.sentiment, AnalysisRow.category)
        .subquery("per_author")
    )
    segment = func.coalesce(AuthorRow.segment, literal(NO_PROFILE)).label("segment")
    mix = (
        select(segment, per_author.c.platform, per_author.c.sentiment, per_author.c.category,
               func.sum(per_author.c.n), func.sum(per_author.c.first))
        .select_from(per_author)
        .outerjoin(AuthorRow, _author_join(per_author.c.platform, per_author.c.author_id))
        .group_by(segment, per_author.c.platform, per_author.c.sentiment, per_author.c.category)
    )
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    for seg, platform, sentiment, category, n, authors in session.execute(mix):
        a = acc.setdefault((seg, platform), {"authors": 0, "posts": 0, "sentiments": {}, "categories": {}})
        a["authors"] += int(authors)
        a["posts"] += int(n)
        if sentiment is not None:
            a["sentiments"][sentiment] = a["sentiments"].get(sentiment, 0) + int(n)
        if category is not None:
            a["categories"][category] = a["categories"].get(category, 0) + int(n)
    return [SegmentRow(seg, platform, a["authors"], a["posts"], a["sentiments"], a["categories"])
            for (seg, platform), a in acc.items()]


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
    rank: int | None  # 1 = the most followed author of the period; None: outside the overall top
    segment_rank: int | None  # 1 = the most followed of its segment; None: outside its segment's top


def influential_authors(session: Session, start: datetime, end: datetime, segments: Iterable[str], *,
                        limit: int = 25, per_segment: int = 5) -> list[AuthorActivity]:
    """Citizen authors who posted in [start, end), most followers first: the `limit` most followed overall
    plus the `per_segment` most followed of each of `segments` (authors without a profile have no follower count
    and are left out; authors whose count is unknown come last). Ties: platform and id.

    Walks the authors by followers (`ix_authors_followers`) and keeps those with a citizen post in the period
    (one probe of `ix_posts_author` each), so it stops after a few hundred authors instead of grouping every
    post of the period; then counts the posts and tone of the few authors kept.
    """
    def posted() -> Any:
        return (select(literal(1)).select_from(PostRow)
                .where(_author_join(PostRow.platform, PostRow.author_id), *citizen_posts(start, end))
                .correlate(AuthorRow).exists())

    cols = (AuthorRow.platform, AuthorRow.author_id, AuthorRow.handle, AuthorRow.display_name, AuthorRow.segment,
            AuthorRow.followers, AuthorRow.verified_type, AuthorRow.profile_url)
    order = (AuthorRow.followers.desc(), AuthorRow.platform, AuthorRow.author_id)
    known = AuthorRow.followers.is_not(None)
    found = list(session.execute(select(*cols).where(known, posted()).order_by(*order).limit(limit)))
    if len(found) < limit:  # then authors whose follower count is unknown
        found += session.execute(select(*cols).where(AuthorRow.followers.is_(None), posted())
                                 .order_by(AuthorRow.platform, AuthorRow.author_id).limit(limit - len(found)))
    per: dict[str, list[Any]] = {}
    for seg in sorted(set(segments) - {NO_PROFILE}):
        rows = list(session.execute(select(*cols).where(AuthorRow.segment == seg, known, posted())
                                    .order_by(*order).limit(per_segment)))
        if len(rows) < per_segment:
            rows += session.execute(select(*cols).where(AuthorRow.segment == seg, AuthorRow.followers.is_(None),
                                                        posted()).order_by(AuthorRow.platform, AuthorRow.author_id)
                                    .limit(per_segment - len(rows)))
        per[seg] = rows
    keys = {(r.platform, r.author_id) for r in found} | {(r.platform, r.author_id) for rs in per.values() for r in rs}
    if not keys:
        return []
    sums = [func.sum(case((AnalysisRow.sentiment == s, 1), else_=0)) for s in SENTIMENTS]
    stats = {(p, a): (int(n), [int(v or 0) for v in vs]) for p, a, n, *vs in session.execute(
        select(PostRow.platform, PostRow.author_id, func.count(), *sums)
        .outerjoin(AnalysisRow, AnalysisRow.post_id == PostRow.id)
        .where(or_(*(and_(PostRow.platform == p, PostRow.author_id == a) for p, a in sorted(keys))),
               *citizen_posts(start, end))
        .group_by(PostRow.platform, PostRow.author_id))}
    rank = {(r.platform, r.author_id): i for i, r in enumerate(found, 1)}
    seg_rank = {(r.platform, r.author_id): i for rs in per.values() for i, r in enumerate(rs, 1)}
    rows = {(r.platform, r.author_id): r for r in [*found, *(r for rs in per.values() for r in rs)]}
    out = []
    for key, r in rows.items():
        n, sentiments = stats.get(key, (0, [0] * len(SENTIMENTS)))
        out.append(AuthorActivity(
            platform=r.platform, author_id=r.author_id, handle=r.handle, display_name=r.display_name,
            segment=r.segment, followers=None if r.followers is None else int(r.followers),
            verified_type=r.verified_type, profile_url=r.profile_url, posts=n,
            sentiments=dict(zip(SENTIMENTS, sentiments, strict=True)), rank=rank.get(key),
            segment_rank=seg_rank.get(key)))
    return sorted(out, key=lambda a: (a.rank or len(rank) + 1, a.segment, a.segment_rank or 0))


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

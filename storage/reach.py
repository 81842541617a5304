"""Reach in the inbox's urgency order: how widely an author is heard, as one small sortable number.

Why a stored number: the urgency order must stay an index walk (`ix_post_reviews_urgency (state, tier,
reach_rank, due_at, post_id)`), so the author's weight is copied into `post_reviews.reach_rank` when the
review row is written, and rewritten when the author's segment or followers change (`refresh_reach`). The
author's segment is copied next to it (`post_reviews.segment`, migration 0012) for the same reason: the urgency
order filtered by segment walks `ix_post_reviews_segment_urgency (state, segment, tier, reach_rank, due_at,
post_id)` instead of the whole pending index joined to `authors`.

The rule (docs/inbox.md, "Urgencia"): within an urgency tier (crisis flag, negative, the rest), posts whose
author is heard more widely come first; then the legal deadline. How widely is heard, from most to least:
1. the priority of the author's audience segment (config `segments:`, 0 normal … 3 alta: press, officials
   and public entities 3, operators and influencers 2, sector TIC and academia 1, the public 0);
2. then the author's followers in three bands: 100,000 or more, 10,000 or more, fewer (or unknown).
`reach_rank` = (MAX_WEIGHT - priority) * BANDS + (BANDS - 1 - band): 0 is the widest reach (priority 3, 100,000
followers or more), WORST_RANK (11) an author of priority 0 with fewer than 10,000 followers, or a post whose
author has no profile yet ("sin perfil"). A crisis-flagged post of anyone still comes before every other tier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import and_, case, func, literal, or_, select, update
from sqlalchemy.orm import Session

from domain import NO_PROFILE
from storage.models import AuthorRow, PostReviewRow, PostRow


class _Segments(Protocol):
    """What the rule needs of `analyzers.segments.Segmenter` (storage does not import analyzers)."""

    segments: tuple[tuple[str, str], ...]

    def priority(self, segment: str) -> int: ...


MAX_WEIGHT = 3  # the segments' highest priority (analyzers/segments.py PRIORITIES; storage cannot import it)
FOLLOWER_BANDS = (10_000, 100_000)  # band 1 from 10,000 followers, band 2 from 100,000
BANDS = len(FOLLOWER_BANDS) + 1
WORST_RANK = (MAX_WEIGHT + 1) * BANDS - 1  # 11: also the column's default (no profile)


def follower_band(followers: int | None) -> int:
    """0, 1 or 2: fewer than 10,000 followers (or unknown), 10,000 or more, 100,000 or more."""
    return sum(1 for edge in FOLLOWER_BANDS if followers is not None and followers >= edge)


def reach_rank(weight: float | None, followers: int | None) -> int:
    """The stored sort key: 0 = widest reach … WORST_RANK; see the module's docstring."""
    w = 0 if weight is None else max(0, min(MAX_WEIGHT, round(weight)))
    return (MAX_WEIGHT - w) * BANDS + (BANDS - 1 - follower_band(followers))


@dataclass(frozen=True)
class ReachRule:
    """The segments' priorities (segment id -> 0…3, from config via `bot.config.segmenter`); unknown ids weigh 0."""

    weights: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, segments: _Segments) -> ReachRule:
        """The rule of a segmenter (`bot.config.segmenter(config)`: its segment ids and their priorities)."""
        return cls({sid: segments.priority(sid) for sid, _ in segments.segments})

    def rank(self, segment: str | None, followers: int | None) -> int:
        if segment is None:
            return WORST_RANK  # no profile yet
        return reach_rank(self.weights.get(segment, 0), followers)

    def rank_expr(self) -> object:
        """The same rule in SQL over `AuthorRow` (for the bulk refresh)."""
        if not self.weights:
            weight = literal(0)
        else:
            weight = case({s: max(0, min(MAX_WEIGHT, round(w))) for s, w in self.weights.items()},
                          value=AuthorRow.segment, else_=0)
        followers = func.coalesce(AuthorRow.followers, 0)
        band = case((followers >= FOLLOWER_BANDS[1], 2), (followers >= FOLLOWER_BANDS[0], 1), else_=0)
        return (MAX_WEIGHT - weight) * BANDS + (BANDS - 1 - band)


def author_reach(session: Session, rule: ReachRule,
                 keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """(platform, author_id) -> (reach_rank, segment) for the authors that have a profile row; an author
    without one is ranked WORST_RANK in segment NO_PROFILE (`ReachRule.rank(None, None)`)."""
    wanted = sorted(set(keys))
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for start in range(0, len(wanted), 500):
        by_platform: dict[str, list[str]] = {}
        for platform, author_id in wanted[start:start + 500]:
            by_platform.setdefault(platform, []).append(author_id)
        stmt = (select(AuthorRow.platform, AuthorRow.author_id, AuthorRow.segment, AuthorRow.followers)
                .where(or_(*(and_(AuthorRow.platform == p, AuthorRow.author_id.in_(ids))
                             for p, ids in by_platform.items()))))
        for platform, author_id, segment, followers in session.execute(stmt):
            out[(platform, author_id)] = (rule.rank(segment, followers), segment)
    return out


def refresh_reach(session: Session, rule: ReachRule, keys: Iterable[tuple[str, str]]) -> int:
    """Rewrite `reach_rank` and `segment` of every review row of these authors' posts after their segment or
    followers changed (an override, a daily profile refresh, a new profile). Rows already right are not touched.

    One UPDATE per author through `ix_posts_author (platform, author_id, created_at)`; returns rows changed.
    """
    wanted = sorted(set(keys))
    reach = author_reach(session, rule, wanted)
    changed = 0
    for key in wanted:
        rank, segment = reach.get(key, (WORST_RANK, NO_PROFILE))
        posts = select(PostRow.id).where(PostRow.platform == key[0], PostRow.author_id == key[1])
        stmt = (update(PostReviewRow)
                .where(PostReviewRow.post_id.in_(posts),
                       or_(PostReviewRow.reach_rank != rank, PostReviewRow.segment != segment))
                .values(reach_rank=rank, segment=segment)
                .execution_options(synchronize_session=False))
        changed += session.execute(stmt).rowcount or 0
    return changed


def refresh_all_reach(session: Session, rule: ReachRule) -> int:
    """Rewrite `reach_rank` and `segment` of every review row whose value moved (after the segments change):
    one UPDATE (two correlated lookups of the post's author per row checked)."""
    def author_value(column: Any) -> Any:
        return (select(column)
                .where(AuthorRow.platform == PostRow.platform, AuthorRow.author_id == PostRow.author_id,
                       PostRow.id == PostReviewRow.post_id)
                .scalar_subquery())

    new_rank = func.coalesce(author_value(rule.rank_expr()), WORST_RANK)
    new_segment = func.coalesce(author_value(AuthorRow.segment), NO_PROFILE)
    stmt = (update(PostReviewRow)
            .where(or_(PostReviewRow.reach_rank != new_rank, PostReviewRow.segment != new_segment))
            .values(reach_rank=new_rank, segment=new_segment))
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0

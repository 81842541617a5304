"""The community managers' inbox, read side: filtered, keyset-paged lists of citizen posts, counts, one post.

Why keyset paging: OFFSET gets slower with every page on a million rows, a (created_at, id) bookmark does not
— the newest-first list walks `ix_posts_created_at` backwards and stops after one page. Which posts a filter
set means (and the indexed text search) is written in `storage/inbox_filters.py`.

Every analysed citizen post has a `post_reviews` row (written by `ReviewRepository.sync_rows` when it is
first analysed) holding its state and its urgency keys (tier, due_at): the pending views, their counts and
the urgency order start from that table's indexes instead of reading every post. The writes (state,
assignee, corrections, notes and their audit trail) are in `storage/review_changes.py`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property, partial
from typing import Any

from sqlalchemy import ColumnElement, SmallInteger, Text, and_, cast, func, literal, or_, select, tuple_
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from storage.inbox_filters import (
    NO_PLACE,
    NO_PROFILE,
    POSTS_FTS,
    SORTS,
    A,
    InboxFilters,
    InboxQuery,
    IncidentScope,
    P,
    R,
    decode_cursor,
    encode_cursor,
    state_expr,
    trigram_query,
)
from storage.models import AuthorRow, IncidentRow, PostEventRow, PostLabelRow, PostRow, UserRow, UTCDateTime
from storage.review_changes import PENDING_STATES, REVIEW_STATES
from storage.search_text import fold_search_text

WINDOWS = (timedelta(days=2), timedelta(days=15), timedelta(days=120))  # newest-first search windows
# A common search term (SQLite): the windows in which the newest posts are read and checked one by one.
WALK_WINDOWS = WINDOWS[:2]
_METRICS = ("likes", "reposts", "replies", "quotes", "bookmarks", "impressions", "reactions", "comments",
            "shares", "saves")


@dataclass(frozen=True)
class InboxRow:
    id: int
    platform: str
    kind: str
    account: str
    author_handle: str
    text: str
    created_at: datetime
    url: str | None
    category: str | None
    sentiment: str | None
    sentiment_score: float | None
    topics: tuple[str, ...]
    flags: tuple[str, ...]
    state: str
    assignee_id: int | None
    assignee_name: str | None
    tier: int = 2
    due_at: datetime | None = None  # set in the urgency order only
    reach_rank: int | None = None  # set in the urgency order only
    author_id: str = ""
    profile: AuthorProfile | None = None  # None: the author has no profile row yet ("sin perfil")
    campaigns: tuple[str, ...] = ()  # campaign ids the post matched
    place_dpto: str | None = None  # DANE department code, None: no evidence placed it
    place_mpio: str | None = None  # DANE municipality code when the evidence named one
    place_evidence: str | None = None  # "geo" | "text" | "profile"


@dataclass(frozen=True)
class AuthorProfile:
    """What a row shows of its author: the profile row's id (for its page), segment and followers."""

    id: int
    segment: str
    followers: int | None
    verified_type: str | None = None


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None


@dataclass(frozen=True)
class Facets:
    """Counts per filter value, each computed with every other filter applied (as in a shop's sidebar)."""

    total: int
    platform: dict[str, int] = field(default_factory=dict)
    account: dict[str, int] = field(default_factory=dict)
    category: dict[str, int] = field(default_factory=dict)
    sentiment: dict[str, int] = field(default_factory=dict)
    state: dict[str, int] = field(default_factory=dict)
    assignee: dict[str, int] = field(default_factory=dict)
    topic: dict[str, int] = field(default_factory=dict)
    flag: dict[str, int] = field(default_factory=dict)
    dpto: dict[str, int] = field(default_factory=dict)  # DANE department code, or NO_PLACE
    campaign: dict[str, int] = field(default_factory=dict)  # campaign id


@dataclass(frozen=True)
class PostEvent:
    user: str
    action: str
    old_value: str | None
    new_value: str | None
    created_at: datetime


@dataclass(frozen=True)
class PostDetail:
    row: InboxRow
    author_id: str
    lang: str | None
    external_id: str
    conversation_id: str | None
    in_reply_to_id: str | None
    analysis_rules: tuple[str, ...]
    analysis_version: str | None
    analyzed_at: datetime | None
    analysis_lang: str | None
    metrics: dict[str, int | None]
    review_updated_at: datetime | None
    review_updated_by: str | None
    is_own: bool = False


@dataclass(frozen=True)
class ThreadPost:
    id: int
    author_handle: str
    text: str
    created_at: datetime
    is_own: bool
    url: str | None
    in_reply_to_id: str | None
    external_id: str


class InboxRepository:
    """Read side of the inbox. Never commits."""

    def __init__(self, session: Session):
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self._set_sizes: dict[tuple[str, str], int] = {}  # see `_set_size`

    @cached_property
    def _text_index(self) -> bool:
        """Whether migrations 0006/0009 could build the SQLite trigram table (not on SQLite without FTS5 trigram)."""
        if self.dialect != "sqlite":
            return False
        found = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'posts_fts'"
        return self.session.execute(sql_text(found)).first() is not None

    # A search term with at least this many trigram candidates is "common" (SQLite): see `_common_term`.
    common_term = 2000

    # A segment with fewer profiles than this is "sparse": its posts are found from its authors (inbox_filters).
    sparse_authors = 5000

    # A department with fewer placed posts than this is "sparse" (SQLite): found through ix_analyses_place_dpto.
    sparse_place_posts = 5000

    # A campaign with fewer labelled posts than this is read in one query, without the newest-first windows.
    small_campaign_posts = 20000

    def _query(self, filters: InboxFilters, state_index: bool = False, text_index: bool | None = None,
               since: datetime | None = None, until: datetime | None = None) -> InboxQuery:
        text_index = self._text_index if text_index is None else text_index
        sparse = filters.segment is not None and self._sparse_segment(filters.segment)
        return InboxQuery(filters, self.dialect, state_index=state_index, text_index=text_index, sparse_segment=sparse,
                          since=since, until=until, sparse_place=self._sparse_place(filters.dpto))

    def _bounded_count(self, probe: Any, bound: int) -> int:
        """The rows of `probe`, counted up to `bound` only: a walk of the index that serves its condition that
        stops at the threshold the caller compares with, however large the set."""
        return int(self.session.scalar(select(func.count()).select_from(probe.limit(bound).subquery())) or 0)

    def _set_size(self, key: tuple[str, str], probe: Any, bound: int) -> int:
        """`_bounded_count` of a campaign's, a department's or a segment's set, once per repository (one request;
        an export pages through many batches with the same filters)."""
        if key not in self._set_sizes:
            self._set_sizes[key] = self._bounded_count(probe, bound)
        return self._set_sizes[key]

    def _small_campaign(self, campaign: str | None) -> bool:
        """Whether the campaign has fewer than `small_campaign_posts` posts (a bounded count on
        `ix_post_labels_kind_value`, 1-3 ms). Its page is then one query over its whole set, sorted: the set is
        what every window would read anyway (post_labels has no date), and an old campaign has no post in the
        recent windows, so each of them read it all for nothing (1M posts, PostgreSQL, a campaign of 8,000 posts
        200 days old: four passes)."""
        if campaign is None:
            return False
        probe = select(PostLabelRow.post_id).where(PostLabelRow.kind == "campaign", PostLabelRow.value == campaign)
        return self._set_size(("campaign", campaign), probe, self.small_campaign_posts) < self.small_campaign_posts

    def _placed_posts(self, dpto: str | None) -> int | None:
        """How many posts are placed in department `dpto`, counted up to `small_set_posts` (a bounded count on
        `ix_analyses_place_dpto`, once per repository); None for no department filter or "sin ubicación"."""
        if dpto is None or dpto == NO_PLACE:
            return None
        return self._set_size(("dpto", dpto), select(A.post_id).where(A.place_dpto == dpto), self.small_set_posts)

    def _sparse_place(self, dpto: str | None) -> bool:
        """Whether department `dpto` has fewer than `sparse_place_posts` placed posts. SQLite only (PostgreSQL
        has the column's statistics).

        Its posts are then read from the index and sorted (a few thousand rows); a frequent department's are
        found faster by walking the newest posts (see `InboxQuery._place`).
        """
        placed = self._placed_posts(dpto) if self.dialect == "sqlite" else None
        return placed is not None and placed < self.sparse_place_posts

    # In the urgency order, a campaign or department with fewer posts than this is one sorted query over its set.
    small_set_posts = 20000

    def _small_set(self, filters: InboxFilters) -> bool:
        """Whether the filters name a campaign or a department with few posts (see `_urgency_rows`)."""
        placed = self._placed_posts(filters.dpto)
        return self._small_campaign(filters.campaign) or (placed is not None and placed < self.small_set_posts)

    def _sparse_segment(self, segment: str) -> bool:
        """Whether the segment has fewer than `sparse_authors` profiles: a bounded count on `ix_authors_segment`
        (1-2 ms at most), once per repository (one request). SQLite only: PostgreSQL plans the EXISTS as a
        semi-join from its statistics, and the id set measured slower there (1M posts, pending, newest first:
        gobierno_y_politica 277 ms as a set, 55 ms as EXISTS)."""
        if self.dialect != "sqlite" or segment == NO_PROFILE:
            return False
        probe = select(AuthorRow.id).where(AuthorRow.segment == segment)
        return self._set_size(("segment", segment), probe, self.sparse_authors) < self.sparse_authors

    def _common_term(self, filters: InboxFilters) -> bool:
        """Whether the search term has `common_term` trigram candidates or more (SQLite's trigram table).

        Such a term is found on the newest posts faster by reading them in the list's order and checking
        the LIKE (a few hundred rows for a page) than by joining, rechecking and sorting every candidate
        (78,000 posts, 250-600 ms, for a word in 8 % of a million posts). The probe reads at most
        `common_term` rowids from the index: about 1 ms for a word, more for a phrase (26 ms for
        "gracias por señal", 3,900 candidates, whose page then takes 37 ms in all instead of 134).
        """
        q = filters.q.strip() if filters.q else ""
        if not self._text_index or not q:
            return False
        phrase = trigram_query(fold_search_text(q))
        if phrase is None:
            return False  # no trigram: the plain LIKE walks the list already
        probe = select(POSTS_FTS.c.rowid).where(POSTS_FTS.c.posts_fts.match(phrase))
        return self._bounded_count(probe, self.common_term) >= self.common_term

    def _base(self, *columns: Any, from_reviews: bool = False) -> Any:
        """Posts with their analysis and review row; `from_reviews` when a state condition needs the row.

        Starting from `post_reviews` lets the planner use its state indexes (neither SQLite nor the query
        text turns the outer join into an inner one by itself).
        """
        if from_reviews:
            return select(*columns).select_from(R).join(P, P.id == R.post_id).outerjoin(A, A.post_id == P.id)
        return (
            select(*columns)
            .select_from(P)
            .outerjoin(A, A.post_id == P.id)
            .outerjoin(R, R.post_id == P.id)
        )

    def _row_columns(self) -> list[Any]:
        return [
            P.id, P.platform, P.kind, P.account, P.author_handle, P.text, P.created_at, P.url,
            A.category, A.sentiment, A.sentiment_score, A.topics, A.flags,
            state_expr().label("state"), R.assignee_id, P.author_id,
            A.campaigns, A.place_dpto, A.place_mpio, A.place_evidence,
        ]

    def page(self, filters: InboxFilters, cursor: str | None = None, limit: int = 50) -> InboxPage:
        """One page of the filtered list and the bookmark of the next page (None on the last page)."""
        sort = filters.sort if filters.sort in SORTS else "recent"
        after = decode_cursor(cursor, sort)
        columns = self._row_columns()
        if sort == "urgency":
            rows = self._urgency_rows(filters, after, limit + 1)
            more = len(rows) > limit
            items = self._to_rows(rows[:limit], with_urgency=True)
            last = items[-1] if items else None
            due = last.due_at.isoformat() if last and last.due_at else None
            token = encode_cursor([sort, last.tier, last.reach_rank, due, last.id]) if more and last else None
            return InboxPage(items, token)
        anchor = after[1] if after is not None else None

        def newest_first(since: datetime | None, text_index: bool | None = None) -> Any:
            """The page query, restricted to posts from `since` (a search window) when given."""
            cond = self._query(filters, text_index=text_index, since=since, until=anchor).conditions()
            stmt = self._base(*columns).where(*cond)
            if since is not None:
                stmt = stmt.where(P.created_at >= since)
            if after is not None:
                _, at, i = after
                # `<=` first so the database walks the created_at index from the bookmark down.
                stmt = stmt.where(P.created_at <= at, or_(P.created_at < at, P.id < i))
            return stmt.order_by(P.created_at.desc(), P.id.desc()).limit(limit + 1)

        walk = partial(newest_first, text_index=False) if self._common_term(filters) else None
        windows = () if self._small_campaign(filters.campaign) else WINDOWS
        rows = self._newest_first(newest_first, anchor, limit + 1, walk, windows)
        more = len(rows) > limit
        items = self._to_rows(rows[:limit])
        last = items[-1] if items else None
        return InboxPage(items, encode_cursor([sort, last.created_at.isoformat(), last.id]) if more and last else None)

    def _newest_first(self, stmt: Callable[[datetime | None], Any], anchor: datetime | None, wanted: int,
                      walk: Callable[[datetime | None], Any] | None = None,
                      windows: Sequence[timedelta] = WINDOWS) -> list[Any]:
        """Run a newest-first page query in growing time windows before the whole table.

        `stmt(since)` and `walk(since)` build the query for posts from `since` (None: the whole table).

        Inbox work is recent, but no planner knows that a filter's matches cluster in the last days
        (PostgreSQL, seeing 1 % of posts flagged, sorts the whole table rather than walk the index). A
        window that already holds a full page gives the same answer as the whole table, at index speed.

        `walk`, for a common search term on SQLite, is the same query without the trigram narrowing: in the
        two short windows it reads the newest posts in order and checks the LIKE on each (6 ms for 2 days,
        40 ms for 15 days of a million posts), where the narrowed query would join and sort every candidate
        of the whole table in each window alike. If they hold no full page, the narrowed query runs once on
        the whole table. Same conditions, same order: the same rows either way.
        """
        top = anchor or self.session.scalar(select(func.max(P.created_at)))
        if top is None:
            return []
        if walk is not None:
            for window in WALK_WINDOWS:
                rows = self.session.execute(walk(top - window)).all()
                if len(rows) >= wanted:
                    return rows
            return self.session.execute(stmt(None)).all()
        for window in windows:
            rows = self.session.execute(stmt(top - window)).all()
            if len(rows) >= wanted:
                return rows
        return self.session.execute(stmt(None)).all()

    def _urgency_rows(self, filters: InboxFilters, after: list[Any] | None, limit: int) -> list[Any]:
        """Urgency order: one walk of `ix_post_reviews_urgency (state, tier, reach_rank, due_at, post_id)` per
        state: crisis first, then negative, then the rest; inside a tier the author's reach (storage/reach.py),
        then the legal due moment.

        With one state fixed the index is already in urgency order, so each walk starts at the bookmark and
        stops after `limit` matching rows; the walks (two for "pending") are merged here. A single query with
        `state IN (…)` would have to read and sort every pending post instead. Posts without a review row
        (not analysed yet) have no urgency and are left out of this order.

        Filtered by audience segment, the walk is of `ix_post_reviews_segment_urgency (state, segment, …)` on the
        segment the review row copies from the author (storage/reach.py keeps it current), so a rare segment
        reads its own few rows instead of the whole pending index joined to `authors` (1M posts, PostgreSQL,
        gobierno_y_politica: p95 290 ms before migration 0012).
        """
        if filters.state == "pending":
            states: tuple[str, ...] = PENDING_STATES
        else:
            states = (filters.state,) if filters.state in REVIEW_STATES else REVIEW_STATES
        segment = filters.segment
        groups: list[list[ColumnElement[bool]]] = []
        if self._small_set(filters):
            # A campaign's or a department's few thousand posts, read from their own index and sorted once for
            # all the states: the state walks would read most of the pending index to find their few rows
            # (1M synthetic posts, benchmarks/inbox_places.py, medians: an old campaign 136 -> 91 ms SQLite,
            # 195 -> 110 PostgreSQL; Chocó 121 -> 61 and 193 -> 85; Vaupés 157 -> 22 on SQLite).
            query = InboxQuery(replace(filters, segment=None), self.dialect, state_index=True,
                               text_index=self._text_index, sparse_place=True)
            cond = [*query.conditions(skip=frozenset({"state"})), query._dense(R.state).in_(states)]
            groups.append([*cond, R.segment == segment] if segment else cond)
            segment = None  # no index hint: the set drives this query
        else:
            for state in states:
                query = self._query(replace(filters, state=state, segment=None), state_index=True)
                groups.append([*query.conditions(), R.segment == segment] if segment else query.conditions())
        rows: list[Any] = []
        for cond in groups:
            stmt = self._base(*self._row_columns(), R.tier, R.reach_rank, R.due_at, from_reviews=True).where(*cond)
            if segment and self.dialect == "sqlite":
                # SQLite has no statistics to prefer the longer equality prefix on its own.
                stmt = stmt.with_hint(R, "INDEXED BY ix_post_reviews_segment_urgency", "sqlite")
            if after is not None:
                _, t, rank, d, i = after
                bookmark = tuple_(literal(t, SmallInteger()), literal(rank, SmallInteger()),
                                  literal(d, UTCDateTime()), literal(i, R.post_id.type))
                stmt = stmt.where(tuple_(R.tier, R.reach_rank, R.due_at, R.post_id) > bookmark)
            order = (R.tier, R.reach_rank, R.due_at, R.post_id)
            rows += self.session.execute(stmt.order_by(*order).limit(limit)).all()
        return sorted(rows, key=lambda r: (r.tier, r.reach_rank, r.due_at, r.id))[:limit]

    def iter_rows(self, filters: InboxFilters, batch: int = 1000) -> Iterator[InboxRow]:
        """Every row of the filtered list, in pages (for CSV export of any size)."""
        cursor: str | None = None
        while True:
            page = self.page(filters, cursor, limit=batch)
            yield from page.rows
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def _to_rows(self, rows: Sequence[Any], with_urgency: bool = False) -> list[InboxRow]:
        names = self._user_names({r.assignee_id for r in rows if r.assignee_id is not None})
        profiles = self.profiles({(r.platform, r.author_id) for r in rows})
        out = []
        for r in rows:
            out.append(InboxRow(
                id=r.id, platform=r.platform, kind=r.kind, account=r.account, author_handle=r.author_handle,
                text=r.text, created_at=r.created_at, url=r.url, category=r.category, sentiment=r.sentiment,
                sentiment_score=r.sentiment_score, topics=tuple(r.topics or ()), flags=tuple(r.flags or ()),
                state=r.state, assignee_id=r.assignee_id, assignee_name=names.get(r.assignee_id),
                tier=int(r.tier) if with_urgency else 2, due_at=r.due_at if with_urgency else None,
                reach_rank=int(r.reach_rank) if with_urgency else None, author_id=r.author_id,
                profile=profiles.get((r.platform, r.author_id)),
                campaigns=tuple(r.campaigns or ()), place_dpto=r.place_dpto, place_mpio=r.place_mpio,
                place_evidence=r.place_evidence,
            ))
        return out

    def profiles(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], AuthorProfile]:
        """The profiles of a page's authors, (platform, author_id) -> profile: one query after the page's, so
        the page query's plan stays what it was (and 50 probes of the unique index cost nothing)."""
        if not keys:
            return {}
        by_platform: dict[str, list[str]] = {}
        for platform, author_id in sorted(keys):
            by_platform.setdefault(platform, []).append(author_id)
        # One `platform = ? AND author_id IN (…)` per platform: both engines probe the unique index with it
        # (SQLite scans the whole table for a row-value `(platform, author_id) IN (VALUES …)`).
        stmt = (select(AuthorRow.platform, AuthorRow.author_id, AuthorRow.id, AuthorRow.segment, AuthorRow.followers,
                       AuthorRow.verified_type)
                .where(or_(*(and_(AuthorRow.platform == p, AuthorRow.author_id.in_(ids))
                             for p, ids in by_platform.items()))))
        return {(p, a): AuthorProfile(i, seg, fol, ver) for p, a, i, seg, fol, ver in self.session.execute(stmt)}

    def _user_names(self, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        stmt = select(UserRow.id, UserRow.display_name).where(UserRow.id.in_(ids))
        return {i: name for i, name in self.session.execute(stmt)}

    def label_counts(self, kind: str, values: Sequence[str]) -> dict[str, int]:
        """Posts per label value (e.g. per campaign id, own posts included), from `ix_post_labels_kind_value`."""
        if not values:
            return {}
        stmt = (select(PostLabelRow.value, func.count()).where(PostLabelRow.kind == kind,
                                                                PostLabelRow.value.in_(sorted(set(values))))
                .group_by(PostLabelRow.value))
        return {value: int(n) for value, n in self.session.execute(stmt)}

    def count(self, filters: InboxFilters) -> int:
        stmt = self._base(func.count()).where(*self._query(filters).conditions())
        return int(self.session.scalar(stmt) or 0)

    def contains(self, filters: InboxFilters, post_id: int) -> bool:
        """Whether a post is in the filtered list (after a change, to drop it from the page)."""
        stmt = self._base(P.id).where(P.id == post_id, *self._query(filters).conditions())
        return self.session.scalar(stmt) is not None

    def facets(self, filters: InboxFilters) -> Facets:
        """Counts per value of every filter, from one grouped scan whatever the number of facets.

        The scan applies the state filter and the filters that are not facets (dates, search, incident, segment)
        and groups by every facet column, topics, flags and campaigns included (as their JSON text); Python then
        adds up, for each facet, the groups that pass every other filter, so a facet's counts leave out its own
        filter and show the alternatives. The state facet is the exception: it splits the current state selection
        (counting every attended post of all time would mean reading the whole table for every page). So are the
        campaign and department facets when their filter is set outside the pending states (`_split_facets`).
        """
        split = self._split_facets(filters)
        facets = ("platform", "account", "category", "sentiment", "state", "assignee", "dpto", "topic", "flag",
                  "campaign")
        scalars = 7  # the columns before topics, flags and campaigns (JSON lists)
        # The campaign and department conditions stay in the scan only when their facet is split.
        scan = replace(filters, campaign=filters.campaign if "campaign" in split else None,
                       dpto=filters.dpto if "dpto" in split else None)
        query = self._query(scan, state_index=True)
        # SQLite would walk an index that starts with `platform` to group by it: a plain scan is 2-3x faster.
        platform = P.platform.concat("") if self.dialect == "sqlite" else P.platform
        cols = [platform, P.account, A.category, A.sentiment, state_expr(), R.assignee_id, A.place_dpto,
                cast(A.topics, Text), cast(A.flags, Text), cast(A.campaigns, Text)]
        skip = frozenset(facets) - {"state", "campaign", "dpto"}
        stmt = (self._base(*cols, func.count(), from_reviews=filters.state != "all")
                .where(*query.conditions(skip=skip)).group_by(*cols))
        checks = [(i, test) for i, test in enumerate(self._facet_tests(filters)) if test is not None]
        counts: dict[str, Counter[str]] = {name: Counter() for name in facets}
        total = 0
        parsed: dict[str | None, tuple[str, ...]] = {}  # each distinct JSON text parsed once
        for *row, n in self.session.execute(stmt):
            values: list[Any] = ["" if v is None else str(v) for v in row[:scalars]]
            values[6] = values[6] or NO_PLACE
            for raw in row[scalars:]:
                if raw not in parsed:
                    parsed[raw] = _json_list(raw)
                values.append(parsed[raw])
            failed = [i for i, test in checks if not test(values[i])]
            if not failed:
                total += n
            # A group counts for every facet when it passes every filter, for one facet when it fails only
            # that facet's own filter, and for none when it fails two or more.
            for i in failed if len(failed) == 1 else (range(len(facets)) if not failed else ()):
                for key in (values[i] if i >= scalars else (values[i],)):
                    counts[facets[i]][key] += n
        if "campaign" in split:  # the selection's co-labelled campaigns would link to other totals
            counts["campaign"] = Counter({filters.campaign: total} if total else {})
        return Facets(total=total, **{name: dict(sorted(counts[name].items(), key=lambda kv: (-kv[1], kv[0])))
                                      for name in facets})

    @staticmethod
    def _split_facets(filters: InboxFilters) -> frozenset[str]:
        """The campaign and department facets that show only the current selection, like the state facet.

        Leaving a set campaign or department filter out of the scan, to count the alternatives, costs nothing
        much in the pending states: the scan reads the pending posts from `ix_post_reviews_*` either way. Over
        all states (where a campaign's links lead, `estado=all`) or a closed state, it would read every post of
        all time instead of the campaign's set or a rare department's (1M posts: 8,000 rows instead of 1M), for
        every panel: there the facet splits the selection, and its link removes the filter.
        """
        if filters.state in (*PENDING_STATES, "pending"):
            return frozenset()
        return frozenset(name for name in ("campaign", "dpto") if getattr(filters, name))

    @staticmethod
    def _facet_tests(f: InboxFilters) -> list[Callable[[Any], bool] | None]:
        """One predicate per facet column, in `facets()` order; None where no filter is set (nothing to test)."""
        def eq(value: str | None) -> Callable[[Any], bool] | None:
            return None if value is None else (lambda v: v == value)

        def state_ok(v: str) -> bool:
            if f.state == "pending":
                return v in PENDING_STATES
            return v == f.state

        def has(value: str | None) -> Callable[[Any], bool] | None:
            if not value:
                return None
            return (lambda items: bool(items)) if value == "any" else (lambda items: value in items)

        def member(value: str | None) -> Callable[[Any], bool] | None:  # no "any" here: it could be a campaign id
            return None if not value else (lambda items: value in items)

        # "none" is the column's "" (no assignee), a value to test like any other
        assignee = eq(None if not f.assignee else "" if f.assignee == "none" else f.assignee)
        state = state_ok if f.state == "pending" or f.state in REVIEW_STATES else None
        return [eq(f.platform or None), eq(f.account or None), eq(f.category or None), eq(f.sentiment or None),
                state, assignee, eq(f.dpto or None),
                has(f.topic), has(f.flag), member(f.campaign)]

    # --- one post -------------------------------------------------------------------------------------

    def detail(self, post_id: int) -> PostDetail | None:
        cols = [*self._row_columns(), P.lang, P.external_id, P.conversation_id, P.in_reply_to_id,
                A.rules, A.version, A.analyzed_at, A.lang.label("analysis_lang"), R.updated_at, R.updated_by,
                P.is_own, *(getattr(P, m) for m in _METRICS)]
        row = self.session.execute(self._base(*cols).where(P.id == post_id)).first()
        if row is None:
            return None
        return PostDetail(
            row=self._to_rows([row])[0], author_id=row.author_id, lang=row.lang, external_id=row.external_id,
            conversation_id=row.conversation_id, in_reply_to_id=row.in_reply_to_id,
            analysis_rules=tuple(row.rules or ()), analysis_version=row.version, analyzed_at=row.analyzed_at,
            analysis_lang=row.analysis_lang, metrics={m: getattr(row, m) for m in _METRICS},
            review_updated_at=row.updated_at, review_updated_by=row.updated_by, is_own=bool(row.is_own),
        )

    def author_posts(self, platform: str, author_id: str, limit: int = 20) -> list[InboxRow]:
        """An author's newest posts (any state; the ministry's own too), through `ix_posts_author`."""
        stmt = (self._base(*self._row_columns())
                .where(P.platform == platform, P.author_id == author_id)
                .order_by(P.created_at.desc(), P.id.desc()).limit(limit))
        return self._to_rows(self.session.execute(stmt).all())

    def thread(self, post_id: int, limit: int = 200) -> list[ThreadPost]:
        """The conversation around a post: same conversation, its parent, and replies to it (ministry's too).

        One small query per link, each on its own index, rather than one OR that a planner may scan for.
        """
        post = self.session.get(PostRow, post_id)
        if post is None:
            return []
        links: list[ColumnElement[bool]] = [P.in_reply_to_id == post.external_id]
        if post.conversation_id:
            links += [P.conversation_id == post.conversation_id, P.external_id == post.conversation_id]
        if post.in_reply_to_id:
            links.append(P.external_id == post.in_reply_to_id)
        ids = {post.id}
        for link in links:
            ids.update(self.session.scalars(select(P.id).where(P.platform == post.platform, link).limit(limit)))
        stmt = (select(P.id, P.author_handle, P.text, P.created_at, P.is_own, P.url, P.in_reply_to_id,
                       P.external_id)
                .where(P.id.in_(sorted(ids)[:limit])).order_by(P.created_at, P.id))
        return [ThreadPost(*r) for r in self.session.execute(stmt)]

    def events(self, post_id: int) -> list[PostEvent]:
        stmt = (select(PostEventRow.user, PostEventRow.action, PostEventRow.old_value, PostEventRow.new_value,
                       PostEventRow.created_at)
                .where(PostEventRow.post_id == post_id)
                .order_by(PostEventRow.created_at.desc(), PostEventRow.id.desc()))
        return [PostEvent(*r) for r in self.session.execute(stmt)]

    def incident_scope(self, incident_id: int) -> IncidentScope | None:
        row = self.session.get(IncidentRow, incident_id)
        if row is None:
            return None
        return IncidentScope(row.id, row.opened_at, row.closed_at, tuple(row.keys or ()))


def _json_list(raw: str | None) -> tuple[str, ...]:
    try:
        values = json.loads(raw) if raw else []
    except ValueError:
        return ()
    return tuple(dict.fromkeys(str(v) for v in values)) if isinstance(values, list) else ()

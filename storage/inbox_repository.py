"""The community managers' inbox: filtered, keyset-paged lists of citizen posts, counts, and review writes.

Why keyset paging: OFFSET gets slower with every page on a million rows, a (created_at, id) bookmark does not
— the newest-first list walks `ix_posts_created_at` backwards and stops after one page. Full-text search is
a case-insensitive substring match (`lower(text) LIKE …` on SQLite, `ILIKE` on PostgreSQL), made fast by the
trigram indexes of migration 0006: PostgreSQL's GIN index serves ILIKE as is; on SQLite the same condition is
narrowed by the `posts_fts` trigram table (see `InboxQuery.conditions`).

Every analysed citizen post has a `post_reviews` row (written by `ReviewRepository.sync_rows` when it is
first analysed) holding its state and its urgency keys (tier, due_at): the pending views, their counts and
the urgency order start from that table's indexes instead of reading every post.

Human corrections overwrite the stored analysis (so filters and counts see the corrected value) and leave a
trail: one `corrections` row (read by `train --from-corrections`) and one `post_events` row per change.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SmallInteger,
    String,
    Text,
    and_,
    cast,
    delete,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, aliased

from storage.models import (
    AnalysisRow,
    CorrectionRow,
    IncidentRow,
    PostEventRow,
    PostLabelRow,
    PostReviewRow,
    PostRow,
    UserRow,
    UTCDateTime,
)
from storage.repositories import dialect_insert, utc_now
from storage.web_accounts import ASSIGNABLE_ROLES

REVIEW_STATES = ("new", "in_progress", "attended", "not_applicable")
PENDING_STATES = ("new", "in_progress")
SORTS = ("recent", "urgency")
# Legal response terms (Ley 1755 de 2015) in business days, by PQRSD category. Categories without a duty to
# answer (praise, "otro") get the longest term so they sort after the rest. 10 business days are exactly 14
# calendar days from a weekday, 15 are 21 and 30 are 42: the stored due moment uses those calendar offsets.
DEADLINE_BUSINESS_DAYS = {"peticion": 10, "queja": 15, "reclamo": 15, "sugerencia": 15, "denuncia": 15}
DEFAULT_DEADLINE_BUSINESS_DAYS = 30
MAX_NOTE_CHARS = 4000
WINDOWS = (timedelta(days=2), timedelta(days=15), timedelta(days=120))  # newest-first search windows
_METRICS = ("likes", "reposts", "replies", "quotes", "bookmarks", "impressions", "reactions", "comments",
            "shares", "saves")

P, A, R = PostRow, AnalysisRow, PostReviewRow
# The SQLite trigram index of posts.text (migration 0006): an FTS5 table whose rowid is posts.id.
POSTS_FTS = sql_table("posts_fts", sql_column("rowid"), sql_column("posts_fts"))
TRIGRAM = 3


@dataclass(frozen=True)
class IncidentScope:
    """The posts an alert's inbox link means: the incident's time window and the keys that spiked."""

    incident_id: int
    start: datetime
    end: datetime | None
    keys: tuple[str, ...]


@dataclass(frozen=True)
class InboxFilters:
    platform: str | None = None
    account: str | None = None
    category: str | None = None
    topic: str | None = None
    sentiment: str | None = None
    flag: str | None = None  # a crisis flag, or "any"
    state: str = "pending"  # "pending" | "all" | one of REVIEW_STATES
    assignee: str | None = None  # a user id as text, or "none"
    date_from: datetime | None = None  # inclusive, aware UTC
    date_to: datetime | None = None  # exclusive, aware UTC
    q: str | None = None
    incident: IncidentScope | None = None
    sort: str = "recent"


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


def _label_exists(kind: str, value: str | None = None) -> ColumnElement[bool]:
    label = aliased(PostLabelRow)  # its own alias: the facet query joins post_labels too
    cond = [label.post_id == P.id, label.kind == kind]
    if value is not None:
        cond.append(label.value == value)
    return exists().where(*cond)


def _key_condition(key: str) -> ColumnElement[bool]:
    """SQL for one spike-detector key (see bot/spike_keys.py for their meaning)."""
    kind, _, rest = key.partition(":")
    if key == "all":
        return true()
    if kind == "sentiment":
        return A.sentiment == rest
    if kind == "category":
        return A.category == rest
    if kind == "topic":
        return _label_exists("topic", rest)
    if kind == "flag":
        return _label_exists("flag", rest)
    if kind == "account":
        platform, _, handle = rest.partition(":")
        return and_(P.platform == platform, P.account == handle)
    return false()


def trigram_query(q: str) -> str | None:
    """An FTS5 MATCH expression for the posts that may contain `q`, or None when no trigram can narrow it.

    Each run of 3+ characters between `%`/`_` becomes a quoted phrase, which the trigram tokenizer matches as
    a substring with Unicode case folded: a superset of what the plain LIKE matches (shorter runs and the
    metacharacters are left out, so they only widen it). MATCH rather than FTS5's own LIKE: LIKE re-reads
    every candidate's text from `posts` (100 ms for a common word on a million posts, MATCH 7 ms), and the
    plain condition rechecks the candidates anyway.
    """
    runs = [run for run in re.split(r"[%_]", q) if len(run) >= TRIGRAM]
    if not runs:
        return None
    return " AND ".join('"' + run.replace('"', '""') + '"' for run in runs)


def _text_search(q: str, text_index: bool) -> list[ColumnElement[bool]]:
    """Case-insensitive substring search; with the SQLite trigram index, narrowed by it first.

    The plain condition always stays, so results are exactly those of the plain LIKE (the index only
    finds candidates). Below 3 characters a trigram index cannot help: the plain condition alone.
    """
    cond = [P.text.icontains(q, autoescape=True)]
    phrase = trigram_query(q) if text_index else None
    if phrase is not None:
        cond.insert(0, P.id.in_(select(POSTS_FTS.c.rowid).where(POSTS_FTS.c.posts_fts.match(phrase))))
    return cond


def _state_expr() -> ColumnElement[str]:
    return func.coalesce(R.state, "new")


def urgency_keys(created_at: datetime, category: str | None, sentiment: str | None,
                 flags: Sequence[str] | None) -> tuple[int, datetime]:
    """(tier, due_at) of a post: 0 = a crisis flag, 1 = negative, 2 = the rest; then the legal due moment.

    Stored in `post_reviews` so the urgency order is an index walk. The due moment is created_at plus the
    category's term in calendar days (10 business days = 14 days), close enough to order by; the page shows
    the exact business-day deadline (bot/web/deadlines.py).
    """
    tier = 0 if flags else 1 if sentiment == "negative" else 2
    days = DEADLINE_BUSINESS_DAYS.get(category or "", DEFAULT_DEADLINE_BUSINESS_DAYS)
    return tier, created_at + timedelta(days=days * 7 // 5)


class InboxQuery:
    """Builds the WHERE clauses of a filter set, optionally leaving some filters out (for facet counts).

    On SQLite, equality on a frequent value (a category, a sentiment, "attended") is written so that the
    planner cannot pick that column's index: without statistics it would, then sort a quarter of the table
    to find the newest 50, where walking `ix_posts_created_at` backwards finds them in a few hundred rows.
    Sparse sets keep their index: an assignee's open posts use `ix_post_reviews_assignee (assignee_id, state)`.
    """

    def __init__(self, filters: InboxFilters, dialect: str = "postgresql", state_index: bool = False,
                 text_index: bool = False):
        self.f = filters
        self.sqlite = dialect == "sqlite"
        self.text_index = text_index and self.sqlite  # the `posts_fts` table exists (SQLite only)
        # The newest-first list finds its page by walking created_at (recent posts are mostly pending), but
        # the urgency order and the counts read the whole pending set: for them the state index is the way.
        self.state_index = state_index

    def _dense(self, column: Any) -> Any:
        """`column` as an expression no index matches (SQLite only; PostgreSQL has statistics)."""
        if not self.sqlite:
            return column
        return column.concat("") if isinstance(column.type, String) else column + 0

    def conditions(self, skip: frozenset[str] = frozenset()) -> list[ColumnElement[bool]]:
        f = self.f
        cond: list[ColumnElement[bool]] = [P.is_own.is_(False)]
        if f.platform and "platform" not in skip:
            cond.append(self._dense(P.platform) == f.platform)  # else SQLite borrows an index that starts with it
        if f.account and "account" not in skip:
            cond.append(P.account == f.account)  # ix_posts_account_created_at is ordered by time: keep it
        for name, column in (("category", A.category), ("sentiment", A.sentiment)):
            value = getattr(f, name)
            if value and name not in skip:
                cond.append(self._dense(column) == value)
        if f.topic and "topic" not in skip:
            cond.append(_label_exists("topic", f.topic))
        if f.flag and "flag" not in skip:
            cond.append(_label_exists("flag", None if f.flag == "any" else f.flag))
        assignee = f.assignee if f.assignee and "assignee" not in skip else None
        someone = assignee is not None and assignee.isdigit()
        if "state" not in skip:
            cond.extend(self._state(f.state, someone))
        if assignee == "none":
            cond.append(R.assignee_id.is_(None))
        elif someone:
            sparse = f.state in (*PENDING_STATES, "pending") and "state" not in skip
            cond.append((R.assignee_id if sparse else self._dense(R.assignee_id)) == int(assignee))
        if f.date_from is not None:
            cond.append(P.created_at >= f.date_from)
        if f.date_to is not None:
            cond.append(P.created_at < f.date_to)
        if f.q and f.q.strip():
            cond.extend(_text_search(f.q.strip(), self.text_index))
        if f.incident is not None:
            scope = f.incident
            cond.append(P.created_at >= scope.start)
            if scope.end is not None:
                cond.append(P.created_at < scope.end)
            if "all" not in scope.keys:
                cond.append(or_(*(_key_condition(k) for k in scope.keys)) if scope.keys else false())
        return cond

    def _state(self, state: str, assigned: bool) -> list[ColumnElement[bool]]:
        """Every analysed citizen post has a review row, so a state is a plain condition on it.

        (A post not analysed yet has no row: it joins the pending views once analysed, seconds later.)
        """
        if state == "pending":
            if assigned or self.state_index:
                return [R.state.in_(PENDING_STATES)]
            return [self._dense(R.state).in_(PENDING_STATES)]
        if state == "new":
            return [R.state == "new"]
        if state == "in_progress":
            return [R.state == state]
        if state in REVIEW_STATES:
            return [(R.state if self.state_index else self._dense(R.state)) == state]
        return []


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None, sort: str) -> list[Any] | None:
    """The bookmark in a `cursor` parameter, or None when it is missing or not one of ours."""
    if not token:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or not values or values[0] != sort:
        return None
    try:
        if sort == "recent" and len(values) == 3:
            return [sort, datetime.fromisoformat(values[1]), int(values[2])]
        if sort == "urgency" and len(values) == 4:
            due = datetime.fromisoformat(values[2])
            return [sort, int(values[1]), due, int(values[3])] if due.tzinfo is not None else None
    except (TypeError, ValueError):
        return None
    return None


class InboxRepository:
    """Read side of the inbox. Never commits."""

    def __init__(self, session: Session):
        self.session = session
        self.dialect = session.get_bind().dialect.name

    @cached_property
    def _text_index(self) -> bool:
        """Whether migration 0006 could build the SQLite trigram table (it skips SQLite without FTS5 trigram)."""
        if self.dialect != "sqlite":
            return False
        found = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'posts_fts'"
        return self.session.execute(sql_text(found)).first() is not None

    def _query(self, filters: InboxFilters, state_index: bool = False) -> InboxQuery:
        return InboxQuery(filters, self.dialect, state_index=state_index, text_index=self._text_index)

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
            _state_expr().label("state"), R.assignee_id,
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
            token = encode_cursor([sort, last.tier, due, last.id]) if more and last else None
            return InboxPage(items, token)
        cond = self._query(filters).conditions()
        stmt = self._base(*columns).where(*cond)
        anchor = None
        if after is not None:
            _, anchor, i = after
            # `<=` first so the database walks the created_at index from the bookmark down.
            stmt = stmt.where(P.created_at <= anchor, or_(P.created_at < anchor, P.id < i))
        stmt = stmt.order_by(P.created_at.desc(), P.id.desc()).limit(limit + 1)
        rows = self._newest_first(stmt, anchor, limit + 1)
        more = len(rows) > limit
        items = self._to_rows(rows[:limit])
        last = items[-1] if items else None
        return InboxPage(items, encode_cursor([sort, last.created_at.isoformat(), last.id]) if more and last else None)

    def _newest_first(self, stmt: Any, anchor: datetime | None, wanted: int) -> list[Any]:
        """Run a newest-first page query in growing time windows before the whole table.

        Inbox work is recent, but no planner knows that a filter's matches cluster in the last days
        (PostgreSQL, seeing 1 % of posts flagged, sorts the whole table rather than walk the index). A
        window that already holds a full page gives the same answer as the whole table, at index speed.
        """
        top = anchor or self.session.scalar(select(func.max(P.created_at)))
        if top is None:
            return []
        for window in WINDOWS:
            rows = self.session.execute(stmt.where(P.created_at >= top - window)).all()
            if len(rows) >= wanted:
                return rows
        return self.session.execute(stmt).all()

    def _urgency_rows(self, filters: InboxFilters, after: list[Any] | None, limit: int) -> list[Any]:
        """Urgency order: one walk of `ix_post_reviews_urgency (state, tier, due_at, post_id)` per state.

        With one state fixed the index is already in urgency order, so each walk starts at the bookmark and
        stops after `limit` matching rows; the walks (two for "pending") are merged here. A single query with
        `state IN (…)` would have to read and sort every pending post instead. Posts without a review row
        (not analysed yet) have no urgency and are left out of this order.
        """
        if filters.state == "pending":
            states: tuple[str, ...] = PENDING_STATES
        else:
            states = (filters.state,) if filters.state in REVIEW_STATES else REVIEW_STATES
        rows: list[Any] = []
        for state in states:
            cond = self._query(replace(filters, state=state), state_index=True).conditions()
            stmt = self._base(*self._row_columns(), R.tier, R.due_at, from_reviews=True).where(*cond)
            if after is not None:
                _, t, d, i = after
                bookmark = tuple_(literal(t, SmallInteger()), literal(d, UTCDateTime()), literal(i, R.post_id.type))
                stmt = stmt.where(tuple_(R.tier, R.due_at, R.post_id) > bookmark)
            rows += self.session.execute(stmt.order_by(R.tier, R.due_at, R.post_id).limit(limit)).all()
        return sorted(rows, key=lambda r: (r.tier, r.due_at, r.id))[:limit]

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
        out = []
        for r in rows:
            out.append(InboxRow(
                id=r.id, platform=r.platform, kind=r.kind, account=r.account, author_handle=r.author_handle,
                text=r.text, created_at=r.created_at, url=r.url, category=r.category, sentiment=r.sentiment,
                sentiment_score=r.sentiment_score, topics=tuple(r.topics or ()), flags=tuple(r.flags or ()),
                state=r.state, assignee_id=r.assignee_id, assignee_name=names.get(r.assignee_id),
                tier=int(r.tier) if with_urgency else 2, due_at=r.due_at if with_urgency else None,
            ))
        return out

    def _user_names(self, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        stmt = select(UserRow.id, UserRow.display_name).where(UserRow.id.in_(ids))
        return {i: name for i, name in self.session.execute(stmt)}

    def count(self, filters: InboxFilters) -> int:
        stmt = self._base(func.count()).where(*self._query(filters).conditions())
        return int(self.session.scalar(stmt) or 0)

    def contains(self, filters: InboxFilters, post_id: int) -> bool:
        """Whether a post is in the filtered list (after a change, to drop it from the page)."""
        stmt = self._base(P.id).where(P.id == post_id, *self._query(filters).conditions())
        return self.session.scalar(stmt) is not None

    def facets(self, filters: InboxFilters) -> Facets:
        """Counts per value of every filter, from one grouped scan whatever the number of facets.

        The scan applies the state filter and the filters that are not facets (dates, search, incident) and
        groups by every facet column, topics and flags included (as their JSON text); Python then adds up, for
        each facet, the groups that pass every other filter, so a facet's counts leave out its own filter and
        show the alternatives. The state facet is the exception: it splits the current state selection
        (counting every attended post of all time would mean reading the whole table for every page).
        """
        facets = ("platform", "account", "category", "sentiment", "state", "assignee", "topic", "flag")
        query = self._query(filters, state_index=True)
        # SQLite would walk an index that starts with `platform` to group by it: a plain scan is 2-3x faster.
        platform = P.platform.concat("") if self.dialect == "sqlite" else P.platform
        cols = [platform, P.account, A.category, A.sentiment, _state_expr(), R.assignee_id,
                cast(A.topics, Text), cast(A.flags, Text)]
        skip = frozenset(facets) - {"state"}
        stmt = (self._base(*cols, func.count(), from_reviews=filters.state != "all")
                .where(*query.conditions(skip=skip)).group_by(*cols))
        tests = self._facet_tests(filters)
        counts: dict[str, Counter[str]] = {name: Counter() for name in facets}
        total = 0
        parsed: dict[str | None, tuple[str, ...]] = {}
        for *row, n in self.session.execute(stmt):
            scalars = ["" if v is None else str(v) for v in row[:6]]
            lists = [parsed.setdefault(raw, _json_list(raw)) for raw in row[6:]]
            values: list[Any] = [*scalars, *lists]
            passes = [test(value) for test, value in zip(tests, values, strict=True)]
            if all(passes):
                total += n
            for i, name in enumerate(facets):
                if all(ok for j, ok in enumerate(passes) if j != i):
                    for key in (values[i] if i >= 6 else (values[i],)):
                        counts[name][key] += n
        return Facets(total=total, **{name: dict(sorted(counts[name].items(), key=lambda kv: (-kv[1], kv[0])))
                                      for name in facets})

    @staticmethod
    def _facet_tests(f: InboxFilters) -> list[Any]:
        """One predicate per facet column, in `facets()` order."""
        def eq(value: str | None) -> Any:
            return (lambda v: True) if not value else (lambda v: v == value)

        def state_ok(v: str) -> bool:
            if f.state == "pending":
                return v in PENDING_STATES
            return v == f.state if f.state in REVIEW_STATES else True

        def has(value: str | None) -> Any:
            if not value:
                return lambda items: True
            return (lambda items: bool(items)) if value == "any" else (lambda items: value in items)

        assignee = eq("" if f.assignee == "none" else f.assignee)
        return [eq(f.platform), eq(f.account), eq(f.category), eq(f.sentiment), state_ok, assignee,
                has(f.topic), has(f.flag)]

    # --- one post -------------------------------------------------------------------------------------

    def detail(self, post_id: int) -> PostDetail | None:
        cols = [*self._row_columns(), P.author_id, P.lang, P.external_id, P.conversation_id, P.in_reply_to_id,
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


@dataclass(frozen=True)
class ChangeResult:
    changed: list[int]  # posts whose value actually changed
    skipped: list[int]  # unknown posts, own posts, or (corrections) posts not analysed yet


class ReviewRepository:
    """Write side: state, assignee, corrections and notes, each with its audit row. Never commits."""

    def __init__(self, session: Session, clock: Any = utc_now):
        self.session = session
        self.clock = clock

    def _citizen_ids(self, post_ids: Sequence[int]) -> list[int]:
        if not post_ids:
            return []
        stmt = select(P.id).where(P.id.in_(list(post_ids)), P.is_own.is_(False))
        return sorted(self.session.scalars(stmt))

    def _event(self, post_id: int, user: str, action: str, old: str | None, new: str | None) -> None:
        self.session.add(PostEventRow(post_id=post_id, user=user, action=action, old_value=old, new_value=new,
                                      created_at=self.clock()))

    def _reviews(self, ids: Sequence[int]) -> dict[int, PostReviewRow]:
        if not ids:
            return {}
        return {r.post_id: r for r in self.session.scalars(select(R).where(R.post_id.in_(list(ids))))}

    def sync_rows(self, post_ids: Sequence[int]) -> int:
        """Write the review row of citizen posts (state "new" if they have none) and refresh its urgency keys.

        Called when posts are first analysed (in that transaction) and after a correction that moves a post
        in the urgency order; state, assignee and the last change are never touched. Returns rows written.
        """
        if not post_ids:
            return 0
        stmt = (select(P.id, P.created_at, A.category, A.sentiment, A.flags, A.analyzed_at)
                .select_from(P).outerjoin(A, A.post_id == P.id)
                .where(P.id.in_(sorted(set(post_ids))), P.is_own.is_(False)))
        rows = []
        for pid, created_at, category, sentiment, flags, analyzed_at in self.session.execute(stmt):
            tier, due_at = urgency_keys(created_at, category, sentiment, flags)
            rows.append({"post_id": pid, "state": "new", "assignee_id": None, "tier": tier, "due_at": due_at,
                         "updated_at": analyzed_at or self.clock(), "updated_by": None})
        if not rows:
            return 0
        insert = dialect_insert(self.session, R)
        upsert = insert.on_conflict_do_update(index_elements=["post_id"],
                                              set_={"tier": insert.excluded.tier, "due_at": insert.excluded.due_at})
        self.session.execute(upsert, rows)
        return len(rows)

    def _update_review(self, post_id: int, user: str, **values: Any) -> None:
        """Change a review row that `sync_rows` made sure exists."""
        stmt = update(R).where(R.post_id == post_id).values(**values, updated_at=self.clock(), updated_by=user)
        self.session.execute(stmt)

    def set_state(self, post_ids: Sequence[int], state: str, user: str) -> ChangeResult:
        if state not in REVIEW_STATES:
            raise ValueError(f"unknown review state {state!r}")
        ids = self._citizen_ids(post_ids)
        current = self._reviews(ids)
        self.sync_rows([pid for pid in ids if pid not in current])
        changed = []
        for pid in ids:
            old = current[pid].state if pid in current else "new"
            if old == state:
                continue
            self._update_review(pid, user, state=state)
            self._event(pid, user, "state", old, state)
            changed.append(pid)
        return ChangeResult(changed, sorted(set(post_ids) - set(ids)))

    def assign(self, post_ids: Sequence[int], assignee_id: int | None, user: str) -> ChangeResult:
        """Assign (or unassign with None); a new post that gets an assignee moves to "in progress"."""
        name = None
        if assignee_id is not None:
            target = self.session.get(UserRow, assignee_id)
            if target is None or not target.active or target.role not in ASSIGNABLE_ROLES:
                raise ValueError(f"no active community manager or admin with id {assignee_id}")
            name = target.username
        ids = self._citizen_ids(post_ids)
        current = self._reviews(ids)
        self.sync_rows([pid for pid in ids if pid not in current])
        old_names = self._usernames({r.assignee_id for r in current.values() if r.assignee_id is not None})
        changed = []
        for pid in ids:
            review = current.get(pid)
            old_id = review.assignee_id if review else None
            if old_id == assignee_id:
                continue
            old_state = review.state if review else "new"
            values: dict[str, Any] = {"assignee_id": assignee_id}
            if assignee_id is not None and old_state == "new":
                values["state"] = "in_progress"
            self._update_review(pid, user, **values)
            self._event(pid, user, "assignee", old_names.get(old_id) if old_id else None, name)
            if "state" in values:
                self._event(pid, user, "state", old_state, "in_progress")
            changed.append(pid)
        return ChangeResult(changed, sorted(set(post_ids) - set(ids)))

    def _usernames(self, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        return dict(self.session.execute(select(UserRow.id, UserRow.username).where(UserRow.id.in_(ids))).all())

    def correct(self, post_ids: Sequence[int], field_name: str, value: str, user: str) -> ChangeResult:
        """Correct the category or the sentiment of analysed citizen posts."""
        if field_name not in ("category", "sentiment"):
            raise ValueError(f"cannot correct {field_name!r}")
        ids = self._citizen_ids(post_ids)
        rows = {a.post_id: a for a in self.session.scalars(select(A).where(A.post_id.in_(ids)))} if ids else {}
        changed = []
        for pid in ids:
            analysis = rows.get(pid)
            if analysis is None:
                continue
            old = getattr(analysis, field_name)
            if old == value:
                continue
            setattr(analysis, field_name, value)
            analysis.rules = _with_manual(analysis.rules, field_name)
            self._record_correction(pid, field_name, old, value, user)
            changed.append(pid)
        self.session.flush()
        self.sync_rows(changed)  # the category moves the due moment, the sentiment the tier
        return ChangeResult(changed, sorted((set(post_ids) - set(ids)) | {p for p in ids if p not in rows}))

    def set_topics(self, post_id: int, topics: Sequence[str], user: str) -> bool:
        """Replace a post's topics (labels too, so the topic filter follows); True if they changed."""
        if not self._citizen_ids([post_id]):
            return False
        analysis = self.session.get(A, post_id)
        if analysis is None:
            return False
        new = sorted(dict.fromkeys(t for t in topics if t))
        old = sorted(analysis.topics or [])
        if new == old:
            return False
        analysis.topics = new
        analysis.rules = _with_manual(analysis.rules, "topics")
        self.session.execute(delete(PostLabelRow).where(PostLabelRow.post_id == post_id,
                                                        PostLabelRow.kind == "topic"))
        for topic in new:
            self.session.add(PostLabelRow(post_id=post_id, kind="topic", value=topic))
        self._record_correction(post_id, "topics", json.dumps(old, ensure_ascii=False),
                                json.dumps(new, ensure_ascii=False), user)
        self.session.flush()
        return True

    def _record_correction(self, post_id: int, field_name: str, old: str, new: str, user: str) -> None:
        now = self.clock()
        self.session.add(CorrectionRow(post_id=post_id, field=field_name, old_value=old, new_value=new,
                                       user=user, created_at=now))
        self._event(post_id, user, field_name, old, new)

    def add_note(self, post_id: int, text: str, user: str) -> bool:
        text = text.strip()[:MAX_NOTE_CHARS]
        if not text or self.session.get(PostRow, post_id) is None:
            return False
        self._event(post_id, user, "note", None, text)
        return True


def _json_list(raw: str | None) -> tuple[str, ...]:
    try:
        values = json.loads(raw) if raw else []
    except ValueError:
        return ()
    return tuple(dict.fromkeys(str(v) for v in values)) if isinstance(values, list) else ()


def _with_manual(rules: list[str] | None, field_name: str) -> list[str]:
    """The analysis' provenance list plus a marker that a person set `field_name`."""
    marker = f"manual:{field_name}"
    current = list(rules or [])
    return current if marker in current else [*current, marker]



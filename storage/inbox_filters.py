"""The inbox's filters as SQL: which citizen posts a filter set means, the text search, and the page bookmarks.

`InboxQuery` turns an `InboxFilters` into WHERE clauses (optionally leaving some filters out, for the facet
counts); `storage/inbox_queries.py` runs them. Full-text search is a substring match that ignores case and
accents: the term, folded by `storage.search_text.fold_search_text`, is looked for with LIKE in
`posts.search_text`, the post's text folded the same way (migration 0009), made fast by trigram indexes over
that column: PostgreSQL's GIN index serves the LIKE as is; on SQLite the same condition is narrowed by the
`posts_fts` trigram table (see `_text_search`).

The audience segment filter is a condition on the author's profile (`authors`, joined on platform and
author id); `NO_PROFILE` ("sin_perfil") means the author has no profile row yet. A segment with many authors
(the public) is checked post by post while the list walks its index (an EXISTS probe of the authors' unique
index: its posts are everywhere, a page is found in the newest few hundred). A sparse segment (press,
officials: `sparse_segment`) is found the other way round, like the text search's candidates: the posts of
its authors, through `ix_authors_segment` and `ix_posts_author`, as an `id IN (…)` set, so a page never means
walking a million posts to find the few dozen of theirs.

Bookmarks (`encode_cursor` / `decode_cursor`) are keyset positions, not offsets: `(created_at, id)` for the
newest-first list, `(tier, reach_rank, due_at, id)` for the urgency order.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, exists, false, func, or_, select, true
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.orm import aliased

from domain import NO_PROFILE
from storage.models import AnalysisRow, AuthorRow, PostLabelRow, PostReviewRow, PostRow
from storage.review_changes import PENDING_STATES, REVIEW_STATES
from storage.search_text import fold_search_text

SORTS = ("recent", "urgency")
NO_PLACE = "sin_ubicacion"  # the department filter's value for posts no evidence placed (analyses.place_dpto NULL)

P, A, R = PostRow, AnalysisRow, PostReviewRow
# The SQLite trigram index of posts.search_text (migrations 0006, 0009): an FTS5 table whose rowid is posts.id.
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
    segment: str | None = None  # an audience segment id of the author, or NO_PROFILE
    campaign: str | None = None  # a campaign id (post_labels kind "campaign")
    dpto: str | None = None  # a DANE department code ("27"), or NO_PLACE
    state: str = "pending"  # "pending" | "all" | one of REVIEW_STATES
    assignee: str | None = None  # a user id as text, or "none"
    date_from: datetime | None = None  # inclusive, aware UTC
    date_to: datetime | None = None  # exclusive, aware UTC
    q: str | None = None
    incident: IncidentScope | None = None
    sort: str = "recent"


def _label_exists(kind: str, value: str | None = None) -> ColumnElement[bool]:
    label = aliased(PostLabelRow)  # its own alias: the facet query joins post_labels too
    cond = [label.post_id == P.id, label.kind == kind]
    if value is not None:
        cond.append(label.value == value)
    return exists().where(*cond)


def _campaign_condition(campaign: str) -> ColumnElement[bool]:
    """The post matched `campaign`: the set of its posts, read from `ix_post_labels_kind_value (kind, value,
    post_id)` (migration 0012), not a probe per post: a campaign's posts are few and lie in its own weeks, so
    walking the newest posts with an EXISTS would read the whole table to fill a page of an old campaign."""
    label = aliased(PostLabelRow)
    return P.id.in_(select(label.post_id).where(label.kind == "campaign", label.value == campaign))


def _segment_condition(segment: str, sparse: bool, since: datetime | None = None,
                       until: datetime | None = None) -> ColumnElement[bool]:
    """The author's profile is in `segment`: per post (an EXISTS probe), or for a sparse segment as the set of
    its authors' posts (see the module's docstring).

    `since` / `until` (inclusive) repeat the page's own created_at bounds inside the set, where
    `ix_posts_author (platform, author_id, created_at)` applies them: the set then holds only the posts of the
    searched time window instead of every post of the segment, each looked up in `posts` (sector TIC, 4,000
    posts on a million: 125 ms per page without the bounds). The outer query keeps its bounds: same rows.
    """
    if sparse and segment != NO_PROFILE:
        theirs = aliased(PostRow)
        bounds = [theirs.created_at >= since] if since is not None else []
        if until is not None:
            bounds.append(theirs.created_at <= until)
        return P.id.in_(select(theirs.id).select_from(AuthorRow)
                        .join(theirs, and_(theirs.platform == AuthorRow.platform,
                                           theirs.author_id == AuthorRow.author_id))
                        .where(AuthorRow.segment == segment, *bounds))
    profile = exists().where(AuthorRow.platform == P.platform, AuthorRow.author_id == P.author_id)
    if segment == NO_PROFILE:
        # OFFSET 0 keeps PostgreSQL from turning the NOT EXISTS into an anti-join, which hashes the whole
        # `authors` table and reads every post of the window before sorting (230-560 ms on a million posts):
        # a per-post probe of the unique index lets it walk the newest posts and stop after one page.
        probe = select(AuthorRow.id).where(AuthorRow.platform == P.platform, AuthorRow.author_id == P.author_id)
        return ~probe.offset(0).exists()
    return profile.where(AuthorRow.segment == segment)


def _key_condition(key: str) -> ColumnElement[bool]:
    """SQL for one spike-detector key (see bot/alerts/spike_keys.py for their meaning)."""
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
    """Substring search ignoring case and accents; with the SQLite trigram index, narrowed by it first.

    The folded term against the folded text: "peticion" finds "Petición", "BOGOTÁ" finds "bogota", "año"
    finds "ano" (ñ folds to n). The plain condition always stays, so results are exactly those of the plain
    LIKE (the index only finds candidates). Below 3 characters a trigram index cannot help: the plain
    condition alone.
    """
    folded = fold_search_text(q)
    cond = [P.search_text.contains(folded, autoescape=True)]
    phrase = trigram_query(folded) if text_index else None
    if phrase is not None:
        cond.insert(0, P.id.in_(select(POSTS_FTS.c.rowid).where(POSTS_FTS.c.posts_fts.match(phrase))))
    return cond


def state_expr() -> ColumnElement[str]:
    return func.coalesce(R.state, "new")


class InboxQuery:
    """Builds the WHERE clauses of a filter set, optionally leaving some filters out (for facet counts).

    On SQLite, equality on a frequent value (a category, a sentiment, "attended") is written so that the
    planner cannot pick that column's index: without statistics it would, then sort a quarter of the table
    to find the newest 50, where walking `ix_posts_created_at` backwards finds them in a few hundred rows.
    Sparse sets keep their index: an assignee's open posts use `ix_post_reviews_assignee (assignee_id, state)`.
    """

    def __init__(self, filters: InboxFilters, dialect: str = "postgresql", state_index: bool = False,
                 text_index: bool = False, sparse_segment: bool = False, since: datetime | None = None,
                 until: datetime | None = None, sparse_place: bool = False):
        self.f = filters
        # the department has few posts: let the database start from ix_analyses_place_dpto (SQLite; see _place)
        self.sparse_place = sparse_place
        self.sparse_segment = sparse_segment  # the segment has few authors: find their posts from them
        # created_at bounds the caller also applies (a newest-first window, a bookmark), repeated in the sparse
        # segment's set so that it holds only their posts of that span
        self.since, self.until = since, until
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
        if f.segment and "segment" not in skip:
            cond.append(_segment_condition(f.segment, self.sparse_segment, self.since, self.until))
        if f.topic and "topic" not in skip:
            cond.append(_label_exists("topic", f.topic))
        if f.flag and "flag" not in skip:
            cond.append(_label_exists("flag", None if f.flag == "any" else f.flag))
        if f.campaign and "campaign" not in skip:
            cond.append(_campaign_condition(f.campaign))
        if f.dpto and "dpto" not in skip:
            cond.append(self._place(f.dpto))
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

    def _place(self, dpto: str) -> ColumnElement[bool]:
        """The post was placed in department `dpto` (NO_PLACE: in none).

        On SQLite (no statistics) a frequent department (Bogotá) or "sin ubicación" is written so that
        `ix_analyses_place_dpto` is not used: the list then walks `ix_posts_created_at` and finds a page in
        the newest few hundred posts, where the index would fetch and sort every post of the department. A
        department with few posts (`sparse_place`, a bounded count by the repository) keeps the index.
        PostgreSQL chooses from its statistics (the column's most common values).
        """
        if dpto == NO_PLACE:
            return self._dense(A.place_dpto).is_(None)
        return (A.place_dpto if self.sparse_place else self._dense(A.place_dpto)) == dpto

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
        if sort == "urgency" and len(values) == 5:
            due = datetime.fromisoformat(values[3])
            return [sort, int(values[1]), int(values[2]), due, int(values[4])] if due.tzinfo is not None else None
    except (TypeError, ValueError):
        return None
    return None


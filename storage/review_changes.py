"""The community managers' inbox, write side: review state, assignee, corrections and notes, with their trail.

Every analysed citizen post has a `post_reviews` row (written by `ReviewRepository.sync_rows` when it is
first analysed) holding its state and its urgency keys (tier, reach_rank, due_at), which the inbox's pending
views and urgency order read (`storage/inbox_queries.py`). The reach rank comes from the author's profile
(`storage/reach.py`), which `refresh_reach` rewrites when it changes.

Human corrections overwrite the stored analysis (so filters and counts see the corrected value) and leave a
trail: one `corrections` row (read by `train --from-corrections`) and one `post_events` row per change.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from domain import NO_PROFILE
from domain.legal_terms import LEGAL_TERMS
from storage.models import AnalysisRow, CorrectionRow, PostEventRow, PostLabelRow, PostReviewRow, PostRow, UserRow
from storage.reach import ReachRule, author_reach
from storage.repositories import dialect_insert, utc_now
from storage.web_accounts import ASSIGNABLE_ROLES

REVIEW_STATES = ("new", "in_progress", "attended", "not_applicable")
PENDING_STATES = ("new", "in_progress")
# Legal response terms (Ley 1755 de 2015, art. 14) in business days, by PQRSD category: the table the inbox
# page and the weekly report use (domain/legal_terms.py). Categories without a duty to answer (praise, "otro")
# sort as if their term were 30 days, after the rest. 10 business days are exactly 14 calendar days from a
# weekday, 15 are 21 and 30 are 42: the stored due moment uses those calendar offsets (holidays ignored: it
# only orders the list; the page shows the exact last day).
DEADLINE_BUSINESS_DAYS = LEGAL_TERMS
DEFAULT_DEADLINE_BUSINESS_DAYS = 30
MAX_NOTE_CHARS = 4000


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


@dataclass(frozen=True)
class ChangeResult:
    changed: list[int]  # posts whose value actually changed
    skipped: list[int]  # unknown posts, own posts, or (corrections) posts not analysed yet


class ReviewRepository:
    """Write side: state, assignee, corrections and notes, each with its audit row. Never commits.

    `reach` holds the segments' priority weights (from config) for the reach rank of new review rows;
    without it a new row is ranked by its author's followers alone.
    """

    def __init__(self, session: Session, clock: Any = utc_now, reach: ReachRule | None = None):
        self.session = session
        self.clock = clock
        self.reach = reach or ReachRule()

    def _citizen_ids(self, post_ids: Sequence[int]) -> list[int]:
        if not post_ids:
            return []
        stmt = select(PostRow.id).where(PostRow.id.in_(list(post_ids)), PostRow.is_own.is_(False))
        return sorted(self.session.scalars(stmt))

    def _event(self, post_id: int, user: str, action: str, old: str | None, new: str | None) -> None:
        self.session.add(PostEventRow(post_id=post_id, user=user, action=action, old_value=old, new_value=new,
                                      created_at=self.clock()))

    def _reviews(self, ids: Sequence[int]) -> dict[int, PostReviewRow]:
        if not ids:
            return {}
        stmt = select(PostReviewRow).where(PostReviewRow.post_id.in_(list(ids)))
        return {r.post_id: r for r in self.session.scalars(stmt)}

    def sync_rows(self, post_ids: Sequence[int]) -> int:
        """Write the review row of citizen posts (state "new" if they have none) and refresh its urgency keys.

        Called when posts are first analysed (in that transaction) and after a correction that moves a post
        in the urgency order; state, assignee and the last change are never touched. A new row gets its
        author's reach rank and segment; an existing row keeps its own (`storage.reach.refresh_reach` maintains it, with
        the configured weights, when the author changes). Returns rows written.
        """
        if not post_ids:
            return 0
        stmt = (select(PostRow.id, PostRow.created_at, AnalysisRow.category, AnalysisRow.sentiment, AnalysisRow.flags,
                       AnalysisRow.analyzed_at, PostRow.platform, PostRow.author_id)
                .select_from(PostRow).outerjoin(AnalysisRow, AnalysisRow.post_id == PostRow.id)
                .where(PostRow.id.in_(sorted(set(post_ids))), PostRow.is_own.is_(False)))
        found = self.session.execute(stmt).all()
        reach = author_reach(self.session, self.reach, {(r.platform, r.author_id) for r in found})
        rows = []
        for pid, created_at, category, sentiment, flags, analyzed_at, platform, author_id in found:
            tier, due_at = urgency_keys(created_at, category, sentiment, flags)
            rank, segment = reach.get((platform, author_id), (self.reach.rank(None, None), NO_PROFILE))
            rows.append({"post_id": pid, "state": "new", "assignee_id": None, "tier": tier, "due_at": due_at,
                         "reach_rank": rank, "segment": segment,
                         "updated_at": analyzed_at or self.clock(), "updated_by": None})
        if not rows:
            return 0
        insert = dialect_insert(self.session, PostReviewRow)
        upsert = insert.on_conflict_do_update(index_elements=["post_id"],
                                              set_={"tier": insert.excluded.tier, "due_at": insert.excluded.due_at})
        self.session.execute(upsert, rows)
        return len(rows)

    def _update_review(self, post_id: int, user: str, **values: Any) -> None:
        """Change a review row that `sync_rows` made sure exists."""
        stmt = (update(PostReviewRow).where(PostReviewRow.post_id == post_id)
                .values(**values, updated_at=self.clock(), updated_by=user))
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
        stmt = select(AnalysisRow).where(AnalysisRow.post_id.in_(ids))
        rows = {a.post_id: a for a in self.session.scalars(stmt)} if ids else {}
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
        analysis = self.session.get(AnalysisRow, post_id)
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


def _with_manual(rules: list[str] | None, field_name: str) -> list[str]:
    """The analysis' provenance list plus a marker that a person set `field_name`."""
    marker = f"manual:{field_name}"
    current = list(rules or [])
    return current if marker in current else [*current, marker]



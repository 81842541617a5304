"""The queue of Instagram @-mentions that Meta's `mentions` webhook announced (ids only).

The web app's webhook receiver enqueues; the Instagram connector's `mentions` stream reads, through a plain
function that bootstrap injects (`pending_mentions_reader`), the rows above its bookmark. The bookmark is the
highest row id whose posts were stored, saved in the same transaction as those posts, so a row is never
marked separately and never lost between "fetched" and "stored".

That only works if ids become visible in increasing order. SQLite has one writer at a time; on PostgreSQL
two webhook requests could commit ids 11 then 10, and a poll in between would move the bookmark past 10.
So `enqueue` serialises writers with a table lock that still lets readers through: an id is taken only
after every earlier writer has committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from storage.models import MetaMentionRow
from storage.repositories import dialect_insert


@dataclass(frozen=True)
class MentionNotice:
    """What one `mentions` change says: who was mentioned, in which media, and in which comment (if any)."""

    ig_user_id: str
    media_id: str
    comment_id: str | None = None


@dataclass(frozen=True)
class QueuedMention:
    """A stored notice; `id` orders the queue and is what the connector's bookmark counts up to."""

    id: int
    ig_user_id: str
    media_id: str
    comment_id: str | None
    received_at: datetime


class MentionQueueRepository:
    """Never commits: the caller's unit of work does."""

    def __init__(self, session: Session):
        self.session = session

    def enqueue(self, notices: Sequence[MentionNotice], received_at: datetime) -> list[int]:
        """Store new notices and return their ids; repeats (Meta retries deliveries) are ignored."""
        unique = list(dict.fromkeys((n.media_id, n.comment_id, n.ig_user_id) for n in notices))
        if not unique:
            return []
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text(f"LOCK TABLE {MetaMentionRow.__tablename__} IN SHARE ROW EXCLUSIVE MODE"))
        rows = [{"ig_user_id": user, "media_id": media, "comment_id": comment, "received_at": received_at}
                for media, comment, user in unique]
        stmt = (dialect_insert(self.session, MetaMentionRow).values(rows)
                .on_conflict_do_nothing().returning(MetaMentionRow.id))
        return sorted(self.session.scalars(stmt).all())

    def pending(self, ig_user_id: str, after_id: int, limit: int) -> list[QueuedMention]:
        """The account's notices with an id above `after_id`, oldest first."""
        stmt = (select(MetaMentionRow).where(MetaMentionRow.ig_user_id == ig_user_id, MetaMentionRow.id > after_id)
                .order_by(MetaMentionRow.id).limit(limit))
        return [QueuedMention(r.id, r.ig_user_id, r.media_id, r.comment_id, r.received_at)
                for r in self.session.scalars(stmt)]

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(MetaMentionRow)) or 0)


def pending_mentions_reader(engine: Engine) -> Callable[[str, int, int], list[QueuedMention]]:
    """`pending(ig_user_id, after_id, limit)` over a short read-only session of its own, for the connector."""

    def pending(ig_user_id: str, after_id: int, limit: int) -> list[QueuedMention]:
        with Session(engine) as session:
            return MentionQueueRepository(session).pending(ig_user_id, after_id, limit)

    return pending

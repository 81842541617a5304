"""The webhook's mention queue on SQLite and PostgreSQL: repeats ignored, read in id order per account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.mentions_repository import MentionNotice, MentionQueueRepository, pending_mentions_reader
from storage.unit_of_work import UnitOfWork

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
ME, OTHER = "17841400000000001", "17841400000000002"


def enqueue(engine, notices, at=NOW) -> list[int]:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        new = MentionQueueRepository(uow.session).enqueue(notices, at)
        uow.commit()
    return new


def test_repeated_deliveries_are_stored_once_captions_included(engine):
    caption, in_comment = MentionNotice(ME, "1791"), MentionNotice(ME, "1791", "1801")
    first = enqueue(engine, [caption, in_comment, caption])  # a repeat inside one delivery too
    assert len(first) == 2 and first == sorted(first)
    # Meta retries: the same ids again, later; NULL comment ids must collide as well
    assert enqueue(engine, [caption, in_comment], NOW + timedelta(minutes=5)) == []
    assert enqueue(engine, [MentionNotice(ME, "1791", "1802")]) != []
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        assert MentionQueueRepository(uow.session).count() == 3


def test_the_reader_returns_one_accounts_notices_after_the_bookmark_oldest_first(engine):
    ids = enqueue(engine, [MentionNotice(ME, "1791"), MentionNotice(OTHER, "1792"),
                           MentionNotice(ME, "1793", "1803"), MentionNotice(ME, "1794")])
    assert enqueue(engine, []) == []
    pending = pending_mentions_reader(engine)
    mine = pending(ME, 0, 10)
    assert [(n.media_id, n.comment_id) for n in mine] == [("1791", None), ("1793", "1803"), ("1794", None)]
    assert all(n.ig_user_id == ME and n.received_at == NOW for n in mine)
    assert [n.id for n in mine] == [ids[0], ids[2], ids[3]]
    assert [n.media_id for n in pending(ME, mine[0].id, 1)] == ["1793"]
    assert pending(ME, mine[-1].id, 10) == []
    assert [n.media_id for n in pending(OTHER, 0, 10)] == ["1792"]

"""Review rows for every analysed citizen post: written by the pipeline, kept right by corrections, backfilled.

The urgency order and the pending views read `post_reviews` only, so a post missing its row, or a row with
stale urgency keys, would silently drop out of the inbox or sit in the wrong place.
"""

from __future__ import annotations

import json
from datetime import timedelta

from alembic import command
from sqlalchemy import Engine, select, text

from bot import events
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.config import parse_config
from domain import TextAnalysis
from storage import db
from storage.inbox_filters import InboxFilters
from storage.inbox_queries import InboxRepository
from storage.models import PostReviewRow
from storage.review_changes import ReviewRepository, urgency_keys
from storage.unit_of_work import UnitOfWork
from tests.factories import T0, make_post
from tests.fake_connector import ListConnector

STREAM = "fake:x:Ministerio_TIC"


def _analysis(category: str, sentiment: str = "neutral", flags: tuple[str, ...] = ()) -> TextAnalysis:
    return TextAnalysis(lang="es", sentiment=sentiment, sentiment_score=0.0, category=category, flags=flags,
                        version="test-1")


def _reviews(engine: Engine) -> dict[int, tuple[str, int | None, int, object]]:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        return {r.post_id: (r.state, r.assignee_id, r.tier, r.due_at)
                for r in uow.session.scalars(select(PostReviewRow))}


def test_urgency_keys_follow_flag_then_sentiment_then_the_legal_term() -> None:
    assert urgency_keys(T0, "peticion", "positive", ["fraud"]) == (0, T0 + timedelta(days=14))
    assert urgency_keys(T0, "queja", "negative", []) == (1, T0 + timedelta(days=21))
    assert urgency_keys(T0, "felicitacion", "positive", None) == (2, T0 + timedelta(days=42))
    assert urgency_keys(T0, None, None, None) == (2, T0 + timedelta(days=42))  # not analysed yet


def test_the_pipeline_writes_a_new_row_for_each_analysed_citizen_post(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = parse_config({
        "connectors": {"sample": {"enabled": False}},
        "accounts": {"x": ["Ministerio_TIC"]},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })
    posts = [make_post(i) for i in range(4)] + [make_post(9, is_own=True, text="Respuesta del ministerio")]
    connector = ListConnector(posts, page=10)
    bus = bootstrap(config, engine=engine, clock=ManualClock(T0 + timedelta(days=1)),
                    connectors={connector.stream: connector}, sinks={"file": FileSink(config.alerts.outbox_file)})
    bus.handle(events.PollStream(STREAM))
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        own = {s.id for s in uow.posts.by_ids(list(range(1, 10))) if s.post.is_own}
        analyses = {pid: uow.analyses.get(pid) for pid in range(1, 10)}
        created = {s.id: s.post.created_at for s in uow.posts.by_ids(list(range(1, 10)))}
    rows = _reviews(engine)
    assert len(rows) == 4 and not own & set(rows)
    for pid, (state, assignee, tier, due_at) in rows.items():
        a = analyses[pid]
        assert a is not None
        assert (state, assignee) == ("new", None)
        assert (tier, due_at) == urgency_keys(created[pid], a.category, a.sentiment, a.flags)


def test_corrections_move_the_post_in_the_urgency_order_and_keep_its_state(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        ids = uow.posts.upsert([make_post(1), make_post(2)]).new_ids
        uow.analyses.insert_new([(ids[0], _analysis("felicitacion")), (ids[1], _analysis("peticion"))], T0)
        reviews = ReviewRepository(uow.session, lambda: T0)
        assert reviews.sync_rows(ids) == 2
        reviews.set_state([ids[0]], "in_progress", "ana")
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        inbox = InboxRepository(uow.session)
        assert [r.id for r in inbox.page(InboxFilters(sort="urgency")).rows] == [ids[1], ids[0]]
        reviews = ReviewRepository(uow.session, lambda: T0)
        reviews.correct([ids[0]], "sentiment", "negative", "ana")  # tier 2 -> 1: now first
        reviews.correct([ids[1]], "category", "queja", "ana")  # 10 -> 15 business days
        uow.commit()
    rows = _reviews(engine)
    assert rows[ids[0]][:3] == ("in_progress", None, 1)
    assert rows[ids[1]][2:] == (2, make_post(2).created_at + timedelta(days=21))
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        assert [r.id for r in InboxRepository(uow.session).page(InboxFilters(sort="urgency")).rows] == [ids[0],
                                                                                                       ids[1]]


def test_migration_backfills_rows_and_urgency_keys_like_the_application(engine: Engine) -> None:
    cfg = db.alembic_config(engine)
    posts = [make_post(1, minutes=7), make_post(2), make_post(3), make_post(4, is_own=True), make_post(5)]
    with UnitOfWork(engine) as uow:  # the posts table of today (PostRow knows later columns than 0004's)
        ids = uow.posts.upsert(posts).new_ids
        uow.commit()
    command.downgrade(cfg, "0004")
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        # Analyses as 0004's table held them (today's repository writes later columns too).
        when = T0.replace(tzinfo=None) if engine.dialect.name == "sqlite" else T0
        for pid, category, sentiment, flags in ((ids[0], "peticion", "neutral", ["fraud"]),
                                                (ids[1], "reclamo", "negative", []), (ids[2], "otro", "neutral", []),
                                                (ids[3], "otro", "neutral", [])):
            uow.session.execute(text(
                "INSERT INTO analyses (post_id, lang, sentiment, sentiment_score, category, topics, flags, rules, "
                "version, analyzed_at) VALUES (:p, 'es', :s, 0.0, :c, '[]', :f, '[]', 'test-1', :t)"),
                {"p": pid, "s": sentiment, "c": category, "f": json.dumps(flags), "t": when})
            for flag in flags:
                uow.session.execute(text("INSERT INTO post_labels (post_id, kind, value) VALUES (:p, 'flag', :v)"),
                                    {"p": pid, "v": flag})
        # A row written before this migration (an attended post); ids[4] is not analysed yet.
        uow.session.execute(text("INSERT INTO post_reviews (post_id, state, assignee_id, updated_at, updated_by) "
                                 "VALUES (:p, 'attended', NULL, :t, 'ana')"),
                            {"p": ids[1], "t": T0.replace(tzinfo=None) if engine.dialect.name == "sqlite" else T0})
        uow.commit()
    command.upgrade(cfg, "head")
    rows = _reviews(engine)
    expected = {
        ids[0]: ("new", None, *urgency_keys(posts[0].created_at, "peticion", "neutral", ["fraud"])),
        ids[1]: ("attended", None, *urgency_keys(posts[1].created_at, "reclamo", "negative", [])),
        ids[2]: ("new", None, *urgency_keys(posts[2].created_at, "otro", "neutral", [])),
        ids[4]: ("new", None, *urgency_keys(posts[4].created_at, None, None, None)),
    }
    assert rows == expected  # the ministry's own post gets no row
    # The stored text must compare like the application's own binds, or keyset paging would skip ties.
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        due = expected[ids[0]][3]
        assert uow.session.scalar(select(PostReviewRow.post_id).where(PostReviewRow.due_at == due)) == ids[0]


def test_urgency_pages_merge_the_states_in_order_and_visit_every_post_once(engine: Engine) -> None:
    cats = ("peticion", "queja", "felicitacion")
    sents = ("negative", "neutral", "positive")
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        ids = uow.posts.upsert([make_post(i, minutes=(i // 2) * 30) for i in range(23)]).new_ids
        uow.analyses.insert_new([(pid, _analysis(cats[i % 3], sents[i % 3 if i % 4 else 0],
                                                 ("fraud",) if i == 11 else ())) for i, pid in enumerate(ids)], T0)
        reviews = ReviewRepository(uow.session, lambda: T0)
        reviews.sync_rows(ids)
        reviews.set_state(ids[::3], "in_progress", "ana")
        reviews.set_state(ids[1::5], "attended", "ana")
        uow.commit()
    for state in ("pending", "all"):
        seen = []
        cursor = None
        with UnitOfWork(engine) as uow:
            assert uow.session is not None
            inbox = InboxRepository(uow.session)
            while True:
                page = inbox.page(InboxFilters(state=state, sort="urgency"), cursor, limit=4)
                seen += [(r.tier, r.due_at, r.id, r.state) for r in page.rows]
                cursor = page.next_cursor
                if cursor is None:
                    break
        assert [s[:3] for s in seen] == sorted(s[:3] for s in seen)  # one order across the merged states
        expected = {pid for pid in ids if state == "all" or pid not in ids[1::5]}  # attended came last
        assert {s[2] for s in seen} == expected and len(seen) == len(expected)
        assert {s[3] for s in seen} == ({"new", "in_progress", "attended"} if state == "all"
                                        else {"new", "in_progress"})

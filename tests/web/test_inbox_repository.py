"""The inbox queries on SQLite and PostgreSQL: filters, keyset paging, urgency, counts, search, incidents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from domain import Platform
from storage.inbox_filters import InboxFilters, IncidentScope, decode_cursor, encode_cursor
from storage.inbox_queries import InboxRepository
from storage.review_changes import ReviewRepository
from storage.unit_of_work import UnitOfWork
from tests.web.helpers import NOW, analyse, analysis, citizen, seed


def _repo(uow: UnitOfWork) -> InboxRepository:
    assert uow.session is not None
    return InboxRepository(uow.session)


def _ids(page) -> list[int]:  # type: ignore[no-untyped-def]
    return [r.id for r in page.rows]


def test_default_view_is_pending_citizen_posts_newest_first(engine: Engine) -> None:
    s = seed(engine)
    with UnitOfWork(engine) as uow:
        page = _repo(uow).page(InboxFilters())
    assert _ids(page) == [s.ids[n] for n in ("xss", "outage", "praise", "question", "complaint")]
    assert s.ids["reply"] not in _ids(page)  # the ministry's own reply is not inbox work
    assert page.next_cursor is None


FILTER_CASES = [
    (InboxFilters(category="reclamo"), ["outage", "complaint"]),
    (InboxFilters(sentiment="positive"), ["praise"]),
    (InboxFilters(platform="facebook"), ["question"]),
    (InboxFilters(account="MinTICColombia"), ["question"]),
    (InboxFilters(topic="conectividad"), ["complaint"]),
    (InboxFilters(flag="outage"), ["outage"]),
    (InboxFilters(flag="any"), ["outage"]),
    (InboxFilters(q="TALENTO"), ["question"]),  # case-insensitive
    (InboxFilters(q="100%"), []),  # % is a literal character, not a wildcard
    (InboxFilters(date_from=NOW - timedelta(hours=1)), ["xss", "outage"]),
    (InboxFilters(date_to=NOW - timedelta(days=1)), ["question", "complaint"]),
    (InboxFilters(category="reclamo", sentiment="negative", platform="x"), ["outage", "complaint"]),
]


def test_each_filter(engine: Engine) -> None:
    s = seed(engine)
    with UnitOfWork(engine) as uow:
        repo = _repo(uow)
        for filters, expected in FILTER_CASES:
            assert _ids(repo.page(filters)) == [s.ids[n] for n in expected], filters
            assert repo.count(filters) == len(expected), filters


def test_state_and_assignee_filters_follow_reviews(engine: Engine) -> None:
    s = seed(engine)
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        review = ReviewRepository(uow.session)
        review.set_state([s.ids["praise"]], "attended", "cm")
        review.assign([s.ids["complaint"]], s.users["community_manager"], "cm")
        uow.commit()
    with UnitOfWork(engine) as uow:
        repo = _repo(uow)
        assert s.ids["praise"] not in _ids(repo.page(InboxFilters()))
        assert _ids(repo.page(InboxFilters(state="attended"))) == [s.ids["praise"]]
        assert _ids(repo.page(InboxFilters(state="in_progress"))) == [s.ids["complaint"]]
        assert _ids(repo.page(InboxFilters(assignee=str(s.users["community_manager"])))) == [s.ids["complaint"]]
        assert s.ids["complaint"] not in _ids(repo.page(InboxFilters(assignee="none")))
        assert len(_ids(repo.page(InboxFilters(state="all")))) == 5


def _many(engine: Engine, n: int) -> list[int]:
    with UnitOfWork(engine) as uow:
        # Pairs share a timestamp so the bookmark's id tie-break is exercised.
        posts = [citizen(100 + i, f"mensaje {i}", minutes_ago=(i // 2) * 5) for i in range(n)]
        ids = list(uow.posts.upsert(posts).new_ids)
        cats = ("reclamo", "peticion", "otro", "felicitacion")
        sents = ("negative", "neutral", "positive")
        flagged = {ids[7], ids[20]}
        analyse(uow, [(pid, analysis(cats[i % 4], sents[i % 3], flags=("fraud",) if pid in flagged
                                                else ())) for i, pid in enumerate(ids)])
        uow.commit()
    return ids


@pytest.mark.parametrize("sort", ["recent", "urgency"])
def test_keyset_paging_visits_every_post_once(engine: Engine, sort: str) -> None:
    ids = _many(engine, 47)
    seen: list[int] = []
    cursor = None
    with UnitOfWork(engine) as uow:
        repo = _repo(uow)
        for _ in range(20):
            page = repo.page(InboxFilters(sort=sort), cursor, limit=10)
            seen += _ids(page)
            cursor = page.next_cursor
            if cursor is None:
                break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))


def test_urgency_puts_crisis_then_negative_then_the_nearest_deadline(engine: Engine) -> None:
    s = seed(engine)
    with UnitOfWork(engine) as uow:
        rows = _repo(uow).page(InboxFilters(sort="urgency")).rows
    order = [r.id for r in rows]
    assert order[0] == s.ids["outage"]  # crisis flag first
    assert order[1] == s.ids["complaint"]  # then negative
    # Then by legal due date: the question (10 business days, 3 days old) before praise (no duty, 30).
    assert order.index(s.ids["question"]) < order.index(s.ids["praise"])
    assert [r.tier for r in rows][:2] == [0, 1]


def test_urgency_orders_by_deadline_not_age(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        older = citizen(1, "una queja", minutes_ago=60 * 24 * 5)  # 15 business days
        newer = citizen(2, "una petición", minutes_ago=60 * 24 * 3)  # 10 business days: due sooner
        ids = uow.posts.upsert([older, newer]).new_ids
        analyse(uow, [(ids[0], analysis("queja")), (ids[1], analysis("peticion"))])
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert _ids(_repo(uow).page(InboxFilters(sort="urgency"))) == [ids[1], ids[0]]


def test_facets_count_each_value_with_the_other_filters_applied(engine: Engine) -> None:
    seed(engine)
    with UnitOfWork(engine) as uow:
        repo = _repo(uow)
        facets = repo.facets(InboxFilters(category="reclamo"))
        assert facets.total == 2 == repo.count(InboxFilters(category="reclamo"))
        # The category facet ignores the category filter, so the alternatives stay visible.
        assert facets.category == {"reclamo": 2, "peticion": 1, "felicitacion": 1, "otro": 1}
        assert facets.sentiment == {"negative": 2}
        assert facets.topic == {"conectividad": 1, "gobierno_digital": 1}
        assert facets.flag == {"outage": 1}
        assert facets.state == {"new": 2}
        topic_facets = repo.facets(InboxFilters(topic="conectividad"))
        assert topic_facets.total == 1
        assert topic_facets.topic["formacion"] == 1  # its own filter left out
        assert topic_facets.category == {"reclamo": 1}


def test_facets_of_the_unassigned_view_leave_assigned_posts_out(engine: Engine) -> None:
    """"Nadie" (assignee "none") is the empty assignee column: tested like any value, not taken for "no filter"."""
    s = seed(engine)
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        ReviewRepository(uow.session).assign([s.ids["complaint"]], s.users["community_manager"], "cm")
        uow.commit()
    with UnitOfWork(engine) as uow:
        repo = _repo(uow)
        nobody = repo.facets(InboxFilters(assignee="none"))
        assert nobody.total == 4 == repo.count(InboxFilters(assignee="none"))
        assert nobody.category == {"reclamo": 1, "peticion": 1, "felicitacion": 1, "otro": 1}
        assert nobody.assignee == {"": 4, str(s.users["community_manager"]): 1}  # its own filter left out


def test_incident_scope_limits_window_and_keys(engine: Engine) -> None:
    s = seed(engine)
    with UnitOfWork(engine) as uow:
        repo = _repo(uow)
        window = IncidentScope(1, NOW - timedelta(hours=3), NOW, ("flag:outage", "category:felicitacion"))
        assert _ids(repo.page(InboxFilters(incident=window))) == [s.ids["outage"], s.ids["praise"]]
        everything = IncidentScope(1, NOW - timedelta(hours=1), None, ("all",))
        assert _ids(repo.page(InboxFilters(incident=everything))) == [s.ids["xss"], s.ids["outage"]]
        account = IncidentScope(1, NOW - timedelta(days=30), None, ("account:facebook:MinTICColombia",))
        assert _ids(repo.page(InboxFilters(incident=account))) == [s.ids["question"]]


def test_thread_includes_the_ministry_reply(engine: Engine) -> None:
    s = seed(engine)
    with UnitOfWork(engine) as uow:
        thread = _repo(uow).thread(s.ids["complaint"])
    assert [t.id for t in thread] == [s.ids["complaint"], s.ids["reply"]]
    assert [t.is_own for t in thread] == [False, True]


def test_cursor_round_trip_and_garbage() -> None:
    token = encode_cursor(["urgency", 1, 4, NOW.isoformat(), 42])
    assert decode_cursor(token, "urgency") == ["urgency", 1, 4, NOW, 42]
    assert decode_cursor(encode_cursor(["urgency", 1, 4, "2026-11-20T17:00:00", 42]), "urgency") is None  # naive
    assert decode_cursor(encode_cursor(["urgency", 1, 20000.5, 42]), "urgency") is None  # an old bookmark
    assert decode_cursor(encode_cursor(["urgency", 1, NOW.isoformat(), 42]), "urgency") is None  # before reach
    assert decode_cursor(token, "recent") is None  # a bookmark of the other order is ignored
    assert decode_cursor("not-base64!!", "recent") is None
    assert decode_cursor(encode_cursor(["recent", "yesterday", 1]), "recent") is None


def test_other_platform_same_external_id_is_not_in_thread(engine: Engine) -> None:
    s = seed(engine)
    with UnitOfWork(engine) as uow:
        other = citizen(2, "otro mundo", minutes_ago=5, platform=Platform.INSTAGRAM, reply_to="w-2")
        uow.posts.upsert([other])
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert len(_repo(uow).thread(s.ids["complaint"])) == 2


def test_pages_span_the_search_windows(engine: Engine) -> None:
    """Newest-first pages are searched in growing time windows; old matches must still come, in order."""
    days = [0, 1, 10, 100, 300, 301]
    with UnitOfWork(engine) as uow:
        ids = uow.posts.upsert([citizen(500 + i, "hola", minutes_ago=d * 1440 + i) for i, d in enumerate(days)]).new_ids
        analyse(uow, [(pid, analysis("denuncia")) for pid in ids])
        uow.commit()
    seen: list[int] = []
    cursor = None
    with UnitOfWork(engine) as uow:
        for _ in range(5):
            page = _repo(uow).page(InboxFilters(category="denuncia"), cursor, limit=2)
            seen += _ids(page)
            cursor = page.next_cursor
            if cursor is None:
                break
    assert seen == list(ids)  # ids were created newest first

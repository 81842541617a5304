"""Indicator queries and the report model on a small hand-made week, on SQLite and PostgreSQL alike.

Every expected number below is worked out by hand from the fixture (see the comments); the week is ISO
2026-W47 in Bogotá (UTC-5), whose Monday 16/11 is a public holiday.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from analyzers.indicators import QUESTION_CATEGORIES, deadline_days
from bot.reports.model import build_report, week_period
from domain import Metrics, Platform, Post, PostKind, TextAnalysis
from domain.business_calendar import BusinessCalendar
from storage import indicators as q
from storage.models import IncidentRow, OpsProblemRow, PostReviewRow, PostRow
from storage.unit_of_work import UnitOfWork
from tests.reports.sample_data import store

BOGOTA = ZoneInfo("America/Bogota")
CAL = BusinessCalendar(BOGOTA)
WEEK = week_period("2026-W47", BOGOTA)
AS_OF = datetime(2026, 11, 27, 12, tzinfo=BOGOTA).astimezone(UTC)
ACCOUNT = {Platform.X: "Ministerio_TIC", Platform.FACEBOOK: "MinTICColombia", Platform.INSTAGRAM: "mintic_colombia"}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BOGOTA)


def post(ext: str, platform: Platform, kind: PostKind, when: datetime, *, own: bool = False, author: str = "",
         reply_to: str | None = None, conv: str | None = None, metrics: Metrics | None = None) -> Post:
    return Post(platform=platform, external_id=ext, kind=kind, account=ACCOUNT[platform],
                author_id=author or ("ministry" if own else ext), author_handle=author or ext, text=f"texto {ext}",
                created_at=when, url=f"https://example.invalid/{ext}", in_reply_to_id=reply_to,
                conversation_id=conv or ext, is_own=own, metrics=metrics or Metrics())


def analysis(sentiment: str, category: str, topics: tuple[str, ...] = (), flags: tuple[str, ...] = ()) -> TextAnalysis:
    return TextAnalysis("es", sentiment, 0.0, category, topics, flags)


X, FB, IG = Platform.X, Platform.FACEBOOK, Platform.INSTAGRAM
M, C, R, OWN, S = PostKind.MENTION, PostKind.COMMENT, PostKind.REPLY, PostKind.OWN_POST, PostKind.SEARCH_HIT

POSTS = [
    # ministry content of the week: interactions 20 + 14 + 12 + 1 = 47
    post("own-x", X, OWN, at(2026, 11, 16, 10), own=True,
         metrics=Metrics(likes=10, reposts=2, replies=3, quotes=1, bookmarks=4, impressions=1000)),
    post("own-fb", FB, OWN, at(2026, 11, 17, 9), own=True,
         metrics=Metrics(reactions=7, comments=5, shares=2, views=500)),
    post("own-ig", IG, OWN, at(2026, 11, 22, 23, 30), own=True,
         metrics=Metrics(likes=9, comments=1, saves=2, views=300, reach=120)),
    post("r-1", X, R, at(2026, 11, 16, 12), own=True, reply_to="c-1", conv="c-1",
         metrics=Metrics(likes=1, impressions=50)),
    post("r-2", X, R, at(2026, 11, 24, 9), own=True, reply_to="c-2", conv="c-2"),  # next week
    post("r-bad", FB, R, at(2026, 11, 23, 9), own=True, reply_to="c-7"),  # other platform: not an answer to c-7
    # citizens of the week
    post("c-1", X, M, at(2026, 11, 16, 8), author="u1"),
    post("c-2", X, M, at(2026, 11, 20, 16), author="u2"),
    post("c-3", FB, C, at(2026, 11, 18, 10), author="f1", reply_to="own-fb", conv="own-fb"),
    post("c-4", FB, C, at(2026, 11, 18, 11), author="f2", reply_to="own-fb", conv="own-fb"),
    post("c-5", FB, C, at(2026, 11, 18, 11, 30), author="f1", reply_to="own-fb", conv="own-fb"),
    post("c-6", X, M, at(2026, 11, 19, 10), author="u1"),  # never analysed
    post("c-7", X, S, at(2026, 11, 22, 23, 59), author="u3"),  # Sunday in Bogotá, Monday in UTC
    post("c-8", IG, C, at(2026, 11, 21, 15), author="i1", reply_to="older", conv="older"),
    # neighbours of the week
    post("c-9", X, M, at(2026, 11, 15, 23, 59), author="u9"),  # previous week
    post("c-10", X, M, at(2026, 11, 23, 0, 0), author="u10"),  # next week
    # older questions for the overdue list (as of Friday 27/11 12:00)
    post("o-1", X, M, at(2026, 10, 1, 9), author="u1"),  # peticion, unanswered: overdue
    post("o-2", X, M, at(2026, 10, 2, 9), author="u2"),  # queja, closed in the inbox: not waiting
    post("o-3", FB, C, at(2026, 10, 3, 9), author="f1"),  # reclamo, answered
    post("r-3", FB, R, at(2026, 10, 5, 9), own=True, reply_to="o-3"),
    post("o-4", X, M, at(2026, 11, 12, 10), author="u4"),  # peticion: deadline ends 27/11, not yet overdue
    post("o-5", X, M, at(2026, 11, 11, 10), author="u5"),  # peticion: overdue since 27/11 00:00
    post("o-6", X, M, at(2026, 7, 1, 10), author="u6"),  # older than the 90-day look-back
]
ANALYSES = {
    ("x", "c-1"): analysis("negative", "peticion", ("conectividad",)),
    ("x", "c-2"): analysis("negative", "queja", ("conectividad", "operadores_usuarios")),
    ("facebook", "c-3"): analysis("neutral", "reclamo"),
    ("facebook", "c-4"): analysis("positive", "felicitacion"),
    ("facebook", "c-5"): analysis("neutral", "otro"),
    ("x", "c-7"): analysis("negative", "denuncia", ("ciberseguridad_fraude",), ("fraud",)),
    ("instagram", "c-8"): analysis("neutral", "sugerencia"),
    ("x", "c-9"): analysis("negative", "reclamo"),
    ("x", "c-10"): analysis("negative", "reclamo"),
    **{("x", k): analysis("neutral", "peticion") for k in ("o-1", "o-4", "o-5", "o-6")},
    ("x", "o-2"): analysis("negative", "queja"),
    ("facebook", "o-3"): analysis("negative", "reclamo"),
    **{(str(p.platform), p.external_id): analysis("neutral", "otro") for p in POSTS if p.is_own},
}


@pytest.fixture
def db(engine):
    store(engine, POSTS, ANALYSES)
    with UnitOfWork(engine) as uow:
        s = uow.session
        o2 = s.query(PostRow).filter_by(external_id="o-2").one()
        s.add(PostReviewRow(post_id=o2.id, state="attended", updated_at=AS_OF, updated_by="cm",
                            due_at=AS_OF))  # urgency columns are filled at ingest in production
        s.add_all([
            IncidentRow(opened_at=at(2026, 11, 15, 22).astimezone(UTC), closed_at=at(2026, 11, 16, 2).astimezone(UTC),
                        level="aviso", keys=["all"], active_keys=[], peak_value=9, peak_expected=2.0),
            IncidentRow(opened_at=at(2026, 11, 18, 10).astimezone(UTC), closed_at=None, level="critico",
                        keys=["flag:outage"], active_keys=["flag:outage"], peak_value=40, peak_expected=3.0),
            IncidentRow(opened_at=at(2026, 11, 10, 10).astimezone(UTC), closed_at=at(2026, 11, 10, 12).astimezone(UTC),
                        level="aviso", keys=["all"], active_keys=[], peak_value=5, peak_expected=1.0),
            OpsProblemRow(key="connector:sample:x:Ministerio_TIC", message="HTTP 503", fatal=False,
                          opened_at=datetime(2026, 11, 19, 0, tzinfo=UTC),
                          last_seen_at=datetime(2026, 11, 19, 6, tzinfo=UTC),
                          resolved_at=datetime(2026, 11, 19, 6, tzinfo=UTC), failures=12),
            OpsProblemRow(key="connector:old", message="x", fatal=False, opened_at=datetime(2026, 11, 1, tzinfo=UTC),
                          last_seen_at=datetime(2026, 11, 2, tzinfo=UTC), resolved_at=datetime(2026, 11, 2, tzinfo=UTC),
                          failures=1),
        ])
        uow.commit()
    return engine


def test_activity_counts_posts_and_interactions_per_local_day(db):
    with UnitOfWork(db) as uow:
        rows = q.activity_by_day(uow.session, WEEK.day_ranges())
    per_day: dict[tuple[int, str], int] = {}
    for r in rows:
        per_day[(r.day, r.platform)] = per_day.get((r.day, r.platform), 0) + r.posts
    # Mon: own-x, r-1, c-1 | Tue: own-fb | Wed: c-3..c-5 | Thu: c-6 | Fri: c-2 | Sat: c-8 | Sun: own-ig, c-7
    assert per_day == {(0, "x"): 3, (1, "facebook"): 1, (2, "facebook"): 3, (3, "x"): 1, (4, "x"): 1,
                       (5, "instagram"): 1, (6, "instagram"): 1, (6, "x"): 1}
    own = [r for r in rows if r.is_own]
    assert sum(r.interactions for r in own) == 47
    by_type: dict[str, int] = {}
    for r in own:
        for k, v in r.metrics.items():
            by_type[k] = by_type.get(k, 0) + v
    assert by_type == {"likes": 20, "reposts": 2, "replies": 3, "quotes": 1, "bookmarks": 4, "reactions": 7,
                       "comments": 6, "shares": 2, "saves": 2}
    unanalysed = [r for r in rows if r.sentiment is None]
    assert [(r.day, r.platform, r.posts) for r in unanalysed] == [(3, "x", 1)]


def test_unique_citizens_labels_and_span(db):
    with UnitOfWork(db) as uow:
        s = uow.session
        assert q.unique_citizens(s, WEEK.utc_start, WEEK.utc_end) == {"x": 3, "facebook": 2, "instagram": 1}
        assert q.label_counts(s, WEEK.utc_start, WEEK.utc_end) == {
            ("topic", "conectividad"): 2, ("topic", "operadores_usuarios"): 1,
            ("topic", "ciberseguridad_fraude"): 1, ("flag", "fraud"): 1}
        first, last = q.stored_span(s)
    assert first == at(2026, 7, 1, 10) and last == at(2026, 11, 24, 9)


def test_first_replies_match_on_platform_and_reply_id(db):
    with UnitOfWork(db) as uow:
        t = q.question_timings(uow.session, WEEK.utc_start, WEEK.utc_end, QUESTION_CATEGORIES)
    got = sorted(zip(t.platforms, t.categories, t.received, t.first_reply, strict=True), key=lambda r: r[2])
    expected = [("x", "peticion", at(2026, 11, 16, 8), at(2026, 11, 16, 12)),
                ("facebook", "reclamo", at(2026, 11, 18, 10), None),
                ("x", "queja", at(2026, 11, 20, 16), at(2026, 11, 24, 9)),
                ("instagram", "sugerencia", at(2026, 11, 21, 15), None),  # a petición too (15 days)
                ("x", "denuncia", at(2026, 11, 22, 23, 59), None)]  # r-bad is on Facebook: not an answer
    assert [(p, c) for p, c, _, _ in got] == [(p, c) for p, c, _, _ in expected]
    for (_, _, rec, rep), (_, _, e_rec, e_rep) in zip(got, expected, strict=True):
        assert rec == pytest.approx(e_rec.timestamp(), abs=0.01)
        assert (rep is None) == (e_rep is None)
        if rep is not None:
            assert rep == pytest.approx(e_rep.timestamp(), abs=0.01)


def test_overdue_questions_respect_deadlines_reviews_and_lookback(db):
    cutoffs = {c: CAL.overdue_before(AS_OF, deadline_days(c)) for c in QUESTION_CATEGORIES}
    with UnitOfWork(db) as uow:
        counts, posts = q.overdue_questions(uow.session, cutoffs, AS_OF - timedelta(days=90), AS_OF)
    assert counts == {"peticion": 2}
    assert [p.external_id for p in posts] == ["o-1", "o-5"]


def test_notable_posts_threads_incidents_and_problems(db):
    with UnitOfWork(db) as uow:
        s = uow.session
        top = q.top_own_posts(s, WEEK.utc_start, WEEK.utc_end, 5)
        threads = q.busiest_threads(s, WEEK.utc_start, WEEK.utc_end)
        incidents = q.incidents_between(s, WEEK.utc_start, WEEK.utc_end)
        problems = q.collection_problems(s, WEEK.utc_start, WEEK.utc_end)
    assert [(p.external_id, p.interactions, p.audience()) for p in top] == [
        ("own-x", 20, {"impressions": 1000}), ("own-fb", 14, {"views": 500}),
        ("own-ig", 12, {"views": 300, "reach": 120})]
    [thread] = threads  # only the Facebook post has more than one citizen post
    assert (thread.platform, thread.conversation_id, thread.posts, thread.citizens, thread.negative) == (
        "facebook", "own-fb", 3, 2, 0)
    assert thread.root is not None and thread.root_is_own and thread.first_at == at(2026, 11, 18, 10)
    assert [i.level for i in incidents] == ["aviso", "critico"]  # the one of 10/11 ended before the week
    assert [p.key for p in problems] == ["connector:sample:x:Ministerio_TIC"]


def test_report_model_figures(db):
    with UnitOfWork(db) as uow:
        r = build_report(uow.session, WEEK, AS_OF, CAL)
    c = r.current
    assert (c.posts, c.citizen_posts, c.own_posts, c.own_replies, c.interactions) == (12, 8, 3, 1, 47)
    # each platform's own measure, over own posts only (r-1's 50 impressions are a reply's), never summed
    audience = {k: (a.total, a.posts, a.interactions) for k, a in c.audience().items()}
    assert audience == {("x", "impressions"): (1000, 1, 20), ("facebook", "views"): (500, 1, 14),
                        ("instagram", "views"): (300, 1, 12), ("instagram", "reach"): (120, 1, 12)}
    assert c.unique_citizens == 6
    assert dict(c.sentiment()) == {"negative": 3, "neutral": 3, "positive": 1, "sin_analizar": 1}
    assert c.sentiment_share("negative") == pytest.approx(3 / 7)
    assert dict(c.categories()) == {k: 1 for k in ("peticion", "queja", "reclamo", "felicitacion", "otro",
                                                   "denuncia", "sugerencia")}
    s = c.responses
    assert (s.received, s.answered, s.within_deadline, s.overdue, s.waiting) == (5, 2, 2, 0, 3)  # c-8 sugerencia
    assert s.median_s == pytest.approx(46.5 * 3600, abs=1) and s.median_business_s == pytest.approx(5.5 * 3600, abs=1)
    assert c.responses_by_platform["facebook"].answered == 0 and c.responses_by_platform["x"].received == 3
    # incidents: 2 h of the first (from Monday 00:00), 110 h of the open one (Wed 10:00 to the week's end)
    assert c.incident_hours(r.as_of) == pytest.approx(112.0)
    # W46 holds c-9 (Sunday 23:59) and the older o-4, o-5 (11 and 12/11), all questions
    assert r.before.posts == 3 and r.before.responses.received == 3 and r.has_previous
    assert len(r.before.incidents) == 2
    assert r.overdue_counts == {"peticion": 2}
    kpis = {k.key: k for k in r.kpis()}
    assert kpis["menciones_recibidas"].current == 8 and kpis["menciones_recibidas"].previous == 3
    assert kpis["menciones_recibidas"].change.pct == pytest.approx(500 / 3)
    assert kpis["tasa_respuesta"].current == 0.4 and kpis["tasa_respuesta"].previous == 0.0  # 2 of 5 PQRSD
    assert kpis["interacciones_por_publicacion"].current == pytest.approx(46 / 3)
    assert "impresiones" not in kpis  # the former sum of X impressions and Meta views is gone
    assert (kpis["impresiones_x"].current, kpis["visualizaciones_facebook"].current,
            kpis["visualizaciones_instagram"].current, kpis["alcance_instagram"].current) == (1000, 500, 300, 120)
    assert kpis["tasa_interaccion_impresiones_x"].current == pytest.approx(20 / 1000)
    assert kpis["tasa_interaccion_visualizaciones_facebook"].current == pytest.approx(14 / 500)
    assert kpis["tasa_interaccion_alcance_instagram"].current == pytest.approx(12 / 120)
    assert kpis["impresiones_x"].previous is None  # no own post the week before: no figure, not 0
    assert kpis["tasa_interaccion_seguidores"].current is None  # no follower snapshot stored
    assert "sin datos" in kpis["tasa_interaccion_seguidores"].note
    # a platform-day with no posts is a possible collection gap: X had posts Mon, Thu, Fri and Sun only
    x_gaps = [g.day.isoformat() for g in r.gaps() if g.platform == "x"]
    assert x_gaps == ["2026-11-17", "2026-11-18", "2026-11-21"]
    assert len(r.gaps()) == 3 + 5 + 5


def test_sample_week_figures_agree_with_a_python_recount(engine):
    """The whole sample week on each database, against a plain-Python recount of the JSONL."""
    from tests.reports.sample_data import sample_posts

    posts = sample_posts()[::2]  # half the week (some replies lose their question: still a valid case)
    store(engine, posts)
    with UnitOfWork(engine) as uow:
        r = build_report(uow.session, WEEK, AS_OF, CAL)
    in_week = [p for p in posts if WEEK.utc_start <= p.created_at < WEEK.utc_end]
    citizens = [p for p in in_week if not p.is_own]
    interactions = sum(getattr(p.metrics, m) or 0 for p in in_week if p.is_own for m in q.INTERACTION_METRICS)
    first_reply: dict[tuple[str, str], datetime] = {}
    for p in posts:
        if p.is_own and p.in_reply_to_id:
            key = (str(p.platform), p.in_reply_to_id)
            first_reply[key] = min(first_reply.get(key, p.created_at), p.created_at)
    questions = [p for p in citizens if p.raw["label"]["category"] in QUESTION_CATEGORIES]
    answered = [p for p in questions if (str(p.platform), p.external_id) in first_reply]
    waits = sorted((first_reply[(str(p.platform), p.external_id)] - p.created_at).total_seconds() for p in answered)
    assert r.current.citizen_posts == len(citizens) and r.current.interactions == interactions
    assert r.current.unique_citizens == len({(p.platform, p.author_id) for p in citizens})
    assert (r.current.responses.received, r.current.responses.answered) == (len(questions), len(answered))
    mid = len(waits) // 2
    median = waits[mid] if len(waits) % 2 else (waits[mid - 1] + waits[mid]) / 2
    assert r.current.responses.median_s == pytest.approx(median, abs=1)


def test_local_days_follow_daylight_saving_where_the_zone_has_it(engine):
    """Madrid moves to UTC+2 on Sunday 29/03/2026: that day has 23 hours, and Monday starts at 22:00 UTC."""
    from bot.reports.model import days_period

    madrid = ZoneInfo("Europe/Madrid")
    posts = [
        post("m-1", X, M, datetime(2026, 3, 28, 23, 30, tzinfo=madrid)),  # Saturday
        post("m-2", X, M, datetime(2026, 3, 29, 0, 30, tzinfo=madrid)),  # Sunday, still UTC+1
        post("m-3", X, M, datetime(2026, 3, 29, 23, 30, tzinfo=madrid)),  # Sunday, already UTC+2
        post("m-4", X, M, datetime(2026, 3, 30, 0, 30, tzinfo=madrid)),  # Monday (22:30 UTC on Sunday)
    ]
    store(engine, posts, {})
    around = days_period(datetime(2026, 3, 27).date(), datetime(2026, 3, 31).date(), madrid)
    before = days_period(datetime(2026, 3, 21).date(), datetime(2026, 3, 28).date(), madrid)
    assert not q.uniform_days(around.day_ranges()) and q.uniform_days(before.day_ranges())
    with UnitOfWork(engine) as uow:
        days_around = sorted((r.day, r.posts) for r in q.activity_by_day(uow.session, around.day_ranges()))
        days_before = sorted((r.day, r.posts) for r in q.activity_by_day(uow.session, before.day_ranges()))
    assert days_around == [(1, 1), (2, 2), (3, 1)]  # Sat, Sun (two posts), Mon
    assert days_before == [(7, 1)]  # the arithmetic path: Saturday 28/03 is the 8th day from 21/03

"""Legal-term compliance: measured on the questions whose deadline fell in the reported week (received
earlier), on SQLite and PostgreSQL; the week's own questions are shown as "en plazo / por vencer".

The reported week is ISO 2026-W48 (Mon 23/11 – Sun 29/11, Bogotá), built at the Monday 08:00 run (30/11).
Holidays around it: Mon 02/11 (Todos los Santos) and Mon 16/11 (Independencia de Cartagena). Business days
used below: 29–30/10, 03–06/11, 09–13/11, 17–20/11, 23–27/11, 30/11, 01–04/12, 07/12, 09/12.

Deadlines that fall in W48 (the last business day of the term is 23/11 … 27/11):
- peticion (10 days): received 06/11 … 12/11 (06/11 → first day 09/11, 10th day 23/11; 12/11 → 13/11 … 27/11);
- queja, reclamo, denuncia (15 days): received 29/10 … 05/11 (29/10 → 30/10, 03/11 … 23/11; 05/11 → 27/11).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.reports.html import headline
from bot.reports.model import build_report, deadline_windows, report_tables, week_period
from domain import Platform, PostKind, TextAnalysis
from domain.business_calendar import BusinessCalendar
from storage import indicators as q
from storage.models import PostReviewRow, PostRow
from storage.unit_of_work import UnitOfWork
from tests.reports.sample_data import store
from tests.reports.test_indicators_sql import post

BOGOTA = ZoneInfo("America/Bogota")
CAL = BusinessCalendar(BOGOTA)
WEEK = week_period("2026-W48", BOGOTA)
MONDAY_8AM = datetime(2026, 11, 30, 8, tzinfo=BOGOTA).astimezone(UTC)
X, FB = Platform.X, Platform.FACEBOOK
M, R, OWN = PostKind.MENTION, PostKind.REPLY, PostKind.OWN_POST


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BOGOTA)


POSTS = [
    # the cohort: deadline in W48
    post("p1", X, M, at(2026, 11, 6, 10), author="a1"),  # peticion, term ends 23/11: answered 20/11, in time
    post("p2", X, M, at(2026, 11, 12, 9), author="a2"),  # peticion, ends 27/11: answered 28/11, late
    post("p3", X, M, at(2026, 11, 10, 10), author="a3"),  # peticion, ends 25/11: no answer
    post("p6", X, M, at(2026, 10, 29, 9), author="a6"),  # queja, ends 23/11: no answer, closed in the inbox
    post("p7", FB, M, at(2026, 11, 5, 15), author="a7"),  # reclamo, ends 27/11: answered 27/11 16:00, in time
    post("p9", X, M, at(2026, 11, 3, 9), author="a9"),  # denuncia, ends 25/11: answered 01/12, after the report
    # not in the cohort
    post("p4", X, M, at(2026, 11, 5, 10), author="a4"),  # peticion, ends 20/11 (W47's cohort), no answer
    post("p5", X, M, at(2026, 11, 13, 10), author="a5"),  # peticion, ends 30/11 (W49's cohort)
    post("p8", X, M, at(2026, 10, 28, 10), author="a8"),  # queja, ends 20/11 (W47's cohort), no answer
    post("p10", X, M, at(2026, 11, 6, 11), author="a10"),  # felicitacion: no term
    # the week's own questions (W48)
    post("w1", X, M, at(2026, 11, 23, 10), author="b1"),  # peticion, ends 07/12: due within 5 business days
    post("w2", X, M, at(2026, 11, 24, 10), author="b2"),  # peticion, ends 09/12 (08/12 is a holiday): in term
    post("w3", X, M, at(2026, 11, 23, 11), author="b3"),  # queja, 15 days: in term
    post("w4", X, M, at(2026, 11, 27, 10), author="b4"),  # peticion answered 28/11
    post("w5", FB, M, at(2026, 11, 29, 10), author="b5"),  # reclamo: in term
    # ministry replies
    post("r1", X, R, at(2026, 11, 20, 9), own=True, reply_to="p1"),
    post("r2", X, R, at(2026, 11, 28, 10), own=True, reply_to="p2"),
    post("r7", FB, R, at(2026, 11, 27, 16), own=True, reply_to="p7"),
    post("r9", X, R, at(2026, 12, 1, 9), own=True, reply_to="p9"),
    post("r4", X, R, at(2026, 11, 28, 11), own=True, reply_to="w4"),
]
CATEGORY = {"p1": "peticion", "p2": "peticion", "p3": "peticion", "p4": "peticion", "p5": "peticion",
            "p6": "queja", "p7": "reclamo", "p8": "queja", "p9": "denuncia", "p10": "felicitacion",
            "w1": "peticion", "w2": "peticion", "w3": "queja", "w4": "peticion", "w5": "reclamo"}
ANALYSES = {(str(p.platform), p.external_id): TextAnalysis("es", "neutral", 0.0, CATEGORY.get(p.external_id, "otro"))
            for p in POSTS}


@pytest.fixture
def db(engine):
    store(engine, POSTS, ANALYSES)
    with UnitOfWork(engine) as uow:
        p6 = uow.session.query(PostRow).filter_by(external_id="p6").one()
        uow.session.add(PostReviewRow(post_id=p6.id, state="attended", updated_at=MONDAY_8AM, updated_by="cm",
                                      due_at=MONDAY_8AM))
        uow.commit()
    return engine


def test_the_receipt_windows_of_the_deadlines_that_fall_in_the_week():
    windows = deadline_windows(CAL, WEEK.utc_start, WEEK.utc_end)
    local = {c: (a.astimezone(BOGOTA).date(), b.astimezone(BOGOTA).date()) for c, (a, b) in windows.items()}
    assert local["peticion"] == (date(2026, 11, 6), date(2026, 11, 13))  # [06/11, 13/11)
    for cat in ("queja", "reclamo", "denuncia"):
        assert local[cat] == (date(2026, 10, 29), date(2026, 11, 6))  # [29/10, 06/11)
    # the edges, checked against the deadlines themselves
    assert CAL.deadline(at(2026, 11, 6, 0, 1), 10) == at(2026, 11, 24).astimezone(UTC)
    assert CAL.deadline(at(2026, 11, 5, 23, 59), 10) == at(2026, 11, 21).astimezone(UTC)
    assert CAL.deadline(at(2026, 11, 13, 0, 1), 10) == at(2026, 12, 1).astimezone(UTC)


def test_the_cohort_query_finds_the_posts_whose_deadline_fell_in_the_week(db):
    with UnitOfWork(db) as uow:
        t = q.deadline_cohort(uow.session, deadline_windows(CAL, WEEK.utc_start, WEEK.utc_end))
    got = sorted(zip(t.received, t.categories, t.platforms, t.first_reply, t.closed, strict=True))
    expected = [(at(2026, 10, 29, 9), "queja", "x", None, True),
                (at(2026, 11, 3, 9), "denuncia", "x", at(2026, 12, 1, 9), False),
                (at(2026, 11, 5, 15), "reclamo", "facebook", at(2026, 11, 27, 16), False),
                (at(2026, 11, 6, 10), "peticion", "x", at(2026, 11, 20, 9), False),
                (at(2026, 11, 10, 10), "peticion", "x", None, False),
                (at(2026, 11, 12, 9), "peticion", "x", at(2026, 11, 28, 10), False)]
    assert len(got) == len(expected)
    for (rec, cat, pf, rep, closed), (e_rec, e_cat, e_pf, e_rep, e_closed) in zip(got, expected, strict=True):
        assert rec == pytest.approx(e_rec.timestamp(), abs=0.01)
        assert (cat, pf, closed) == (e_cat, e_pf, e_closed)
        assert (rep is None) == (e_rep is None)
        if rep is not None:
            assert rep == pytest.approx(e_rep.timestamp(), abs=0.01)


def test_compliance_is_measured_on_the_cohort_at_the_monday_run(db):
    with UnitOfWork(db) as uow:
        r = build_report(uow.session, WEEK, MONDAY_8AM, CAL)
    c = r.current
    # the week's own questions can not be past their term at Monday 08:00: the old measure said 0
    assert (c.responses.answered_late, c.responses.overdue) == (0, 0)
    d = c.deadlines
    # p1 and p7 in time, p2 late, p3 and p9 without answer (p9's reply came after the report), p6 closed
    assert (d.total, d.stats.within_deadline, d.stats.answered_late, d.stats.overdue, d.stats.waiting, d.closed) \
        == (6, 2, 1, 2, 0, 1)
    assert d.stats.on_time_rate == pytest.approx(2 / 5)
    assert {k: (v.total, v.stats.within_deadline, v.late_or_unanswered, v.closed)
            for k, v in c.deadlines_by_platform.items()} == {"facebook": (1, 1, 0, 0), "x": (5, 1, 3, 1)}
    assert {k: (v.total, v.stats.within_deadline, v.late_or_unanswered, v.closed)
            for k, v in c.deadlines_by_category.items()} == {
        "denuncia": (1, 0, 1, 0), "peticion": (3, 1, 2, 0), "queja": (1, 0, 0, 1), "reclamo": (1, 1, 0, 0)}
    # the week's own: w4 answered; w1's term ends 07/12 (5th business day after 30/11); the rest have longer
    p = c.pending
    assert (p.received, p.answered, p.overdue, p.due_soon, p.in_term) == (5, 1, 0, 1, 3)
    assert c.pending_by_category["peticion"].due_soon == 1 and c.pending_by_platform["facebook"].in_term == 1
    # W47's cohort: p4 (peticion, 20/11) and p8 (queja, 20/11), neither answered
    b = r.before.deadlines
    assert (b.total, b.stats.overdue, b.stats.on_time_rate) == (2, 2, 0.0)
    kpis = {k.key: k for k in r.kpis()}
    assert kpis["plazo_vencio_en_semana"].current == 6 and kpis["plazo_vencio_en_semana"].previous == 2
    assert kpis["plazo_cumplimiento"].current == pytest.approx(0.4)
    assert kpis["plazo_respondidas_a_tiempo"].current == 2 and kpis["plazo_fuera_de_plazo"].current == 3
    assert kpis["plazo_fuera_de_plazo"].previous == 2 and kpis["por_vencer"].current == 1
    tables = {t.key: t for t in report_tables(r)}
    total = tables["plazos_legales"].rows[0]
    assert total[:8] == ["Total", 6, 2, 1, 2, 0, 1, pytest.approx(0.4)] and total[8] == 0.0
    assert tables["plazos_semana"].rows[0] == ["Total", 5, 1, 0, 1, 3]
    line = next(x for x in headline(r) if x.startswith("Plazo legal"))
    assert ("de las 6 PQRSD cuyo plazo venció en la semana (recibidas antes), 2 se respondieron a tiempo, 1 tarde, "
            "2 siguen sin respuesta y 1 se cerró en la bandeja sin respuesta pública (cumplimiento: 40,0 %)") in line
    assert "1 vence en los próximos 5 días hábiles y 3 siguen en plazo" in line


def test_a_mid_week_report_shows_deadlines_not_reached_yet(db):
    wednesday = at(2026, 11, 25, 12).astimezone(UTC)
    with UnitOfWork(db) as uow:
        r = build_report(uow.session, WEEK, wednesday, CAL)
    d = r.current.deadlines
    # p1 (23/11) in time; p3 (ends 25/11, midnight still ahead) and p2, p7 (27/11) wait; p9 (25/11) waits
    assert (d.stats.within_deadline, d.stats.answered_late, d.stats.overdue, d.stats.waiting) == (1, 0, 0, 4)
    assert d.closed == 1

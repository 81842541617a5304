"""One business calendar and one table of legal terms (domain/) for the inbox and the weekly report.

Issue 13 item 3 / issue 14 item 4: the inbox counted weekends only, the report hand-computed holidays and
left sugerencias out, so the same post showed two different deadlines.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from analyzers.indicators import QUESTION_CATEGORIES, deadline_days, response_stats
from bot.config import business_calendar, parse_config
from bot.web.deadlines import deadline_for
from domain import CATEGORIES
from domain.business_calendar import BusinessCalendar, colombian_holidays
from domain.legal_terms import CONSULTATION_TERM_DAYS, LEGAL_TERMS, TERM_CATEGORIES, legal_term

BOGOTA = ZoneInfo("America/Bogota")
CAL = business_calendar(parse_config({"timezone": "America/Bogota", "report": {"office_hours": "08:00-17:00"}}))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BOGOTA)


@pytest.mark.parametrize(("day", "name"), [
    (date(2025, 3, 24), "San José"),  # 19/3/2025 was a Wednesday: Ley Emiliani moves it to Monday
    (date(2026, 1, 12), "Reyes Magos"),  # 6/1/2026 is a Tuesday
    (date(2026, 4, 2), "Jueves Santo"),  # Easter 2026 is 5 April
    (date(2026, 4, 3), "Viernes Santo"),
    (date(2026, 5, 18), "Ascensión"),  # Easter + 43 days, a Monday
    (date(2026, 6, 8), "Corpus Christi"),  # Easter + 64
    (date(2026, 6, 15), "Sagrado Corazón"),  # Easter + 71
    (date(2026, 7, 13), "Chiquinquirá"),  # Ley 2578 de 2026: 9 July, moved to Monday; new from 2026
])
def test_known_colombian_holidays(day: date, name: str) -> None:
    assert name in (colombian_holidays(day.year).get(day) or "")
    assert not CAL.is_business_day(day)


def test_ordinary_days_and_the_original_dates_of_moved_holidays_are_business_days() -> None:
    assert CAL.is_business_day(date(2025, 3, 19))  # San José's own date, a Wednesday in 2025
    assert CAL.is_business_day(date(2026, 1, 6))  # Reyes' own date, a Tuesday in 2026
    assert CAL.is_business_day(date(2025, 7, 14))  # no Chiquinquirá holiday before the 2026 law
    assert not CAL.is_business_day(date(2026, 1, 10))  # a Saturday


def test_the_terms_table_follows_ley_1755_art_14() -> None:
    assert dict(LEGAL_TERMS) == {"peticion": 10, "queja": 15, "reclamo": 15, "sugerencia": 15, "denuncia": 15}
    assert set(TERM_CATEGORIES) <= set(CATEGORIES)
    assert legal_term("felicitacion") is None and legal_term("otro") is None and legal_term(None) is None
    assert CONSULTATION_TERM_DAYS == 30 and "consulta" not in CATEGORIES  # kept for a future category


@pytest.mark.parametrize("category", [c for c in CATEGORIES if legal_term(c) is not None])
def test_inbox_and_report_use_the_same_categories_and_terms(category: str) -> None:
    assert category in QUESTION_CATEGORIES  # sugerencias are measured by the report too
    assert deadline_days(category) == legal_term(category)


@pytest.mark.parametrize(("received", "category", "due"), [
    # Friday before Reyes (Monday 12/1/2026): 13–16, 19–23, 26 → the 10th business day is Monday 26/1.
    (at(2026, 1, 9, 16), "peticion", date(2026, 1, 26)),
    # Friday before San José (Monday 23/3/2026), then Holy Thursday and Friday (2–3/4):
    # 24–27/3, 30–31/3, 1/4, 6–8/4 → Wednesday 8/4.
    (at(2026, 3, 20, 10), "peticion", date(2026, 4, 8)),
    # A sugerencia gets the general 15 days: 13–16/1, 19–23/1, 26–30/1, 2/2 → Monday 2/2.
    (at(2026, 1, 9, 16), "sugerencia", date(2026, 2, 2)),
    # Received late in the evening: the local day counts, not the UTC one (23:30 Bogotá is 04:30 UTC the 10th).
    (at(2026, 1, 9, 23, 30), "queja", date(2026, 2, 2)),
])
def test_inbox_and_report_give_the_same_due_date_across_holidays(received: datetime, category: str,
                                                                 due: date) -> None:
    now = received + timedelta(days=1)
    inbox = deadline_for(received.astimezone(UTC), category, CAL, now)
    assert inbox is not None and inbox.due == due
    report = CAL.deadline(received.astimezone(UTC), deadline_days(category))  # midnight ending the last day
    assert report == datetime.combine(due + timedelta(days=1), datetime.min.time(), tzinfo=BOGOTA)
    # and the report's statistics agree: an answer on the last afternoon is in time, the next morning is late
    in_time = response_stats([received.timestamp()], [at(due.year, due.month, due.day, 16).timestamp()],
                             [category], now + timedelta(days=60), CAL)
    next_day = due + timedelta(days=1)
    late = response_stats([received.timestamp()], [at(next_day.year, next_day.month, next_day.day, 9).timestamp()],
                          [category], now + timedelta(days=60), CAL)
    assert (in_time.within_deadline, in_time.answered_late) == (1, 0)
    assert (late.within_deadline, late.answered_late) == (0, 1)


def test_days_left_skip_holidays() -> None:
    # Received Friday 9/1/2026, seen Friday 23/1: 10th business day is Monday 26/1, one business day ahead.
    d = deadline_for(at(2026, 1, 9, 16), "peticion", CAL, at(2026, 1, 23, 9))
    assert d is not None and d.days_left == 1 and d.label == "vence en 1 día hábil" and d.level == "soon"
    # Seen on the holiday itself (Monday 12/1): the 10 business days are all still ahead.
    d = deadline_for(at(2026, 1, 9, 16), "peticion", CAL, at(2026, 1, 12, 9))
    assert d is not None and d.days_left == 10


def test_the_configured_calendar_is_built_in_one_place() -> None:
    config = parse_config({"timezone": "America/Bogota", "report": {"office_hours": "07:30-16:30"}})
    cal = business_calendar(config)
    assert isinstance(cal, BusinessCalendar) and cal.tz == BOGOTA
    assert (cal.opens.isoformat(), cal.closes.isoformat()) == ("07:30:00", "16:30:00")


def test_the_inbox_urgency_order_uses_the_same_terms() -> None:
    from storage.review_changes import DEADLINE_BUSINESS_DAYS, urgency_keys

    assert DEADLINE_BUSINESS_DAYS is LEGAL_TERMS
    t0 = at(2026, 1, 9, 16).astimezone(UTC)
    for category, days in LEGAL_TERMS.items():  # calendar-day approximation, only to order the list
        assert urgency_keys(t0, category, "neutral", []) == (2, t0 + timedelta(days=days * 7 // 5))

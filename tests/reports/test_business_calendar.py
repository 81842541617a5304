"""Business days, Colombian holidays, deadlines and response statistics, checked against hand-worked values."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from analyzers.indicators import Change, percentile, response_stats
from domain.business_calendar import BusinessCalendar, colombian_holidays

BOGOTA = ZoneInfo("America/Bogota")
CAL = BusinessCalendar(BOGOTA)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BOGOTA)


def test_holidays_2025_match_the_official_calendar():
    # Decreto/calendar as published for 2025 (Ley Emiliani moves San José to 24/3, Asunción to 18/8, ...).
    expected = {date(2025, 1, 1), date(2025, 1, 6), date(2025, 3, 24), date(2025, 4, 17), date(2025, 4, 18),
                date(2025, 5, 1), date(2025, 6, 2), date(2025, 6, 23), date(2025, 6, 30), date(2025, 7, 20),
                date(2025, 8, 7), date(2025, 8, 18), date(2025, 10, 13), date(2025, 11, 3), date(2025, 11, 17),
                date(2025, 12, 8), date(2025, 12, 25)}
    holidays = colombian_holidays(2025)
    assert set(holidays) == expected
    assert "Sagrado Corazón" in holidays[date(2025, 6, 30)] and "San Pedro" in holidays[date(2025, 6, 30)]


def test_the_sample_weeks_holiday():
    # 11 November 2026 is a Wednesday: Independencia de Cartagena moves to Monday 16 November (sample week).
    assert colombian_holidays(2026)[date(2026, 11, 16)].startswith("Independencia de Cartagena")
    assert not CAL.is_business_day(date(2026, 11, 16)) and CAL.is_business_day(date(2026, 11, 17))


def test_business_seconds_skip_nights_weekends_and_holidays():
    # Friday 13/11 16:00 → Tuesday 17/11 09:00: 1 h on Friday, Monday is a holiday, 1 h on Tuesday.
    assert CAL.business_between(local(2026, 11, 13, 16), local(2026, 11, 17, 9)) == 2 * 3600
    # Inside one office day, and outside office hours (evening to next morning before opening).
    assert CAL.business_between(local(2026, 11, 17, 9, 30), local(2026, 11, 17, 11)) == 1.5 * 3600
    assert CAL.business_between(local(2026, 11, 17, 18), local(2026, 11, 18, 7, 59)) == 0
    # Saturday to Sunday: nothing.
    assert CAL.business_between(local(2026, 11, 21, 10), local(2026, 11, 22, 10)) == 0


def test_vectorised_business_time_matches_a_minute_by_minute_count():
    starts = [local(2026, 11, 13, 16, 20), local(2026, 11, 19, 7), local(2026, 11, 20, 12, 5)]
    ends = [local(2026, 11, 18, 8, 10), local(2026, 11, 19, 17, 30), local(2026, 11, 24, 10)]
    got = CAL.business_seconds([s.timestamp() for s in starts], [e.timestamp() for e in ends])
    for s, e, value in zip(starts, ends, got, strict=True):
        minutes, t = 0, s
        while t < e:
            lt = t.astimezone(BOGOTA)
            if CAL.is_business_day(lt.date()) and time(8) <= lt.time() < time(17):
                minutes += 1
            t = datetime.fromtimestamp(t.timestamp() + 60, UTC)
        assert value == pytest.approx(minutes * 60, abs=60)


def test_deadlines_count_business_days_from_the_next_day():
    # Received Monday 16/11 (holiday): 10 business days are 17,18,19,20,23,24,25,26,27,30 → ends 30/11 at midnight.
    assert CAL.deadline(local(2026, 11, 16, 10), 10) == local(2026, 12, 1).astimezone(UTC)
    # 15 business days from Friday 20/11: 23..27, 30/11..4/12 (10), 7/12, 9..11/12, 14/12 (8/12 is a holiday).
    assert CAL.deadline(local(2026, 11, 20, 23, 59), 15) == local(2026, 12, 15).astimezone(UTC)


def test_overdue_cutoff_is_the_first_receipt_still_in_time():
    as_of = local(2026, 11, 27, 12)
    cutoff = CAL.overdue_before(as_of, 10)
    # Received 11/11: deadline midnight ending 26/11 (passed). Received 12/11: deadline ends 27/11 (not yet).
    assert cutoff == local(2026, 11, 12).astimezone(UTC)
    assert CAL.deadline(local(2026, 11, 11, 23), 10) <= as_of < CAL.deadline(local(2026, 11, 12, 0, 1), 10)


def test_percentile_and_changes():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10, 20, 30, 40, 50], 90) == pytest.approx(46.0)  # 40 + 0.6 * 10
    assert percentile([], 50) is None
    assert Change(120, 100).pct == pytest.approx(20.0) and Change(120, 100).diff == 20
    assert Change(5, 0).pct is None and Change(5, 0).diff == 5  # no percentage against zero
    assert Change(5, None).diff is None and Change(None, 3).pct is None


def test_response_stats_by_hand():
    received = [local(2026, 11, 16, 8), local(2026, 11, 20, 16), local(2026, 11, 18, 10), local(2026, 10, 1, 9)]
    replies = [local(2026, 11, 16, 12), local(2026, 11, 24, 9), None, None]
    cats = ["peticion", "queja", "reclamo", "peticion"]
    as_of = local(2026, 11, 27, 12)
    s = response_stats([r.timestamp() for r in received], [None if r is None else r.timestamp() for r in replies],
                       cats, as_of, CAL)
    assert (s.received, s.answered) == (4, 2)
    assert s.rate == 0.5
    # 4 h and 89 h (Fri 16:00 → Tue 09:00) all hours; 0 h (holiday) and 11 h business hours.
    assert s.median_s == pytest.approx((4 + 89) / 2 * 3600)
    assert s.p90_s == pytest.approx((4 + 0.9 * 85) * 3600)
    assert s.median_business_s == pytest.approx(5.5 * 3600)
    assert (s.within_deadline, s.answered_late) == (2, 0)
    assert (s.overdue, s.waiting) == (1, 1)  # the October peticion is overdue; the reclamo of 18/11 still waits
    later = response_stats([received[1].timestamp()], [replies[1].timestamp()], ["queja"], local(2026, 11, 23, 8), CAL)
    assert later.answered == 0 and later.waiting == 1  # a reply after the report's moment is not known yet

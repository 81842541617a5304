"""Pure indicator arithmetic: Colombian business days, response-time statistics, deadlines, changes.

No database and no clock here: the report builder fetches counts and timestamps from storage and hands
them to these functions, so every figure can be checked by hand in tests.

Business time follows the ministry's office hours (Mon–Fri, 08:00–17:00 by default, in the configured
zone) minus Colombian public holidays, which are computed here (Ley 51 de 1983, "Ley Emiliani": most
religious and civic holidays move to the following Monday; Easter-based ones follow the Gregorian Easter).
Legal response deadlines (Ley 1755 de 2015, art. 14) are counted in business days from the day after the
citizen's post was received.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

# Citizen posts that ask for an answer: questions, complaints, claims and reports (PQRSD minus
# suggestions, praise and "other", which do not legally require one).
QUESTION_CATEGORIES: tuple[str, ...] = ("peticion", "queja", "reclamo", "denuncia")
# Ley 1755 de 2015 art. 14: 15 business days in general, 10 for requests for documents or information
# (our `peticion` class), 30 for consultations (not told apart by the classifier, so never applied: the
# shorter deadline is the safe one to track).
GENERAL_DEADLINE_DAYS = 15
DEADLINE_DAYS: Mapping[str, int] = {"peticion": 10, "queja": 15, "reclamo": 15, "denuncia": 15}
CONSULTATION_DEADLINE_DAYS = 30

_FIXED = {(1, 1): "Año Nuevo", (5, 1): "Día del Trabajo", (7, 20): "Día de la Independencia",
          (8, 7): "Batalla de Boyacá", (12, 8): "Inmaculada Concepción", (12, 25): "Navidad"}
_MOVED_TO_MONDAY = {(1, 6): "Reyes Magos", (3, 19): "San José", (6, 29): "San Pedro y San Pablo",
                    (8, 15): "Asunción de la Virgen", (10, 12): "Día de la Raza", (11, 1): "Todos los Santos",
                    (11, 11): "Independencia de Cartagena"}
# Days after Easter Sunday (already moved to Monday where the law moves them).
_EASTER_BASED = {-3: "Jueves Santo", -2: "Viernes Santo", 43: "Ascensión del Señor", 64: "Corpus Christi",
                 71: "Sagrado Corazón"}


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous "Meeus/Jones/Butcher" algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month = (h + el - 7 * m + 114) // 31
    day = (h + el - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def colombian_holidays(year: int) -> dict[date, str]:
    """Colombia's public holidays of `year` (Ley 51 de 1983), with their Spanish names."""
    out: dict[date, str] = {}

    def add(day: date, name: str) -> None:
        out[day] = f"{out[day]}; {name}" if day in out else name

    for (month, day), name in _FIXED.items():
        add(date(year, month, day), name)
    for (month, day), name in _MOVED_TO_MONDAY.items():
        original = date(year, month, day)
        add(original + timedelta(days=(7 - original.weekday()) % 7), name)
    easter = easter_sunday(year)
    for offset, name in _EASTER_BASED.items():
        add(easter + timedelta(days=offset), name)
    return dict(sorted(out.items()))


class BusinessCalendar:
    """Office hours in a time zone, minus weekends and holidays: business durations and legal deadlines.

    Local times come from the zone's UTC offset at the start of each UTC hour (exact for every zone whose
    offset changes happen on the hour, which includes Bogotá: UTC-5 all year, no daylight saving).
    """

    def __init__(self, tz: ZoneInfo, opens: time = time(8, 0), closes: time = time(17, 0),
                 holidays: Callable[[int], Mapping[date, str]] = colombian_holidays):
        if closes <= opens:
            raise ValueError(f"office hours must close after they open, got {opens}–{closes}")
        self.tz = tz
        self.opens = opens
        self.closes = closes
        self._open_s = opens.hour * 3600 + opens.minute * 60
        self._close_s = closes.hour * 3600 + closes.minute * 60
        self._holidays_of = holidays
        self._holidays: dict[int, Mapping[date, str]] = {}  # per-instance cache by year

    def holiday(self, day: date) -> str | None:
        if day.year not in self._holidays:
            self._holidays[day.year] = self._holidays_of(day.year)
        return self._holidays[day.year].get(day)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.holiday(day) is None

    def add_business_days(self, day: date, n: int) -> date:
        """The n-th business day after `day` (`day` itself never counts: the term starts the next day)."""
        current, left = day, n
        while left > 0:
            current += timedelta(days=1)
            if self.is_business_day(current):
                left -= 1
        return current

    def deadline(self, received: datetime, business_days: int) -> datetime:
        """End (local midnight) of the last business day the law allows for an answer, in UTC."""
        local_day = received.astimezone(self.tz).date()
        last = self.add_business_days(local_day, business_days)
        return datetime.combine(last + timedelta(days=1), time(0), tzinfo=self.tz).astimezone(UTC)

    def overdue_before(self, as_of: datetime, business_days: int) -> datetime:
        """The earliest receipt moment whose deadline has NOT passed at `as_of` (UTC).

        Deadlines grow with the receipt day, so "deadline passed" is exactly "received before this moment";
        storage can then count overdue posts with a plain `created_at <` filter.
        """
        day = as_of.astimezone(self.tz).date()
        while self.deadline(datetime.combine(day, time(12), tzinfo=self.tz), business_days) > as_of:
            day -= timedelta(days=1)
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz).astimezone(UTC)

    # --- vectorised business time (numpy, for a year of posts) ----------------------------------------

    def _local_seconds(self, epochs: np.ndarray) -> np.ndarray:
        hours = np.floor(epochs / 3600.0).astype(np.int64)
        unique, inverse = np.unique(hours, return_inverse=True)
        offsets = np.array(
            [datetime.fromtimestamp(int(h) * 3600, UTC).astimezone(self.tz).utcoffset().total_seconds()  # type: ignore[union-attr]
             for h in unique], dtype=np.float64,
        ) if unique.size else np.zeros(0)
        return epochs + offsets[inverse]

    def business_seconds(self, starts: Sequence[float] | np.ndarray, ends: Sequence[float] | np.ndarray) -> np.ndarray:
        """Office-hours seconds between pairs of Unix timestamps (0 where `end <= start`)."""
        s = np.asarray(starts, dtype=np.float64)
        e = np.asarray(ends, dtype=np.float64)
        if s.size == 0:
            return np.zeros(0)
        local_s, local_e = self._local_seconds(s), self._local_seconds(e)
        day_s = np.floor(local_s / 86400.0).astype(np.int64)
        day_e = np.floor(local_e / 86400.0).astype(np.int64)
        first, last = int(min(day_s.min(), day_e.min())), int(max(day_s.max(), day_e.max()))
        epoch_day = date(1970, 1, 1)
        open_len = float(self._close_s - self._open_s)
        is_biz = np.array([self.is_business_day(epoch_day + timedelta(days=d)) for d in range(first, last + 1)],
                          dtype=np.float64)
        cum_before = np.concatenate(([0.0], np.cumsum(is_biz * open_len)[:-1]))

        def position(local: np.ndarray, day: np.ndarray) -> np.ndarray:
            within = np.clip(local - day * 86400.0 - self._open_s, 0.0, open_len)
            return cum_before[day - first] + is_biz[day - first] * within

        return np.maximum(position(local_e, day_e) - position(local_s, day_s), 0.0)

    def business_between(self, start: datetime, end: datetime) -> float:
        return float(self.business_seconds([start.timestamp()], [end.timestamp()])[0])


# --- statistics ------------------------------------------------------------------------------------------


def percentile(values: Sequence[float] | np.ndarray, q: float) -> float | None:
    """The q-th percentile with linear interpolation between ranks (numpy's default); None if empty."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return None
    return float(np.percentile(arr, q))


def ratio(part: float | None, whole: float | None) -> float | None:
    """part / whole, or None when it cannot be computed (no data is not 0 %)."""
    if part is None or whole is None or whole == 0:
        return None
    return part / whole


def shares(counts: Mapping[str, int]) -> dict[str, float | None]:
    total = sum(counts.values())
    return {k: ratio(v, total) for k, v in counts.items()}


@dataclass(frozen=True)
class Change:
    """A figure next to the previous period's: absolute and relative change (None when not comparable)."""

    current: float | None
    previous: float | None

    @property
    def diff(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def pct(self) -> float | None:
        diff = self.diff
        if diff is None or not self.previous:
            return None
        return 100.0 * diff / abs(self.previous)


@dataclass(frozen=True)
class ResponseStats:
    """First-response figures for citizen questions and complaints received in a period."""

    received: int
    answered: int
    median_s: float | None  # all hours, seconds
    p90_s: float | None
    median_business_s: float | None  # office hours only
    p90_business_s: float | None
    within_deadline: int  # answered before the legal deadline
    answered_late: int  # answered after it
    overdue: int  # no answer and the deadline has passed at `as_of`
    waiting: int  # no answer yet, still within the deadline

    @property
    def rate(self) -> float | None:
        return ratio(self.answered, self.received)

    @property
    def on_time_rate(self) -> float | None:
        """Share of the posts whose fate is known (answered, or past the deadline) answered in time."""
        return ratio(self.within_deadline, self.within_deadline + self.answered_late + self.overdue)


def deadline_days(category: str) -> int:
    return DEADLINE_DAYS.get(category, GENERAL_DEADLINE_DAYS)


def response_stats(received: Sequence[float] | np.ndarray, first_reply: Sequence[float | None] | np.ndarray,
                   categories: Sequence[str], as_of: datetime, calendar: BusinessCalendar) -> ResponseStats:
    """Statistics from Unix timestamps: when each post arrived, and its first ministry reply (NaN/None: none).

    A reply sent before `as_of` counts; one sent later is treated as not yet given (the report describes
    what was known when it was built).
    """
    rec = np.asarray(received, dtype=np.float64)
    rep = np.asarray([math.nan if v is None else v for v in first_reply], dtype=np.float64)
    cats = np.asarray(categories, dtype=object)
    if rec.size == 0:
        return ResponseStats(0, 0, None, None, None, None, 0, 0, 0, 0)
    limit = as_of.timestamp()
    answered = ~np.isnan(rep) & (rep <= limit)
    waits = np.maximum(rep[answered] - rec[answered], 0.0)
    business = calendar.business_seconds(rec[answered], rep[answered])
    deadlines = _deadlines(rec, cats, calendar)
    within = int(np.sum(answered & (rep <= deadlines)))
    late = int(np.sum(answered & (rep > deadlines)))
    overdue = int(np.sum(~answered & (deadlines <= limit)))
    return ResponseStats(
        received=int(rec.size), answered=int(answered.sum()),
        median_s=percentile(waits, 50), p90_s=percentile(waits, 90),
        median_business_s=percentile(business, 50), p90_business_s=percentile(business, 90),
        within_deadline=within, answered_late=late, overdue=overdue,
        waiting=int(rec.size) - int(answered.sum()) - overdue,
    )


def _deadlines(received: np.ndarray, categories: np.ndarray, calendar: BusinessCalendar) -> np.ndarray:
    """Deadline (Unix seconds) of each post; computed once per (local day, term) pair."""
    local = calendar._local_seconds(received)
    days = np.floor(local / 86400.0).astype(np.int64)
    term_of = {c: deadline_days(c) for c in set(categories.tolist())}
    terms = np.fromiter((term_of[c] for c in categories.tolist()), dtype=np.int64, count=categories.size)
    keys, inverse = np.unique(days * 64 + terms, return_inverse=True)  # terms are < 64 days
    epoch_day = date(1970, 1, 1)
    values = np.array([
        calendar.deadline(datetime.combine(epoch_day + timedelta(days=int(key // 64)), time(12), tzinfo=calendar.tz),
                          int(key % 64)).timestamp()
        for key in keys
    ], dtype=np.float64)
    return values[inverse.reshape(-1)]


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600.0

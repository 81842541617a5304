"""Pure indicator arithmetic: response-time statistics, deadlines, changes.

No database and no clock here: the report builder fetches counts and timestamps from storage and hands
them to these functions, so every figure can be checked by hand in tests.

Business time (office hours minus weekends and Colombian holidays) and the legal answer terms (Ley 1755 de
2015, art. 14) come from `domain.business_calendar` and `domain.legal_terms`, shared with the inbox, so the
report and the inbox give the same deadline for the same post.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np

from domain.business_calendar import BusinessCalendar
from domain.legal_terms import GENERAL_TERM_DAYS, LEGAL_TERMS, TERM_CATEGORIES

# Citizen posts that ask for an answer (PQRSD: peticiones, quejas, reclamos, sugerencias, denuncias), and
# their terms; see domain.legal_terms for the legal basis. Praise and "other" carry no term.
QUESTION_CATEGORIES: tuple[str, ...] = TERM_CATEGORIES


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
    return LEGAL_TERMS.get(category, GENERAL_TERM_DAYS)


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

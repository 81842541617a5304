"""Legal deadlines of the PQRSD (peticiones, quejas, reclamos, sugerencias, denuncias): met, missed, or running.

The terms in business days and the calendar are analyzers/indicators.py's; this module only counts, for a
period, the questions whose deadline fell in it and the fate of the questions it received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from analyzers.indicators import QUESTION_CATEGORIES, ResponseStats, deadline_days, response_stats
from domain.business_calendar import BusinessCalendar
from storage import indicators as q

DUE_SOON_BUSINESS_DAYS = 5  # "por vencer": the deadline ends within this many business days of the report


@dataclass(frozen=True)
class DeadlineStats:
    """Questions whose legal deadline fell in a period: their fate, known at the report's moment.

    `stats` counts every post of the cohort except the unanswered ones a community manager closed in the
    inbox (attended through another channel, or not applicable), which are counted in `closed`.
    """

    stats: ResponseStats
    closed: int

    @property
    def total(self) -> int:
        return self.stats.received + self.closed

    @property
    def late_or_unanswered(self) -> int:
        return self.stats.answered_late + self.stats.overdue


@dataclass(frozen=True)
class Pending:
    """Questions received in a period: answered, or still unanswered by how much time is left."""

    received: int
    answered: int
    overdue: int  # deadline passed without answer
    due_soon: int  # no answer, deadline within DUE_SOON_BUSINESS_DAYS business days of the report
    in_term: int  # no answer, more time left than that


def deadline_windows(calendar: BusinessCalendar, start: datetime,
                     end: datetime) -> dict[str, tuple[datetime, datetime]]:
    """Per question category, the receipt range [a, b) whose legal deadline falls in (start, end].

    Deadlines are the local midnight ending the last business day, so a deadline "in" a week of local days
    ends one of its days: (Monday 00:00, next Monday 00:00].
    """
    return {c: (calendar.overdue_before(start, deadline_days(c)), calendar.overdue_before(end, deadline_days(c)))
            for c in QUESTION_CATEGORIES}


def deadline_stats(t: q.Timings, idx: list[int], as_of: datetime, calendar: BusinessCalendar) -> DeadlineStats:
    limit = as_of.timestamp()

    def answered(i: int) -> bool:
        reply = t.first_reply[i]
        return reply is not None and reply <= limit

    keep = [i for i in idx if answered(i) or not t.closed[i]]
    stats = response_stats([t.received[i] for i in keep], [t.first_reply[i] for i in keep],
                           [t.categories[i] for i in keep], as_of, calendar)
    return DeadlineStats(stats, len(idx) - len(keep))


def pending_stats(t: q.Timings, idx: list[int], as_of: datetime, calendar: BusinessCalendar,
             soon_days: int) -> Pending:
    """Split the unanswered posts by the time left; cut-offs per category (deadlines grow with receipt)."""
    limit = as_of.timestamp()
    soon = calendar.deadline(as_of, soon_days)
    passed = {c: calendar.overdue_before(as_of, deadline_days(c)).timestamp() for c in set(t.categories)}
    due = {c: calendar.overdue_before(soon, deadline_days(c)).timestamp() for c in set(t.categories)}
    answered = overdue = due_soon = 0
    for i in idx:
        reply, received, cat = t.first_reply[i], t.received[i], t.categories[i]
        if reply is not None and reply <= limit:
            answered += 1
        elif received < passed[cat]:
            overdue += 1
        elif received < due[cat]:
            due_soon += 1
    return Pending(len(idx), answered, overdue, due_soon, len(idx) - answered - overdue - due_soon)

"""Legal answer deadlines of citizen posts (Ley 1755 de 2015, art. 14), in business days, for the inbox.

The terms come from `domain.legal_terms` and the days from the configured `domain.business_calendar`
(`bot.config.business_calendar`: weekends and Colombian holidays skipped), the same the weekly report uses,
so a post shows the same last day in the inbox and in the report. Counted from the business day after the
post arrived (in the configured zone); the post is due until the end of its last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.business_calendar import BusinessCalendar
from domain.legal_terms import legal_term


@dataclass(frozen=True)
class Deadline:
    due: date
    days_left: int  # business days; 0 = due today, negative = overdue

    @property
    def label(self) -> str:
        if self.days_left < 0:
            n = -self.days_left
            return f"vencido hace {n} día{'s' if n != 1 else ''} hábil{'es' if n != 1 else ''}"
        if self.days_left == 0:
            return "vence hoy"
        n = self.days_left
        return f"vence en {n} día{'s' if n != 1 else ''} hábil{'es' if n != 1 else ''}"

    @property
    def level(self) -> str:
        """CSS level: overdue, soon (≤ 2 business days) or ok."""
        if self.days_left < 0:
            return "overdue"
        return "soon" if self.days_left <= 2 else "ok"


def deadline_for(created_at: datetime, category: str | None, calendar: BusinessCalendar,
                 now: datetime) -> Deadline | None:
    """The legal deadline of a post, or None when its category carries no duty to answer."""
    days = legal_term(category)
    if days is None:
        return None
    due = calendar.due_date(created_at, days)
    return Deadline(due, calendar.business_days_between(calendar.local_day(now), due))

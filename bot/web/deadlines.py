"""Legal answer deadlines of citizen posts (Ley 1755 de 2015), in business days.

Counted from the business day after the post arrived; Saturdays and Sundays are skipped. Public holidays
are not (the list changes every year by decree), so a deadline may show a day or two early around them:
the safe side for a citizen waiting for an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from storage.inbox_repository import DEADLINE_BUSINESS_DAYS


def add_business_days(start: date, days: int) -> date:
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def business_days_between(start: date, end: date) -> int:
    """Business days from `start` (exclusive) to `end` (inclusive); negative when `end` is earlier."""
    if end < start:
        return -business_days_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1) if (start + timedelta(days=n)).weekday() < 5)


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


def deadline_for(created_at: datetime, category: str | None, tz: ZoneInfo, now: datetime) -> Deadline | None:
    """The legal deadline of a post, or None when its category carries no duty to answer."""
    days = DEADLINE_BUSINESS_DAYS.get(category or "")
    if days is None:
        return None
    due = add_business_days(created_at.astimezone(tz).date(), days)
    today = now.astimezone(tz).date()
    return Deadline(due, business_days_between(today, due))

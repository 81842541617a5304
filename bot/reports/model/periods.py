"""The span of a report: whole local days (an ISO week, usually), and how it is written in Spanish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.labels import DAYS_ES, MONTHS_ES


@dataclass(frozen=True)
class Period:
    """Whole local days [start, end) in the configured zone; `label` names it (an ISO week, usually)."""

    label: str
    start: datetime  # local midnight, aware
    end: datetime

    @property
    def tz(self) -> ZoneInfo:
        return self.start.tzinfo  # type: ignore[return-value]

    @property
    def days(self) -> list[date]:
        first, last = self.start.date(), self.end.date()
        return [first + timedelta(days=i) for i in range((last - first).days)]

    def day_ranges(self) -> list[tuple[datetime, datetime]]:
        """Each local day as a UTC range (DST-correct: built from local midnights)."""
        out = []
        for day in self.days:
            start = datetime.combine(day, time(0), tzinfo=self.tz)
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
            out.append((start.astimezone(UTC), end.astimezone(UTC)))
        return out

    @property
    def utc_start(self) -> datetime:
        return self.start.astimezone(UTC)

    @property
    def utc_end(self) -> datetime:
        return self.end.astimezone(UTC)

    def previous(self) -> Period:
        """The period of the same length just before (the previous ISO week, for a week)."""
        days = len(self.days)
        first = self.start.date() - timedelta(days=days)
        start = datetime.combine(first, time(0), tzinfo=self.tz)
        if days == 7 and self.start.date().isoweekday() == 1:
            year, week, _ = first.isocalendar()
            label = f"{year}-W{week:02d}"
        else:
            label = f"{first.isoformat()}/{(self.start.date() - timedelta(days=1)).isoformat()}"
        return Period(label, start, self.start)


def week_period(label: str, tz: ZoneInfo) -> Period:
    """`2026-W47` → Monday 00:00 to next Monday 00:00, local time."""
    try:
        year_s, week_s = label.strip().upper().split("-W")
        monday = date.fromisocalendar(int(year_s), int(week_s), 1)
    except ValueError:
        raise ValueError(f"week {label!r} must look like 2026-W47 (ISO year, '-W', ISO week 01–53)") from None
    start = datetime.combine(monday, time(0), tzinfo=tz)
    return Period(f"{int(year_s)}-W{int(week_s):02d}", start, start + timedelta(days=7))


def days_period(first: date, last: date, tz: ZoneInfo, label: str | None = None) -> Period:
    """Any span of whole days, `first` to `last` inclusive."""
    if last < first:
        raise ValueError(f"period ends ({last}) before it starts ({first})")
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return Period(label or f"{first.isoformat()}/{last.isoformat()}", start, end)


def short_day(day: date) -> str:
    """`lun 16/11`: chart and table labels."""
    return f"{DAYS_ES[day.weekday()][:3]} {day:%d/%m}"


def long_day(day: date) -> str:
    """`lunes 16 de noviembre de 2026`."""
    return f"{DAYS_ES[day.weekday()]} {day.day} de {MONTHS_ES[day.month - 1]} de {day.year}"


def period_text(period: Period) -> str:
    """`del 16 al 22 de noviembre de 2026` (month and year only where they change)."""
    first, last = period.days[0], period.days[-1]
    if (first.year, first.month) == (last.year, last.month):
        return f"del {first.day} al {last.day} de {MONTHS_ES[last.month - 1]} de {last.year}"
    if first.year == last.year:
        return (f"del {first.day} de {MONTHS_ES[first.month - 1]} al {last.day} de "
                f"{MONTHS_ES[last.month - 1]} de {last.year}")
    return f"del {long_day(first).split(' ', 1)[1]} al {long_day(last).split(' ', 1)[1]}"

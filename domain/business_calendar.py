"""The ministry's business calendar: office hours in a time zone, minus weekends and Colombian holidays.

One calendar for every layer: the inbox's "vence en N días hábiles", the storage urgency order and the weekly
report's deadlines and business response times all count the same days (legal terms: `domain.legal_terms`).

Holidays come from the maintained `holidays` package (Colombia: Ley 51 de 1983 "Ley Emiliani", which moves most
religious and civic holidays to the following Monday; Easter-based ones; and the newer laws, e.g. Ley 2578 de 2026,
Día de Nuestra Señora del Rosario de Chiquinquirá from 2026), with Spanish names, computed once per year.
`holidays.country_holidays("CO")` was checked against the previous hand-written rules for 2020–2030: the same days,
plus the Chiquinquirá holiday from 2026 that the hand-written rules predated. `HOLIDAY_OVERRIDES` is where a
decree the package does not know yet (or a package error) would be corrected; it is empty today.

`holidays` and `numpy` are imported on first use, so importing the domain package stays cheap for connectors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import numpy as np

DEFAULT_OPENS = time(8, 0)
DEFAULT_CLOSES = time(17, 0)

# Corrections to the package, by day: a name adds (or renames) a holiday, None removes one. Keep the legal
# source next to each entry. Empty: the package matched the law for every year checked (2020–2030).
HOLIDAY_OVERRIDES: Mapping[date, str | None] = MappingProxyType({})


@lru_cache(maxsize=64)
def _colombian_holidays(year: int) -> Mapping[date, str]:
    import holidays

    # The package marks holidays moved to Monday "(observado)"; the date itself says that already.
    days: dict[date, str | None] = {
        day: name.replace(" (observado)", "")
        for day, name in holidays.country_holidays("CO", years=year, language="es").items()
    }
    days.update({d: name for d, name in HOLIDAY_OVERRIDES.items() if d.year == year})
    return MappingProxyType({d: name for d, name in sorted(days.items()) if name is not None})


def colombian_holidays(year: int) -> Mapping[date, str]:
    """Colombia's public holidays of `year` with their Spanish names (several on one day are joined by "; ")."""
    return _colombian_holidays(year)


class BusinessCalendar:
    """Office hours in a time zone, minus weekends and holidays: business days, legal deadlines, business time.

    Local times come from the zone's UTC offset at the start of each UTC hour (exact for every zone whose
    offset changes happen on the hour, which includes Bogotá: UTC-5 all year, no daylight saving).
    """

    def __init__(self, tz: ZoneInfo, opens: time = DEFAULT_OPENS, closes: time = DEFAULT_CLOSES,
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

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.tz.key}, {self.opens:%H:%M}–{self.closes:%H:%M})"

    # --- days ---------------------------------------------------------------------------------------------

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

    def business_days_between(self, start: date, end: date) -> int:
        """Business days from `start` (exclusive) to `end` (inclusive); negative when `end` is earlier."""
        if end < start:
            return -self.business_days_between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_business_day(start + timedelta(days=n)))

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    # --- legal deadlines ------------------------------------------------------------------------------------

    def due_date(self, received: datetime, business_days: int) -> date:
        """The last local day the law allows for an answer: `business_days` business days after receipt."""
        return self.add_business_days(self.local_day(received), business_days)

    def deadline(self, received: datetime, business_days: int) -> datetime:
        """End (local midnight) of the last business day the law allows for an answer, in UTC."""
        last = self.due_date(received, business_days)
        return datetime.combine(last + timedelta(days=1), time(0), tzinfo=self.tz).astimezone(UTC)

    def overdue_before(self, as_of: datetime, business_days: int) -> datetime:
        """The earliest receipt moment whose deadline has NOT passed at `as_of` (UTC).

        Deadlines grow with the receipt day, so "deadline passed" is exactly "received before this moment";
        storage can then count overdue posts with a plain `created_at <` filter.
        """
        day = self.local_day(as_of)
        while self.deadline(datetime.combine(day, time(12), tzinfo=self.tz), business_days) > as_of:
            day -= timedelta(days=1)
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz).astimezone(UTC)

    # --- vectorised business time (numpy, for a year of posts) ----------------------------------------

    def _local_seconds(self, epochs: np.ndarray) -> np.ndarray:
        import numpy as np

        hours = np.floor(epochs / 3600.0).astype(np.int64)
        unique, inverse = np.unique(hours, return_inverse=True)
        offsets = np.array(
            [datetime.fromtimestamp(int(h) * 3600, UTC).astimezone(self.tz).utcoffset().total_seconds()  # type: ignore[union-attr]
             for h in unique], dtype=np.float64,
        ) if unique.size else np.zeros(0)
        return epochs + offsets[inverse]

    def business_seconds(self, starts: Sequence[float] | np.ndarray, ends: Sequence[float] | np.ndarray) -> np.ndarray:
        """Office-hours seconds between pairs of Unix timestamps (0 where `end <= start`)."""
        import numpy as np

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


def parse_office_hours(spec: str) -> tuple[time, time]:
    """"HH:MM-HH:MM" → (opens, closes)."""
    opens, _, closes = spec.partition("-")
    return time.fromisoformat(opens.strip()), time.fromisoformat(closes.strip())

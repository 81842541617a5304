"""The weekly report's content: every indicator of a period next to the previous period, as plain values.

`build_report` runs the indicator queries (storage/indicators.py) for the period and the one before it,
hands timestamps to the pure arithmetic (analyzers/indicators.py), and returns a `WeeklyReport` that the
HTML, CSV, chart and Slack writers only format. Figures that cannot be computed are None ("no data" is never
shown as 0 %), and what is known about missing data is listed in `notices`.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from analyzers.indicators import (
    QUESTION_CATEGORIES,
    BusinessCalendar,
    Change,
    ResponseStats,
    deadline_days,
    hours,
    ratio,
    response_stats,
)
from analyzers.settings import TOPIC_NAMES_ES, topic_name
from bot.alerts.spike_keys import describe_key
from domain import CATEGORIES, CRISIS_FLAGS, SENTIMENTS
from storage import indicators as q

PENDING_LOOKBACK = timedelta(days=90)  # overdue posts older than this are no longer listed
PG_WORK_MEM = "64MB"  # per sort/hash node of the report's queries, on PostgreSQL only
LOW_VOLUME_SHARE = 0.2  # a platform-day under 20 % of the platform's median day looks like missing data
TREND_WEEKS = 12  # weeks in the trend chart and tendencia_semanal.csv, the reported one included
DUE_SOON_BUSINESS_DAYS = 5  # "por vencer": the deadline ends within this many business days of the report


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


# --- legal deadlines -------------------------------------------------------------------------------------


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


def _deadline_stats(t: q.Timings, idx: list[int], as_of: datetime, calendar: BusinessCalendar) -> DeadlineStats:
    limit = as_of.timestamp()

    def answered(i: int) -> bool:
        reply = t.first_reply[i]
        return reply is not None and reply <= limit

    keep = [i for i in idx if answered(i) or not t.closed[i]]
    stats = response_stats([t.received[i] for i in keep], [t.first_reply[i] for i in keep],
                           [t.categories[i] for i in keep], as_of, calendar)
    return DeadlineStats(stats, len(idx) - len(keep))


def _scoped(t: q.Timings, make: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """`make(indexes)` for all posts, per platform and per category."""
    by_platform: dict[str, list[int]] = defaultdict(list)
    by_category: dict[str, list[int]] = defaultdict(list)
    for i, (platform, category) in enumerate(zip(t.platforms, t.categories, strict=True)):
        by_platform[platform].append(i)
        by_category[category].append(i)
    return (make(list(range(len(t.received)))), {k: make(v) for k, v in sorted(by_platform.items())},
            {k: make(v) for k, v in sorted(by_category.items())})


def _pending(t: q.Timings, idx: list[int], as_of: datetime, calendar: BusinessCalendar,
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


# --- one period's figures ---------------------------------------------------------------------------------


@dataclass
class PeriodFigures:
    """Everything counted for one period (from one pass over its posts plus a few small queries)."""

    period: Period
    activity: list[q.ActivityRow]
    citizens: dict[str, int]  # unique citizen authors per platform
    labels: dict[tuple[str, str], int]
    timings: q.Timings
    responses: ResponseStats
    responses_by_platform: dict[str, ResponseStats]
    responses_by_category: dict[str, ResponseStats]
    incidents: list[q.IncidentInfo] = field(default_factory=list)
    # legal deadlines that fell in the period (questions received earlier), and the period's own questions
    deadlines: DeadlineStats | None = None
    deadlines_by_platform: dict[str, DeadlineStats] = field(default_factory=dict)
    deadlines_by_category: dict[str, DeadlineStats] = field(default_factory=dict)
    pending: Pending | None = None
    pending_by_platform: dict[str, Pending] = field(default_factory=dict)
    pending_by_category: dict[str, Pending] = field(default_factory=dict)

    def _sum(self, rows: Iterable[q.ActivityRow], key: Any, value: Any) -> Counter[Any]:
        out: Counter[Any] = Counter()
        for r in rows:
            out[key(r)] += value(r)
        return out

    @property
    def own(self) -> list[q.ActivityRow]:
        return [r for r in self.activity if r.is_own]

    @property
    def citizen(self) -> list[q.ActivityRow]:
        return [r for r in self.activity if not r.is_own]

    @property
    def posts(self) -> int:
        return sum(r.posts for r in self.activity)

    @property
    def citizen_posts(self) -> int:
        return sum(r.posts for r in self.citizen)

    @property
    def own_posts(self) -> int:
        return sum(r.posts for r in self.own if r.kind == "own_post")

    @property
    def own_replies(self) -> int:
        return sum(r.posts for r in self.own if r.kind != "own_post")

    @property
    def interactions(self) -> int:
        return sum(r.interactions for r in self.own)

    @property
    def own_post_interactions(self) -> int:
        return sum(r.interactions for r in self.own if r.kind == "own_post")

    def interactions_by_type(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for r in self.own:
            out.update(r.metrics)
        return out

    def by_account(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Per (platform, account): own posts, replies, interactions by type, impressions, citizen posts."""
        out: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {
            "own_posts": 0, "own_replies": 0, "interactions": 0, "post_interactions": 0,
            "metrics": Counter(), "impressions": 0, "with_impressions": 0, "impressions_interactions": 0,
            "citizen_posts": 0, "received": Counter(),
        })
        for r in self.activity:
            acc = out[(r.platform, r.account)]
            if r.is_own:
                acc["own_posts" if r.kind == "own_post" else "own_replies"] += r.posts
                acc["interactions"] += r.interactions
                acc["metrics"].update(r.metrics)
                if r.kind == "own_post":
                    acc["post_interactions"] += r.interactions
                    acc["impressions"] += r.impressions
                    acc["with_impressions"] += r.with_impressions
                    acc["impressions_interactions"] += r.impression_interactions
            else:
                acc["citizen_posts"] += r.posts
                acc["received"][r.kind] += r.posts
        return dict(out)

    @property
    def impressions(self) -> int | None:
        """Impressions of own posts, None when no platform reported any."""
        known = sum(r.with_impressions for r in self.own if r.kind == "own_post")
        return sum(r.impressions for r in self.own if r.kind == "own_post") if known else None

    @property
    def interaction_rate_on_impressions(self) -> float | None:
        """Interactions per impression, over the own posts whose platform reported impressions."""
        rows = [r for r in self.own if r.kind == "own_post"]
        return ratio(sum(r.impression_interactions for r in rows), sum(r.impressions for r in rows))

    def daily(self, value: Any, *, own: bool | None = None) -> dict[tuple[int, str], int]:
        """Sum of `value(row)` per (day index, platform)."""
        rows = self.activity if own is None else (self.own if own else self.citizen)
        return dict(self._sum(rows, lambda r: (r.day, r.platform), value))

    def received_by_kind(self) -> Counter[str]:
        return self._sum(self.citizen, lambda r: r.kind, lambda r: r.posts)

    def sentiment(self) -> Counter[str]:
        """Citizen posts per sentiment ("sin_analizar" for posts without an analysis yet)."""
        return self._sum(self.citizen, lambda r: r.sentiment or "sin_analizar", lambda r: r.posts)

    def sentiment_by_day(self) -> dict[tuple[int, str], int]:
        return dict(self._sum(self.citizen, lambda r: (r.day, r.sentiment or "sin_analizar"), lambda r: r.posts))

    def categories(self) -> Counter[str]:
        return self._sum([r for r in self.citizen if r.category], lambda r: r.category, lambda r: r.posts)

    @property
    def analysed_citizen_posts(self) -> int:
        return sum(r.posts for r in self.citizen if r.sentiment is not None)

    def sentiment_share(self, sentiment: str) -> float | None:
        return ratio(self.sentiment().get(sentiment, 0), self.analysed_citizen_posts)

    @property
    def unique_citizens(self) -> int:
        return sum(self.citizens.values())

    def topics(self) -> dict[str, int]:
        return {value: n for (kind, value), n in self.labels.items() if kind == "topic"}

    def flags(self) -> dict[str, int]:
        return {value: n for (kind, value), n in self.labels.items() if kind == "flag"}

    @property
    def questions(self) -> int:
        return self.responses.received

    def incident_hours(self, as_of: datetime) -> float:
        """Hours of crisis inside the period (open incidents count until `as_of`)."""
        total = 0.0
        for inc in self.incidents:
            start = max(inc.opened_at, self.period.utc_start)
            end = min(inc.closed_at or as_of, self.period.utc_end, as_of)
            total += max((end - start).total_seconds(), 0.0) / 3600.0
        return total


def _response_groups(t: q.Timings, key: list[str], as_of: datetime,
                     calendar: BusinessCalendar) -> dict[str, ResponseStats]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, k in enumerate(key):
        groups[k].append(i)
    return {k: response_stats([t.received[i] for i in idx], [t.first_reply[i] for i in idx],
                              [t.categories[i] for i in idx], as_of, calendar)
            for k, idx in sorted(groups.items())}


def period_figures(session: Session, period: Period, as_of: datetime, calendar: BusinessCalendar, *,
                   soon_days: int = DUE_SOON_BUSINESS_DAYS) -> PeriodFigures:
    start, end = period.utc_start, period.utc_end
    timings = q.question_timings(session, start, end, QUESTION_CATEGORIES)
    cohort = q.deadline_cohort(session, deadline_windows(calendar, start, end))
    deadlines = _scoped(cohort, lambda idx: _deadline_stats(cohort, idx, as_of, calendar))
    pending = _scoped(timings, lambda idx: _pending(timings, idx, as_of, calendar, soon_days))
    return PeriodFigures(
        period=period,
        activity=q.activity_by_day(session, period.day_ranges()),
        citizens=q.unique_citizens(session, start, end),
        labels=q.label_counts(session, start, end),
        timings=timings,
        responses=response_stats(timings.received, timings.first_reply, timings.categories, as_of, calendar),
        responses_by_platform=_response_groups(timings, timings.platforms, as_of, calendar),
        responses_by_category=_response_groups(timings, timings.categories, as_of, calendar),
        incidents=q.incidents_between(session, start, end),
        deadlines=deadlines[0], deadlines_by_platform=deadlines[1], deadlines_by_category=deadlines[2],
        pending=pending[0], pending_by_platform=pending[1], pending_by_category=pending[2],
    )


def _dl(f: PeriodFigures, what: str) -> float | None:
    """A figure of the legal deadlines that fell in the period (None when not computed)."""
    d = f.deadlines
    if d is None:
        return None
    s = d.stats
    return {"total": d.total, "rate": s.on_time_rate, "within": s.within_deadline,
            "late": d.late_or_unanswered}[what]


# --- the report -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str  # Spanish
    current: float | None
    previous: float | None
    unit: str  # "n" (count), "pct" (0..1), "h" (hours), "x" (ratio)
    better: str | None = None  # "up" | "down": which direction is good news (for colours)
    note: str = ""

    @property
    def change(self) -> Change:
        return Change(self.current, self.previous)


# Key indicators followed over the last weeks (keys of `WeeklyReport.kpis`).
TREND_KEYS: tuple[str, ...] = ("menciones_recibidas", "interacciones", "tono_negativo", "pqrsd_con_respuesta",
                               "tasa_respuesta", "mediana_primera_respuesta_h")


@dataclass(frozen=True)
class TrendWeek:
    """One week of the trend: its key figures as its report gave them, or recomputed, or no data at all."""

    period: Period
    source: str  # "stored" (its report's summary) | "recomputed" | "none" (no posts stored: not zeros)
    as_of: datetime | None  # the moment the figures reflect
    values: Mapping[str, float | None]

    @property
    def has_data(self) -> bool:
        return self.source != "none"


@dataclass(frozen=True)
class DataGap:
    day: date
    platform: str
    posts: int
    median: float  # the platform's median day in the period

    @property
    def empty(self) -> bool:
        return self.posts == 0


@dataclass
class WeeklyReport:
    period: Period
    previous: Period
    current: PeriodFigures
    before: PeriodFigures
    as_of: datetime  # what the report knows: replies and deadlines up to this moment (UTC)
    calendar: BusinessCalendar
    top_posts: list[q.NotablePost]
    threads: list[q.Thread]
    overdue_counts: dict[str, int]
    overdue_posts: list[q.PendingPost]
    overdue_since: datetime
    problems: list[q.CollectionProblem]
    stored_first: datetime | None
    stored_last: datetime | None
    topic_names: Mapping[str, str] = field(default_factory=dict)
    # Comparison at equal maturity: the previous week as its own report showed it (`stored_previous`, its
    # report_runs.summary), else recomputed as of `previous_as_of` (this report's moment minus 7 days).
    previous_as_of: datetime | None = None
    stored_previous: Mapping[str, Any] | None = None
    # A re-run of a week already reported (without --force): the key figures it gave then (its summary).
    frozen: Mapping[str, Any] | None = None
    trend: list[TrendWeek] = field(default_factory=list)  # oldest first, ending with this period

    # --- data quality ---------------------------------------------------------------------------------

    @property
    def has_data(self) -> bool:
        return self.current.posts > 0

    @property
    def has_previous(self) -> bool:
        return self.before.posts > 0

    @property
    def partial_week(self) -> bool:
        """The period had not ended when the report was built."""
        return self.as_of < self.period.utc_end

    @property
    def complete_days(self) -> list[int]:
        """Indexes of the period's days that had ended by `as_of` (only those can show missing data)."""
        return [i for i, (_, e) in enumerate(self.period.day_ranges()) if e <= self.as_of]

    def platforms(self) -> list[str]:
        seen = {r.platform for r in self.current.activity} | {r.platform for r in self.before.activity}
        return sorted(seen)

    def gaps(self) -> list[DataGap]:
        """Platform-days with no posts, or far fewer than usual, while the platform had data that week."""
        per_day = self.current.daily(lambda r: r.posts)
        out = []
        for platform in self.platforms():
            counts = [per_day.get((i, platform), 0) for i in self.complete_days]
            median = float(statistics.median(counts)) if counts else 0.0
            for i, n in zip(self.complete_days, counts, strict=True):
                if n == 0 or (median > 0 and n < LOW_VOLUME_SHARE * median):
                    out.append(DataGap(self.period.days[i], platform, n, median))
        return out

    @property
    def unanalysed(self) -> int:
        return self.current.citizen_posts - self.current.analysed_citizen_posts

    # --- headline figures -----------------------------------------------------------------------------

    @property
    def previous_source(self) -> str:
        """"stored": the previous week's figures as its report gave them; "recomputed": as of `previous_as_of`."""
        if self.frozen is not None:
            return str(self.frozen.get("previous_source", "recomputed"))
        return "stored" if self.stored_previous is not None else "recomputed"

    @property
    def previous_reported_at(self) -> datetime | None:
        """The moment the previous week's figures reflect."""
        if self.frozen is not None and self.frozen.get("previous_as_of"):
            return datetime.fromisoformat(self.frozen["previous_as_of"])
        if self.stored_previous is not None and self.stored_previous.get("as_of"):
            return datetime.fromisoformat(self.stored_previous["as_of"])
        return self.previous_as_of

    def kpis(self) -> list[Kpi]:
        """The key figures; the previous week's at equal maturity, a re-run's as they were first reported."""
        computed = self._computed_kpis()
        if self.frozen is not None:
            now, before = self.frozen.get("kpis") or {}, self.frozen.get("previous") or {}
            return [replace(k, current=now.get(k.key, k.current), previous=before.get(k.key, k.previous))
                    for k in computed]
        if self.stored_previous is not None:
            before = self.stored_previous.get("kpis") or {}
            return [replace(k, previous=before[k.key]) if k.key in before else k for k in computed]
        return computed

    def _computed_kpis(self) -> list[Kpi]:
        c, p = self.current, self.before
        pv = p if self.has_previous else None

        def prev(value: Any) -> Any:
            return value(pv) if pv is not None else None

        def interactions_per_post(f: PeriodFigures) -> float | None:
            return ratio(f.own_post_interactions, f.own_posts)

        return [
            Kpi("interacciones", "Interacciones registradas", c.interactions, prev(lambda f: f.interactions),
                "n", "up", "me gusta, reposts, respuestas, citas, guardados, reacciones, comentarios y compartidos "
                "de las publicaciones y respuestas del Ministerio"),
            Kpi("publicaciones_propias", "Publicaciones propias", c.own_posts, prev(lambda f: f.own_posts), "n"),
            Kpi("respuestas_ministerio", "Respuestas del Ministerio a la ciudadanía", c.own_replies,
                prev(lambda f: f.own_replies), "n", "up"),
            Kpi("interacciones_por_publicacion", "Interacciones por publicación propia", interactions_per_post(c),
                prev(interactions_per_post), "x", "up"),
            Kpi("impresiones", "Impresiones de las publicaciones propias", c.impressions,
                prev(lambda f: f.impressions), "n", "up", "solo donde la plataforma las informa"),
            Kpi("tasa_interaccion_impresiones", "Tasa de interacción sobre impresiones",
                c.interaction_rate_on_impressions, prev(lambda f: f.interaction_rate_on_impressions), "pct", "up"),
            Kpi("tasa_interaccion_seguidores", "Tasa de interacción por seguidor", None, None, "pct", "up",
                "no disponible: ninguna fuente conectada informa el número de seguidores"),
            Kpi("menciones_recibidas", "Menciones y comentarios recibidos", c.citizen_posts,
                prev(lambda f: f.citizen_posts), "n"),
            Kpi("ciudadanos_unicos", "Ciudadanos únicos", c.unique_citizens, prev(lambda f: f.unique_citizens), "n"),
            Kpi("tono_negativo", "Tono negativo", c.sentiment_share("negative"),
                prev(lambda f: f.sentiment_share("negative")), "pct", "down"),
            Kpi("tono_positivo", "Tono positivo", c.sentiment_share("positive"),
                prev(lambda f: f.sentiment_share("positive")), "pct", "up"),
            Kpi("pqrsd_con_respuesta", "Peticiones, quejas, reclamos y denuncias", c.questions,
                prev(lambda f: f.questions), "n"),
            Kpi("tasa_respuesta", "Tasa de respuesta", c.responses.rate, prev(lambda f: f.responses.rate), "pct",
                "up", f"respuestas públicas de una cuenta del Ministerio hasta el {self.as_of_local:%d/%m/%Y %H:%M}"),
            Kpi("mediana_primera_respuesta_h", "Mediana del tiempo de primera respuesta",
                hours(c.responses.median_s), prev(lambda f: hours(f.responses.median_s)), "h", "down",
                "horas corridas"),
            Kpi("p90_primera_respuesta_h", "Percentil 90 del tiempo de primera respuesta",
                hours(c.responses.p90_s), prev(lambda f: hours(f.responses.p90_s)), "h", "down", "horas corridas"),
            Kpi("mediana_primera_respuesta_habil_h", "Mediana del tiempo de primera respuesta (horario hábil)",
                hours(c.responses.median_business_s), prev(lambda f: hours(f.responses.median_business_s)), "h",
                "down", self.office_hours_text),
            Kpi("p90_primera_respuesta_habil_h", "Percentil 90 del tiempo de primera respuesta (horario hábil)",
                hours(c.responses.p90_business_s), prev(lambda f: hours(f.responses.p90_business_s)), "h",
                "down", self.office_hours_text),
            Kpi("plazo_vencio_en_semana", "PQRSD cuyo plazo legal venció en la semana", _dl(c, "total"),
                prev(lambda f: _dl(f, "total")), "n", None, "recibidas en semanas anteriores"),
            Kpi("plazo_cumplimiento", "Cumplimiento del plazo legal", _dl(c, "rate"), prev(lambda f: _dl(f, "rate")),
                "pct", "up", "respondidas a tiempo entre las que vencieron en la semana"),
            Kpi("plazo_respondidas_a_tiempo", "Respondidas dentro del plazo legal", _dl(c, "within"),
                prev(lambda f: _dl(f, "within")), "n", "up", "de las que vencieron en la semana"),
            Kpi("plazo_fuera_de_plazo", "Fuera del plazo legal (respondidas tarde o sin respuesta)",
                _dl(c, "late"), prev(lambda f: _dl(f, "late")), "n", "down", "de las que vencieron en la semana"),
            Kpi("por_vencer", "PQRSD de la semana sin respuesta que vencen pronto",
                c.pending.due_soon if c.pending else None, prev(lambda f: f.pending.due_soon if f.pending else None),
                "n", "down", f"plazo que termina en los próximos {DUE_SOON_BUSINESS_DAYS} días hábiles"),
            Kpi("incidentes", "Incidentes de crisis", len(c.incidents), prev(lambda f: len(f.incidents)), "n",
                "down"),
            Kpi("horas_en_crisis", "Horas en crisis", c.incident_hours(self.as_of),
                prev(lambda f: f.incident_hours(min(self.previous_as_of or self.as_of, self.previous.utc_end))), "h",
                "down"),
            Kpi("pendientes_vencidas", "Publicaciones ciudadanas vencidas sin respuesta (últimos 90 días)",
                sum(self.overdue_counts.values()), None, "n", "down",
                f"a la fecha del informe ({self.as_of_local:%d/%m/%Y %H:%M})"),
        ]

    @property
    def as_of_local(self) -> datetime:
        return self.as_of.astimezone(self.period.tz)

    @property
    def office_hours_text(self) -> str:
        return (f"lunes a viernes {self.calendar.opens:%H:%M}–{self.calendar.closes:%H:%M}, "
                "sin festivos de Colombia")

    def topic_name(self, topic: str) -> str:
        return self.topic_names.get(topic) or topic_name(topic)

    def signal_name(self, key: str) -> str:
        """A spike detector key in Spanish (topics by their display name)."""
        kind, _, rest = key.partition(":")
        return f"tema «{self.topic_name(rest)}»" if kind == "topic" else describe_key(key)

    def holidays_in_period(self) -> list[tuple[date, str]]:
        return [(d, name) for d in self.period.days if (name := self.calendar.holiday(d))]

    def summary(self) -> dict[str, Any]:
        """Key figures as JSON-safe values (kept in report_runs.summary)."""
        kpis, at = self.kpis(), self.previous_reported_at
        return {
            "week": self.period.label,
            "has_data": self.has_data,
            "partial_week": self.partial_week,
            "as_of": self.as_of.isoformat(),
            "kpis": {k.key: k.current for k in kpis},
            "previous": {k.key: k.previous for k in kpis},
            "previous_source": self.previous_source,
            "previous_as_of": None if at is None else at.isoformat(),
            "gaps": [{"day": g.day.isoformat(), "platform": g.platform, "posts": g.posts} for g in self.gaps()],
            "collection_problems": [p.key for p in self.problems],
        }


def _stored_week(period: Period, summary: Mapping[str, Any] | None) -> TrendWeek | None:
    if not summary or not summary.get("has_data") or not summary.get("kpis") or not summary.get("as_of"):
        return None
    kpis = summary["kpis"]
    return TrendWeek(period, "stored", datetime.fromisoformat(summary["as_of"]), {k: kpis.get(k) for k in TREND_KEYS})


def build_trend(session: Session, report: WeeklyReport, history: Mapping[str, Mapping[str, Any]],
                weeks: int = TREND_WEEKS) -> list[TrendWeek]:
    """The key indicators of the last `weeks` periods, oldest first, each at the maturity of its own report.

    This period and the previous one are the report's own figures (kpis). An earlier week is taken from its
    stored report (`history[label]`, its report_runs.summary) when there is one with data; otherwise it is
    recomputed as of this report's moment minus 7 days per week back (one pass over the posts of the weeks
    to recompute). A week with no stored posts has no figures (source "none"), never zeros.
    """
    kpis = {k.key: k for k in report.kpis()}
    periods = [report.period]
    for _ in range(max(weeks, 2) - 1):
        periods.append(periods[-1].previous())
    shift = report.period.end - report.period.start
    out: dict[int, TrendWeek] = {
        0: TrendWeek(report.period, "recomputed" if report.frozen is None else "stored", report.as_of,
                     {k: kpis[k].current for k in TREND_KEYS}) if report.has_data else
        TrendWeek(report.period, "none", report.as_of, {}),
    }
    prev_values = {k: kpis[k].previous for k in TREND_KEYS}
    if report.previous_source == "stored" and any(v is not None for v in prev_values.values()):
        out[1] = TrendWeek(report.previous, "stored", report.previous_reported_at, prev_values)
    elif report.has_previous:
        out[1] = TrendWeek(report.previous, "recomputed", report.previous_reported_at, prev_values)
    else:
        out[1] = TrendWeek(report.previous, "none", report.previous_reported_at, {})
    todo = []
    for i in range(2, len(periods)):
        stored = _stored_week(periods[i], history.get(periods[i].label))
        if stored is not None:
            out[i] = stored
        else:
            todo.append(i)
    if todo:
        first, last = periods[max(todo)], periods[min(todo)]
        hull = Period("trend", first.start, last.end)
        day_ranges = hull.day_ranges()
        week_of_day = {}
        for i in todo:
            offset = (periods[i].start.date() - hull.start.date()).days
            week_of_day.update({offset + d: i for d in range(len(periods[i].days))})
        activity = q.activity_by_day(session, day_ranges)
        timings = q.question_timings(session, hull.utc_start, hull.utc_end, QUESTION_CATEGORIES)
        for i in todo:
            rows = [r for r in activity if week_of_day.get(r.day) == i]
            week = periods[i]
            if not rows:
                out[i] = TrendWeek(week, "none", None, {})
                continue
            at = report.as_of - shift * i
            citizen = [r for r in rows if not r.is_own]
            analysed = sum(r.posts for r in citizen if r.sentiment is not None)
            lo, hi = week.utc_start.timestamp(), week.utc_end.timestamp()
            idx = [j for j, t in enumerate(timings.received) if lo <= t < hi]
            stats = response_stats([timings.received[j] for j in idx], [timings.first_reply[j] for j in idx],
                                   [timings.categories[j] for j in idx], at, report.calendar)
            out[i] = TrendWeek(week, "recomputed", at, {
                "menciones_recibidas": sum(r.posts for r in citizen),
                "interacciones": sum(r.interactions for r in rows if r.is_own),
                "tono_negativo": ratio(sum(r.posts for r in citizen if r.sentiment == "negative"), analysed),
                "pqrsd_con_respuesta": stats.received,
                "tasa_respuesta": stats.rate,
                "mediana_primera_respuesta_h": hours(stats.median_s),
            })
    return [out[i] for i in reversed(range(len(periods)))]


def _notable_posts(session: Session, figures: PeriodFigures, top: int) -> list[q.NotablePost]:
    """The most-engaged own posts, making sure each platform's best one is there (platforms differ in scale)."""
    start, end = figures.period.utc_start, figures.period.utc_end
    best = q.top_own_posts(session, start, end, top)
    platforms = sorted({r.platform for r in figures.own if r.kind == "own_post"})
    for platform in platforms:
        if not any(p.platform == platform for p in best):
            best.extend(q.top_own_posts(session, start, end, 1, platform))
    ranked = sorted(best, key=lambda p: (-p.interactions, p.created_at))
    missing = [p for p in ranked[top:] if not any(b.platform == p.platform for b in ranked[:top])]
    return ranked[: top - len(missing)] + missing if missing else ranked[:top]


def build_report(session: Session, period: Period, as_of: datetime, calendar: BusinessCalendar, *,
                 topic_names: Mapping[str, str] | None = None, top: int = 10,
                 previous_summary: Mapping[str, Any] | None = None,
                 frozen: Mapping[str, Any] | None = None,
                 history: Mapping[str, Mapping[str, Any]] | None = None,
                 trend_weeks: int = TREND_WEEKS) -> WeeklyReport:
    """Gather every figure of `period` (and the previous period) known at `as_of`.

    The previous period is compared at equal maturity: with `previous_summary` (its report_runs.summary,
    when its report was built and had data) its key figures are the ones that report gave, and its tables
    are recomputed as of that report's moment; without, everything is recomputed as of `as_of` − 7 days.
    `frozen` (this period's own stored summary) re-runs a report with the figures it gave then: its moment
    and its key figures (counters are not versioned, so only the stored figures can be reproduced exactly).
    `history` (stored summaries by week label) feeds the trend of the last `trend_weeks` weeks.
    """
    if frozen is not None:
        as_of = datetime.fromisoformat(frozen["as_of"])
    if previous_summary is not None and not (previous_summary.get("has_data") and previous_summary.get("kpis")
                                             and previous_summary.get("as_of")):
        previous_summary = None
    shift = period.end - period.start
    previous_as_of = as_of - shift
    if frozen is not None and frozen.get("previous_as_of"):
        previous_as_of = datetime.fromisoformat(frozen["previous_as_of"])
    elif previous_summary is not None:
        previous_as_of = datetime.fromisoformat(previous_summary["as_of"])
    if session.get_bind().dialect.name == "postgresql":
        # Grouping a year of posts fits in memory (hash aggregates) instead of spilling to disk sorts;
        # SET LOCAL lasts until the end of this read-only transaction.
        session.execute(text(f"SET LOCAL work_mem = '{PG_WORK_MEM}'"))
    previous = period.previous()
    current = period_figures(session, period, as_of, calendar)
    before = period_figures(session, previous, previous_as_of, calendar)
    cutoffs = {c: calendar.overdue_before(as_of, deadline_days(c)) for c in QUESTION_CATEGORIES}
    since = as_of - PENDING_LOOKBACK
    overdue_counts, overdue_posts = q.overdue_questions(session, cutoffs, since, as_of, limit=25)
    first, last = q.stored_span(session)
    start, end = period.utc_start, period.utc_end
    report = WeeklyReport(
        period=period, previous=previous, current=current, before=before, as_of=as_of, calendar=calendar,
        top_posts=_notable_posts(session, current, top),
        threads=q.busiest_threads(session, start, end, top),
        overdue_counts=overdue_counts, overdue_posts=overdue_posts, overdue_since=since,
        problems=q.collection_problems(session, start, end),
        stored_first=first, stored_last=last, topic_names=dict(topic_names or {}),
        previous_as_of=previous_as_of, stored_previous=previous_summary, frozen=frozen,
    )
    report.trend = build_trend(session, report, history or {}, trend_weeks)
    return report


# Spanish names used by every writer (HTML, CSV, Slack).
PLATFORM_ES = {"x": "X", "facebook": "Facebook", "instagram": "Instagram"}
KIND_ES = {"mention": "Menciones", "comment": "Comentarios", "reply": "Respuestas en conversaciones",
           "search_hit": "Resultados de búsqueda", "own_post": "Publicaciones propias"}
METRIC_ES = {"likes": "Me gusta", "reposts": "Reposts", "replies": "Respuestas", "quotes": "Citas",
             "bookmarks": "Guardados (X)", "reactions": "Reacciones", "comments": "Comentarios",
             "shares": "Compartidos", "saves": "Guardados (Instagram)"}
SENTIMENT_ES = {"negative": "Negativo", "neutral": "Neutral", "positive": "Positivo", "sin_analizar": "Sin analizar"}
CATEGORY_ES = {"peticion": "Petición", "queja": "Queja", "reclamo": "Reclamo", "sugerencia": "Sugerencia",
               "denuncia": "Denuncia", "felicitacion": "Felicitación", "otro": "Otro"}
FLAG_ES = {"outage": "Caída de un servicio", "fraud": "Fraude o suplantación", "data_leak": "Fuga de datos o hackeo",
           "threat": "Amenazas o violencia", "misinformation": "Desinformación"}
LEVEL_ES = {"aviso": "Aviso", "critico": "Crítico", "none": "Normal"}
DEFAULT_TOPIC_NAMES = TOPIC_NAMES_ES
ORDERED_SENTIMENTS = (*SENTIMENTS, "sin_analizar")
ORDERED_CATEGORIES = CATEGORIES
ORDERED_FLAGS = CRISIS_FLAGS


# --- indicator tables (the CSV files, and the tables of the HTML report) ---------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # Spanish header
    kind: str = "text"  # text | n | pct (0..1) | h (hours) | x (ratio) | date | datetime | url


@dataclass(frozen=True)
class Table:
    key: str  # file stem of its CSV
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    note: str = ""


def _prev_pct(current: float | None, previous: float | None) -> float | None:
    return Change(current, previous).pct


def report_tables(r: WeeklyReport) -> list[Table]:
    """Every indicator table of the report, in reading order."""
    c, p = r.current, r.before
    local = r.period.tz
    tables: list[Table] = []
    tables.append(Table("indicadores_clave", "Indicadores clave",
                        [Column("Indicador"), Column("Esta semana", "kpi"), Column("Semana anterior", "kpi"),
                         Column("Variación absoluta", "kpi"), Column("Variación (%)", "n1"), Column("Unidad"),
                         Column("Nota")],
                        [[k.label, k.current, k.previous, k.change.diff, k.change.pct, k.unit, k.note]
                         for k in r.kpis()]))

    rows = [[w.period.label, w.period.days[0], w.period.days[-1], trend_source_text(w, local),
             *[w.values.get(k) for k in TREND_KEYS]] for w in r.trend]
    tables.append(Table("tendencia_semanal", f"Tendencia de las últimas {len(r.trend)} semanas",
                        [Column("Semana ISO"), Column("Desde", "date"), Column("Hasta", "date"), Column("Datos"),
                         Column("Menciones y comentarios recibidos", "n"), Column("Interacciones registradas", "n"),
                         Column("Tono negativo", "pct"), Column("Peticiones, quejas, reclamos y denuncias", "n"),
                         Column("Tasa de respuesta", "pct"), Column("Mediana de primera respuesta (h)", "h")], rows,
                        "Cada semana con las cifras que dio su propio informe; las semanas sin informe guardado se "
                        "recalculan con los datos conocidos el mismo tiempo después de su cierre que esta. Celdas "
                        "vacías: semanas sin publicaciones almacenadas (sin datos, no ceros)."))

    acc_now, acc_prev = c.by_account(), p.by_account()
    keys = sorted(set(acc_now) | set(acc_prev))
    rows = []
    for key in keys:
        now, before = acc_now.get(key), acc_prev.get(key)
        used = [m for m in q.INTERACTION_METRICS
                if (now and now["metrics"].get(m)) or (before and before["metrics"].get(m))]
        for m in [*used, "total"]:
            current = (now["interactions"] if m == "total" else now["metrics"].get(m, 0)) if now else 0
            previous = ((before["interactions"] if m == "total" else before["metrics"].get(m, 0)) if before
                        else (0 if r.has_previous else None))
            rows.append([PLATFORM_ES.get(key[0], key[0]), key[1], "Total" if m == "total" else METRIC_ES[m],
                         current, previous, _prev_pct(current, previous)])
    tables.append(Table("interacciones_por_cuenta", "Interacciones registradas por cuenta y tipo",
                        [Column("Plataforma"), Column("Cuenta"), Column("Tipo de interacción"),
                         Column("Esta semana", "n"), Column("Semana anterior", "n"), Column("Variación (%)", "n1")],
                        rows,
                        "Interacciones de las publicaciones y respuestas del Ministerio publicadas en la semana, "
                        "según los contadores que informa cada plataforma al momento de la última lectura."))

    rows = []
    for key in keys:
        now, before = acc_now.get(key), acc_prev.get(key)
        if not now or not (now["own_posts"] or now["own_replies"]):
            continue
        rows.append([PLATFORM_ES.get(key[0], key[0]), key[1], now["own_posts"], now["own_replies"],
                     now["post_interactions"], ratio(now["post_interactions"], now["own_posts"]),
                     now["impressions"] if now["with_impressions"] else None,
                     ratio(now["impressions_interactions"], now["impressions"]) if now["with_impressions"] else None,
                     ratio(before["post_interactions"], before["own_posts"]) if before else None])
    tables.append(Table("publicaciones_propias", "Publicaciones propias y tasa de interacción",
                        [Column("Plataforma"), Column("Cuenta"), Column("Publicaciones", "n"),
                         Column("Respuestas", "n"), Column("Interacciones", "n"),
                         Column("Por publicación", "x"), Column("Impresiones", "n"),
                         Column("Interacción / impresión", "pct"),
                         Column("Por publicación, semana anterior", "x")], rows,
                        "Interacciones por impresión: solo publicaciones cuya plataforma informa impresiones. "
                        "Por seguidor: no disponible (ninguna fuente conectada informa seguidores)."))

    days = r.period.days
    inter_day = c.daily(lambda x: x.interactions, own=True)
    own_day = c.daily(lambda x: x.posts if x.kind == "own_post" else 0, own=True)
    reply_day = c.daily(lambda x: x.posts if x.kind != "own_post" else 0, own=True)
    cit_day = c.daily(lambda x: x.posts, own=False)
    rows = [[d, PLATFORM_ES.get(pf, pf), inter_day.get((i, pf), 0), own_day.get((i, pf), 0),
             reply_day.get((i, pf), 0), cit_day.get((i, pf), 0)]
            for i, d in enumerate(days) for pf in r.platforms()]
    tables.append(Table("actividad_diaria", "Actividad diaria por plataforma",
                        [Column("Fecha", "date"), Column("Plataforma"),
                         Column("Interacciones registradas", "n"), Column("Publicaciones propias", "n"),
                         Column("Respuestas del Ministerio", "n"), Column("Menciones y comentarios recibidos", "n")],
                        rows, "Interacciones atribuidas al día de publicación del contenido del Ministerio."))

    rows = []
    for figures in (p, c):
        per: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for x in figures.activity:
            acc = per[(x.platform, x.account)]
            if x.is_own:
                acc[0 if x.kind == "own_post" else 1] += x.posts
                acc[2] += x.interactions
            else:
                acc[3] += x.posts
        for (pf, account), (posts, replies, inter, received) in sorted(per.items()):
            rows.append([figures.period.label, PLATFORM_ES.get(pf, pf), account, posts, replies, inter, received,
                         figures.citizens.get(pf)])
    tables.append(Table("resumen_semanal", "Resumen por semana ISO y cuenta",
                        [Column("Semana ISO"), Column("Plataforma"), Column("Cuenta"),
                         Column("Publicaciones propias", "n"), Column("Respuestas del Ministerio", "n"),
                         Column("Interacciones registradas", "n"), Column("Menciones y comentarios recibidos", "n"),
                         Column("Ciudadanos únicos de la plataforma", "n")], rows))

    kinds_now, kinds_prev = c.received_by_kind(), p.received_by_kind()
    rows = [[KIND_ES.get(k, k), kinds_now.get(k, 0), kinds_prev.get(k, 0) if r.has_previous else None,
             _prev_pct(kinds_now.get(k, 0), kinds_prev.get(k, 0) if r.has_previous else None)]
            for k in sorted(set(kinds_now) | set(kinds_prev))]
    plats = sorted(set(c.citizens) | set(p.citizens))
    rows += [[f"Ciudadanos únicos en {PLATFORM_ES.get(pf, pf)}", c.citizens.get(pf, 0),
              p.citizens.get(pf, 0) if r.has_previous else None,
              _prev_pct(c.citizens.get(pf, 0), p.citizens.get(pf, 0) if r.has_previous else None)] for pf in plats]
    tables.append(Table("conversacion_ciudadana", "Menciones, comentarios y ciudadanos únicos",
                        [Column("Indicador"), Column("Esta semana", "n"), Column("Semana anterior", "n"),
                         Column("Variación (%)", "n1")], rows))

    sent_now, sent_prev = c.sentiment(), p.sentiment()
    rows = [[SENTIMENT_ES[s], sent_now.get(s, 0), ratio(sent_now.get(s, 0), c.analysed_citizen_posts)
             if s != "sin_analizar" else None, sent_prev.get(s, 0) if r.has_previous else None,
             ratio(sent_prev.get(s, 0), p.analysed_citizen_posts) if s != "sin_analizar" else None]
            for s in ORDERED_SENTIMENTS if s in sent_now or s in sent_prev or s != "sin_analizar"]
    tables.append(Table("sentimiento", "Tono de la conversación ciudadana",
                        [Column("Tono"), Column("Esta semana", "n"), Column("Participación", "pct"),
                         Column("Semana anterior", "n"), Column("Participación anterior", "pct")], rows,
                        "Participación sobre las publicaciones ciudadanas ya analizadas."))

    by_day = c.sentiment_by_day()
    rows = [[d, *[by_day.get((i, s), 0) for s in ORDERED_SENTIMENTS],
             ratio(by_day.get((i, "negative"), 0), sum(by_day.get((i, s), 0) for s in SENTIMENTS))]
            for i, d in enumerate(days)]
    tables.append(Table("sentimiento_diario", "Tono por día",
                        [Column("Fecha", "date"), *[Column(SENTIMENT_ES[s], "n") for s in ORDERED_SENTIMENTS],
                         Column("Negativo (%)", "pct")], rows))

    cat_now, cat_prev = c.categories(), p.categories()
    total_now = sum(cat_now.values())
    rows = [[CATEGORY_ES[k], cat_now.get(k, 0), ratio(cat_now.get(k, 0), total_now),
             cat_prev.get(k, 0) if r.has_previous else None,
             _prev_pct(cat_now.get(k, 0), cat_prev.get(k, 0) if r.has_previous else None)]
            for k in ORDERED_CATEGORIES]
    tables.append(Table("pqrsd", "Clasificación PQRSD de las publicaciones ciudadanas",
                        [Column("Categoría"), Column("Esta semana", "n"), Column("Participación", "pct"),
                         Column("Semana anterior", "n"), Column("Variación (%)", "n1")], rows))

    top_now, top_prev = c.topics(), p.topics()
    ranked = sorted(top_now.items(), key=lambda kv: (-kv[1], kv[0]))
    rows = [[r.topic_name(t), n, ratio(n, c.citizen_posts), top_prev.get(t, 0) if r.has_previous else None,
             _prev_pct(n, top_prev.get(t, 0) if r.has_previous else None)] for t, n in ranked]
    tables.append(Table("temas", "Temas más mencionados",
                        [Column("Tema"), Column("Publicaciones", "n"), Column("Participación", "pct"),
                         Column("Semana anterior", "n"), Column("Variación (%)", "n1")], rows,
                        "Una publicación puede tratar varios temas."))

    flags_now, flags_prev = c.flags(), p.flags()
    rows = [[FLAG_ES.get(f, f), flags_now.get(f, 0), flags_prev.get(f, 0) if r.has_previous else None]
            for f in ORDERED_FLAGS]
    tables.append(Table("senales_de_crisis", "Señales de crisis en las publicaciones ciudadanas",
                        [Column("Señal"), Column("Esta semana", "n"), Column("Semana anterior", "n")], rows))

    def scopes() -> list[tuple[str, ResponseStats, ResponseStats | None]]:
        prev = r.has_previous
        out = [("Total", c.responses, p.responses if prev else None)]
        out += [(PLATFORM_ES.get(k, k), s, p.responses_by_platform.get(k) if prev else None)
                for k, s in c.responses_by_platform.items()]
        out += [(f"{CATEGORY_ES.get(k, k)} ({deadline_days(k)} días)", s,
                 p.responses_by_category.get(k) if prev else None) for k, s in c.responses_by_category.items()]
        return out

    rows = [[name, s.received, s.answered, s.rate, hours(s.median_s), hours(s.p90_s), hours(s.median_business_s),
             hours(s.p90_business_s), before.rate if before else None] for name, s, before in scopes()]
    tables.append(Table("tiempos_respuesta", "Respuesta a peticiones, quejas, reclamos y denuncias",
                        [Column("Alcance"), Column("Recibidas", "n"), Column("Respondidas", "n"),
                         Column("Tasa de respuesta", "pct"), Column("Mediana (h)", "h"), Column("P90 (h)", "h"),
                         Column("Mediana hábil (h)", "h"), Column("P90 hábil (h)", "h"),
                         Column("Tasa anterior", "pct")], rows,
                        f"Primera respuesta pública de una cuenta del Ministerio, conocida al "
                        f"{r.as_of_local:%d/%m/%Y %H:%M}. Horario hábil: {r.office_hours_text}."))

    def scoped_rows(total: Any, by_platform: Mapping[str, Any],
                    by_category: Mapping[str, Any]) -> list[tuple[str, Any]]:
        out = [("Total", total)] if total is not None else []
        out += [(PLATFORM_ES.get(k, k), v) for k, v in by_platform.items()]
        out += [(f"{CATEGORY_ES.get(k, k)} ({deadline_days(k)} días)", v) for k, v in by_category.items()]
        return out

    prev_rate = {name: d.stats.on_time_rate for name, d in
                 scoped_rows(p.deadlines, p.deadlines_by_platform, p.deadlines_by_category)} if r.has_previous else {}
    rows = [[name, d.total, d.stats.within_deadline, d.stats.answered_late, d.stats.overdue, d.stats.waiting,
             d.closed, d.stats.on_time_rate, prev_rate.get(name)]
            for name, d in scoped_rows(c.deadlines, c.deadlines_by_platform, c.deadlines_by_category)]
    tables.append(Table("plazos_legales", "Cumplimiento del plazo legal: PQRSD cuyo plazo venció en la semana",
                        [Column("Alcance"), Column("Plazo vencido en la semana", "n"),
                         Column("Respondidas en plazo", "n"), Column("Respondidas tarde", "n"),
                         Column("Sin respuesta al vencer el plazo", "n"),
                         Column("Plazo aún no vencido a la fecha del informe", "n"),
                         Column("Cerradas en la bandeja sin respuesta pública", "n"),
                         Column("Cumplimiento", "pct"), Column("Cumplimiento semana anterior", "pct")], rows,
                        "Peticiones, quejas, reclamos y denuncias recibidas antes, cuyo último día de plazo cayó "
                        f"entre el {r.period.days[0]:%d/%m} y el {r.period.days[-1]:%d/%m}; respuestas conocidas al "
                        f"{r.as_of_local:%d/%m/%Y %H:%M}. Plazos de la Ley 1755 de 2015 en días hábiles desde el día "
                        "siguiente a la recepción: 10 para peticiones de información o documentos, 15 para quejas, "
                        "reclamos y denuncias. Cumplimiento: respondidas en plazo sobre las de destino conocido "
                        "(respondidas, o sin respuesta con el plazo vencido)."))
    rows = [[name, x.received, x.answered, x.overdue, x.due_soon, x.in_term]
            for name, x in scoped_rows(c.pending, c.pending_by_platform, c.pending_by_category)]
    tables.append(Table("plazos_semana", "PQRSD recibidas en la semana: en plazo y por vencer",
                        [Column("Alcance"), Column("Recibidas", "n"), Column("Respondidas", "n"),
                         Column("Vencidas sin respuesta", "n"),
                         Column(f"Por vencer (próximos {DUE_SOON_BUSINESS_DAYS} días hábiles)", "n"),
                         Column("En plazo", "n")], rows,
                        f"Estado al {r.as_of_local:%d/%m/%Y %H:%M}. Por vencer: sin respuesta y con un plazo que "
                        f"termina a más tardar al final del {DUE_SOON_BUSINESS_DAYS}.º día hábil siguiente a la "
                        "fecha del informe; en plazo: sin respuesta y con más tiempo."))

    rows = []
    for inc in c.incidents:
        end = inc.closed_at or r.as_of
        rows.append([inc.id, LEVEL_ES.get(inc.level, inc.level), inc.opened_at.astimezone(local),
                     inc.closed_at.astimezone(local) if inc.closed_at else None,
                     (end - inc.opened_at).total_seconds() / 3600.0, inc.closed_at is None,
                     "; ".join(r.signal_name(k) for k in inc.keys), inc.peak_value, inc.peak_expected])
    tables.append(Table("incidentes", "Incidentes de crisis",
                        [Column("N.º"), Column("Nivel máximo"), Column("Inicio", "datetime"),
                         Column("Fin", "datetime"), Column("Duración (h)", "h"), Column("En curso"),
                         Column("Señales"), Column("Pico (publicaciones por intervalo del detector)", "n"),
                         Column("Esperado en el pico", "x")], rows))

    rows = [[PLATFORM_ES.get(t.platform, t.platform), t.account, t.created_at.astimezone(local), t.interactions,
             t.impressions, t.text, t.url] for t in r.top_posts]
    tables.append(Table("publicaciones_destacadas", "Publicaciones propias con más interacciones",
                        [Column("Plataforma"), Column("Cuenta"), Column("Fecha", "datetime"),
                         Column("Interacciones", "n"), Column("Impresiones", "n"), Column("Texto"),
                         Column("Enlace", "url")], rows))

    rows = [[PLATFORM_ES.get(t.platform, t.platform), t.posts, t.citizens, ratio(t.negative, t.posts),
             t.first_at.astimezone(local), t.last_at.astimezone(local),
             (t.root.author_handle if t.root else None), (t.root.text if t.root else None),
             (t.root.url if t.root else None)] for t in r.threads]
    tables.append(Table("conversaciones_destacadas", "Conversaciones ciudadanas con más participación",
                        [Column("Plataforma"), Column("Publicaciones ciudadanas", "n"),
                         Column("Ciudadanos", "n"), Column("Tono negativo", "pct"),
                         Column("Primera", "datetime"), Column("Última", "datetime"), Column("Inicia"),
                         Column("Publicación que la inicia"), Column("Enlace", "url")], rows))

    rows = []
    for post in r.overdue_posts:
        term = deadline_days(post.category)
        deadline = r.calendar.deadline(post.created_at, term)
        late_days = r.calendar.business_between(deadline, r.as_of) / (
            (datetime.combine(date.min, r.calendar.closes) - datetime.combine(date.min, r.calendar.opens))
            .total_seconds())
        rows.append([post.created_at.astimezone(local), PLATFORM_ES.get(post.platform, post.platform),
                     post.account, post.author_handle, CATEGORY_ES.get(post.category, post.category), term,
                     (deadline - timedelta(seconds=1)).astimezone(local).date(), late_days, post.text, post.url])
    tables.append(Table("pendientes_vencidas", "Publicaciones ciudadanas sin respuesta después del plazo legal",
                        [Column("Recibida", "datetime"), Column("Plataforma"), Column("Cuenta"),
                         Column("Autor"), Column("Categoría"), Column("Plazo (días hábiles)", "n"),
                         Column("Venció el", "date"), Column("Días hábiles de retraso", "x"),
                         Column("Texto"), Column("Enlace", "url")], rows,
                        f"Las {len(r.overdue_posts)} de espera más larga entre las recibidas desde el "
                        f"{r.overdue_since.astimezone(local):%d/%m/%Y}; no incluye las cerradas en la bandeja "
                        "de revisión (atendidas por otro canal o no aplica)."))

    per_day = c.daily(lambda x: x.posts)
    gaps = {(g.day, g.platform): g for g in r.gaps()}
    platforms = r.platforms()
    rows = []
    for i, (d, (start, _)) in enumerate(zip(days, r.period.day_ranges(), strict=True)):
        notes = []
        if start >= r.as_of:
            notes.append("aún no transcurre")
        for pf in platforms:
            gap = gaps.get((d, pf))
            if gap is not None:
                notes.append(f"{PLATFORM_ES.get(pf, pf)}: " + ("sin datos, posible falla de recolección" if gap.empty
                                                               else "volumen anormalmente bajo"))
        rows.append([d, *[per_day.get((i, pf), 0) for pf in platforms], sum(per_day.get((i, pf), 0)
                                                                          for pf in platforms), "; ".join(notes)])
    tables.append(Table("cobertura_datos", "Publicaciones almacenadas por día y plataforma",
                        [Column("Fecha", "date"), *[Column(PLATFORM_ES.get(pf, pf), "n") for pf in platforms],
                         Column("Total", "n"), Column("Observación")], rows,
                        "Incluye publicaciones ciudadanas y del Ministerio. Un día sin datos o con un volumen muy "
                        "inferior al habitual de la plataforma suele indicar una falla de recolección."))
    return tables


def trend_source_text(week: TrendWeek, tz: Any) -> str:
    """Where a trend week's figures come from, in Spanish."""
    when = f"{week.as_of.astimezone(tz):%d/%m/%Y %H:%M}" if week.as_of else ""
    if week.source == "none":
        return "sin datos almacenados"
    if week.source == "stored":
        return f"informe (datos al {when})"
    return f"recalculado (datos al {when})"


DAYS_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
             "noviembre", "diciembre")


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

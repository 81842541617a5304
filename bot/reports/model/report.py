"""The weekly report of a period: its figures next to the previous period's, its key indicators and data gaps."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from analyzers.indicators import Change, hours, ratio
from analyzers.settings import topic_name
from bot.alerts.spike_keys import describe_key
from bot.labels import AUDIENCE_MEASURE_ES, PLATFORM_ES
from bot.reports.model.audience import (
    AccountFollowers,
    SegmentFigures,
    engagement_per_follower,
    net_new_followers,
    segment_figures,
    segment_order,
    total_followers,
)
from bot.reports.model.campaigns import CampaignSection
from bot.reports.model.deadlines import DUE_SOON_BUSINESS_DAYS
from bot.reports.model.figures import PeriodFigures
from bot.reports.model.periods import Period
from bot.reports.model.regions import RegionSection
from domain.business_calendar import BusinessCalendar
from storage import audience_indicators as aq
from storage import indicators as q

# Audience measures shown per platform, in this order (storage.indicators.AUDIENCE_MEASURES); KPI keys use
# the Spanish word so they never collide with the former mixed "impresiones" key of stored summaries.
AUDIENCE_ORDER = (("x", "impressions"), ("facebook", "views"), ("facebook", "reach"), ("instagram", "views"),
                  ("instagram", "reach"))
AUDIENCE_KEY = {"impressions": "impresiones", "views": "visualizaciones", "reach": "alcance"}
AUDIENCE_NOTE = {"impressions": "veces que se mostraron, según {where}",
                 "views": "veces que se mostraron o reprodujeron, según {where}",
                 "reach": "cuentas distintas que las vieron, según {where}"}
LOW_VOLUME_SHARE = 0.2  # a platform-day under 20 % of the platform's median day looks like missing data


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


@dataclass(frozen=True)
class DataGap:
    day: date
    platform: str
    posts: int
    median: float  # the platform's median day in the period

    @property
    def empty(self) -> bool:
        return self.posts == 0


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
    # Comparison at equal maturity: the previous week as its own report showed it (`stored_previous`, its
    # report_runs.summary), else recomputed as of `previous_as_of` (this report's moment minus 7 days).
    previous_as_of: datetime | None = None
    stored_previous: Mapping[str, Any] | None = None
    # A re-run of a week already reported (without --force): the key figures it gave then (its summary).
    frozen: Mapping[str, Any] | None = None
    trend: list[TrendWeek] = field(default_factory=list)  # oldest first, ending with this period
    # The campaigns that ran in the period or whose posts appear in it ("Campañas"); None: not computed.
    campaigns: CampaignSection | None = None
    # Audiences: the configured segments as (id, label) pairs, the period's most followed citizen authors,
    # and the ministry accounts' followers.
    segment_labels: Sequence[tuple[str, str]] = ()
    influential: list[aq.AuthorActivity] = field(default_factory=list)
    followers: list[AccountFollowers] = field(default_factory=list)
    # Where the citizen posts come from (the "Regiones" section): None when it was not computed.
    regions: RegionSection | None = None

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
            *self._audience_kpis(),
            *self._follower_kpis(),
            Kpi("menciones_recibidas", "Menciones y comentarios recibidos", c.citizen_posts,
                prev(lambda f: f.citizen_posts), "n"),
            Kpi("ciudadanos_unicos", "Ciudadanos únicos", c.unique_citizens, prev(lambda f: f.unique_citizens), "n"),
            Kpi("tono_negativo", "Tono negativo", c.sentiment_share("negative"),
                prev(lambda f: f.sentiment_share("negative")), "pct", "down"),
            Kpi("tono_positivo", "Tono positivo", c.sentiment_share("positive"),
                prev(lambda f: f.sentiment_share("positive")), "pct", "up"),
            Kpi("pqrsd_con_respuesta", "Peticiones, quejas, reclamos, sugerencias y denuncias", c.questions,
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

    def audience_keys(self) -> list[tuple[str, str]]:
        """(platform, measure) pairs reported by own posts this period or the previous one, in a fixed order:
        X impressions, Facebook views, Instagram views, Instagram reach, then any other pair."""
        seen = set(self.current.audience()) | (set(self.before.audience()) if self.has_previous else set())
        known = [k for k in AUDIENCE_ORDER if k in seen]
        return known + sorted(seen - set(known))

    def _audience_kpis(self) -> list[Kpi]:
        """Each platform's own audience measure and interactions per unit of it: never added together."""
        now, before = self.current.audience(), self.before.audience() if self.has_previous else None
        out = []
        for platform, measure in self.audience_keys():
            name = AUDIENCE_MEASURE_ES.get(measure, measure)
            where = PLATFORM_ES.get(platform, platform)
            # a week whose posts did not report the measure has no figure ("—"), not 0
            a, b = now.get((platform, measure)), (before or {}).get((platform, measure))
            out.append(Kpi(f"{AUDIENCE_KEY.get(measure, measure)}_{platform}",
                           f"{name} de las publicaciones propias en {where}", a.total if a else None,
                           b.total if b else None, "n", "up", AUDIENCE_NOTE.get(measure, "").format(where=where)))
            out.append(Kpi(f"tasa_interaccion_{AUDIENCE_KEY.get(measure, measure)}_{platform}",
                           f"Tasa de interacción sobre {name.lower()} en {where}",
                           a.interaction_rate if a else None, b.interaction_rate if b else None, "pct", "up",
                           f"interacciones ÷ {name.lower()}, publicaciones que informan el dato"))
        return out

    def _follower_kpis(self) -> list[Kpi]:
        acc = self.followers
        missing = "sin datos: no hay registros diarios de seguidores de las cuentas del Ministerio"
        return [
            Kpi("seguidores", "Seguidores de las cuentas del Ministerio", total_followers(acc),
                total_followers(acc, previous=True), "n", "up",
                "al cierre de la semana, suma de las cuentas" if acc else missing),
            Kpi("seguidores_nuevos", "Nuevos seguidores (variación neta en la semana)", net_new_followers(acc),
                net_new_followers(acc, previous=True), "n", "up", "" if acc else missing),
            Kpi("tasa_interaccion_seguidores", "Tasa de interacción por seguidor", engagement_per_follower(acc),
                engagement_per_follower(acc, previous=True) if self.has_previous else None, "pct", "up",
                "interacciones de las publicaciones propias ÷ seguidores al cierre de la semana" if acc else missing),
        ]

    def segments(self) -> list[tuple[SegmentFigures, SegmentFigures]]:
        """Per audience segment (config order, then "Sin perfil"): this period's figures and the previous one's."""
        seen = [row.segment for row in self.current.segments] + [row.segment for row in self.before.segments]
        order = segment_order(self.segment_labels, seen)
        return list(zip(segment_figures(self.current, order), segment_figures(self.before, order), strict=True))

    def segment_label(self, segment: str) -> str:
        return dict(segment_order(self.segment_labels, [segment])).get(segment, segment)

    @property
    def as_of_local(self) -> datetime:
        return self.as_of.astimezone(self.period.tz)

    @property
    def office_hours_text(self) -> str:
        return (f"lunes a viernes {self.calendar.opens:%H:%M}–{self.calendar.closes:%H:%M}, "
                "sin festivos de Colombia")

    def topic_name(self, topic: str) -> str:
        return topic_name(topic)

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


def _dl(f: PeriodFigures, what: str) -> float | None:
    """A figure of the legal deadlines that fell in the period (None when not computed)."""
    d = f.deadlines
    if d is None:
        return None
    s = d.stats
    return {"total": d.total, "rate": s.on_time_rate, "within": s.within_deadline,
            "late": d.late_or_unanswered}[what]

"""The inbox's URL parameters (Spanish names, as they appear in links and alerts) ⇄ `InboxFilters`.

A value the app no longer knows (a category, topic, state or order renamed since a bookmark was saved) is
dropped, so a stale bookmark still opens the inbox. A value that can never be valid (an id that is not an
ASCII number within BIGINT, a date that is not AAAA-MM-DD or lies outside the years date arithmetic can
handle) raises `InvalidParameter`, which the app answers with a 400 page naming the parameter. NUL
characters are removed from every value (PostgreSQL refuses them). The audience segment (`segmento`) follows
the same split: a snake_case id no longer configured is dropped, anything else that is not a segment id at
all is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from analyzers.segments import SEGMENT_ID
from bot.web.inputs import InvalidParameter, day_param, id_param, without_nul
from domain import CATEGORIES, CRISIS_FLAGS, SENTIMENTS
from storage.inbox_filters import SORTS, InboxFilters, IncidentScope
from storage.review_changes import REVIEW_STATES

STATE_CHOICES = ("pending", *REVIEW_STATES, "all")
MAX_QUERY_CHARS = 200


@dataclass(frozen=True)
class FilterParams:
    """The raw, validated parameter values; "" means not set."""

    plataforma: str = ""
    cuenta: str = ""
    categoria: str = ""
    tema: str = ""
    sentimiento: str = ""
    alerta: str = ""
    segmento: str = ""
    estado: str = "pending"
    asignado: str = ""
    desde: str = ""
    hasta: str = ""
    q: str = ""
    incidente: str = ""
    orden: str = "recent"

    @classmethod
    def from_query(cls, params: object, topics: tuple[str, ...] = (),
                   segments: tuple[str, ...] = ()) -> FilterParams:
        get = params.get  # type: ignore[attr-defined]

        def pick(name: str, allowed: tuple[str, ...] | None = None, default: str = "") -> str:
            value = without_nul(str(get(name) or "")).strip()
            if allowed is not None and value not in allowed:
                return default
            return value

        return cls(
            plataforma=pick("plataforma", ("x", "facebook", "instagram")),
            cuenta=pick("cuenta")[:128],
            categoria=pick("categoria", CATEGORIES),
            tema=pick("tema", topics) if topics else pick("tema")[:64],
            sentimiento=pick("sentimiento", SENTIMENTS),
            alerta=pick("alerta", (*CRISIS_FLAGS, "any")),
            segmento=_segment(pick("segmento"), segments),
            estado=pick("estado", STATE_CHOICES, "pending"),
            asignado=_assignee(pick("asignado")),
            desde=day_param("desde", pick("desde")),
            hasta=day_param("hasta", pick("hasta")),
            q=pick("q")[:MAX_QUERY_CHARS],
            incidente=id_param("incidente", pick("incidente")),
            orden=pick("orden", SORTS, "recent"),
        )

    def to_filters(self, tz: ZoneInfo, me: int | None, incident: IncidentScope | None = None) -> InboxFilters:
        assignee: str | None = None
        if self.asignado == "yo":
            assignee = str(me) if me is not None else None
        elif self.asignado == "ninguno":
            assignee = "none"
        elif self.asignado:
            assignee = self.asignado
        return InboxFilters(
            platform=self.plataforma or None,
            account=self.cuenta or None,
            category=self.categoria or None,
            topic=self.tema or None,
            sentiment=self.sentimiento or None,
            flag=self.alerta or None,
            segment=self.segmento or None,
            state=self.estado,
            assignee=assignee,
            date_from=_local_midnight(self.desde, tz),
            date_to=_local_midnight(self.hasta, tz, next_day=True),
            q=self.q or None,
            incident=incident,
            sort=self.orden,
        )

    def query(self, **changes: str) -> str:
        """The URL query string of these filters with some values changed ("" removes one)."""
        values = replace(self, **changes) if changes else self
        defaults = FilterParams()
        return urlencode([(f.name, getattr(values, f.name)) for f in fields(values)
                          if getattr(values, f.name) not in ("", getattr(defaults, f.name))])

    def active(self) -> bool:
        """True when anything beyond the default view (pending, newest first) is selected."""
        return self != FilterParams(orden=self.orden)


def _segment(value: str, known: tuple[str, ...]) -> str:
    """A configured segment id or "sin_perfil"; "" when empty or no longer configured; else InvalidParameter."""
    if not value:
        return ""
    if not SEGMENT_ID.fullmatch(value):
        raise InvalidParameter("El parámetro «segmento» no es una audiencia válida: elija una de la lista.")
    return value if value in known else ""


def _assignee(value: str) -> str:
    """"yo", "ninguno", a user id, or "" (not set)."""
    return value if value in ("yo", "ninguno") else id_param("asignado", value)


def _local_midnight(value: str, tz: ZoneInfo, next_day: bool = False) -> datetime | None:
    if not value:
        return None
    day = date.fromisoformat(value) + (timedelta(days=1) if next_day else timedelta())
    return datetime.combine(day, time(0, 0), tzinfo=tz)

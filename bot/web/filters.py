"""The inbox's URL parameters (Spanish names, as they appear in links and alerts) ⇄ `InboxFilters`.

A value the app no longer knows (a category, topic, state or order renamed since a bookmark was saved) is
dropped, so a stale bookmark still opens the inbox. A value that can never be valid (an id that is not an
ASCII number within BIGINT, a date that is not AAAA-MM-DD or lies outside the years date arithmetic can
handle) raises `InvalidParameter`, which the app answers with a 400 page naming the parameter. NUL
characters are removed from every value (PostgreSQL refuses them). The audience segment (`segmento`) follows
the same split: a snake_case id no longer configured is dropped, anything else that is not a segment id at
all is refused.

Campaign (`campana`, a campaign id) and department (`departamento`, a DANE code or "sin_ubicacion") are
checked against what exists: campaigns are archived, never deleted, so an id that is not in the table was
never valid (a typo or a hand-made link), and is refused with a message saying where the list is, as is a
department code DIVIPOLA does not have.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from analyzers.segments import SEGMENT_ID
from bot.web.inputs import InvalidParameter, day_param, id_param, without_nul
from domain import CATEGORIES, CRISIS_FLAGS, SENTIMENTS
from storage.inbox_filters import NO_PLACE, SORTS, InboxFilters, IncidentScope
from storage.review_changes import REVIEW_STATES

STATE_CHOICES = ("pending", *REVIEW_STATES, "all")
MAX_QUERY_CHARS = 200
CAMPAIGN_PARAM = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # the shape of a campaign id (storage: String(64))
DPTO_PARAM = re.compile(r"[0-9]{2}")  # a DANE department code


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
    campana: str = ""
    departamento: str = ""
    estado: str = "pending"
    asignado: str = ""
    desde: str = ""
    hasta: str = ""
    q: str = ""
    incidente: str = ""
    orden: str = "recent"

    @classmethod
    def from_query(cls, params: object, topics: tuple[str, ...] = (), segments: tuple[str, ...] = (),
                   campaigns: Collection[str] = (), departments: Collection[str] = ()) -> FilterParams:
        """`campaigns`: every campaign id, archived ones too; `departments`: the DANE department codes."""
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
            campana=_campaign(pick("campana"), campaigns),
            departamento=_department(pick("departamento"), departments),
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
            campaign=self.campana or None,
            dpto=self.departamento or None,
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


def _campaign(value: str, known: Collection[str]) -> str:
    """A campaign id that exists (archived or not), or "" when empty; else InvalidParameter."""
    if not value:
        return ""
    if not CAMPAIGN_PARAM.fullmatch(value):
        raise InvalidParameter("El parámetro «campana» no es un identificador de campaña válido: elija una campaña "
                               "de la lista del filtro o de la página Campañas.")
    if value not in known:
        raise InvalidParameter(f"La campaña «{value}» no existe: elija una de la lista del filtro «Campaña» "
                               "o de la página Campañas.")
    return value


def _department(value: str, known: Collection[str]) -> str:
    """A DANE department code, "sin_ubicacion", or "" when empty; else InvalidParameter."""
    if not value or value == NO_PLACE:
        return value
    if not DPTO_PARAM.fullmatch(value) or value not in known:
        raise InvalidParameter("El parámetro «departamento» debe ser el código DANE de un departamento (por "
                               "ejemplo 27, Chocó) o «sin_ubicacion»: elija uno de la lista del filtro.")
    return value


def _assignee(value: str) -> str:
    """"yo", "ninguno", a user id, or "" (not set)."""
    return value if value in ("yo", "ninguno") else id_param("asignado", value)


def _local_midnight(value: str, tz: ZoneInfo, next_day: bool = False) -> datetime | None:
    if not value:
        return None
    day = date.fromisoformat(value) + (timedelta(days=1) if next_day else timedelta())
    return datetime.combine(day, time(0, 0), tzinfo=tz)

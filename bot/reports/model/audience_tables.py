"""The report's audience tables: citizen posts per segment, the most followed authors, the ministry's followers."""

from __future__ import annotations

from dataclasses import dataclass

from analyzers.indicators import Change, ratio
from bot.labels import CATEGORY_ES, PLATFORM_ES
from bot.reports.model.audience import TOP_AUTHORS_PER_SEGMENT, SegmentFigures
from bot.reports.model.columns import Column, Table
from bot.reports.model.report import WeeklyReport
from domain import CATEGORIES, NO_PROFILE
from storage import audience_indicators as aq

AUTHOR_COLUMNS = [Column("Plataforma"), Column("Usuario"), Column("Nombre"), Column("Seguidores", "n"),
                  Column("Publicaciones en la semana", "n"), Column("Negativas", "n"), Column("Neutrales", "n"),
                  Column("Positivas", "n"), Column("Perfil", "url")]


def _pct(current: float | None, previous: float | None) -> float | None:
    return Change(current, previous).pct


def _author_cells(a: aq.AuthorActivity) -> list[object]:
    return [PLATFORM_ES.get(a.platform, a.platform), a.handle, a.display_name or "", a.followers, a.posts,
            a.sentiments.get("negative", 0), a.sentiments.get("neutral", 0), a.sentiments.get("positive", 0),
            a.profile_url]


@dataclass(frozen=True)
class SegmentSection:
    """One segment's part of the report: its figures this period and the previous one, and its top authors."""

    now: SegmentFigures
    before: SegmentFigures
    authors: Table
    has_previous: bool = True  # the previous period has data (else there is nothing to compare with)

    @property
    def has_data(self) -> bool:
        return bool(self.now.posts or self.before.posts)


def segment_sections(r: WeeklyReport) -> list[SegmentSection]:
    out = []
    for now, before in r.segments():
        rows = [_author_cells(a) for a in sorted((a for a in r.influential if a.segment == now.segment
                                                  and a.segment_rank is not None), key=lambda a: a.segment_rank)]
        note = ("Autores sin perfil almacenado: no se conoce su número de seguidores ni su segmento."
                if now.segment == NO_PROFILE else "Los más seguidos del segmento que publicaron en la semana.")
        out.append(SegmentSection(now, before, Table(f"autores_segmento_{now.segment}", f"Autores más seguidos: "
                                                     f"{now.label}", AUTHOR_COLUMNS, rows, note), r.has_previous))
    return out


def audience_tables(r: WeeklyReport) -> list[Table]:
    """The segment, author and follower tables, in reading order (one CSV each)."""
    prev = r.has_previous
    pairs = r.segments()
    total = sum(now.posts for now, _ in pairs)
    rows = []
    for now, before in pairs:
        b = before if prev else None
        rows.append([now.label, now.posts, b.posts if b else None, _pct(now.posts, b.posts if b else None),
                     ratio(now.posts, total), now.authors, b.authors if b else None,
                     now.sentiment_share("negative"), now.sentiment_share("neutral"),
                     now.sentiment_share("positive"), b.sentiment_share("negative") if b else None, now.questions,
                     b.questions if b else None])
    tables = [Table("segmentos", "Conversación ciudadana por segmento de audiencia",
                    [Column("Segmento"), Column("Publicaciones", "n"), Column("Semana anterior", "n"),
                     Column("Variación (%)", "n1"), Column("Participación", "pct"), Column("Autores", "n"),
                     Column("Autores, semana anterior", "n"), Column("Negativo", "pct"), Column("Neutral", "pct"),
                     Column("Positivo", "pct"), Column("Negativo, semana anterior", "pct"), Column("PQRSD", "n"),
                     Column("PQRSD, semana anterior", "n")], rows,
                    "Segmento de cada autor según las reglas de config.yaml o la asignación de un administrador, "
                    "con su perfil actual. «Sin perfil»: publicaciones de autores cuyo perfil aún no se ha "
                    "almacenado (no se cuentan en ningún segmento). Tono sobre las publicaciones analizadas; PQRSD: "
                    "peticiones, quejas, reclamos, sugerencias y denuncias.")]

    rows = []
    for now, before in pairs:
        analysed = sum(now.categories.values())
        for cat in CATEGORIES:
            n, b = now.categories.get(cat, 0), before.categories.get(cat, 0) if prev else None
            if n or b:
                rows.append([now.label, CATEGORY_ES[cat], n, ratio(n, analysed), b, _pct(n, b)])
    tables.append(Table("segmentos_pqrsd", "Clasificación PQRSD por segmento de audiencia",
                        [Column("Segmento"), Column("Categoría"), Column("Esta semana", "n"),
                         Column("Participación en el segmento", "pct"), Column("Semana anterior", "n"),
                         Column("Variación (%)", "n1")], rows,
                        "Participación sobre las publicaciones analizadas del segmento."))

    per_segment = TOP_AUTHORS_PER_SEGMENT
    rows = [[s.now.label, i, *_author_cells(a)] for s in segment_sections(r)
            for i, a in enumerate(sorted((a for a in r.influential if a.segment == s.now.segment
                                          and a.segment_rank is not None), key=lambda a: a.segment_rank), 1)]
    tables.append(Table("autores_por_segmento", "Autores más seguidos de cada segmento",
                        [Column("Segmento"), Column("Posición en el segmento", "n"), *AUTHOR_COLUMNS], rows,
                        f"Hasta {per_segment} por segmento, entre los que publicaron en la semana."))

    label = r.segment_label
    rows = [[a.rank, PLATFORM_ES.get(a.platform, a.platform), a.handle, a.display_name or "",
             label(a.segment), a.followers, a.verified_type or "", a.posts, a.sentiments.get("negative", 0),
             a.sentiments.get("neutral", 0), a.sentiments.get("positive", 0),
             ratio(a.sentiments.get("negative", 0), sum(a.sentiments.values())), a.profile_url]
            for a in r.influential if a.rank is not None]
    tables.append(Table("autores_influyentes", "Autores más influyentes de la semana",
                        [Column("Posición", "n"), Column("Plataforma"), Column("Usuario"), Column("Nombre"),
                         Column("Segmento"), Column("Seguidores", "n"), Column("Verificación"),
                         Column("Publicaciones en la semana", "n"), Column("Negativas", "n"),
                         Column("Neutrales", "n"), Column("Positivas", "n"), Column("Tono negativo", "pct"),
                         Column("Perfil", "url")], rows,
                        "Autores no ministeriales que publicaron en la semana (menciones, comentarios, respuestas, "
                        "búsquedas), ordenados por número de seguidores según su perfil público más reciente. "
                        "Tono sobre sus publicaciones analizadas de la semana."))

    rows = []
    for a in r.followers:
        rows.append([PLATFORM_ES.get(a.platform, a.platform), a.account, a.end.followers if a.end else None,
                     a.end.day if a.end else None, a.previous.followers if a.previous else None, a.change,
                     a.change_pct, a.previous_change, a.interactions, a.engagement_rate,
                     a.previous_engagement_rate])
    tables.append(Table("seguidores", "Seguidores de las cuentas del Ministerio",
                        [Column("Plataforma"), Column("Cuenta"), Column("Seguidores al cierre", "n"),
                         Column("Fecha del dato", "date"), Column("Al cierre de la semana anterior", "n"),
                         Column("Variación en la semana", "n"), Column("Variación (%)", "n1"),
                         Column("Variación de la semana anterior", "n"),
                         Column("Interacciones de las publicaciones propias", "n"),
                         Column("Tasa de interacción por seguidor", "pct"),
                         Column("Tasa, semana anterior", "pct")], rows,
                        "Registro diario de seguidores de cada cuenta (el último del período). Tasa de interacción "
                        "por seguidor = interacciones de las publicaciones propias de la semana ÷ seguidores al "
                        "cierre de la semana. Sin registro en la semana, la fecha dice de cuándo es el último dato "
                        "y no se calcula la variación."))
    rows = [[s.day, PLATFORM_ES.get(s.platform, s.platform), s.account, s.followers]
            for a in r.followers for s in a.series]
    tables.append(Table("seguidores_diarios", "Seguidores por día de las cuentas del Ministerio",
                        [Column("Fecha", "date"), Column("Plataforma"), Column("Cuenta"), Column("Seguidores", "n")],
                        rows))
    return tables

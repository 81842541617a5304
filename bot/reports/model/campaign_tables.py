"""The campaign tables: one CSV each (`campanas.csv` and its companions in the weekly report, `campana*.csv` in
`report --campaign`), and the HTML's overview table.

The columns are fixed (every platform measure, every PQRSD category), whatever the period's data, so a
spreadsheet built on the CSV keeps working from one week to the next; "unknown" is an empty cell, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.labels import AUDIENCE_MEASURE_ES, CATEGORY_ES, PLATFORM_ES, es_number
from bot.reports.model.campaigns import CampaignFigures, CampaignSection, weeks_of
from bot.reports.model.columns import Column, Table
from bot.reports.model.report import AUDIENCE_ORDER
from domain import CATEGORIES

PLATFORMS = ("x", "facebook", "instagram")
MEASURE_SHORT = {"impressions": "impresiones", "views": "visualizaciones", "reach": "alcance"}


def _measure_name(platform: str, measure: str) -> str:
    return f"{AUDIENCE_MEASURE_ES.get(measure, measure)} ({PLATFORM_ES.get(platform, platform)})"


def campaign_dates(f: CampaignFigures) -> str:
    """`16/11/2026 – 31/12/2026` or `desde el 16/11/2026` (no end: still running)."""
    c = f.campaign
    return f"{c.starts_on:%d/%m/%Y} – {c.ends_on:%d/%m/%Y}" if c.ends_on else f"desde el {c.starts_on:%d/%m/%Y}"


SUMMARY_COLUMNS = [
    Column("Campaña (id)"), Column("Nombre"), Column("Inicio", "date"), Column("Fin", "date"),
    Column("Vigente en el periodo"), Column("Archivada"), Column("Publicaciones propias", "n"),
    *[Column(f"Publicaciones propias en {PLATFORM_ES[p]}", "n") for p in PLATFORMS],
    Column("Respuestas del Ministerio", "n"), Column("Interacciones registradas", "n"),
    Column("Interacciones de las publicaciones propias", "n"), Column("Interacciones por publicación propia", "x"),
    *[col for p, m in AUDIENCE_ORDER for col in (
        Column(_measure_name(p, m), "n"),
        Column(f"Tasa de interacción sobre {MEASURE_SHORT[m]} ({PLATFORM_ES[p]})", "pct"))],
    Column("Seguidores de las cuentas que publicaron", "n"), Column("Tasa de interacción por seguidor", "pct"),
    Column("Menciones ciudadanas", "n"), *[Column(f"Menciones en {PLATFORM_ES[p]}", "n") for p in PLATFORMS],
    Column("Ciudadanos únicos", "n"), Column("Menciones analizadas", "n"), Column("Tono negativo", "pct"),
    Column("Tono neutral", "pct"), Column("Tono positivo", "pct"),
    *[Column(f"PQRSD: {CATEGORY_ES[c]}", "n") for c in CATEGORIES],
    Column("PQRSD con plazo legal", "n"), Column("Hashtags"), Column("Palabras clave"), Column("Enlaces"),
]


def summary_row(f: CampaignFigures) -> list[object]:
    c = f.campaign
    by_platform, mentions = f.own_posts_by_platform(), f.mentions_by_platform()
    audience, categories = f.audience(), f.categories()
    measures: list[object] = []
    for key in AUDIENCE_ORDER:
        a = audience.get(key)
        measures += [a.total if a else None, a.interaction_rate if a else None]
    return [
        c.id, c.name, c.starts_on, c.ends_on, f.in_period, f.archived, f.own_posts,
        *[by_platform.get(p, 0) for p in PLATFORMS], f.own_replies, f.interactions, f.own_post_interactions,
        f.interactions_per_post, *measures, f.followers_of_posting_accounts, f.engagement_per_follower,
        f.mentions, *[mentions.get(p, 0) for p in PLATFORMS], f.citizens, f.analysed,
        f.sentiment_share("negative"), f.sentiment_share("neutral"), f.sentiment_share("positive"),
        *[categories.get(cat, 0) for cat in CATEGORIES], f.questions,
        " ".join(f"#{h}" for h in c.hashtags), "; ".join(c.keywords), "; ".join(c.links),
    ]


def summary_table(key: str, title: str, figures: Sequence[CampaignFigures], note: str = "") -> Table:
    return Table(key, title, SUMMARY_COLUMNS, [summary_row(f) for f in figures], note)


def daily_table(key: str, title: str, figures: Sequence[CampaignFigures]) -> Table:
    rows = [[f.campaign.id, f.campaign.name, d.day, d.own_posts, d.interactions, d.mentions]
            for f in figures for d in f.daily()]
    return Table(key, title, [Column("Campaña (id)"), Column("Nombre"), Column("Fecha", "date"),
                              Column("Publicaciones propias", "n"), Column("Interacciones registradas", "n"),
                              Column("Menciones ciudadanas", "n")], rows,
                 "Días de Colombia (America/Bogota). Interacciones de las publicaciones y respuestas del Ministerio "
                 "con la campaña, atribuidas al día de publicación.")


def weekly_table(key: str, title: str, figures: Sequence[CampaignFigures]) -> Table:
    rows = []
    for f in figures:
        for first, last, posts, interactions, mentions in weeks_of(f.daily()):
            year, week, _ = first.isocalendar()
            rows.append([f.campaign.id, f.campaign.name, f"{year}-W{week:02d}", first, last, posts, interactions,
                         mentions])
    return Table(key, title, [Column("Campaña (id)"), Column("Nombre"), Column("Semana ISO"), Column("Desde", "date"),
                              Column("Hasta", "date"), Column("Publicaciones propias", "n"),
                              Column("Interacciones registradas", "n"), Column("Menciones ciudadanas", "n")], rows,
                 "Semanas ISO (lunes a domingo) recortadas a las fechas del periodo.")


def posts_table(key: str, title: str, figures: Sequence[CampaignFigures], tz: object) -> Table:
    rows = []
    for f in figures:
        for side, posts in (("propia", f.top_own), ("ciudadana", f.top_citizen)):
            for rank, p in enumerate(posts, 1):
                rows.append([f.campaign.id, side, rank, PLATFORM_ES.get(p.platform, p.platform),
                             p.account if side == "propia" else p.author_handle,
                             p.created_at.astimezone(tz),  # type: ignore[arg-type]
                             p.interactions, p.impressions, p.views, p.reach, p.text, p.url])
    return Table(key, title, [Column("Campaña (id)"), Column("Publicación"), Column("Puesto", "n"),
                              Column("Plataforma"), Column("Cuenta o autor"), Column("Fecha", "datetime"),
                              Column("Interacciones", "n"), Column("Impresiones (X)", "n"),
                              Column("Visualizaciones (Facebook, Instagram)", "n"),
                              Column("Alcance (Facebook, Instagram)", "n"), Column("Texto"), Column("Enlace", "url")],
                 rows, "Por campaña, las publicaciones propias y ciudadanas con más interacciones del periodo.")


def plan_table(key: str, section: CampaignSection) -> Table:
    return Table(key, "Campañas: indicadores del Plan Estratégico de Comunicaciones",
                 [Column("Indicador del plan"), Column("Campañas", "n"), Column("Definición en Vigía")],
                 [["Número de campañas diseñadas", section.designed,
                   "campañas definidas en Vigía cuyas fechas se cruzan con el periodo"],
                  ["Campañas de divulgación implementadas", section.implemented,
                   "campañas con al menos una publicación propia del Ministerio en el periodo"],
                  ["Campañas digitales a grupos de interés", section.reached_people,
                   "campañas implementadas con al menos una publicación ciudadana con la campaña en el periodo"]])


def campaign_tables(section: CampaignSection | None) -> list[Table]:
    """The weekly report's campaign CSVs (always written, so the files exist even with no campaign)."""
    if section is None:
        return []
    tz = section.period.tz
    shown = section.campaigns
    return [
        plan_table("campanas_indicadores_plan", section),
        summary_table("campanas", "Campañas de la semana", shown,
                      "Campañas vigentes en la semana y campañas con publicaciones en ella. Cada plataforma con su "
                      "propia medida de audiencia, nunca sumadas entre sí."),
        daily_table("campanas_diarias", "Actividad diaria por campaña", shown),
        posts_table("campanas_publicaciones", "Publicaciones destacadas por campaña", shown, tz),
    ]


def overview_table(figures: Sequence[CampaignFigures]) -> Table:
    """The HTML's compact table (the CSV has every column)."""
    rows = []
    for f in figures:
        audience = f.audience()
        measures = "; ".join(f"{_measure_name(p, m)}: {es_number(a.total)}"
                             for (p, m) in AUDIENCE_ORDER if (a := audience.get((p, m))) is not None)
        top_category = max(f.categories().items(), key=lambda kv: (kv[1], kv[0]), default=None)
        rows.append([f.campaign.name, campaign_dates(f), f.own_posts, f.interactions, measures or None,
                     f.engagement_per_follower, f.mentions, f.citizens, f.sentiment_share("negative"),
                     f"{CATEGORY_ES.get(top_category[0], top_category[0])} ({top_category[1]})" if top_category
                     else None])
    return Table("campanas_resumen", "Resumen por campaña",
                 [Column("Campaña"), Column("Fechas"), Column("Publicaciones propias", "n"),
                  Column("Interacciones", "n"), Column("Audiencia de las publicaciones propias"),
                  Column("Interacción por seguidor", "pct"), Column("Menciones ciudadanas", "n"),
                  Column("Ciudadanos únicos", "n"), Column("Tono negativo", "pct"), Column("PQRSD más frecuente")],
                 rows, "El detalle completo (todas las medidas por plataforma y la mezcla PQRSD) está en campanas.csv.")

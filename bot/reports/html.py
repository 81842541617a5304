"""The report in words: Spanish number formats, the headline summary, data notices, the HTML and the PDF.

The HTML is one self-contained file (inline CSS, charts as base64 PNG data URIs, no scripts, fonts or other
external assets), rendered by Jinja2 with autoescaping on: post texts and handles are untrusted input.
The PDF is the same HTML printed by headless Chromium when it is installed; without it there is no PDF.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import structlog
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.labels import AUDIENCE_MEASURE_ES, CATEGORY_ES, LEVEL_ES, PLATFORM_ES, SENTIMENT_ES, es_number
from bot.reports.charts import Chart
from bot.reports.model import (
    DUE_SOON_BUSINESS_DAYS,
    Kpi,
    SegmentSection,
    Table,
    WeeklyReport,
    long_day,
    period_text,
    segment_sections,
    short_day,
)
from bot.reports.model.campaign_tables import campaign_dates, overview_table
from bot.reports.model.campaigns import CampaignFigures, CampaignReport, CampaignSection
from bot.reports.model.regions import ATTRIBUTION, RegionSection, evidence_totals, region_overview, topic_view
from bot.reports.model.report import AUDIENCE_ORDER
from domain import CATEGORIES, SENTIMENTS

log = structlog.get_logger("vigia.reports")

TEMPLATES = Path(__file__).with_name("templates")
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--hide-scrollbars", "--mute-audio")

# --- Spanish number formats (Colombia: "." for thousands, "," for decimals) -----------------------------

MINUS = "−"
CAMPAIGN_DAILY_ROWS = 62  # a campaign report lists its days up to this many; longer ones by week (all in CSV)


def es_int(value: float | None) -> str:
    return "—" if value is None else es_number(round(value))


def es_num(value: float | None, decimals: int = 1) -> str:
    return "—" if value is None else es_number(value, decimals).replace("-", MINUS)


def es_pct(fraction: float | None, decimals: int = 1) -> str:
    return "—" if fraction is None else f"{es_num(100 * fraction, decimals)} %"


def es_hours(value: float | None) -> str:
    """Hours as people say them: minutes under an hour, hours under two days, then days."""
    if value is None:
        return "—"
    if value == 0:
        return "0 h"
    if value < 1:
        return f"{round(value * 60)} min"
    if value < 48:
        return f"{es_num(value)} h"
    return f"{es_num(value / 24)} días"


def es_datetime(moment: datetime | None, tz: Any = None) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(tz) if tz is not None else moment
    return f"{short_day(local.date())} {local:%H:%M}"


def fmt_value(value: Any, kind: str) -> str:
    """A table cell or figure, by column kind (see report_model.Column)."""
    if value is None or value == "":
        return "—" if kind not in ("text", "url") else ""
    if kind == "n":
        return es_int(value)
    if kind == "n1":
        return es_num(value)
    if kind == "pct":
        return es_pct(value)
    if kind == "h":
        return es_hours(value)
    if kind == "x":
        return es_num(value)
    if kind == "date":
        return short_day(value) if isinstance(value, date) else str(value)
    if kind == "datetime":
        return es_datetime(value)
    if isinstance(value, bool):
        return "sí" if value else "no"
    return str(value)


def kpi_value(k: Kpi, value: float | None = None, *, current: bool = True) -> str:
    v = (k.current if current else k.previous) if value is None else value
    if v is None:
        return "sin datos" if k.note.startswith("sin datos") else "no disponible" if "no disponible" in k.note else "—"
    return {"n": es_int, "pct": es_pct, "h": es_hours, "x": lambda x: es_num(x)}[k.unit](v)


def change_text(k: Kpi) -> str:
    """`+12,5 %`, `−3,0 puntos porcentuales`, `sin cambio` or `sin comparación`."""
    ch = k.change
    if ch.diff is None:
        return "sin comparación"
    if abs(ch.diff) < 1e-9:
        return "sin cambio"
    sign = "+" if ch.diff > 0 else MINUS
    if k.unit == "pct":
        return f"{sign}{es_num(abs(ch.diff) * 100)} puntos porcentuales"
    if ch.pct is None:
        return f"{sign}{kpi_value(k, abs(ch.diff))} (antes 0)"
    return f"{sign}{es_num(abs(ch.pct))} %"


def change_class(k: Kpi) -> str:
    """CSS class: good / bad / flat news, by the indicator's preferred direction."""
    diff = k.change.diff
    if diff is None or abs(diff) < 1e-9 or k.better is None:
        return "flat"
    return "good" if (diff > 0) == (k.better == "up") else "bad"


def safe_url(url: str | None) -> str | None:
    """Only http(s) links become clickable (a stored URL is untrusted)."""
    return url if url and url.startswith(("https://", "http://")) else None


def clip(text: str | None, limit: int = 280) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the words of the report --------------------------------------------------------------------------------


def _kpis(r: WeeklyReport) -> dict[str, Kpi]:
    return {k.key: k for k in r.kpis()}


def _vs(k: Kpi) -> str:
    text = change_text(k)
    return "" if text == "sin comparación" else f" ({text} frente a la semana anterior)"


def incident_text(r: WeeklyReport, inc: Any) -> str:
    tz = r.period.tz
    end = inc.closed_at or r.as_of
    duration = es_hours((end - inc.opened_at).total_seconds() / 3600.0)
    status = f"duró {duration}" if inc.closed_at else f"sigue abierto tras {duration}"
    signals = ", ".join(r.signal_name(key) for key in inc.keys[:4]) or "sin detalle"
    return (f"{LEVEL_ES.get(inc.level, inc.level).lower()} desde el {es_datetime(inc.opened_at, tz)} ({status}); "
            f"señales: {signals}")


def headline(r: WeeklyReport) -> list[str]:
    """The week in a few sentences, most important first."""
    if not r.has_data:
        lines = [f"No hay publicaciones almacenadas para la semana {r.period.label} ({period_text(r.period)}). "
                 "Sin datos no se calculan indicadores: este informe no muestra ceros sino ausencia de información."]
        if r.stored_last is None:
            lines.append("La base de datos aún no tiene publicaciones: revise que los conectores estén habilitados.")
        else:
            lines.append(f"La base de datos tiene publicaciones del {r.stored_first.astimezone(r.period.tz):%d/%m/%Y} "  # type: ignore[union-attr]
                         f"al {r.stored_last.astimezone(r.period.tz):%d/%m/%Y}.")
        return lines
    k = _kpis(r)
    c = r.current
    lines = [
        f"Las cuentas del Ministerio registraron {es_int(c.interactions)} interacciones{_vs(k['interacciones'])} "
        f"con {es_int(c.own_posts)} publicaciones propias y {es_int(c.own_replies)} respuestas a la ciudadanía.",
        f"La ciudadanía publicó {es_int(c.citizen_posts)} menciones y comentarios{_vs(k['menciones_recibidas'])}, "
        f"de {es_int(c.unique_citizens)} personas distintas; el tono negativo fue del "
        f"{es_pct(k['tono_negativo'].current)}{_vs(k['tono_negativo'])}.",
    ]
    fans = k["seguidores"]
    if fans.current is not None:
        growth = k["seguidores_nuevos"].current
        grew = "" if growth is None else f" ({'+' if growth >= 0 else MINUS}{es_int(abs(growth))} en la semana)"
        rate = k["tasa_interaccion_seguidores"].current
        lines.append(f"Las cuentas del Ministerio suman {es_int(fans.current)} seguidores{grew}"
                     + (f"; la tasa de interacción por seguidor fue del {es_pct(rate, 2)}." if rate is not None
                        else "."))
    s = c.responses
    if s.received:
        timing = (f", con una mediana de primera respuesta de {es_hours(k['mediana_primera_respuesta_h'].current)} "
                  f"({es_hours(k['mediana_primera_respuesta_habil_h'].current)} en horario hábil)"
                  if s.answered else "")
        lines.append(f"Llegaron {es_int(s.received)} peticiones, quejas, reclamos, sugerencias y denuncias: "
                     f"el Ministerio respondió públicamente {es_int(s.answered)} ({es_pct(s.rate)}){timing}.")
    else:
        lines.append("No llegaron peticiones, quejas, reclamos ni denuncias en la semana.")
    if c.incidents:
        n = len(c.incidents)
        lines.append(f"{'Hubo un incidente' if n == 1 else f'Hubo {n} incidentes'} de crisis: "
                     + "; ".join(incident_text(r, inc) for inc in c.incidents[:3]) + ".")
    else:
        lines.append("No se registraron incidentes de crisis.")
    overdue = sum(r.overdue_counts.values())
    if overdue:
        lines.append(f"{es_int(overdue)} publicaciones ciudadanas de los últimos 90 días siguen sin respuesta "
                     "después de su plazo legal (ver la lista al final).")
    else:
        lines.append("Ninguna publicación ciudadana de los últimos 90 días ha superado su plazo legal sin respuesta.")
    d, pend = c.deadlines, c.pending
    if d is not None and d.total:
        st = d.stats
        def n(value: int, one: str, many: str) -> str:
            return f"{es_int(value)} {one if value == 1 else many}"

        fate = [n(st.within_deadline, "se respondió a tiempo", "se respondieron a tiempo"),
                f"{es_int(st.answered_late)} tarde", n(st.overdue, "sigue sin respuesta", "siguen sin respuesta")]
        if st.waiting:
            fate.append(n(st.waiting, "aún no vence a la fecha del informe", "aún no vencen a la fecha del informe"))
        if d.closed:
            fate.append(n(d.closed, "se cerró en la bandeja sin respuesta pública",
                          "se cerraron en la bandeja sin respuesta pública"))
        line = (f"Plazo legal: de las {es_int(d.total)} PQRSD cuyo plazo venció en la semana (recibidas antes), "
                + ", ".join(fate[:-1]) + f" y {fate[-1]}"
                + (f" (cumplimiento: {es_pct(st.on_time_rate)})." if st.on_time_rate is not None else "."))
    else:
        line = "Ningún plazo legal de respuesta de una PQRSD venció en la semana."
    if pend is not None and (pend.due_soon or pend.in_term):
        line += (f" De las de esta semana sin respuesta, {es_int(pend.due_soon)} "
                 f"{'vence' if pend.due_soon == 1 else 'vencen'} en los próximos {DUE_SOON_BUSINESS_DAYS} días "
                 f"hábiles y {es_int(pend.in_term)} {'sigue' if pend.in_term == 1 else 'siguen'} en plazo.")
    lines.append(line)
    topics = sorted(c.topics().items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    if topics:
        named = [f"{r.topic_name(t)} ({es_int(n)})" for t, n in topics]
        joined = named[0] if len(named) == 1 else ", ".join(named[:-1]) + f" y {named[-1]}"
        lines.append(f"Temas más mencionados: {joined}.")
    regions = r.regions
    if regions is not None and regions.has_data:
        named = [f"{d.name} ({es_int(d.posts)})" for d in regions.departments[:3]]
        joined = named[0] if len(named) == 1 else ", ".join(named[:-1]) + f" y {named[-1]}"
        lines.append(f"Regiones: {es_int(regions.placed)} publicaciones ciudadanas ({es_pct(regions.placed_share)}) "
                     f"se ubicaron en un departamento; más publicaciones en {joined}.")
    if r.top_posts and r.top_posts[0].interactions:
        top = r.top_posts[0]
        lines.append(f"La publicación propia con más interacciones ({es_int(top.interactions)}, "
                     f"{PLATFORM_ES.get(top.platform, top.platform)}): «{clip(top.text, 110)}».")
    return lines


def campaign_text(f: CampaignFigures, period_word: str = "esta semana") -> str:
    """One campaign in the period in a sentence or three: own posts and interactions, audience, citizens, tone."""
    if not f.has_posts:
        return f"Sin publicaciones de la campaña {period_word}: ni propias ni ciudadanas."
    if f.own_posts:
        where = ", ".join(f"{PLATFORM_ES.get(p, p)} {es_int(n)}" for p, n in sorted(f.own_posts_by_platform().items()))
        text = (f"{es_int(f.own_posts)} {'publicación propia' if f.own_posts == 1 else 'publicaciones propias'} "
                f"({where}) con {es_int(f.interactions)} interacciones")
        text += f" ({es_num(f.interactions_per_post)} por publicación)." if f.interactions_per_post is not None else "."
    else:
        text = f"Sin publicaciones propias de la campaña {period_word}."
        if f.interactions:
            text += f" Las respuestas del Ministerio con la campaña sumaron {es_int(f.interactions)} interacciones."
    audience = f.audience()
    seen = [f"{es_int(a.total)} {AUDIENCE_MEASURE_ES.get(m, m).lower()} en {PLATFORM_ES.get(p, p)}"
            + (f" ({es_pct(a.interaction_rate, 2)} de interacción)" if a.interaction_rate is not None else "")
            for (p, m), a in sorted(audience.items(), key=lambda kv: (AUDIENCE_ORDER.index(kv[0])
                                                                      if kv[0] in AUDIENCE_ORDER else 99, kv[0]))]
    if seen:
        text += " Audiencia: " + "; ".join(seen) + "."
    if f.engagement_per_follower is not None:
        text += f" Interacción por seguidor: {es_pct(f.engagement_per_follower, 2)}."
    if f.mentions:
        text += (f" La ciudadanía publicó {es_int(f.mentions)} "
                 f"{'mención' if f.mentions == 1 else 'menciones'} con la campaña, de {es_int(f.citizens)} "
                 f"{'persona' if f.citizens == 1 else 'personas distintas'}")
        if f.analysed:
            text += (f"; tono {es_pct(f.sentiment_share('negative'))} negativo, "
                     f"{es_pct(f.sentiment_share('neutral'))} neutral y {es_pct(f.sentiment_share('positive'))} "
                     "positivo")
        mix = sorted(((n, c) for c, n in f.categories().items() if n), reverse=True)
        if mix:
            text += "; clasificación: " + ", ".join(f"{CATEGORY_ES.get(c, c).lower()} {es_int(n)}" for n, c in mix[:4])
        text += "."
    else:
        text += f" Ninguna publicación ciudadana con la campaña {period_word}."
    return text


def campaign_line(section: CampaignSection | None) -> str | None:
    """The campaigns of the week in one line (the Slack summary), or None when no campaign is defined."""
    if section is None or not section.configured:
        return None
    if not section.campaigns:
        return "Campañas: ninguna vigente esta semana."
    text = (f"Campañas: {es_int(section.designed)} {'vigente' if section.designed == 1 else 'vigentes'}, "
            f"{es_int(section.implemented)} con publicaciones propias y {es_int(section.reached_people)} con "
            "menciones ciudadanas")
    best = max(section.campaigns, key=lambda f: (f.interactions, f.mentions, f.campaign.name))
    if best.interactions or best.mentions:
        text += (f"; la de más interacciones: {best.campaign.name} ({es_int(best.interactions)} interacciones, "
                 f"{es_int(best.mentions)} {'mención' if best.mentions == 1 else 'menciones'})")
    return text + "."


def segment_text(s: SegmentSection) -> str:
    """One segment's week in a sentence: volume and people, tone, PQRSD, against the previous week."""
    now, before = s.now, s.before
    change = ""
    if s.has_previous and before.posts:
        diff = 100.0 * (now.posts - before.posts) / before.posts
        change = f" ({'+' if diff >= 0 else MINUS}{es_num(abs(diff))} % frente a la semana anterior)"
    elif s.has_previous and now.posts:
        change = " (la semana anterior: ninguna)"
    text = (f"{es_int(now.posts)} publicaciones de {es_int(now.authors)} "
            f"{'autor' if now.authors == 1 else 'autores'}{change}.")
    if now.analysed:
        text += (f" Tono: {es_pct(now.sentiment_share('negative'))} negativo, "
                 f"{es_pct(now.sentiment_share('neutral'))} neutral y {es_pct(now.sentiment_share('positive'))} "
                 "positivo")
        if s.has_previous and before.analysed:
            text += f" (negativo la semana anterior: {es_pct(before.sentiment_share('negative'))})"
        text += "."
    mix = sorted(((n, c) for c, n in now.categories.items() if n), reverse=True)
    if mix:
        text += " Clasificación: " + ", ".join(f"{CATEGORY_ES.get(c, c).lower()} {es_int(n)}" for n, c in mix[:4])
        text += f"; {es_int(now.questions)} PQRSD con plazo legal de respuesta"
        text += f" (semana anterior: {es_int(before.questions)})." if s.has_previous else "."
    return text


BY_EVIDENCE = {"geo": "por la geolocalización de la plataforma", "text": "por el texto",
               "profile": "por la ubicación del perfil del autor"}
MIN_TONE_POSTS = 10  # a department's negative share is named in the text from this many placed posts


def region_text(s: RegionSection) -> str:
    """The "Regiones" section in a few sentences: how many posts were placed and how, where most come from, and
    where the tone is most negative (among departments with enough placed posts to mean something)."""
    now = s.now
    if not now.citizen_posts:
        return "Ninguna publicación ubicada esta semana: no hubo publicaciones ciudadanas."
    if not s.placed:
        return (f"Ninguna publicación ubicada esta semana: ninguna de las {es_int(now.citizen_posts)} publicaciones "
                "ciudadanas nombra un lugar de Colombia reconocible, trae la geolocalización de la plataforma o "
                "viene de un autor con una ubicación de perfil reconocible.")
    how = [f"{es_int(n)} {BY_EVIDENCE[k]}" for k, n in evidence_totals(s).items() if n]
    text = (f"De las {es_int(now.citizen_posts)} publicaciones ciudadanas de la semana, {es_int(s.placed)} "
            f"({es_pct(s.placed_share)}) se ubicaron en un departamento ({', '.join(how)}); {es_int(s.unplaced)} "
            "quedan sin ubicación y no se cuentan en ningún departamento.")
    top = [f"{d.name} ({es_int(d.posts)}, {es_pct(d.share)})" for d in s.departments[:3]]
    text += " Más publicaciones ubicadas: " + (top[0] if len(top) == 1 else ", ".join(top[:-1]) + f" y {top[-1]}")
    text += "."
    toned = [d for d in s.departments if d.analysed >= MIN_TONE_POSTS and d.negative_share is not None]
    if toned:
        worst = max(toned, key=lambda d: (d.negative_share, d.posts))
        text += (f" Tono más negativo entre los departamentos con al menos {MIN_TONE_POSTS} publicaciones "
                 f"analizadas: {worst.name} ({es_pct(worst.negative_share)}).")
    return text


def comparison_text(r: WeeklyReport) -> str:
    """Which figures of the previous week the changes use (equal maturity)."""
    at = r.previous_reported_at
    when = f"{at.astimezone(r.period.tz):%d/%m/%Y %H:%M}" if at else "—"
    if r.previous_source == "stored":
        return f"comparado con la semana {r.previous.label} tal como la presentó su informe (datos al {when})"
    return (f"comparado con la semana {r.previous.label} recalculada con los datos conocidos al {when}, una semana "
            "antes del momento de este informe")


def notices(r: WeeklyReport) -> list[str]:
    """What the reader must know about the data before trusting the figures."""
    tz = r.period.tz
    out = []
    if r.partial_week and r.as_of > r.period.utc_start:
        out.append(f"La semana aún no termina: el informe cubre hasta el {es_datetime(r.as_of, tz)}.")
    elif r.as_of <= r.period.utc_start:
        out.append("La semana del informe aún no ha comenzado.")
    for gap in r.gaps():
        platform = PLATFORM_ES.get(gap.platform, gap.platform)
        if gap.empty:
            out.append(f"Sin datos de {platform} el {long_day(gap.day).rsplit(' de ', 1)[0]}: posible falla de "
                       "recolección; las cifras de ese día y de la semana pueden estar incompletas.")
        else:
            out.append(f"Volumen anormalmente bajo de {platform} el {long_day(gap.day).rsplit(' de ', 1)[0]}: "
                       f"{es_int(gap.posts)} publicaciones frente a una mediana de {es_int(gap.median)} por día; "
                       "posible recolección parcial.")
    for p in r.problems:
        until = (f"hasta el {es_datetime(p.resolved_at, tz)}" if p.resolved_at else "sin resolver a la fecha")
        out.append(f"Falla de recolección en «{p.key.removeprefix('connector:')}» desde el "
                   f"{es_datetime(p.opened_at, tz)} {until} ({p.failures} intentos fallidos): {clip(p.message, 160)}")
    if r.has_data and r.unanalysed:
        out.append(f"{es_int(r.unanalysed)} publicaciones ciudadanas aún no tienen análisis: el tono y la "
                   f"clasificación se calculan sobre las {es_int(r.current.analysed_citizen_posts)} analizadas.")
    if r.frozen is not None:
        out.append(f"Informe regenerado: las cifras clave son las que dio el informe de esta semana con los datos "
                   f"conocidos al {es_datetime(r.as_of, tz)} (para recalcularlas con los datos de hoy, use --force).")
    if r.has_data and not r.has_previous:
        out.append(f"No hay datos de la semana anterior ({r.previous.label}): no se muestran variaciones.")
    return out


# --- rendering -------------------------------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(es_int=es_int, es_num=es_num, es_pct=es_pct, es_hours=es_hours, fmt=fmt_value,
                       safe_url=safe_url, clip=clip, short_day=short_day, long_day=long_day)
    return env


def render_html(r: WeeklyReport, charts: dict[str, Chart], tables: list[Table], *,
                generated_at: datetime, inbox_url: str | None = None) -> str:
    tz = r.period.tz
    images = {key: "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")
              for key, chart in charts.items()}
    context = {
        "r": r, "tz": tz, "charts": charts, "images": images, "tables": {t.key: t for t in tables},
        "kpis": r.kpis(), "headline": headline(r), "notices": notices(r),
        "campaigns": r.campaigns, "campaign_text": campaign_text, "campaign_dates": campaign_dates,
        "campaign_overview": overview_table(r.campaigns.campaigns) if r.campaigns else None,
        "period_text": period_text(r.period), "generated_at": es_datetime(generated_at, tz),
        "generated_date": long_day(generated_at.astimezone(tz).date()),
        "as_of": es_datetime(r.as_of, tz), "kpi_value": kpi_value, "change_text": change_text,
        "change_class": change_class, "incident_text": lambda inc: incident_text(r, inc),
        "platform_es": PLATFORM_ES, "category_es": CATEGORY_ES, "holidays": r.holidays_in_period(),
        "inbox_url": safe_url(inbox_url), "es_datetime": es_datetime, "comparison": comparison_text(r),
        "due_soon_days": DUE_SOON_BUSINESS_DAYS, "segment_sections": segment_sections(r),
        "segment_text": segment_text, "audience_es": AUDIENCE_MEASURE_ES,
        "region_text": region_text, "region_attribution": ATTRIBUTION,
        "region_overview": region_overview(r.regions) if r.regions is not None else None,
        "region_topics": topic_view(r.regions, short=True) if r.regions is not None else None,
    }
    return _environment().get_template("report.html.j2").render(**context)


def campaign_notices(r: CampaignReport) -> list[str]:
    """What the reader of a campaign report must know about its period and data."""
    c, tz = r.figures.campaign, r.period.tz
    first, last = r.period.days[0], r.period.days[-1]
    out = []
    if r.narrowed:
        out.append(f"Periodo pedido: del {first:%d/%m/%Y} al {last:%d/%m/%Y}; la campaña va "
                   + (f"del {c.starts_on:%d/%m/%Y} al {c.ends_on:%d/%m/%Y}." if c.ends_on
                      else f"desde el {c.starts_on:%d/%m/%Y}, sin fecha de fin."))
    elif c.ends_on is None or c.ends_on > last:
        out.append(f"La campaña sigue vigente: el informe cubre hasta el {es_datetime(r.as_of, tz)}.")
    if r.figures.archived:
        out.append("La campaña está archivada: ya no se le asignan publicaciones nuevas; las anteriores la conservan.")
    if not r.has_data:
        if r.stored_first is None:
            out.append("Ninguna publicación almacenada tiene esta campaña. Si la campaña se definió o cambió después "
                       "de recolectar sus publicaciones, reanalícelas con `python main.py analyze --since FECHA`.")
        else:
            out.append(f"Sin publicaciones de la campaña en el periodo; las almacenadas van del "
                       f"{r.stored_first.astimezone(tz):%d/%m/%Y} al {r.stored_last.astimezone(tz):%d/%m/%Y}.")  # type: ignore[union-attr]
    return out


def campaign_key_figures(f: CampaignFigures) -> list[tuple[str, str]]:
    """The campaign report's indicators, one per line (label, formatted value): what a director reads first."""
    rows = [("Publicaciones propias", es_int(f.own_posts))]
    rows += [(f"  en {PLATFORM_ES.get(p, p)}", es_int(n)) for p, n in sorted(f.own_posts_by_platform().items())]
    rows += [("Respuestas del Ministerio con la campaña", es_int(f.own_replies)),
             ("Interacciones registradas", es_int(f.interactions)),
             ("Interacciones por publicación propia", es_num(f.interactions_per_post))]
    audience = f.audience()
    for key in [k for k in AUDIENCE_ORDER if k in audience] + sorted(set(audience) - set(AUDIENCE_ORDER)):
        a, (p, m) = audience[key], key
        measure, where = AUDIENCE_MEASURE_ES.get(m, m), PLATFORM_ES.get(p, p)
        rows += [(f"{measure} en {where}", es_int(a.total)),
                 (f"Tasa de interacción sobre {measure.lower()} en {where}", es_pct(a.interaction_rate, 2))]
    rows += [("Seguidores de las cuentas que publicaron", es_int(f.followers_of_posting_accounts)),
             ("Tasa de interacción por seguidor", es_pct(f.engagement_per_follower, 2)),
             ("Menciones ciudadanas", es_int(f.mentions)), ("Ciudadanos únicos", es_int(f.citizens))]
    if f.analysed:
        rows += [(f"Tono {SENTIMENT_ES[s].lower()}", es_pct(f.sentiment_share(s))) for s in SENTIMENTS]
    cats = f.categories()
    rows += [(f"PQRSD: {CATEGORY_ES[c]}", es_int(cats[c])) for c in CATEGORIES if cats.get(c)]
    return rows


def render_campaign_html(r: CampaignReport, charts: dict[str, Chart], tables: list[Table], *,
                         generated_at: datetime) -> str:
    """`report --campaign`: the campaign's figures over its period (autoescaped like the weekly report)."""
    tz = r.period.tz
    images = {key: "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")
              for key, chart in charts.items()}
    f = r.figures
    context = {
        "r": r, "f": f, "tz": tz, "charts": charts, "images": images, "tables": {t.key: t for t in tables},
        "key_figures": campaign_key_figures(f), "summary": campaign_text(f, "en el periodo"),
        "notices": campaign_notices(r), "period_text": period_text(r.period), "dates": campaign_dates(f),
        "generated_date": long_day(generated_at.astimezone(tz).date()), "as_of": es_datetime(r.as_of, tz),
        "es_datetime": es_datetime, "platform_es": PLATFORM_ES, "audience_es": AUDIENCE_MEASURE_ES,
        "daily_rows": len(r.period.days) <= CAMPAIGN_DAILY_ROWS,
    }
    return _environment().get_template("campaign.html.j2").render(**context)


def find_chromium() -> str | None:
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def render_pdf(html_path: Path, pdf_path: Path, *, chromium: str | None = None, timeout: float = 120) -> bool:
    """Print the HTML to PDF with headless Chromium; False (and a log line) when it cannot."""
    browser = chromium or find_chromium()
    if browser is None:
        log.info("no PDF engine (chromium) found; the report is HTML and CSV only")
        return False
    with tempfile.TemporaryDirectory(prefix="vigia-chromium-") as profile:
        cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("PDF rendering failed", error=f"{type(exc).__name__}: {exc}"[:300])
            return False
    ok = pdf_path.exists() and pdf_path.read_bytes()[:5] == b"%PDF-"
    if not ok:
        log.warning("PDF rendering failed", returncode=done.returncode,
                    stderr=done.stderr.decode(errors="replace")[-300:])
    return ok


def screenshot(html_path: Path, png_path: Path, *, chromium: str | None = None, width: int = 1280,
               height: int = 4000, timeout: float = 120) -> bool:
    """A PNG of the rendered HTML (used by the tests to prove the report renders with its charts)."""
    browser = chromium or find_chromium()
    if browser is None:
        return False
    with tempfile.TemporaryDirectory(prefix="vigia-chromium-") as profile:
        cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--screenshot={png_path}", html_path.resolve().as_uri()]
        subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    return png_path.exists() and png_path.stat().st_size > 0

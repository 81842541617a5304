"""The indicator tables of a report: one CSV file each, and the tables of the HTML report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from analyzers.indicators import Change, ResponseStats, deadline_days, hours, ratio
from bot.labels import (
    AUDIENCE_MEASURE_ES,
    CATEGORY_ES,
    FLAG_ES,
    INTERACTION_TYPE_ES,
    KIND_PLURAL_ES,
    LEVEL_ES,
    PLATFORM_ES,
    SENTIMENT_OR_UNANALYSED_ES,
)
from bot.reports.model.audience_tables import audience_tables
from bot.reports.model.campaign_tables import campaign_tables
from bot.reports.model.columns import Column, Table
from bot.reports.model.deadlines import DUE_SOON_BUSINESS_DAYS
from bot.reports.model.regions import region_tables
from bot.reports.model.report import WeeklyReport
from bot.reports.model.trend import TREND_KEYS, trend_source_text
from domain import CATEGORIES, CRISIS_FLAGS, SENTIMENTS
from storage import indicators as q

ORDERED_SENTIMENTS = (*SENTIMENTS, "sin_analizar")


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
                         Column("Tono negativo", "pct"), Column("PQRSD recibidas", "n"),
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
            rows.append([PLATFORM_ES.get(key[0], key[0]), key[1], "Total" if m == "total" else INTERACTION_TYPE_ES[m],
                         current, previous, _prev_pct(current, previous)])
    tables.append(Table("interacciones_por_cuenta", "Interacciones registradas por cuenta y tipo",
                        [Column("Plataforma"), Column("Cuenta"), Column("Tipo de interacción"),
                         Column("Esta semana", "n"), Column("Semana anterior", "n"), Column("Variación (%)", "n1")],
                        rows,
                        "Interacciones de las publicaciones y respuestas del Ministerio publicadas en la semana, "
                        "según los contadores que informa cada plataforma al momento de la última lectura."))

    followers = {(a.platform, a.account): a for a in r.followers}
    rows = []
    for key in keys:
        now, before = acc_now.get(key), acc_prev.get(key)
        if not now or not (now["own_posts"] or now["own_replies"]):
            continue
        fans = followers.get(key)
        rows.append([PLATFORM_ES.get(key[0], key[0]), key[1], now["own_posts"], now["own_replies"],
                     now["post_interactions"], ratio(now["post_interactions"], now["own_posts"]),
                     ratio(before["post_interactions"], before["own_posts"]) if before else None,
                     fans.end.followers if fans and fans.end else None, fans.engagement_rate if fans else None])
    tables.append(Table("publicaciones_propias", "Publicaciones propias y tasa de interacción",
                        [Column("Plataforma"), Column("Cuenta"), Column("Publicaciones", "n"),
                         Column("Respuestas", "n"), Column("Interacciones", "n"),
                         Column("Por publicación", "x"), Column("Por publicación, semana anterior", "x"),
                         Column("Seguidores al cierre", "n"), Column("Interacción por seguidor", "pct")], rows,
                        "Interacciones de las publicaciones propias (sin las respuestas). Interacción por seguidor: "
                        "interacciones de las publicaciones propias ÷ seguidores de la cuenta al cierre de la "
                        "semana. La audiencia (impresiones, visualizaciones, alcance) está en la tabla siguiente, "
                        "con la medida que informa cada plataforma."))

    audience_now = {(k, a.measure): a for k, acc in acc_now.items() for a in acc["audience"].values()}
    audience_prev = {(k, a.measure): a for k, acc in acc_prev.items() for a in acc["audience"].values()}
    order = {k: i for i, k in enumerate(r.audience_keys())}
    rows = []
    for (account_key, measure), a in sorted(audience_now.items(), key=lambda kv: (
            order.get((kv[0][0][0], kv[0][1]), len(order)), kv[0])):
        b = audience_prev.get((account_key, measure)) if r.has_previous else None
        rows.append([PLATFORM_ES.get(a.platform, a.platform), account_key[1],
                     AUDIENCE_MEASURE_ES.get(measure, measure), a.posts, a.total, a.interactions,
                     a.interaction_rate, b.total if b else None, _prev_pct(a.total, b.total if b else None),
                     b.interaction_rate if b else None])
    tables.append(Table("alcance_publicaciones", "Impresiones, visualizaciones y alcance de las publicaciones "
                        "propias (la medida de cada plataforma)",
                        [Column("Plataforma"), Column("Cuenta"), Column("Medida"),
                         Column("Publicaciones con el dato", "n"), Column("Total", "n"),
                         Column("Interacciones de esas publicaciones", "n"),
                         Column("Interacción por unidad de la medida", "pct"), Column("Semana anterior", "n"),
                         Column("Variación (%)", "n1"), Column("Interacción por unidad, semana anterior", "pct")],
                        rows,
                        "Cada plataforma mide algo distinto y las cifras no se suman: X informa impresiones (veces "
                        "que se mostró la publicación), Facebook e Instagram visualizaciones (veces que se mostró "
                        "o reprodujo, repeticiones incluidas) y alcance (cuentas distintas). "
                        "Solo publicaciones propias (sin respuestas) cuya plataforma informó la medida."))
    tables.extend(audience_tables(r))
    if r.regions is not None:
        tables.extend(region_tables(r.regions))

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
    rows = [[KIND_PLURAL_ES.get(k, k), kinds_now.get(k, 0), kinds_prev.get(k, 0) if r.has_previous else None,
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
    rows = [[SENTIMENT_OR_UNANALYSED_ES[s], sent_now.get(s, 0), ratio(sent_now.get(s, 0), c.analysed_citizen_posts)
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
                        [Column("Fecha", "date"),
                         *[Column(SENTIMENT_OR_UNANALYSED_ES[s], "n") for s in ORDERED_SENTIMENTS],
                         Column("Negativo (%)", "pct")], rows))

    cat_now, cat_prev = c.categories(), p.categories()
    total_now = sum(cat_now.values())
    rows = [[CATEGORY_ES[k], cat_now.get(k, 0), ratio(cat_now.get(k, 0), total_now),
             cat_prev.get(k, 0) if r.has_previous else None,
             _prev_pct(cat_now.get(k, 0), cat_prev.get(k, 0) if r.has_previous else None)]
            for k in CATEGORIES]
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
            for f in CRISIS_FLAGS]
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
    tables.append(Table("tiempos_respuesta", "Respuesta a peticiones, quejas, reclamos, sugerencias y denuncias",
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
                        "PQRSD (peticiones, quejas, reclamos, sugerencias y denuncias) recibidas antes, cuyo último "
                        "día de plazo cayó "
                        f"entre el {r.period.days[0]:%d/%m} y el {r.period.days[-1]:%d/%m}; respuestas conocidas al "
                        f"{r.as_of_local:%d/%m/%Y %H:%M}. Plazos de la Ley 1755 de 2015 en días hábiles desde el día "
                        "siguiente a la recepción: 10 para peticiones de información o documentos, 15 en general "
                        "(quejas, reclamos, sugerencias y denuncias). Cumplimiento: respondidas en plazo sobre las de "
                        "destino conocido "
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
                     "; ".join(r.signal_name(k) for k in inc.keys), r.signal_name(inc.peak_key), inc.peak_value,
                     inc.peak_expected])
    tables.append(Table("incidentes", "Incidentes de crisis",
                        [Column("N.º"), Column("Nivel máximo"), Column("Inicio", "datetime"),
                         Column("Fin", "datetime"), Column("Duración (h)", "h"), Column("En curso"),
                         Column("Señales"), Column("Señal del pico"),
                         Column("Pico (publicaciones por intervalo del detector)", "n"),
                         Column("Esperado en el pico", "x")], rows))

    rows = [[PLATFORM_ES.get(t.platform, t.platform), t.account, t.created_at.astimezone(local), t.interactions,
             t.impressions, t.views, t.reach, t.text, t.url] for t in r.top_posts]
    tables.append(Table("publicaciones_destacadas", "Publicaciones propias con más interacciones",
                        [Column("Plataforma"), Column("Cuenta"), Column("Fecha", "datetime"),
                         Column("Interacciones", "n"), Column("Impresiones (X)", "n"),
                         Column("Visualizaciones (Facebook, Instagram)", "n"), Column("Alcance (Instagram)", "n"),
                         Column("Texto"), Column("Enlace", "url")], rows))

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
    tables.extend(campaign_tables(r.campaigns))
    return tables

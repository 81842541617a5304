"""The report's charts: matplotlib figures drawn on the Agg canvas directly (no pyplot, so no global state
and no display needed), returned as PNG bytes to embed in the HTML.

Each chart is drawn only when there is something to draw; the HTML says so when a chart is missing.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analyzers.indicators import hours
from bot.labels import CATEGORY_ES, PLATFORM_ES, SENTIMENT_OR_UNANALYSED_ES, es_number
from bot.reports.model import WeeklyReport, short_day
from bot.reports.model.campaigns import CampaignFigures
from bot.reports.model.regions import RegionSection
from domain import CATEGORIES

PLATFORM_COLORS = {"x": "#1f2328", "facebook": "#1877f2", "instagram": "#c13584"}
SENTIMENT_COLORS = {"negative": "#d64545", "neutral": "#9aa5b1", "positive": "#2f9e44", "sin_analizar": "#e0e4e8"}
DPI = 110


@dataclass(frozen=True)
class Chart:
    key: str
    title: str  # Spanish, shown above the image
    alt: str  # Spanish description for screen readers and when images are off
    png: bytes


def _figure(width: float = 9.0, height: float = 3.6) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _es_number(value: float, _pos: object = None) -> str:
    return es_number(value)


def _es_decimal(value: float, _pos: object = None) -> str:
    return es_number(value, 1).removesuffix(",0")


def _style(ax: object) -> None:
    ax.spines[["top", "right"]].set_visible(False)  # type: ignore[attr-defined]
    ax.grid(axis="y", color="#e6e9ed", linewidth=0.8)  # type: ignore[attr-defined]
    ax.set_axisbelow(True)  # type: ignore[attr-defined]


def _day_ticks(ax: object, days: list[date]) -> None:
    """One label per day for a week; for longer periods, about fourteen labels."""
    step = max(1, math.ceil(len(days) / 14))
    ax.set_xticks(range(0, len(days), step), [short_day(d) for d in days[::step]])  # type: ignore[attr-defined]


def _legend_above(ax: object, ncols: int, fontsize: int = 9) -> None:
    """Legend in a row above the plot, where it can never hide a bar."""
    ax.legend(frameon=False, ncols=max(ncols, 1), loc="lower center", bbox_to_anchor=(0.5, 1.0),  # type: ignore[attr-defined]
              fontsize=fontsize)


def daily_interactions(r: WeeklyReport) -> Chart | None:
    values = r.current.daily(lambda x: x.interactions, own=True)
    if not any(values.values()):
        return None
    days = r.period.days
    platforms = [p for p in r.platforms() if any(values.get((i, p)) for i in range(len(days)))]
    fig = _figure()
    ax = fig.add_subplot()
    width = 0.8 / max(len(platforms), 1)
    for n, platform in enumerate(platforms):
        xs = [i + (n - (len(platforms) - 1) / 2) * width for i in range(len(days))]
        ax.bar(xs, [values.get((i, platform), 0) for i in range(len(days))], width,
               label=PLATFORM_ES.get(platform, platform), color=PLATFORM_COLORS.get(platform, "#888"))
    _day_ticks(ax, days)
    ax.yaxis.set_major_formatter(FuncFormatter(_es_number))
    ax.set_ylabel("Interacciones")
    _legend_above(ax, ncols=len(platforms))
    _style(ax)
    total = sum(values.values())
    return Chart("interacciones_diarias", "Interacciones registradas por día y plataforma",
                 f"Barras por día y plataforma de las {total} interacciones registradas en el contenido del "
                 "Ministerio publicado cada día.", _png(fig))


def daily_mentions(r: WeeklyReport) -> Chart | None:
    values = r.current.daily(lambda x: x.posts, own=False)
    if not any(values.values()):
        return None
    days = r.period.days
    fig = _figure()
    ax = fig.add_subplot()
    bottom = [0] * len(days)
    for platform in r.platforms():
        heights = [values.get((i, platform), 0) for i in range(len(days))]
        ax.bar(range(len(days)), heights, 0.65, bottom=bottom, label=PLATFORM_ES.get(platform, platform),
               color=PLATFORM_COLORS.get(platform, "#888"))
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    _day_ticks(ax, days)
    ax.yaxis.set_major_formatter(FuncFormatter(_es_number))
    ax.set_ylabel("Publicaciones ciudadanas")
    _legend_above(ax, ncols=3)
    _style(ax)
    return Chart("menciones_diarias", "Menciones y comentarios recibidos por día",
                 "Barras apiladas por plataforma de las publicaciones ciudadanas recibidas cada día.", _png(fig))


def sentiment_over_time(r: WeeklyReport) -> Chart | None:
    by_day = r.current.sentiment_by_day()
    if not any(by_day.values()):
        return None
    days = r.period.days
    fig = _figure()
    ax = fig.add_subplot()
    bottom = [0] * len(days)
    for s in ("negative", "neutral", "positive", "sin_analizar"):
        heights = [by_day.get((i, s), 0) for i in range(len(days))]
        if not any(heights):
            continue
        ax.bar(range(len(days)), heights, 0.65, bottom=bottom, label=SENTIMENT_OR_UNANALYSED_ES[s],
               color=SENTIMENT_COLORS[s])
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    _day_ticks(ax, days)
    ax.yaxis.set_major_formatter(FuncFormatter(_es_number))
    ax.set_ylabel("Publicaciones ciudadanas")
    twin = ax.twinx()
    shares = []
    for i in range(len(days)):
        analysed = sum(by_day.get((i, s), 0) for s in ("negative", "neutral", "positive"))
        shares.append(100 * by_day.get((i, "negative"), 0) / analysed if analysed else float("nan"))
    twin.plot(range(len(days)), shares, color="#8b1e1e", marker="o", linewidth=1.8, label="% negativo")
    twin.set_ylim(0, 100)
    twin.set_ylabel("% negativo")
    twin.spines[["top"]].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = twin.get_legend_handles_labels()
    ax.legend(handles + h2, labels + l2, frameon=False, ncols=5, loc="lower center", bbox_to_anchor=(0.5, 1.0),
              fontsize=9)
    _style(ax)
    return Chart("sentimiento_diario", "Tono de la conversación por día",
                 "Barras apiladas de publicaciones negativas, neutrales y positivas por día, con la línea del "
                 "porcentaje negativo.", _png(fig))


def _week_bars(ax: Axes, labels: list[str], now: list[int], before: list[int] | None) -> None:
    """Horizontal bars per label: this week, and the previous one beside it when there is one."""
    ys = range(len(labels))
    ax.barh([y + 0.2 for y in ys], now, 0.4, label="Esta semana", color="#0b5cab")
    if before is not None:
        ax.barh([y - 0.2 for y in ys], before, 0.4, label="Semana anterior", color="#a9c4e6")
    ax.set_yticks(list(ys), labels)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(_es_number))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _legend_above(ax, ncols=2)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#e6e9ed", linewidth=0.8)
    ax.set_axisbelow(True)


def pqrsd_mix(r: WeeklyReport) -> Chart | None:
    now, before = r.current.categories(), r.before.categories()
    if not any(now.values()):
        return None
    cats = list(CATEGORIES)
    fig = _figure(height=3.4)
    ax = fig.add_subplot()
    _week_bars(ax, [CATEGORY_ES[c] for c in cats], [now.get(c, 0) for c in cats],
               [before.get(c, 0) for c in cats] if r.has_previous else None)
    return Chart("pqrsd", "Clasificación PQRSD: esta semana y la anterior",
                 "Barras horizontales por categoría PQRSD de esta semana y de la anterior.", _png(fig))


def response_times(r: WeeklyReport) -> Chart | None:
    groups = [("Total", r.current.responses)] + [
        (PLATFORM_ES.get(k, k), s) for k, s in r.current.responses_by_platform.items()]
    groups = [(name, s) for name, s in groups if s.answered]
    if not groups:
        return None
    fig = _figure(height=1.2 + 0.6 * len(groups))
    ax = fig.add_subplot()
    series = (("Mediana (horario hábil)", "median_business_s", "#0b5cab"),
              ("P90 (horario hábil)", "p90_business_s", "#7aa7da"),
              ("Mediana (horas corridas)", "median_s", "#e07b39"),
              ("P90 (horas corridas)", "p90_s", "#f3c09b"))
    height = 0.8 / len(series)
    for n, (label, attr, color) in enumerate(series):
        ys = [i + (n - 1.5) * height for i in range(len(groups))]
        ax.barh(ys, [hours(getattr(s, attr)) or 0 for _, s in groups], height, label=label, color=color)
    ax.set_yticks(range(len(groups)), [f"{name}\n({s.answered} respondidas)" for name, s in groups])
    ax.invert_yaxis()
    ax.set_xlabel("Horas hasta la primera respuesta")
    _legend_above(ax, ncols=4, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#e6e9ed", linewidth=0.8)
    ax.set_axisbelow(True)
    return Chart("tiempos_respuesta", "Tiempo hasta la primera respuesta del Ministerio",
                 "Barras horizontales con la mediana y el percentil 90 del tiempo de primera respuesta, en horario "
                 "hábil y en horas corridas, en total y por plataforma.", _png(fig))


def top_topics(r: WeeklyReport, limit: int = 8) -> Chart | None:
    ranked = sorted(r.current.topics().items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    if not ranked:
        return None
    fig = _figure(height=1.0 + 0.35 * len(ranked))
    ax = fig.add_subplot()
    ax.barh(range(len(ranked)), [n for _, n in ranked], 0.6, color="#5b8c5a")
    ax.set_yticks(range(len(ranked)), [r.topic_name(t) for t, _ in ranked])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(_es_number))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#e6e9ed", linewidth=0.8)
    ax.set_axisbelow(True)
    return Chart("temas", "Temas más mencionados", "Barras horizontales de los temas con más publicaciones "
                 "ciudadanas en la semana.", _png(fig))


TREND_PANELS = (("menciones_recibidas", "Menciones y comentarios", "n"), ("interacciones", "Interacciones", "n"),
                ("tono_negativo", "Tono negativo (%)", "pct"), ("pqrsd_con_respuesta", "PQRSD recibidas", "n"),
                ("tasa_respuesta", "Tasa de respuesta (%)", "pct"),
                ("mediana_primera_respuesta_h", "Mediana de primera respuesta (h)", "h"))


def weekly_trend(r: WeeklyReport) -> Chart | None:
    """Small multiples of the key indicators over the last weeks; weeks without data are shaded and named."""
    weeks = r.trend
    if sum(w.has_data for w in weeks) < 2:
        return None
    fig = _figure(height=5.2)
    axes = fig.subplots(2, 3, sharex=True)
    xs = list(range(len(weeks)))
    labels = [w.period.label.split("-")[-1] if "-W" in w.period.label else short_day(w.period.days[0])
              for w in weeks]
    missing = [i for i, w in enumerate(weeks) if not w.has_data]
    for ax, (key, title, kind) in zip(axes.flat, TREND_PANELS, strict=True):
        values = []
        for w in weeks:
            v = w.values.get(key) if w.has_data else None
            values.append(float("nan") if v is None else (100 * v if kind == "pct" else float(v)))
        for i in missing:
            ax.axvspan(i - 0.45, i + 0.45, color="#eef0f3", zorder=0)
        ax.plot(xs, values, color="#0b5cab", marker="o", markersize=3.5, linewidth=1.6)
        if not math.isnan(values[-1]):
            ax.plot([xs[-1]], [values[-1]], marker="o", markersize=6, color="#d64545", linestyle="none")
        ax.set_title(title, fontsize=9)
        if kind == "n":
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(_es_number if kind == "n" else _es_decimal))
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
        _style(ax)
    for ax in axes[-1]:
        ax.set_xticks(xs, labels, rotation=90)
    fig.supxlabel("Semana ISO · sombreado: semana sin datos almacenados · punto rojo: semana del informe",
                  fontsize=8, color="#555")
    shown = f"{len(weeks)} semanas, de {weeks[0].period.label} a {weeks[-1].period.label}"
    gap = (f"; {len(missing)} semanas sin datos almacenados aparecen sombreadas y sin punto (no como cero)"
           if missing else "")
    return Chart("tendencia_semanal", f"Tendencia de las últimas {len(weeks)} semanas",
                 f"Seis gráficos de líneas por semana ISO ({shown}): menciones y comentarios, interacciones, tono "
                 f"negativo, PQRSD recibidas, tasa de respuesta y mediana de primera respuesta; el punto rojo es la "
                 f"semana del informe{gap}.", _png(fig))


def segment_volumes(r: WeeklyReport) -> Chart | None:
    """Citizen posts per audience segment, this week next to the previous one."""
    pairs = [(now, before) for now, before in r.segments() if now.posts or before.posts]
    if not any(now.posts for now, _ in pairs):
        return None
    fig = _figure(height=1.0 + 0.42 * len(pairs))
    ax = fig.add_subplot()
    _week_bars(ax, [now.label for now, _ in pairs], [now.posts for now, _ in pairs],
               [before.posts for _, before in pairs] if r.has_previous else None)
    return Chart("segmentos", "Publicaciones ciudadanas por segmento de audiencia",
                 "Barras horizontales por segmento de audiencia de las publicaciones ciudadanas de esta semana y "
                 "de la anterior.", _png(fig))


def followers_over_time(r: WeeklyReport) -> Chart | None:
    """One small line chart per ministry account: its daily followers over the trend's weeks."""
    accounts = [a for a in r.followers if len(a.series) >= 2]
    if not accounts:
        return None
    cols = min(3, len(accounts))
    rows = math.ceil(len(accounts) / cols)
    fig = _figure(height=2.6 * rows)
    axes = fig.subplots(rows, cols, squeeze=False)
    first = r.period.days[0]
    for ax, a in zip(axes.flat, accounts, strict=False):
        xs = [(s.day - first).days for s in a.series]
        ax.plot(xs, [s.followers for s in a.series], color=PLATFORM_COLORS.get(a.platform, "#0b5cab"),
                linewidth=1.6)
        ax.axvspan(0, len(r.period.days) - 1, color="#eef0f3", zorder=0)
        ax.set_title(f"{PLATFORM_ES.get(a.platform, a.platform)} · {a.account}", fontsize=9)
        ax.yaxis.set_major_formatter(FuncFormatter(_es_number))
        ticks = sorted({x for x in xs if x % 14 == 0} | {xs[-1]})
        ax.set_xticks(ticks, [short_day(first + timedelta(days=x)) for x in ticks], rotation=90)
        ax.tick_params(labelsize=7)
        _style(ax)
    for ax in list(axes.flat)[len(accounts):]:
        ax.set_visible(False)
    fig.supxlabel("Seguidores por día · sombreado: semana del informe", fontsize=8, color="#555")
    return Chart("seguidores", "Seguidores de las cuentas del Ministerio",
                 "Un gráfico de líneas por cuenta con sus seguidores diarios de las últimas semanas; la semana del "
                 "informe aparece sombreada.", _png(fig))

# --- the map of the "Regiones" section --------------------------------------------------------------------

MAP_MAX_AREA = 2400.0  # points² of the largest department's circle
MAP_MIN_AREA = 14.0  # a single post stays visible
MAP_LABELS = 8  # departments named on the map, most placed posts first
SAN_ANDRES = "88"  # the archipelago, 700 km off the mainland: drawn in an inset
MAINLAND = (-79.6, -66.4, -4.7, 12.7)  # lon/lat limits of the mainland's municipal seats, with a margin
INSET = (-82.0, -81.0, 12.2, 13.7)  # San Andrés (12.58 N) and Providencia (13.37 N)
NO_TONE_COLOR = "#b8bec6"  # a department whose placed posts are not analysed yet


def _circle_area(posts: int, largest: int) -> float:
    """Circle area (points²) proportional to the posts, the largest department at MAP_MAX_AREA."""
    return max(MAP_MAX_AREA * posts / largest, MAP_MIN_AREA) if largest else 0.0


def _nice(value: float) -> int:
    """1, 2, 5, 10, 20, 50, … at or below `value` (round numbers for the size legend)."""
    if value < 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return int(max(m for m in (1, 2, 5, 10) if m * power <= value) * power)


def _equal_aspect(ax: Axes, lat: float) -> None:
    """A degree of longitude is cos(lat) of a degree of latitude: equal distances look equal."""
    ax.set_aspect(1 / math.cos(math.radians(lat)))


def _place_labels(fig: Figure, ax: Axes, points: list[tuple[float, float, float, str]]) -> None:
    """Name the given (lon, lat, circle area, text) beside their circles, trying right, left, above and below,
    skipping a label that would cover another one (the table lists every department anyway)."""
    fig.draw_without_rendering()  # the final layout, so display positions are right
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    taken: list[object] = []
    for lon, lat, area, text in points:
        r = math.sqrt(area / math.pi) + 3
        for dx, dy, ha, va in ((r, 0, "left", "center"), (-r, 0, "right", "center"), (0, r, "center", "bottom"),
                               (0, -r, "center", "top")):
            label = ax.annotate(text, (lon, lat), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                                fontsize=8, color="#1f2328", zorder=5,
                                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
            label.set_in_layout(False)
            box = label.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in taken):  # type: ignore[attr-defined]
                taken.append(box)
                break
            label.remove()


def _tone_words(share: float | None) -> str:
    return "sin analizar" if share is None else f"{round(100 * share)} % negativo"


def region_map(s: RegionSection) -> Chart | None:
    """Proportional circles at the departments' capitals (area: placed posts; colour: negative share) over a
    light dot at every municipal seat, which draws the country without any map tiles. San Andrés in an inset."""
    if not s.has_data:
        return None
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    cmap, norm = colormaps["YlOrRd"], Normalize(0, 100)
    shown = [d for d in s.departments if d.lat is not None and d.lon is not None]
    largest = max((d.posts for d in shown), default=0)
    fig = _figure(width=7.6, height=8.4)
    ax = fig.add_subplot()
    lon0, lon1, lat0, lat1 = MAINLAND
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    _equal_aspect(ax, (lat0 + lat1) / 2)
    ax.set_axis_off()
    inset = ax.inset_axes((0.0, 0.82, 0.17, 0.18))
    inset.set_xlim(*INSET[:2])
    inset.set_ylim(*INSET[2:])
    _equal_aspect(inset, 13.0)
    inset.set_xticks([])
    inset.set_yticks([])
    for spine in inset.spines.values():
        spine.set_color("#9aa5b1")
    islands = next((d.posts for d in s.departments if d.code == SAN_ANDRES), 0)
    inset.set_title(f"San Andrés y Providencia ({_es_number(islands)})", fontsize=7, color="#57606a")
    for target in (ax, inset):
        target.scatter([x for x, _ in s.seats], [y for _, y in s.seats], s=4, color="#c4cbd3", linewidths=0,
                       zorder=1)

    def colour(d: object) -> object:
        share = d.negative_share  # type: ignore[attr-defined]
        return NO_TONE_COLOR if share is None else cmap(norm(100 * share))

    for d in sorted(shown, key=lambda d: -d.posts):  # the big circles first, so the small stay on top
        target = inset if d.code == SAN_ANDRES else ax
        target.scatter([d.lon], [d.lat], s=_circle_area(d.posts, largest), color=colour(d), edgecolors="#5c3b1e",
                       linewidths=0.6, alpha=0.85, zorder=3)
    sizes = sorted({largest, _nice(largest / 4), _nice(largest / 16)}, reverse=True)  # the largest as it is
    handles = [ax.scatter([], [], s=_circle_area(n, largest), color="white", edgecolors="#5c3b1e", linewidths=0.6,
                          label=f"{_es_number(n)} {'publicación' if n == 1 else 'publicaciones'}") for n in sizes]
    ax.legend(handles=handles, title="Publicaciones ubicadas", loc="lower left", frameon=False, fontsize=8,
              title_fontsize=8, labelspacing=2.6, borderpad=1.6, handletextpad=2.6)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, location="right", shrink=0.45, pad=0.02)
    bar.set_label("Tono negativo (% de las analizadas; gris: sin analizar)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0f} %"))
    mainland = [d for d in shown if d.code != SAN_ANDRES][:MAP_LABELS]
    _place_labels(fig, ax, [(d.lon, d.lat, _circle_area(d.posts, largest), f"{d.name} ({_es_number(d.posts)})")
                            for d in mainland])  # type: ignore[misc]
    top = "; ".join(f"{d.name}: {_es_number(d.posts)} ({_tone_words(d.negative_share)})" for d in s.departments[:5])
    return Chart("mapa_regiones", "Dónde se origina la conversación ciudadana",
                 f"Mapa de Colombia con un círculo por departamento, en su capital, de área proporcional a sus "
                 f"publicaciones ciudadanas ubicadas ({_es_number(s.placed)} en total, en {len(s.departments)} "
                 f"departamentos; {_es_number(s.unplaced)} sin ubicación) y color según el porcentaje negativo, "
                 f"sobre puntos grises en las cabeceras de los municipios. San Andrés y Providencia en un recuadro. "
                 f"Los de más publicaciones: {top}.", _png(fig))


# --- campaigns ----------------------------------------------------------------------------------------------

CAMPAIGN_PANELS = 6  # campaigns drawn (the most active first); the tables list them all


def campaign_days(figures: Sequence[CampaignFigures], key: str, title: str) -> Chart | None:
    """One small panel per campaign with posts: interactions per day (bars, left axis) and citizen mentions per
    day (line, right axis), so a campaign's launch and its echo read side by side."""
    active = sorted((f for f in figures if f.has_posts), key=lambda f: (-(f.interactions + f.mentions),
                                                                        f.campaign.name))[:CAMPAIGN_PANELS]
    if not active:
        return None
    cols = min(2, len(active))
    rows = math.ceil(len(active) / cols)
    fig = _figure(height=2.7 * rows)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, f in zip(axes.flat, active, strict=False):
        daily = f.daily()
        xs = range(len(daily))
        ax.bar(xs, [d.interactions for d in daily], 0.7, color="#0b5cab", label="Interacciones")
        ax.set_ylim(0, max(1, max(d.interactions for d in daily)) * 1.05)  # an axis from 0 even with no bar
        ax.yaxis.set_major_formatter(FuncFormatter(_es_number))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        twin = ax.twinx()
        twin.plot(xs, [d.mentions for d in daily], color="#e07b39", marker="o" if len(daily) <= 31 else None,
                  markersize=3, linewidth=1.5, label="Menciones ciudadanas")
        twin.yaxis.set_major_locator(MaxNLocator(integer=True))
        twin.set_ylim(bottom=0)
        twin.spines[["top"]].set_visible(False)
        twin.tick_params(labelsize=7)
        _day_ticks(ax, [d.day for d in daily])
        ax.tick_params(axis="x", labelsize=7, rotation=90)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(f"{f.campaign.name} · {f.own_posts} "
                     f"{'publicación propia' if f.own_posts == 1 else 'publicaciones propias'}", fontsize=9)
        _style(ax)
    for ax in list(axes.flat)[len(active):]:
        ax.set_visible(False)
    fig.supxlabel("Barras azules: interacciones (eje izquierdo) · línea naranja: menciones ciudadanas (eje derecho)",
                  fontsize=8, color="#555")
    names = ", ".join(f.campaign.name for f in active)
    return Chart(key, title, f"Un gráfico por campaña ({names}) con las interacciones por día en barras y las "
                 "menciones ciudadanas por día en una línea.", _png(fig))


def campaign_activity(r: WeeklyReport) -> Chart | None:
    if r.campaigns is None:
        return None
    return campaign_days(r.campaigns.campaigns, "campanas_diarias", "Actividad diaria de las campañas")


def all_charts(r: WeeklyReport) -> dict[str, Chart]:
    """Every chart that has data, by key."""
    charts = [f(r) for f in (weekly_trend, daily_interactions, campaign_activity, followers_over_time, daily_mentions,
                             segment_volumes, sentiment_over_time, pqrsd_mix, response_times, top_topics)]
    charts.append(region_map(r.regions) if r.regions is not None else None)
    return {c.key: c for c in charts if c is not None}

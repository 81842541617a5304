"""The weekly summary (first version: key counts as Markdown and CSV).

The full report (indicators, charts, HTML/PDF, Slack upload) replaces this in the indicators/report issue;
the schedule, the command and the "build once per week" rule already work with this version.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import func, select

from storage.models import AnalysisRow, IncidentRow, PostRow

if TYPE_CHECKING:
    from bot.bootstrap import Services

log = structlog.get_logger("vigia.reports")


@dataclass(frozen=True)
class WeekRange:
    label: str
    start: datetime  # local midnight Monday, aware
    end: datetime  # next Monday


def parse_week(label: str, tz: object) -> WeekRange:
    try:
        year_s, week_s = label.split("-W")
        monday = date.fromisocalendar(int(year_s), int(week_s), 1)
    except ValueError:
        raise ValueError(f"week {label!r} must look like 2026-W47 (ISO year, 'W', ISO week)") from None
    start = datetime.combine(monday, time(0, 0), tzinfo=tz)  # type: ignore[arg-type]
    return WeekRange(f"{int(year_s)}-W{int(week_s):02d}", start, start + timedelta(days=7))


def previous_week_label(now: datetime, tz: object) -> str:
    local = now.astimezone(tz) - timedelta(days=7)  # type: ignore[arg-type]
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def write_weekly_summary(svc: Services, week: str, *, force: bool = False,
                         out_dir: Path | None = None) -> Path | None:
    """Write `resumen.md` and `indicadores.csv` for an ISO week; built once unless `force`."""
    rng = parse_week(week, svc.config.tz)
    target = (out_dir or svc.config.report.out_dir) / rng.label
    marker = target / "resumen.md"
    if marker.exists() and not force:
        log.info("report already built", week=rng.label, path=str(marker))
        return None
    rows: list[tuple[str, str, int]] = []
    with svc.uow() as uow:
        session = uow.session
        assert session is not None
        in_week = (PostRow.created_at >= rng.start, PostRow.created_at < rng.end)
        citizen = (*in_week, PostRow.is_own.is_(False))
        for platform, kind, n in session.execute(
            select(PostRow.platform, PostRow.kind, func.count()).where(*in_week)
            .group_by(PostRow.platform, PostRow.kind).order_by(PostRow.platform, PostRow.kind)
        ):
            rows.append(("publicaciones", f"{platform}/{kind}", n))
        for column, section in ((AnalysisRow.sentiment, "sentimiento"), (AnalysisRow.category, "categoria")):
            for value, n in session.execute(
                select(column, func.count()).join(PostRow, PostRow.id == AnalysisRow.post_id)
                .where(*citizen).group_by(column).order_by(column)
            ):
                rows.append((section, value, n))
        interactions = session.execute(
            select(*(func.coalesce(func.sum(getattr(PostRow, m)), 0) for m in
                     ("likes", "reposts", "replies", "quotes", "reactions", "comments", "shares", "saves")))
            .where(*in_week, PostRow.is_own.is_(True))
        ).one()
        rows.append(("interacciones", "total publicaciones propias", int(sum(interactions))))
        incidents = session.scalar(
            select(func.count()).select_from(IncidentRow)
            .where(IncidentRow.opened_at >= rng.start, IncidentRow.opened_at < rng.end)
        ) or 0
        rows.append(("incidentes", "abiertos en la semana", incidents))
    target.mkdir(parents=True, exist_ok=True)
    with (target / "indicadores.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["seccion", "indicador", "valor"])
        writer.writerows(rows)
    total = sum(n for section, _, n in rows if section == "publicaciones")
    lines = [
        f"# Resumen semanal Vigía — semana {rng.label}",
        "",
        f"Del {rng.start:%d/%m/%Y} al {(rng.end - timedelta(days=1)):%d/%m/%Y} (hora de Colombia).",
        "",
        "Versión preliminar: conteos básicos; el informe completo con indicadores y gráficos llega en una "
        "próxima versión.",
        "",
    ]
    if total == 0:
        lines.append("**No hay publicaciones registradas para esta semana.**")
    lines += ["| sección | indicador | valor |", "|---|---|---|"]
    lines += [f"| {s} | {i} | {n} |" for s, i, n in rows]
    marker.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log.info("report built", week=rng.label, path=str(target), posts=total)
    return target

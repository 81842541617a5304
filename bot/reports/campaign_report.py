"""`report --campaign NAME`: one campaign over its whole life (or the days asked), as files on disk.

The same figures as the weekly report's "Campañas" section (bot/reports/model/campaigns.py) over the
campaign's dates: from its first day to its last, or to today while it runs; `--from`/`--to` narrow (or widen)
them. Written like the weekly report: one self-contained HTML and one CSV per table (UTF-8 with BOM), into
`<report.out_dir>/campana-<id>/` (`campana-<id>_<from>_<to>/` when narrowed), atomically. Nothing is posted
to Slack: a campaign report is asked for by a person, who gets the folder.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from bot.reports.charts import Chart, campaign_days
from bot.reports.html import render_campaign_html
from bot.reports.model import Table, days_period
from bot.reports.model.campaign_tables import daily_table, posts_table, summary_table, weekly_table
from bot.reports.model.campaigns import CampaignReport, build_campaign_report, campaign_life
from bot.reports.weekly import _replace, write_tables
from storage import campaign_indicators as ci

if TYPE_CHECKING:
    from bot.services import Services

log = structlog.get_logger("vigia.reports")


class UnknownCampaign(LookupError):
    """No campaign has that id or name; `known` lists (id, name) of those that exist."""

    def __init__(self, name: str, known: list[tuple[str, str]]):
        self.name, self.known = name, known
        listed = ", ".join(f"{cid} ({cname})" for cid, cname in known)
        super().__init__(f"campaña «{name}» desconocida. " + (
            f"Campañas conocidas: {listed}" if known else
            "No hay campañas definidas: configúrelas en config.yaml (campaigns:) o en la página de campañas"))


@dataclass
class CampaignOutcome:
    report: CampaignReport
    target: Path
    files: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # time per step, for the benchmark


def campaign_tables(r: CampaignReport) -> list[Table]:
    """The campaign report's tables, one CSV each: the summary row (the columns of the weekly `campanas.csv`),
    day by day, week by week, and its best own and citizen posts."""
    f = [r.figures]
    return [
        summary_table("campana", f"Campaña {r.figures.campaign.name}", f,
                      "Una fila con las mismas columnas que campanas.csv del informe semanal, sobre el periodo del "
                      "informe de la campaña."),
        daily_table("campana_diaria", "Actividad diaria de la campaña", f),
        weekly_table("campana_semanal", "Actividad por semana de la campaña", f),
        posts_table("campana_publicaciones", "Publicaciones con más interacciones", f, r.period.tz),
    ]


def campaign_charts(r: CampaignReport) -> dict[str, Chart]:
    chart = campaign_days([r.figures], "campana_diaria", "Actividad diaria de la campaña")
    return {chart.key: chart} if chart else {}


def write_campaign_report(svc: Services, name: str, *, first: date | None = None, last: date | None = None,
                          out_dir: Path | None = None) -> CampaignOutcome:
    """Compute the campaign's figures and write its HTML and CSVs; UnknownCampaign when no campaign matches,
    ValueError for a range that ends before it starts."""
    clock = _time.perf_counter
    started = clock()
    tz = svc.config.tz
    as_of = svc.clock()
    with svc.uow() as uow:
        assert uow.session is not None
        found = ci.find_campaign(uow.session, name)
        if found is None:
            raise UnknownCampaign(name, [(c.id, c.name) for c, _ in ci.stored_campaigns(uow.session)])
        campaign, archived = found
        start, end = campaign_life(campaign, as_of.astimezone(tz).date(), first, last)
        narrowed = first is not None or last is not None
        if end < start:
            raise ValueError(f"el periodo pedido termina el {end.isoformat()}, antes de empezar el "
                             f"{start.isoformat()}: revise --from y --to (la campaña va "
                             f"del {campaign.starts_on.isoformat()} al "
                             f"{campaign.ends_on.isoformat() if campaign.ends_on else 'día de hoy'})")
        period = days_period(start, end, tz, label=f"campana-{campaign.id}")
        report = build_campaign_report(uow.session, campaign, archived, period, as_of, narrowed=narrowed)
    seconds = {"indicators": clock() - started}
    step = clock()
    charts = campaign_charts(report)
    tables = campaign_tables(report)
    seconds["charts"] = clock() - step
    step = clock()
    folder = f"campana-{campaign.id}" + (f"_{start.isoformat()}_{end.isoformat()}" if narrowed else "")
    target = Path(out_dir or svc.config.report.out_dir) / folder
    target.mkdir(parents=True, exist_ok=True)
    html = target / f"informe-campana-{campaign.id}.html"
    _replace(html, render_campaign_html(report, charts, tables, generated_at=datetime.now(UTC)).encode("utf-8"))
    files = [html, *write_tables(tables, target, tz)]
    seconds["html_csv"] = clock() - step
    seconds["total"] = clock() - started
    log.info("campaign report built", campaign=campaign.id, path=str(target), days=len(period.days),
             has_data=report.has_data, seconds=round(seconds["total"], 2))
    return CampaignOutcome(report, target, files, seconds)

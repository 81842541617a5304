"""The weekly report: build the files of an ISO week, then post them to Slack, each exactly once.

`write_weekly_summary` is the entry point of the scheduler's Monday job (through
`handlers.build_weekly_report`), of `demo` and of the `report` command. For a week it
1. builds, unless already built: the indicators (bot/reports/model/), the charts, the self-contained HTML,
   the PDF when Chromium is installed, and one CSV per indicator table, in `<out_dir>/<YYYY-Www>/`;
2. posts, when Slack is configured and it was not posted yet: the summary message and, in its thread, the
   HTML and PDF (bot/reports/slack.py).
`report_runs` records both steps, so a restart or a second run posts nothing twice; `force` rebuilds and
posts again. A Slack post cut off by a crash is found again by its reference line before re-posting.
"""

from __future__ import annotations

import csv
import json
import os
import time as _time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from sqlalchemy import select

from bot.config import business_calendar, segmenter
from bot.reports.charts import all_charts
from bot.reports.html import render_html, render_pdf
from bot.reports.model import (
    TREND_WEEKS,
    Period,
    Table,
    WeeklyReport,
    build_report,
    report_tables,
    week_period,
)
from bot.reports.slack import ReportDeliveryError, ReportPoster, Upload, summary_message
from bot.spreadsheet import safe_cell
from domain import Alert
from storage.models import ReportRunRow

if TYPE_CHECKING:
    from bot.services import Services

log = structlog.get_logger("vigia.reports")



def parse_week(label: str, tz: object) -> Period:
    """`2026-W47` → the local week (kept for callers of the first version)."""
    return week_period(label, tz)  # type: ignore[arg-type]


def previous_week_label(now: datetime, tz: object) -> str:
    local = now.astimezone(tz) - timedelta(days=7)  # type: ignore[arg-type]
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def _csv_value(value: Any, kind: str, tz: Any) -> Any:
    """Machine-readable cells: ISO dates, percentages as numbers 0–100, rounded decimals, empty for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if kind == "pct" and isinstance(value, int | float):
        return round(100 * value, 2)
    if isinstance(value, float):
        return round(value, 3)
    return value


def _replace(path: Path, data: bytes) -> None:
    """Write atomically: readers (and Slack uploads) never see half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_tables(tables: list[Table], target: Path, tz: Any) -> list[Path]:
    """One CSV per table (UTF-8 with BOM so spreadsheet programs read the accents; percentages 0–100).

    Text from citizens (posts, names, links) goes through `safe_cell`: never a formula or a script link.
    """
    paths = []
    for table in tables:
        path = target / f"{table.key}.csv"
        lines: list[list[Any]] = [[c.name + (" (%)" if c.kind == "pct" and "%" not in c.name else "")
                                   for c in table.columns]]
        lines += [[safe_cell(_csv_value(v, c.kind, tz)) for v, c in zip(row, table.columns, strict=True)]
                  for row in table.rows]
        tmp = path.with_name(f".{path.name}.tmp")
        with tmp.open("w", newline="", encoding="utf-8-sig") as fh:
            csv.writer(fh).writerows(lines)
        os.replace(tmp, path)
        paths.append(path)
    return paths


@dataclass
class BuiltReport:
    report: WeeklyReport
    target: Path
    html: Path
    pdf: Path | None
    csv: list[Path]
    built_at: datetime
    seconds: dict[str, float] = field(default_factory=dict)  # time per step, for the benchmark

    @property
    def files(self) -> list[Path]:
        return [self.html, *([self.pdf] if self.pdf else []), *self.csv]


def build_files(svc: Services, period: Period, target: Path, *, pdf: bool | None = None,
                frozen: dict[str, Any] | None = None) -> BuiltReport:
    """Compute the indicators and write HTML, PDF (if possible) and CSVs into `target`.

    The previous week is compared with the figures its own report gave (its `report_runs.summary`) when it
    was built; `frozen` (this week's stored summary) rebuilds the files with the figures it gave then.
    """
    config = svc.config
    clock = _time.perf_counter
    seconds: dict[str, float] = {}
    started = clock()
    as_of = svc.clock()
    with svc.uow() as uow:
        assert uow.session is not None
        earlier, labels = period, []
        for _ in range(TREND_WEEKS - 1):
            earlier = earlier.previous()
            labels.append(earlier.label)
        history = {row.week: dict(row.summary or {}) for row in
                   uow.session.scalars(select(ReportRunRow).where(ReportRunRow.week.in_(labels))) if row.built_at}
        report = build_report(uow.session, period, as_of, business_calendar(config),
                              previous_summary=history.get(period.previous().label), frozen=frozen,
                              history=history, segments=segmenter(config).segments)
    seconds["indicators"] = clock() - started
    step = clock()
    charts = all_charts(report)
    tables = report_tables(report)
    seconds["charts"] = clock() - step
    step = clock()
    target.mkdir(parents=True, exist_ok=True)
    built_at = datetime.now(UTC)
    html = target / f"informe-{period.label}.html"
    _replace(html, render_html(report, charts, tables, generated_at=built_at,
                               inbox_url=config.web.public_url.rstrip("/") + "/inbox").encode("utf-8"))
    csv_paths = write_tables(tables, target, period.tz)
    seconds["html_csv"] = clock() - step
    pdf_path: Path | None = None
    want_pdf = config.report.pdf if pdf is None else pdf
    if want_pdf:
        step = clock()
        candidate = target / f"informe-{period.label}.pdf"
        tmp = candidate.with_name(f".{candidate.name}.tmp.pdf")
        if render_pdf(html, tmp):
            os.replace(tmp, candidate)
            pdf_path = candidate
        else:
            tmp.unlink(missing_ok=True)
        seconds["pdf"] = clock() - step
    seconds["total"] = clock() - started
    log.info("report built", week=period.label, path=str(target), posts=report.current.posts,
             has_data=report.has_data, pdf=pdf_path is not None, seconds=round(seconds["total"], 2))
    return BuiltReport(report, target, html, pdf_path, csv_paths, built_at, seconds)


# --- the once-per-week bookkeeping -------------------------------------------------------------------------


@dataclass
class ReportOutcome:
    week: str
    target: Path
    built: bool = False  # files written by this call
    posted: bool = False  # Slack delivery completed by this call
    already_posted: bool = False
    slack: str = "not configured"  # not configured | disabled | posted | already posted | failed | webhook
    files: list[Path] = field(default_factory=list)
    slack_ref: str | None = None
    error: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)


def _marker(week: str, built_at: datetime) -> str:
    return f"informe:{week}:{int(built_at.timestamp())}"


def _files_note(slack_kind: str, built: BuiltReport) -> str:
    names = "HTML y PDF" if built.pdf else "HTML (sin PDF: no hay motor de PDF instalado)"
    if slack_kind == "webhook":
        return f"Informe completo en {built.target} ({names} y CSV)"
    return f"Informe completo en este hilo ({names}); tablas CSV en {built.target}"


def run_weekly_report(svc: Services, week: str, *, force: bool = False, out_dir: Path | None = None,
                      slack: bool = True) -> ReportOutcome:
    """Build (once) and post (once) the report of ISO `week`; see the module docstring."""
    period = week_period(week, svc.config.tz)
    target = Path(out_dir or svc.config.report.out_dir) / period.label
    outcome = ReportOutcome(period.label, target)
    sink = svc.sinks.get("slack") if slack else None
    client = getattr(sink, "client", None)
    slack_kind = "disabled" if not slack else ("token" if isinstance(client, WebClient) else
                                               "webhook" if client is not None else "none")
    with svc.uow() as uow:
        assert uow.session is not None
        row = uow.session.get(ReportRunRow, period.label)
        recorded = [target / name for name in (row.files if row else [])]
        up_to_date = bool(row and row.built_at and recorded and all(p.exists() for p in recorded)
                          and _stamp_matches(target, row.built_at))
        if force or not up_to_date:
            # Files missing or another database's: rebuilt with the figures this week's report gave then
            # (its stored moment and key figures), unless asked to recompute (--force).
            stored = dict(row.summary or {}) if row is not None and row.built_at else {}
            frozen = stored if not force and stored.get("has_data") and stored.get("as_of") and stored.get(
                "kpis") else None
            built = build_files(svc, period, target, frozen=frozen)
            _write_stamp(target, built.built_at)
            message = summary_message(built.report, _marker(period.label, built.built_at),
                                      files_note=_files_note(slack_kind, built))
            if row is None:
                row = ReportRunRow(week=period.label)
                uow.session.add(row)
            row.built_at = built.built_at
            row.files = [p.name for p in built.files]
            row.summary = {**built.report.summary(), "slack": message,
                           "uploads": [p.name for p in (built.html, built.pdf) if p is not None]}
            if force and slack_kind in ("token", "webhook"):
                row.posted_at, row.slack_ref = None, None  # asked to post again
            uow.commit()
            outcome.built = True
            outcome.files = built.files
        else:
            log.info("report already built", week=period.label, path=str(target))
            outcome.files = recorded
        outcome.summary = dict(row.summary or {})
    if slack_kind in ("disabled", "none"):
        outcome.slack = "disabled" if slack_kind == "disabled" else "not configured"
        return outcome
    _publish(svc, period.label, target, client, slack_kind, outcome)
    return outcome


STAMP = ".vigia-report.json"


def _write_stamp(target: Path, built_at: datetime) -> None:
    """Which build wrote the files in `target`: another database writing the same folder changes it."""
    _replace(target / STAMP, json.dumps({"built_at": built_at.isoformat()}).encode())


def _stamp_matches(target: Path, built_at: datetime) -> bool:
    """The files on disk are the ones this database's report run built (not another database's)."""
    try:
        stamp = json.loads((target / STAMP).read_text(encoding="utf-8"))
        return datetime.fromisoformat(stamp["built_at"]) == built_at
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _publish(svc: Services, week: str, target: Path, client: Any, kind: str, outcome: ReportOutcome) -> None:
    with svc.uow() as uow:
        assert uow.session is not None
        row = uow.session.get(ReportRunRow, week)
        assert row is not None
        if row.posted_at is not None:
            outcome.slack, outcome.already_posted, outcome.slack_ref = "already posted", True, row.slack_ref
            log.info("report already posted", week=week, ref=row.slack_ref)
            return
        message = dict(row.summary["slack"])
        uploads = [Upload(target / name, "Informe semanal (PDF)" if name.endswith(".pdf") else
                          "Informe semanal (HTML)") for name in row.summary.get("uploads", [])]
        svc.fence.guard(uow.session)  # hot standby: only the current leader posts (epoch held to the next commit)
        try:
            if kind == "webhook":
                response = client.send(text=message["text"], blocks=message["blocks"], unfurl_links=False)
                if response.status_code != 200:
                    raise ReportDeliveryError(f"webhook answered HTTP {response.status_code}")
                row.slack_ref = "webhook"
            else:
                _post_with_token(uow, row, ReportPoster(client, svc.config.report.slack_channel,
                                                      getattr(svc.sinks.get("slack"), "directory", None)), message,
                                 uploads, week)
            row.posted_at = datetime.now(UTC)
            uow.commit()
        except (ReportDeliveryError, SlackClientError, OSError) as exc:
            uow.commit()  # keep the progress made (message posted, its reference) for the retry
            outcome.slack, outcome.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
            log.error("report not posted to Slack", week=week, error=outcome.error)
            _tell_operators(svc, week, outcome.error)
            return
        outcome.slack = "webhook" if kind == "webhook" else "posted"
        outcome.posted, outcome.slack_ref = True, row.slack_ref
        log.info("report posted to Slack", week=week, ref=row.slack_ref)


def _post_with_token(uow: Any, row: ReportRunRow, poster: ReportPoster, message: dict[str, Any],
                     uploads: list[Upload], week: str) -> None:
    """Summary first (found again if an earlier attempt was cut off), then the files in its thread."""
    ref = row.slack_ref
    if ref and ref.startswith("sending|"):
        _, channel, since = ref.split("|", 2)
        ref = poster.find_summary(channel, message["marker"], float(since) - 60)
        if ref:
            log.info("report message found already posted", week=week, ref=ref)
    if not ref or ref.startswith("sending|"):
        channel = poster.resolve_channel()
        row.slack_ref = f"sending|{channel}|{datetime.now(UTC).timestamp():.0f}"
        uow.commit()  # marked before the attempt: a crash now is recovered by the search above
        ref = poster.post_summary(channel, message)
    row.slack_ref = ref
    uow.commit()
    present = [u for u in uploads if u.path.exists()]
    if present:
        poster.upload(ref, present, "Informe completo de la semana; las tablas CSV quedan en la carpeta del informe.")


def _tell_operators(svc: Services, week: str, error: str) -> None:
    """Queue an operational alert (console, file and whatever else is configured)."""
    now = svc.clock()
    alert = Alert(key=f"ops:report:{week}:{int(datetime.now(UTC).timestamp())}", kind="operational",
                  severity="aviso", channel="ops", title=f"No se pudo publicar el informe semanal {week} en Slack",
                  body=f"{error}\nLos archivos del informe están en disco; vuelva a intentarlo con "
                       f"`python main.py report --week {week}` (no se publica dos veces).",
                  created_at=now, details={"week": week})
    try:
        with svc.uow() as uow:
            for sink in svc.sinks_for("ops"):
                uow.alerts.add(alert, sink.name)
            uow.commit()
    except Exception as exc:  # the report itself is done; never fail it over the notice
        log.warning("could not queue the report failure alert", error=type(exc).__name__)


def write_weekly_summary(svc: Services, week: str, *, force: bool = False, out_dir: Path | None = None,
                         slack: bool = True) -> Path | None:
    """Build and post the week's report (once each); the report folder, or None when nothing was left to do."""
    outcome = run_weekly_report(svc, week, force=force, out_dir=out_dir, slack=slack)
    return outcome.target if (outcome.built or outcome.posted) else None

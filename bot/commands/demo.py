"""`demo`: the whole pipeline over the bundled synthetic week, on a simulated clock, then a summary.

The replay runs in 15-minute steps of simulated time: every stream is polled, new posts are stored and
analysed, the spike detector closes the buckets that ended, and alerts go to the console and a local outbox
file. It uses its own fresh SQLite database under `var/demo/` so it can be run again and again.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, select

from bot import events, labels
from bot.alerts.incidents import local_es
from bot.alerts.sinks import ConsoleSink, FileSink
from bot.alerts.spike_keys import describe_key
from bot.bootstrap import bootstrap, build_engine, sample_week_start
from bot.clock import ManualClock
from bot.config import Config
from bot.reports.html import find_chromium
from bot.reports.weekly import write_weekly_summary
from storage.models import AnalysisRow, IncidentRow, PostRow


@dataclass
class DemoSummary:
    posts: int = 0
    analysed: int = 0
    rejected: int = 0
    by_platform: dict[str, int] = field(default_factory=dict)
    sentiment: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    incidents: list[dict[str, object]] = field(default_factory=list)
    alerts: int = 0
    outbox_file: Path | None = None
    report_dir: Path | None = None
    seconds: float = 0.0


def _last_post_time(path: Path) -> datetime:
    """The sample file is sorted by time: its last line is the end of the replay."""
    last = None
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                last = line
    return datetime.fromisoformat(json.loads(last)["created_at"]) if last else datetime.now()


def run_demo(config: Config, out_dir: Path = Path("var/demo"), *, stream: TextIO | None = None,
             step: timedelta = timedelta(minutes=15)) -> DemoSummary:
    started = time.perf_counter()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    sample = config.connectors.sample
    config = config.model_copy(update={
        "connectors": config.connectors.model_copy(update={
            "sample": sample.model_copy(update={"enabled": True}),
            "x": config.connectors.x.model_copy(update={"enabled": False}),
            "facebook": config.connectors.facebook.model_copy(update={"enabled": False}),
            "instagram": config.connectors.instagram.model_copy(update={"enabled": False}),
        }),
        "alerts": config.alerts.model_copy(update={"outbox_file": out_dir / "outbox" / "alerts.jsonl"}),
        "report": config.report.model_copy(update={"out_dir": out_dir / "reports"}),
    })
    engine = build_engine(f"sqlite:///{out_dir / 'demo.db'}")
    start = sample_week_start(sample.path, config.tz)
    end = _last_post_time(sample.path) + timedelta(minutes=config.spikes.bucket_minutes * 4) \
        + timedelta(seconds=config.alerts.bucket_close_delay_seconds)
    clock = ManualClock(start)
    sinks = {"console": ConsoleSink(stream), "file": FileSink(config.alerts.outbox_file)}
    bus = bootstrap(config, engine=engine, clock=clock, sinks=sinks)
    streams = sorted(bus.services.connectors)
    bus.handle(events.EvaluateSpikes(clock()))  # start the detectors at the beginning of the week
    while clock() <= end:
        clock.advance(step)
        for name in streams:
            bus.handle(events.PollStream(name))
        bus.handle(events.EvaluateSpikes(clock()))
    bus.handle(events.AnalyzePending())
    bus.handle(events.FlushOutbox(clock()))
    year, week, _ = start.isocalendar()
    report_dir = write_weekly_summary(bus.services, f"{year}-W{week:02d}", force=True)
    summary = _summarise(bus.services.uow, config)
    summary.outbox_file = config.alerts.outbox_file
    summary.report_dir = report_dir
    summary.seconds = time.perf_counter() - started
    engine.dispose()
    return summary


def _summarise(make_uow, config: Config) -> DemoSummary:  # type: ignore[no-untyped-def]
    s = DemoSummary()
    with make_uow() as uow:
        session = uow.session
        s.posts = uow.posts.count()
        s.rejected = uow.rejected.count()
        s.analysed = session.scalar(select(func.count()).select_from(AnalysisRow)) or 0
        s.by_platform = dict(session.execute(
            select(PostRow.platform, func.count()).group_by(PostRow.platform)).all())
        citizen = select(AnalysisRow).join(PostRow, PostRow.id == AnalysisRow.post_id).where(
            PostRow.is_own.is_(False)).subquery()
        s.sentiment = dict(Counter(dict(session.execute(
            select(citizen.c.sentiment, func.count()).group_by(citizen.c.sentiment)).all())))
        s.categories = dict(session.execute(
            select(citizen.c.category, func.count()).group_by(citizen.c.category)).all())
        for inc in session.scalars(select(IncidentRow).order_by(IncidentRow.id)):
            s.incidents.append({
                "id": inc.id, "opened_at": inc.opened_at.astimezone(config.tz),
                "closed_at": inc.closed_at.astimezone(config.tz) if inc.closed_at else None,
                "level": inc.level, "keys": list(inc.keys),
            })
        s.alerts = len({row.key for row in uow.alerts.all()})
    return s




def _lower(names: dict[str, str]) -> dict[str, str]:
    return {code: name.lower() for code, name in names.items()}


def _pdf_line(report_dir: Path) -> str:
    pdfs = sorted(report_dir.glob("*.pdf"))
    if pdfs:
        return f"PDF: {pdfs[0]}"
    if find_chromium() is None:
        return "PDF: no generado (no hay Chromium instalado: `apt-get install chromium`)"
    return "PDF: no generado (desactivado con report.pdf: false, o Chromium falló: vea el registro)"


def print_summary(s: DemoSummary, out: TextIO) -> None:
    def share(counts: dict[str, int], names: dict[str, str]) -> str:
        total = sum(counts.values()) or 1
        return ", ".join(f"{names.get(k, k)} {v} ({100 * v / total:.0f}%)"
                         for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))

    print("=" * 72, file=out)
    print("Resumen de la demostración de Vigía (semana de muestra SINTÉTICA)", file=out)
    print("=" * 72, file=out)
    print(f"Publicaciones almacenadas: {s.posts} ({share(s.by_platform, labels.PLATFORM_ES)})", file=out)
    print(f"Analizadas: {s.analysed}; cargas rechazadas y guardadas aparte: {s.rejected}", file=out)
    print(f"Sentimiento de la ciudadanía: {share(s.sentiment, _lower(labels.SENTIMENT_ES))}", file=out)
    print(f"Categorías PQRSD: {share(s.categories, _lower(labels.CATEGORY_ES))}", file=out)
    print(f"Incidentes de crisis detectados: {len(s.incidents)}", file=out)
    for inc in s.incidents:
        tz = inc["opened_at"].tzinfo  # type: ignore[union-attr]
        closed = local_es(inc["closed_at"], tz) if inc["closed_at"] else "abierto"
        level = labels.label(labels.LEVEL_ES, str(inc["level"])).upper()
        signals = ", ".join(describe_key(str(k)) for k in inc["keys"])  # type: ignore[attr-defined]
        print(f"  #{inc['id']} {level} desde {local_es(inc['opened_at'], tz)} hasta {closed}; "
              f"señales: {signals}", file=out)
    print(f"Alertas enviadas: {s.alerts} (consola y {s.outbox_file})", file=out)
    if s.report_dir:
        html = sorted(s.report_dir.glob("*.html"))
        print(f"Informe semanal: {html[0] if html else s.report_dir} (y CSV en {s.report_dir})", file=out)
        print(_pdf_line(s.report_dir), file=out)
    print(f"Duración: {s.seconds:.1f} s", file=out)

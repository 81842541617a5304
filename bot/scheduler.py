"""The long-running bot: APScheduler 3.11 in one process.

One job per connector stream at its interval (with jitter), plus the spike check, the outbox worker, the
pending-analysis sweeper and the weekly report (Monday 08:00 Bogotá by default). Every job uses
`coalesce=True`, `max_instances=1` and a misfire grace time, so a slow poll never piles up copies of itself.
SIGINT/SIGTERM stop new work, let the page in flight commit (or roll back), and exit 0.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import OperationalError

from bot import events
from bot.alerts.sinks import OutgoingAlert
from bot.messagebus import MessageBus
from bot.reports.weekly import previous_week_label
from connectors.base import Connector
from storage.run_nodes import StaleLeader

log = structlog.get_logger("vigia.scheduler")


def _interval_for(stream: str, connector: Connector, bus: MessageBus) -> int:
    cfg = bus.services.config.connectors
    platform = stream.split(":", 1)[0]
    return getattr(cfg, platform).poll_interval_seconds


class DatabaseWatch:
    """Tells operators when the database is unreachable, straight through the sinks (the outbox lives in
    that database), at most once an hour, and again when it is back."""

    REPEAT = timedelta(hours=1)

    def __init__(self, bus: MessageBus):
        self.bus = bus
        self.down_since: datetime | None = None
        self.last_told: datetime | None = None
        self._lock = threading.Lock()

    def _tell(self, alert: OutgoingAlert) -> None:
        for sink in self.bus.services.sinks_for("ops"):
            try:
                sink.send(alert)
            except Exception as exc:  # nothing else to fall back on: log it
                log.error("could not deliver database alert", sink=sink.name, error=type(exc).__name__)

    def failed(self, exc: Exception) -> None:
        now = datetime.now(UTC)
        with self._lock:
            self.down_since = self.down_since or now
            if self.last_told is not None and now - self.last_told < self.REPEAT:
                return
            self.last_told = now
        self._tell(OutgoingAlert(
            f"ops:database:{self.down_since.isoformat()}:{now.isoformat()}", "operational", "critico", "ops",
            "Base de datos inaccesible",
            f"Vigía no puede usar la base de datos desde {self.down_since:%H:%M} UTC: {type(exc).__name__}. "
            "La recolección está detenida; revise el servidor de base de datos.", now, {}))

    def ok(self) -> None:
        with self._lock:
            if self.down_since is None:
                return
            since, told = self.down_since, self.last_told
            self.down_since = self.last_told = None
        if told is not None:
            now = datetime.now(UTC)
            self._tell(OutgoingAlert(f"ops:database:{since.isoformat()}:recovered", "recovery", "info", "ops",
                                     "Base de datos recuperada",
                                     f"La base de datos volvió a responder tras {(now - since).seconds // 60} min.",
                                     now, {}))


def _safe(bus: MessageBus, make: Callable[[], events.Command], name: str,
          watch: DatabaseWatch | None = None) -> Callable[[], None]:
    def run() -> None:
        if bus.services.stop.is_set():
            return
        try:
            bus.handle(make())
        except StaleLeader as exc:  # hot standby: this process was deposed; its write rolled back
            log.warning("job stopped: no longer the leader", job=name, error=str(exc)[:300])
            return
        except OperationalError as exc:
            log.error("database unreachable", job=name, error=str(exc.orig)[:300])
            if watch is not None:
                watch.failed(exc)
            return
        except Exception:
            log.exception("job failed", job=name)
            return
        if watch is not None:
            watch.ok()

    run.__name__ = name
    return run


def build_scheduler(bus: MessageBus) -> BackgroundScheduler:
    svc = bus.services
    cfg = svc.config
    workers = 1 if svc.engine.dialect.name == "sqlite" else 4
    scheduler = BackgroundScheduler(
        timezone=cfg.tz,
        executors={"default": ThreadPoolExecutor(workers)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": cfg.scheduler.misfire_grace_seconds},
    )
    jitter = cfg.scheduler.jitter_seconds
    watch = DatabaseWatch(bus)
    for stream, connector in sorted(svc.connectors.items()):
        scheduler.add_job(
            _safe(bus, lambda s=stream: events.PollStream(s), f"poll:{stream}", watch),
            IntervalTrigger(seconds=_interval_for(stream, connector, bus), jitter=jitter, timezone=cfg.tz),
            id=f"poll:{stream}", name=f"poll {stream}",
            next_run_time=datetime.now(cfg.tz),  # first poll right away, then at the interval
        )
    scheduler.add_job(_safe(bus, lambda: events.AnalyzePending(), "analyze-pending", watch),
                      IntervalTrigger(minutes=5, timezone=cfg.tz), id="analyze-pending")
    scheduler.add_job(_safe(bus, lambda: events.EvaluateSpikes(svc.clock()), "spikes", watch),
                      IntervalTrigger(seconds=cfg.scheduler.spike_check_seconds, timezone=cfg.tz), id="spikes")
    scheduler.add_job(_safe(bus, lambda: events.FlushOutbox(svc.clock()), "outbox", watch),
                      IntervalTrigger(seconds=cfg.scheduler.outbox_flush_seconds, timezone=cfg.tz), id="outbox")
    hour, minute = (int(p) for p in cfg.report.time.split(":"))
    scheduler.add_job(
        _safe(bus, lambda: events.BuildWeeklyReport(previous_week_label(svc.clock(), cfg.tz)), "weekly-report", watch),
        CronTrigger(day_of_week=cfg.report.weekday, hour=hour, minute=minute, timezone=cfg.tz),
        id="weekly-report", misfire_grace_time=int(timedelta(hours=6).total_seconds()),
    )
    r_hour, r_minute = (int(p) for p in cfg.retention.run_at.split(":"))
    scheduler.add_job(_safe(bus, lambda: events.ApplyRetention(svc.clock()), "retention", watch),
                      CronTrigger(hour=r_hour, minute=r_minute, timezone=cfg.tz), id="retention",
                      misfire_grace_time=int(timedelta(hours=12).total_seconds()))
    return scheduler


def run_forever(bus: MessageBus, *, install_signals: bool = True, ready: threading.Event | None = None) -> int:
    """Run until SIGINT/SIGTERM (or `bus.services.stop` is set); returns the exit code."""
    stop = bus.services.stop

    def _on_signal(signum: int, _frame: Any) -> None:
        log.info("shutdown requested", signal=signal.Signals(signum).name)
        stop.set()

    if install_signals:
        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
    bus.handle(events.AnalyzePending())  # finish what a previous run stored but did not analyse
    scheduler = build_scheduler(bus)
    scheduler.start()
    for job in scheduler.get_jobs():
        log.info("job scheduled", job=job.id, next_run=str(job.next_run_time))
    log.info("vigia running", streams=len(bus.services.connectors))
    if ready is not None:
        ready.set()
    stop.wait()
    scheduler.shutdown(wait=True)  # lets the page in flight commit; unstarted jobs are dropped
    bus.services.engine.dispose()
    log.info("vigia stopped")
    return 0

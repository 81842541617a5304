"""What an operator sees of one stream after a poll: shared by the connector-hold tests (Meta, X)."""

from __future__ import annotations

import io
from datetime import datetime

from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine

from bot import events
from bot.commands.status import render
from bot.config import Config
from bot.health import HealthCollector, HealthReport, StreamHealth, check
from bot.messagebus import MessageBus
from storage.unit_of_work import UnitOfWork


def poll(bus: MessageBus, stream: str) -> events.PollCompleted:
    return next(e for e in bus.handle(events.PollStream(stream)) if isinstance(e, events.PollCompleted))


def last_ok(engine: Engine, stream: str) -> datetime:
    """The stream's last successful poll, as `main.py status` reads it (the bookmark's `updated_at`)."""
    with UnitOfWork(engine) as uow:
        return uow.cursors.get(stream).updated_at  # type: ignore[union-attr]


def status(config: Config, engine: Engine, now: datetime, stream: str) -> tuple[HealthReport, StreamHealth, str]:
    """The status report, the stream's line in it, and the text table `main.py status` prints."""
    report = check(config, engine, "db", now)
    out = io.StringIO()
    render(report, config, out)
    return report, next(s for s in report.streams if s.stream == stream), out.getvalue()


def paused_gauge(config: Config, engine: Engine, now: datetime, stream: str) -> float | None:
    registry = CollectorRegistry()
    registry.register(HealthCollector(config, engine, "db", clock=lambda: now))
    return registry.get_sample_value("vigia_stream_paused", {"stream": stream})

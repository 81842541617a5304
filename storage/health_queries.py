"""Read-only queries behind `main.py status`, `/healthz` and the health gauges of `/metrics`.

Each is one small aggregate (no row of citizens' data leaves here), cheap enough to run at every scrape: the
outbox reads its undelivered rows through `sent_at IS NULL` (few, and kept few by the worker), the other
tables hold one row per stream, problem, lane or week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.orm import Session

from storage import db
from storage.models import AlertRow, CursorRow, DeliveryLaneRow, OpsProblemRow, ReportRunRow, StreamHoldRow


@dataclass(frozen=True)
class OutboxSink:
    sink: str
    undelivered: int
    oldest_created_at: datetime | None
    failing: int  # undelivered rows that already failed at least once


@dataclass(frozen=True)
class LaneState:
    sink: str
    channel: str
    failures: int
    down_since: datetime | None
    retry_at: datetime | None
    last_error: str | None


def head_revision(engine: Engine) -> str | None:
    """The newest migration shipped with this code (read from the migration scripts, not the database)."""
    return ScriptDirectory.from_config(db.alembic_config(engine)).get_current_head()


def database_revision(conn: Connection) -> str | None:
    """The revision the database is at; None when it was never migrated (no alembic_version table)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def ping(conn: Connection) -> None:
    conn.execute(text("SELECT 1"))


def cursors(session: Session) -> list[tuple[str, str | None, datetime]]:
    """(stream, bookmark, updated_at) of every stored bookmark: a clean poll touches its stream's row."""
    rows = session.execute(select(CursorRow.stream, CursorRow.value, CursorRow.updated_at).order_by(CursorRow.stream))
    return [(r.stream, r.value, r.updated_at) for r in rows]


@dataclass(frozen=True)
class StreamHold:
    key: str
    reason: str
    until: datetime


def holds(session: Session, now: datetime) -> dict[str, StreamHold]:
    """The streams a connector holds back on its own (Meta's usage slow-down, X's request budget) after
    `now`."""
    rows = session.execute(select(StreamHoldRow.stream, StreamHoldRow.key, StreamHoldRow.reason, StreamHoldRow.until)
                           .where(StreamHoldRow.until > now))
    return {r.stream: StreamHold(r.key, r.reason, r.until) for r in rows}


def open_problems(session: Session) -> list[OpsProblemRow]:
    stmt = select(OpsProblemRow).where(OpsProblemRow.resolved_at.is_(None)).order_by(OpsProblemRow.opened_at)
    return list(session.scalars(stmt))


def outbox(session: Session) -> list[OutboxSink]:
    """Undelivered outbox rows per sink: how many, the oldest, how many already failed an attempt."""
    stmt = (select(AlertRow.sink, func.count(), func.min(AlertRow.created_at),
                   func.count(AlertRow.last_error))
            .where(AlertRow.sent_at.is_(None)).group_by(AlertRow.sink).order_by(AlertRow.sink))
    # min() keeps the column's type (UTCDateTime): aware UTC on SQLite too
    return [OutboxSink(sink, int(count), oldest, int(failing))
            for sink, count, oldest, failing in session.execute(stmt)]


def lanes(session: Session) -> list[LaneState]:
    rows = session.scalars(select(DeliveryLaneRow).order_by(DeliveryLaneRow.sink, DeliveryLaneRow.channel))
    return [LaneState(r.sink, r.channel, r.failures or 0, r.down_since, r.retry_at, r.last_error) for r in rows]


def last_report(session: Session) -> ReportRunRow | None:
    stmt = (select(ReportRunRow).where(ReportRunRow.built_at.is_not(None))
            .order_by(ReportRunRow.built_at.desc()).limit(1))
    return session.scalars(stmt).first()


"""Messages that travel through the bus.

Commands ask for something to be done (exactly one handler); events say that something happened (zero or
more handlers). All are frozen dataclasses: plain values, safe to log and to hand between threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class Command:
    """Marker base class for commands."""


class Event:
    """Marker base class for events."""


# --- commands -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PollStream(Command):
    stream: str


@dataclass(frozen=True)
class AnalyzePending(Command):
    """Analyse stored posts that have no analysis yet (crash recovery, and after a backfill)."""

    limit: int = 5000


@dataclass(frozen=True)
class EvaluateSpikes(Command):
    """Close the time buckets that ended before `now` and run the spike detector over them."""

    now: datetime


@dataclass(frozen=True)
class FlushOutbox(Command):
    now: datetime


@dataclass(frozen=True)
class BuildWeeklyReport(Command):
    week: str  # ISO week, e.g. "2026-W47"
    force: bool = False


# --- events -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostsCollected(Event):
    """A page of a stream was stored together with its bookmark (batched for throughput)."""

    stream: str
    new_post_ids: tuple[int, ...]
    updated: int
    rejected: int


@dataclass(frozen=True)
class PostsAnalyzed(Event):
    post_ids: tuple[int, ...]


@dataclass(frozen=True)
class PollCompleted(Event):
    stream: str
    new: int
    updated: int
    rejected: int
    pages: int
    duration_ms: float
    failed: bool = False


@dataclass(frozen=True)
class ConnectorFailed(Event):
    stream: str
    error: str
    retry_after: float | None
    fatal: bool


@dataclass(frozen=True)
class SpikeDetected(Event):
    key: str
    bucket_start: datetime
    level: str  # "aviso" | "critico" | "none" (recovery)
    previous_level: str
    value: int
    expected: float
    score: float


@dataclass(frozen=True)
class AlertRaised(Event):
    key: str
    kind: str
    severity: str
    title: str

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


@dataclass(frozen=True)
class ApplyRetention(Command):
    """Anonymise or delete the personal data past its term (config `retention`, docs/data-protection.md)."""

    now: datetime


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
    """A poll ended. `proven`: problem keys its real requests showed fine (a paused or request-less poll
    proves nothing); `paused_by`/`paused_until`: the stored problem that kept it from asking at all."""

    stream: str
    new: int
    updated: int
    rejected: int
    pages: int
    duration_ms: float
    failed: bool = False
    proven: tuple[str, ...] = ()
    paused_by: str | None = None
    paused_until: datetime | None = None
    started_at: datetime | None = None  # a proof counts only against failures recorded before the poll began


@dataclass(frozen=True)
class ConnectorFailed(Event):
    """A stream met an operational problem; `problem` names its cause (the key shared by every stream it
    affects). `backoff_*` say how to space retries when the platform gives no time (`retry_after`)."""

    stream: str
    error: str
    retry_after: float | None
    fatal: bool
    problem: str = ""
    backoff_base: float | None = None
    backoff_max: float | None = None


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

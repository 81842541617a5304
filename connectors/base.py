"""The one interface every connector implements.

A connector only fetches and translates platform payloads into `domain.Post`s. It knows no analyzer
and no database: it yields `Batch`es, and the caller stores each batch's posts and its new bookmark in one
transaction before asking for the next batch (Singer-style bookmarks: saved only after the records).

Operational problems are the bot's business, not the connector's: a connector names the cause of a failure
(`ConnectorError.problem`, e.g. `token:meta`), says which causes a stream depends on (`causes`), and when a
poll ends cleanly returns the causes its real, successful requests proved fine (the generator's return
value, a `frozenset`). A poll that made no request returns an empty set: it proves nothing. The bot stores
the problems, pauses every stream that shares a cause and resumes them together (`bot/alerts/problems.py`).
A connector that slows down on its own (Meta's usage headers, X's request budget) says so through `held` (a
`Hold`): the bot then skips the poll, does not count it as a successful one and shows the stream paused in
`main.py status`.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from domain import AccountSnapshot, Author, Post

SNAPSHOT_DAY_TZ = ZoneInfo("America/Bogota")  # storage keeps one snapshot per account per day in Bogotá


def snapshot_day(moment: datetime) -> date:
    """The Bogotá calendar day of `moment`: a connector emits at most one AccountSnapshot per account a day."""
    return moment.astimezone(SNAPSHOT_DAY_TZ).date()


@dataclass(frozen=True)
class Rejected:
    """A payload that could not be turned into a Post: kept aside for inspection, never a crash."""

    stream: str
    reason: str
    payload: Any


@dataclass(frozen=True)
class Batch:
    """One page of a stream: the posts, and the bookmark to save together with them."""

    stream: str
    posts: tuple[Post, ...]
    cursor: str | None  # the stream's new bookmark once these posts are stored (opaque to the caller)
    rejected: tuple[Rejected, ...] = field(default_factory=tuple)
    # The profiles of these posts' authors, as the same responses gave them (no extra request), and the
    # watched accounts' follower counts when the page carried them; stored in the same transaction.
    authors: tuple[Author, ...] = field(default_factory=tuple)
    snapshots: tuple[AccountSnapshot, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Backoff:
    """How the bot spaces retries of a problem: `base_seconds` doubled per failed attempt, up to `max_seconds`."""

    base_seconds: float
    max_seconds: float


class ConnectorError(Exception):
    """A stream failed.

    `problem` names the cause (`token:x`, `rate_limit:meta_app`, `payload:instagram`...; None means a failure
    of this stream alone, `connector:<stream>`). `retry_after` (seconds) is the earliest moment worth trying
    again when the platform says so (a 429's reset), `backoff` how to space repeated failures, `proven` the
    causes that requests made before the failure showed fine.
    """

    def __init__(self, message: str, *, stream: str, retry_after: float | None = None, fatal: bool = False,
                 problem: str | None = None, backoff: Backoff | None = None,
                 proven: frozenset[str] = frozenset()):
        super().__init__(message)
        self.stream = stream
        self.retry_after = retry_after
        self.fatal = fatal  # e.g. an invalid token: needs a person, not a retry
        self.problem = problem
        self.backoff = backoff
        self.proven = proven


@dataclass(frozen=True)
class Hold:
    """The connector holds a stream back on its own until `until` (Meta's usage slow-down, X's request budget):
    not a failure and nobody is alerted, but no request is made, so a poll meanwhile collects nothing. `key`
    names the hold (`usage:facebook`, `budget:x:mentions`), `reason` says why in Spanish for operators."""

    key: str
    reason: str
    until: datetime


# A poll: yields pages; when it ends cleanly, returns the problem keys its requests proved fine (or None for a
# connector that does not report, e.g. the sample replay: then a clean poll proves `connector:<stream>`).
Poll = Generator[Batch, None, frozenset[str] | None]


class Connector(Protocol):
    """A source of posts for one platform (or the sample replay)."""

    name: str

    def streams(self) -> list[str]:
        """Stable stream names, e.g. "x:mentions:Ministerio_TIC"."""
        ...

    def poll(self, stream: str, cursor: str | None) -> Iterator[Batch]:
        """Fetch what is new since `cursor`, page by page (a `Poll` generator for connectors that report
        what their requests proved)."""
        ...


def held_of(connector: Connector, stream: str) -> Hold | None:
    """The connector's own hold on `stream` now, for connectors that slow down by themselves (`held`)."""
    held = getattr(connector, "held", None)
    return held(stream) if callable(held) else None


def causes_of(connector: Connector, stream: str) -> tuple[str, ...]:
    """The problem keys that pause `stream`: the connector's shared causes plus the stream's own."""
    declared = getattr(connector, "causes", None)
    shared = tuple(declared(stream)) if callable(declared) else ()
    return (*shared, f"connector:{stream}")

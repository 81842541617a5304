"""The one interface every connector implements.

A connector only fetches and translates platform payloads into `domain.Post`s. It knows no analyzer
and no database: it yields `Batch`es, and the caller stores each batch's posts and its new bookmark in one
transaction before asking for the next batch (Singer-style bookmarks: saved only after the records).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain import Post


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


class ConnectorError(Exception):
    """A stream failed; `retry_after` (seconds) says when it is worth trying again, if known."""

    def __init__(self, message: str, *, stream: str, retry_after: float | None = None, fatal: bool = False):
        super().__init__(message)
        self.stream = stream
        self.retry_after = retry_after
        self.fatal = fatal  # e.g. an invalid token: needs a person, not a retry


class Connector(Protocol):
    """A source of posts for one platform (or the sample replay)."""

    name: str

    def streams(self) -> list[str]:
        """Stable stream names, e.g. "x:mentions:Ministerio_TIC"."""
        ...

    def poll(self, stream: str, cursor: str | None) -> Iterator[Batch]:
        """Fetch what is new since `cursor`, page by page."""
        ...

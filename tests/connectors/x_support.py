"""Shared pieces of the X connector tests: the fake API on a manual clock, and a store that applies batches the
way `bot.handlers.poll_stream` does (posts and bookmark together, page by page)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import ManualClock
from connectors.base import Batch, ConnectorError, Rejected
from connectors.x import XConnector, build_x_connector
from connectors.x_settings import XSettings
from domain import Post
from tests.fakes.x_api import TOKEN, FakeXApi, XApiServer

T0 = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # Monday 10:00 in Bogotá
HANDLE = "Ministerio_TIC"
QUERY = "(MinTIC OR #MinTIC) -is:retweet"


@dataclass
class PollResult:
    batches: list[Batch]
    error: ConnectorError | None
    requests: int  # HTTP requests the fake received during the poll

    @property
    def posts(self) -> list[Post]:
        return [p for b in self.batches for p in b.posts]

    @property
    def rejected(self) -> list[Rejected]:
        return [r for b in self.batches for r in b.rejected]


@dataclass
class Store:
    """What the database would hold: posts by id (with how often each was stored) and each stream's cursor."""

    posts: dict[str, Post] = field(default_factory=dict)
    writes: dict[str, int] = field(default_factory=dict)
    cursors: dict[str, str | None] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)

    def apply(self, batch: Batch) -> None:
        for post in batch.posts:
            self.posts[post.external_id] = post
            self.writes[post.external_id] = self.writes.get(post.external_id, 0) + 1
        self.rejected.extend(batch.rejected)
        self.cursors[batch.stream] = batch.cursor


class Harness:
    """A fake X API on 127.0.0.1 and connectors built by the real factory (tweepy inside)."""

    def __init__(self, *, accounts: tuple[str, ...] = (HANDLE,), **fake_options: Any):
        self.clock = ManualClock(T0)
        self.fake = FakeXApi(clock=self.clock, **fake_options)
        self.accounts = accounts
        for handle in accounts:
            self.fake.add_user(handle)
        self.server = XApiServer(self.fake).start()
        self.sleeps: list[float] = []
        self.store = Store()

    def close(self) -> None:
        self.server.stop()

    def settings(self, **overrides: Any) -> XSettings:
        values: dict[str, Any] = {"enabled": True, "api_base_url": self.server.base_url, "searches": [QUERY],
                                  "backfill_hours": 24, "metrics_refresh_days": 7}
        values.update(overrides)
        return XSettings(**values)

    def connector(self, token: str = TOKEN, **overrides: Any) -> XConnector:
        return build_x_connector(self.settings(**overrides), list(self.accounts), token, self.clock,
                                 sleep=self.sleeps.append, rng=random.Random(7))

    def poll(self, connector: XConnector, stream: str, *, max_batches: int | None = None,
             cursor: str | None = ..., store: Store | None = None) -> PollResult:  # type: ignore[assignment]
        """Poll like the bot: store each batch with its cursor; stop after `max_batches` (a crash)."""
        store = store or self.store
        start = len(self.fake.requests)
        batches: list[Batch] = []
        error = None
        current = store.cursors.get(stream) if cursor is ... else cursor
        generator = connector.poll(stream, current)
        try:
            for batch in generator:
                store.apply(batch)
                batches.append(batch)
                if max_batches is not None and len(batches) >= max_batches:
                    break
        except ConnectorError as exc:
            error = exc
        finally:
            generator.close()
        return PollResult(batches, error, len(self.fake.requests) - start)

    def mentions(self, count: int, *, start: datetime | None = None, step: timedelta = timedelta(seconds=3),
                 handle: str = HANDLE, text: str = "sin internet en el Centro Digital") -> list[str]:
        start = start or self.clock() - timedelta(hours=1)
        return [self.fake.post(f"ciudadano_{i % 50}", f"@{handle} {text} #{i}", at=start + i * step)
                for i in range(count)]


@contextmanager
def x_harness(*, spec_checked: bool = True) -> Iterator[Harness]:
    """One test's Harness; afterwards the fake never crashed and (unless faults were injected on purpose, which
    break the spec by design) answered only what the X API spec allows."""
    harness = Harness()
    try:
        yield harness
        if spec_checked:
            assert harness.fake.schema_errors == [], "the fake answered something the spec does not allow"
        assert harness.fake.internal_errors == []
    finally:
        harness.close()

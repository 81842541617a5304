"""Where Slack channel IDs are kept once known: `conversations.history` and uploads take IDs, not names.

The database directory makes a restart remember them (the earlier-delivery check needs the ID before the
first post of the new process). Lookups never fail a delivery: with the database down, the sink posts by
name, as it did before the ID was known.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Protocol

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.unit_of_work import UnitOfWork

log = structlog.get_logger("vigia.slack")


class ChannelDirectory(Protocol):
    def get(self, name: str) -> str | None: ...

    def put(self, name: str, channel_id: str) -> None: ...

    def forget(self, name: str) -> None: ...


class MemoryChannelDirectory:
    """For tests and one-shot tools; forgets everything when the process ends."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self._ids.get(name)

    def put(self, name: str, channel_id: str) -> None:
        self._ids[name] = channel_id

    def forget(self, name: str) -> None:
        self._ids.pop(name, None)


class DatabaseChannelDirectory:
    """Channel IDs in the `slack_channels` table, cached for the life of the process."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> str | None:
        with self._lock:
            if name in self._cache:
                return self._cache[name]
        try:
            with UnitOfWork(self.engine) as uow:
                found = uow.slack_channels.get(name)
        except SQLAlchemyError as exc:
            log.warning("could not read a stored channel ID", channel=name, error=type(exc).__name__)
            return None
        if found:
            with self._lock:
                self._cache[name] = found
        return found

    def put(self, name: str, channel_id: str) -> None:
        with self._lock:
            if self._cache.get(name) == channel_id:
                return
        try:
            with UnitOfWork(self.engine) as uow:
                uow.slack_channels.put(name, channel_id, datetime.now(UTC))
                uow.commit()
        except SQLAlchemyError as exc:
            log.warning("could not store a channel ID", channel=name, error=type(exc).__name__)
            return
        with self._lock:
            self._cache[name] = channel_id

    def forget(self, name: str) -> None:
        """Drop a stored ID Slack no longer knows (the channel was deleted or recreated under that name)."""
        with self._lock:
            self._cache.pop(name, None)
        try:
            with UnitOfWork(self.engine) as uow:
                uow.slack_channels.forget(name)
                uow.commit()
        except SQLAlchemyError as exc:
            log.warning("could not forget a channel ID", channel=name, error=type(exc).__name__)

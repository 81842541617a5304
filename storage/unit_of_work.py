"""Unit of work: one transaction, the repositories that share it, and the events it raised.

Used as a context manager; nothing is written unless `commit()` is called, and leaving the block without
committing (an exception, a signal) rolls everything back.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.authors import AuthorRepository
from storage.delivery_repository import DeliveryLaneRepository, SlackChannelRepository
from storage.repositories import (
    AlertRepository,
    AnalysisRepository,
    CorrectionRepository,
    CursorRepository,
    IncidentRepository,
    OpsProblemRepository,
    PostRepository,
    RejectedRepository,
    SpikeRepository,
)


class UnitOfWork:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._session_factory = sessionmaker(bind=engine, expire_on_commit=False)
        self.events: list[Any] = []
        self.session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self.posts = PostRepository(self.session)
        self.analyses = AnalysisRepository(self.session)
        self.cursors = CursorRepository(self.session)
        self.rejected = RejectedRepository(self.session)
        self.corrections = CorrectionRepository(self.session)
        self.alerts = AlertRepository(self.session)
        self.spikes = SpikeRepository(self.session)
        self.incidents = IncidentRepository(self.session)
        self.ops = OpsProblemRepository(self.session)
        self.lanes = DeliveryLaneRepository(self.session)
        self.slack_channels = SlackChannelRepository(self.session)
        self.authors = AuthorRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.session is not None
        # close() ends any open transaction with a rollback; unlike rollback() it does not expire the
        # objects already loaded, so callers may read them after the block.
        self.session.close()
        self.session = None

    def commit(self) -> None:
        assert self.session is not None, "commit() outside of `with uow:`"
        self.session.commit()

    def collect_events(self) -> list[Any]:
        events, self.events = self.events, []
        return events

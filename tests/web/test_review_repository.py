"""Review writes: every change leaves an audit row, corrections feed training, and the agreement figure."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from storage.inbox_filters import InboxFilters
from storage.inbox_queries import InboxRepository
from storage.insights import LearningQueries
from storage.models import AnalysisRow, PostEventRow
from storage.review_changes import ReviewRepository
from storage.unit_of_work import UnitOfWork
from tests.web.helpers import NOW, seed

TZ = ZoneInfo("America/Bogota")


def _events(engine: Engine, post_id: int) -> list[tuple[str, str, str | None, str | None]]:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        rows = uow.session.execute(select(PostEventRow.user, PostEventRow.action, PostEventRow.old_value,
                                          PostEventRow.new_value).where(PostEventRow.post_id == post_id)
                                   .order_by(PostEventRow.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_state_change_is_audited_once(engine: Engine) -> None:
    s = seed(engine)
    pid = s.ids["praise"]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        review = ReviewRepository(uow.session, lambda: NOW)
        assert review.set_state([pid], "attended", "ana").changed == [pid]
        assert review.set_state([pid], "attended", "ana").changed == []  # no change, no audit row
        uow.commit()
    assert _events(engine, pid) == [("ana", "state", "new", "attended")]


def test_own_posts_cannot_be_reviewed(engine: Engine) -> None:
    s = seed(engine)
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        result = ReviewRepository(uow.session).set_state([s.ids["reply"]], "attended", "ana")
        uow.commit()
    assert result.changed == [] and result.skipped == [s.ids["reply"]]
    assert _events(engine, s.ids["reply"]) == []


def test_assigning_a_new_post_puts_it_in_progress(engine: Engine) -> None:
    s = seed(engine)
    pid = s.ids["complaint"]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        ReviewRepository(uow.session).assign([pid], s.users["community_manager"], "jefe")
        uow.commit()
    assert _events(engine, pid) == [("jefe", "assignee", None, "communitymanager"),
                                    ("jefe", "state", "new", "in_progress")]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        with pytest.raises(ValueError):
            ReviewRepository(uow.session).assign([pid], 999_999, "jefe")
        with pytest.raises(ValueError):  # a viewer cannot act on posts, so cannot be given one either
            ReviewRepository(uow.session).assign([pid], s.users["viewer"], "jefe")


def test_category_correction_updates_analysis_and_feeds_training(engine: Engine) -> None:
    s = seed(engine)
    pid = s.ids["question"]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        result = ReviewRepository(uow.session).correct([pid, s.ids["reply"]], "category", "queja", "ana")
        uow.commit()
    assert result.changed == [pid] and result.skipped == [s.ids["reply"]]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        row = uow.session.get(AnalysisRow, pid)
        assert row is not None and row.category == "queja"
        assert "manual:category" in row.rules and "category:rule:peticion" in row.rules
        assert uow.corrections.latest_labels("category") == [("queja", "¿Cómo me inscribo a Talento TI?")]
        assert InboxRepository(uow.session).count(InboxFilters(category="queja")) == 1
    assert _events(engine, pid) == [("ana", "category", "peticion", "queja")]


def test_topics_correction_moves_the_topic_filter(engine: Engine) -> None:
    s = seed(engine)
    pid = s.ids["complaint"]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        assert ReviewRepository(uow.session).set_topics(pid, ["espectro", "conectividad"], "ana")
        assert not ReviewRepository(uow.session).set_topics(pid, ["conectividad", "espectro"], "ana")
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        repo = InboxRepository(uow.session)
        assert [r.id for r in repo.page(InboxFilters(topic="espectro")).rows] == [pid]
    assert _events(engine, pid) == [("ana", "topics", json.dumps(["conectividad"]),
                                     json.dumps(["conectividad", "espectro"]))]


def test_notes_are_kept_verbatim(engine: Engine) -> None:
    s = seed(engine)
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        review = ReviewRepository(uow.session)
        assert review.add_note(s.ids["complaint"], "  Llamar al operador <b>mañana</b> ", "ana")
        assert not review.add_note(s.ids["complaint"], "   ", "ana")
        uow.commit()
    assert _events(engine, s.ids["complaint"]) == [("ana", "note", None, "Llamar al operador <b>mañana</b>")]


def test_agreement_per_iso_week(engine: Engine) -> None:
    s = seed(engine)
    week1, week2 = NOW - timedelta(days=7), NOW
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        ReviewRepository(uow.session, lambda: week1).set_state([s.ids["complaint"], s.ids["praise"]],
                                                                "attended", "ana")
        ReviewRepository(uow.session, lambda: week1).correct([s.ids["praise"]], "sentiment", "neutral", "ana")
        later = ReviewRepository(uow.session, lambda: week2)
        later.correct([s.ids["question"]], "category", "queja", "ana")
        later.set_state([s.ids["outage"], s.ids["xss"], s.ids["question"]], "attended", "ana")
        later.set_state([s.ids["xss"]], "in_progress", "ana")  # reopening is not a review
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        weeks = LearningQueries(uow.session).agreement_by_week(NOW - timedelta(days=30), TZ)
    assert [(w.week, w.reviewed, w.category_corrected, w.sentiment_corrected) for w in weeks] == [
        ("2026-W46", 2, 0, 1), ("2026-W47", 3, 1, 0)]
    assert weeks[0].category_agreement == 1.0 and weeks[0].sentiment_agreement == 0.5
    assert weeks[1].category_agreement == pytest.approx(2 / 3)

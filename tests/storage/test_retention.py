"""Retention and forget on SQLite and PostgreSQL (storage/retention.py through bot/retention.py): what a dry run
counts is what an apply changes; a second run changes nothing; a run stopped after one batch continues without
touching a row twice; per-author counts survive the pseudonyms; a forget request anonymises one author only and
is recorded without the handle."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from bot.config import RetentionSettings
from bot.retention import apply_retention, cutoffs, due, months_before
from domain import Author, Platform
from storage.models import (
    AlertRow,
    AuditEventRow,
    AuthorRow,
    DataRequestRow,
    PostEventRow,
    PostRow,
    RejectedPayloadRow,
)
from storage.retention import (
    PSEUDONYM_PREFIX,
    Pseudonyms,
    find_subject,
    forget_subject,
    marker,
    previous_forget,
    record,
)
from storage.unit_of_work import UnitOfWork
from tests.factories import T0, make_post

KEY = "k" * 40
PSEUDO = Pseudonyms(KEY)
NOW = T0 + timedelta(days=800)  # every fixture row is past the 24-month default terms
NOTE = "Llamé a Juan Pérez al 3001234567, vive en Quibdó"


def _seed(engine, shift: timedelta = timedelta(0)) -> None:  # type: ignore[no-untyped-def]
    """(Everything `shift` earlier than T0.) 14 citizen posts by 7 authors (author-0..author-6, two posts
    each), one own post, profiles for authors 0..3 (3 citizens have none), one note on each of the posts of
    author-1, an old audit event, an old rejected payload."""
    own = replace(make_post(99, is_own=True, text="Comunicado oficial"), author_id="ministry",
                  author_handle="Ministerio_TIC")
    posts = [replace(p, created_at=p.created_at - shift) for p in [make_post(n) for n in range(14)] + [own]]
    t0 = T0 - shift
    with UnitOfWork(engine) as uow:
        result = uow.posts.upsert(posts)
        authors = [Author(platform=Platform.X, author_id=f"author-{k}", handle=f"ciudadano_{k}", seen_at=t0,
                          display_name=f"Ciudadano {k}", description="Vecino de Quibdó", followers=100 + k,
                          location="Quibdó, Chocó", website="https://example.invalid/me",
                          profile_url=f"https://x.com/ciudadano_{k}") for k in range(4)]
        uow.authors.upsert(authors, lambda a: ("ciudadania", "default"), "v1", t0)
        assert uow.session is not None
        ids = {r.external_id: r.id for r in uow.session.scalars(select(PostRow))}
        for n in (1, 8):  # author-1's posts
            uow.session.add(PostEventRow(post_id=ids[f"test-{n}"], user="ana", action="note", old_value=None,
                                         new_value=NOTE, created_at=t0))
        uow.session.add(PostEventRow(post_id=ids["test-2"], user="ana", action="state", old_value="new",
                                     new_value="attended", created_at=t0))
        uow.session.add(AuditEventRow(created_at=t0, user="ana", action="login", target=None, detail={},
                                      remote_addr="10.0.0.1"))
        uow.session.add(AlertRow(key="spike:topic:conectividad:1", sink="file", kind="spike", severity="aviso",
                                 channel="alerts", title="Pico: conectividad", created_at=t0, sent_at=t0,
                                 body="Pico de quejas; destacada: @ciudadano_1 «sin internet en Quibdó»",
                                 details={"top_posts": [{"author": "ciudadano_1", "text": "sin internet"}],
                                          "incident": 7}))
        uow.session.add(RejectedPayloadRow(stream="x:mentions", reason="bad", payload='{"user": "juan"}',
                                           created_at=t0))
        uow.commit()
    assert len(result.new_ids) == 15


def _found_by_search(engine, word: str) -> int:  # type: ignore[no-untyped-def]
    """Posts the inbox's text index finds for `word` (SQLite FTS5 over search_text; PostgreSQL trigrams on it)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return conn.execute(text("SELECT count(*) FROM posts_fts WHERE posts_fts MATCH :q"), {"q": word}).scalar()
        return conn.execute(text("SELECT count(*) FROM posts WHERE search_text ILIKE :q"), {"q": f"%{word}%"}).scalar()


def _per_author_counts(engine) -> list[int]:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        rows = uow.session.execute(select(func.count()).select_from(PostRow).where(PostRow.is_own.is_(False))
                                   .group_by(PostRow.author_id))
        return sorted(n for (n,) in rows)


def test_dry_run_counts_what_apply_changes_and_a_second_run_changes_nothing(engine):
    _seed(engine)
    settings = RetentionSettings(batch_size=5)
    before = _per_author_counts(engine)
    pending = due(engine, settings, NOW)
    assert pending == {"posts": 14, "authors": 7, "notes": 2, "alerts": 1, "audit_events": 1,
                       "rejected_payloads": 1}

    assert _found_by_search(engine, "internet") == 14
    done = apply_retention(engine, settings, PSEUDO, NOW, requested_by="test")
    assert done == pending
    assert _found_by_search(engine, "internet") == 0  # the inbox search index forgot the words too
    assert due(engine, settings, NOW) == dict.fromkeys(pending, 0)
    assert apply_retention(engine, settings, PSEUDO, NOW + timedelta(days=1), requested_by="test") == \
        dict.fromkeys(pending, 0)

    with UnitOfWork(engine) as uow:
        s = uow.session
        assert s is not None
        citizen = list(s.scalars(select(PostRow).where(PostRow.is_own.is_(False))))
        assert {p.text for p in citizen} == {marker(NOW)}
        assert all(p.raw == {} and p.url is None and p.search_text == "" and p.anonymized_at == NOW
                   for p in citizen)
        assert all(p.author_id.startswith(PSEUDONYM_PREFIX) and p.author_handle == p.author_id for p in citizen)
        own = s.scalar(select(PostRow).where(PostRow.is_own.is_(True)))
        assert own is not None and own.text == "Comunicado oficial" and own.anonymized_at is None
        profiles = list(s.scalars(select(AuthorRow)))
        assert len(profiles) == 4
        assert all(a.display_name is None and a.description is None and a.location is None and a.website is None
                   and a.profile_url is None and a.handle.startswith(PSEUDONYM_PREFIX) for a in profiles)
        assert sorted(a.followers for a in profiles) == [100, 101, 102, 103]  # aggregates kept
        # a profile still joins its posts (segment and reach figures keep their authors)
        joined = s.scalar(select(func.count()).select_from(PostRow).join(
            AuthorRow, (AuthorRow.platform == PostRow.platform) & (AuthorRow.author_id == PostRow.author_id)))
        assert joined == 8
        notes = list(s.scalars(select(PostEventRow.new_value).where(PostEventRow.action == "note")))
        assert notes == [marker(NOW)] * 2
        assert s.scalar(select(PostEventRow.new_value).where(PostEventRow.action == "state")) == "attended"
        alert = s.scalar(select(AlertRow))
        assert alert is not None and alert.body == marker(NOW) and alert.details == {"incident": 7}
        assert alert.title == "Pico: conectividad" and alert.sent_at is not None  # what it was stays
        assert s.scalar(select(func.count()).select_from(AuditEventRow)) == 0
        assert s.scalar(select(func.count()).select_from(RejectedPayloadRow)) == 0
        runs = list(s.scalars(select(DataRequestRow).where(DataRequestRow.kind == "retention")))
        assert [r.counts for r in runs] == [pending]  # the empty second run records nothing
    assert _per_author_counts(engine) == before  # "distinct citizens" and posts per citizen unchanged


def test_a_run_stopped_after_one_batch_continues_without_repeating_a_row(engine):
    _seed(engine)
    settings = RetentionSettings(batch_size=5)
    first = apply_retention(engine, settings, PSEUDO, NOW, requested_by="test", max_batches=1)
    assert first["posts"] == 5 and sum(first.values()) == 5
    assert due(engine, settings, NOW)["posts"] == 9
    later = NOW + timedelta(days=1)
    rest = apply_retention(engine, settings, PSEUDO, later, requested_by="test")
    assert rest["posts"] == 9 and rest["authors"] == 7
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        stamps = sorted(uow.session.scalars(select(PostRow.anonymized_at).where(PostRow.is_own.is_(False))))
    assert stamps == [NOW] * 5 + [later] * 9  # the first batch was not redone


def test_a_time_limited_run_stops_after_a_whole_batch_and_the_next_continues(engine):
    _seed(engine)
    settings = RetentionSettings(batch_size=5)
    first = apply_retention(engine, settings, PSEUDO, NOW, requested_by="test", max_seconds=0)
    assert first == dict.fromkeys(first, 0)  # the time was up before the first batch
    assert sum(apply_retention(engine, settings, PSEUDO, NOW, requested_by="test", max_seconds=600).values()) == 26
    assert sum(due(engine, settings, NOW).values()) == 0


def test_nothing_is_due_before_its_term(engine):
    _seed(engine)
    settings = RetentionSettings(post_text_months=36, author_profile_months=36, notes_months=36, audit_months=36,
                                 rejected_payload_days=3650)
    assert sum(due(engine, settings, NOW).values()) == 0
    assert cutoffs(settings, NOW).posts == months_before(NOW, 36)
    assert months_before(datetime(2027, 3, 31, tzinfo=UTC), 1) == datetime(2027, 2, 28, tzinfo=UTC)


def test_forget_anonymises_one_author_everywhere_and_records_it_without_the_handle(engine):
    _seed(engine)
    before = _per_author_counts(engine)
    with UnitOfWork(engine) as uow:
        s = uow.session
        assert s is not None
        subject = find_subject(s, "x", handle="@Ciudadano_1")
        assert subject.author_ids == ("author-1",)
        counts = forget_subject(s, subject, PSEUDO, NOW)
        record(s, "forget", "dpo", counts.as_dict(), NOW, platform="x", subject_hash=PSEUDO.subject("x", "ciudadano_1"))
        uow.commit()
    assert counts.as_dict() == {"posts": 2, "profiles": 1, "notes": 2, "alerts": 1}
    alias = PSEUDO.author("x", "author-1")
    with UnitOfWork(engine) as uow:
        s = uow.session
        assert s is not None
        mine = list(s.scalars(select(PostRow).where(PostRow.author_id == alias)))
        assert len(mine) == 2 and {p.text for p in mine} == {marker(NOW)} and all(p.url is None for p in mine)
        others = list(s.scalars(select(PostRow).where(PostRow.author_id != alias)))
        assert all(p.anonymized_at is None and not p.text.startswith("[texto") for p in others)
        profile = s.scalar(select(AuthorRow).where(AuthorRow.author_id == alias))
        assert profile is not None and profile.location is None and profile.display_name is None
        assert profile.followers == 101
        assert s.scalar(select(func.count()).select_from(AuthorRow).where(AuthorRow.handle == "ciudadano_0")) == 1
        assert NOTE not in set(s.scalars(select(PostEventRow.new_value)))
        assert s.scalar(select(AlertRow.body)) == marker(NOW)  # it quoted the author
        request = s.scalar(select(DataRequestRow).where(DataRequestRow.kind == "forget"))
        assert request is not None and request.requested_by == "dpo" and request.platform == "x"
        assert "ciudadano" not in repr((request.subject_hash, request.counts)).lower()
        # twice: nothing left to find, and the earlier request is found by its hash
        assert find_subject(s, "x", handle="ciudadano_1").author_ids == ()
        assert previous_forget(s, "x", PSEUDO.subject("x", "@CIUDADANO_1")) == NOW
        assert find_subject(s, "x", author_id="author-1").author_ids == ()
        assert find_subject(s, "x", author_id="author-2").author_ids == ("author-2",)
    assert _per_author_counts(engine) == before


def test_the_poller_never_writes_an_anonymised_text_back(engine):
    _seed(engine)
    apply_retention(engine, RetentionSettings(), PSEUDO, NOW, requested_by="test")
    with UnitOfWork(engine) as uow:
        result = uow.posts.upsert([make_post(3, likes=50)])  # the platform serves the old post again
        uow.commit()
        assert result.updated == 1
        assert uow.session is not None
        row = uow.session.scalar(select(PostRow).where(PostRow.external_id == "test-3"))
        assert row is not None and row.text == marker(NOW)
        assert uow.posts.ids_since(T0 - timedelta(days=1)) == [
            uow.session.scalar(select(PostRow.id).where(PostRow.is_own.is_(True)))]  # reanalysis skips them

"""One Instagram person, one author, for rows stored before the poll merged them (storage.authors
merge_handle_aliases, run at start-up), on SQLite and PostgreSQL: posts, overrides and history move to the
author with the Instagram-scoped id; Facebook names and strangers stay; a crash resumes; a rerun changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import insert, select

from domain import Platform, PostKind
from storage.authors import ALIASES_JOB, merge_handle_aliases
from storage.models import AuthorRow, PostRow
from storage.unit_of_work import UnitOfWork
from tests.factories import T0, make_post

IG, FB = "instagram", "facebook"


def row(platform: str, author_id: str, handle: str, *, days: int = 0, segment: str = "ciudadania"):  # type: ignore[no-untyped-def]
    at = T0 + timedelta(days=days)
    return {"platform": platform, "author_id": author_id, "handle": handle, "first_seen": at, "last_seen": at,
            "refreshed_at": at, "segment": segment, "segment_rule": "default", "segment_rules_version": "v1"}


def seed(engine) -> None:  # type: ignore[no-untyped-def]
    """What the old code stored: each person keyed once by the scoped id (comments) and once by the username
    (tags), posts keyed likewise; a Facebook page named like its id-less twin; a recycled username."""
    rows = [
        row(IG, "ana.pasto", "ana.pasto", days=-3),  # her tag, first: the earliest sighting
        row(IG, "6901", "ana.pasto", days=2),  # her comments
        row(IG, "6902", "luis.cali"),  # a commenter whose tag post predates the authors table (no row)
        row(IG, "pedro.ipiales", "pedro.ipiales"),  # only ever tagged: nobody to merge into
        row(IG, "6903", "maria", days=-30),  # "maria" given up ...
        row(IG, "6904", "maria", days=1),  # ... and taken by someone else, seen later: she holds it now
        row(IG, "maria", "maria"),
        row(FB, "Ana Pasto", "Ana Pasto"), row(FB, "1234", "Ana Pasto"),  # Facebook names are not identities
    ]
    posts = [("ana.pasto", 1), ("6901", 2), ("luis.cali", 3), ("6902", 4), ("pedro.ipiales", 5), ("maria", 6)]
    with UnitOfWork(engine) as uow:
        uow.session.execute(insert(AuthorRow), rows)
        uow.posts.upsert([replace(make_post(n, platform=Platform.INSTAGRAM, kind=PostKind.MENTION),
                                  author_id=author, author_handle=author) for author, n in posts]
                         + [replace(make_post(7, platform=Platform.FACEBOOK), author_id="Ana Pasto")])
        uow.authors.set_override(IG, "ana.pasto", "medios_periodistas", "admin", T0)
        uow.commit()


def authors(engine) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        return sorted(tuple(r) for r in uow.session.execute(  # type: ignore[misc]
            select(AuthorRow.platform, AuthorRow.author_id, AuthorRow.segment)))


def post_authors(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        return dict(uow.session.execute(select(PostRow.external_id, PostRow.author_id)).all())  # type: ignore[arg-type]


def test_stored_aliases_merge_into_the_scoped_id_resuming_after_a_stop_and_a_rerun_changes_nothing(engine):
    seed(engine)
    factory = lambda: UnitOfWork(engine)  # noqa: E731
    moved: list[tuple[str, str]] = []

    first = merge_handle_aliases(factory, batch_size=2, moved=lambda _s, keys: moved.extend(keys), stop=lambda: True)
    assert first == (1, 1)  # stopped after one batch (6901, 6902): ana merged, the bookmark committed
    with UnitOfWork(engine) as uow:
        assert uow.cursors.get(ALIASES_JOB).value is not None  # type: ignore[union-attr]
    rest = merge_handle_aliases(factory, batch_size=2, moved=lambda _s, keys: moved.extend(keys))
    assert rest == (1, 1)  # the batch (6903, 6904): maria's alias joins 6904, who holds the name now

    assert authors(engine) == [
        (FB, "1234", "ciudadania"), (FB, "Ana Pasto", "ciudadania"),
        (IG, "6901", "medios_periodistas"), (IG, "6902", "ciudadania"), (IG, "6903", "ciudadania"),
        (IG, "6904", "ciudadania"), (IG, "pedro.ipiales", "ciudadania")]
    assert post_authors(engine) == {"test-1": "6901", "test-2": "6901", "test-3": "6902", "test-4": "6902",
                                    "test-5": "pedro.ipiales", "test-6": "6904", "test-7": "Ana Pasto"}
    assert {(IG, "6901"), (IG, "6902"), (IG, "6904")} <= set(moved)
    with UnitOfWork(engine) as uow:
        ana = uow.authors.get(IG, "6901")
        history = uow.authors.history(IG, "6901")
    assert ana is not None and (ana.segment_override, ana.segment_rule) == ("medios_periodistas", "override")
    assert (ana.first_seen, ana.last_seen) == (T0 - timedelta(days=3), T0 + timedelta(days=2))
    assert [(e.user, e.action) for e in history] == [("admin", "segment_override")]

    before = (authors(engine), post_authors(engine))
    assert merge_handle_aliases(factory) == (0, 0)  # finished: the bookmark is past every row
    with UnitOfWork(engine) as uow:
        uow.cursors.save(ALIASES_JOB, None)
        uow.commit()
    assert merge_handle_aliases(factory)[0] == 0  # from scratch again: nothing left to merge
    assert (authors(engine), post_authors(engine)) == before

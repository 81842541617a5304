"""`main.py authors`: the backfill from stored payloads (resumable, interrupt-safe), resegment and show."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from bot.commands.authors import BACKFILL_JOB, author_of_post, backfill_authors
from bot.config import segmenter
from domain import Platform, Post, PostKind
from main import main
from storage import db
from storage.unit_of_work import UnitOfWork
from tests.db_faults import allow_inserts, refuse_inserts
from tests.factories import T0

ANA = {"id": "501", "username": "periodista_ana", "name": "Ana Ficticia", "verified": True, "verified_type": "blue",
       "description": "Periodista de tecnología", "location": "Bogotá D.C.",
       "public_metrics": {"followers_count": 412_300, "following_count": 2150, "tweet_count": 58_900}}


def _post(n: int, platform: Platform, author_id: str, handle: str, raw: dict, *, days: int = 0) -> Post:
    return Post(platform=platform, external_id=f"p{n}", kind=PostKind.MENTION, account="Ministerio_TIC",
                author_id=author_id, author_handle=handle, text=f"texto {n}",
                created_at=T0 + timedelta(days=days, minutes=n), raw=raw)


def _posts() -> list[Post]:
    return [
        _post(1, Platform.X, "501", "periodista_ana", {"id": "p1", "_expansions": {"author": ANA}}),
        _post(2, Platform.X, "502", "beto", {"id": "p2", "_expansions": {"author": {
            "id": "502", "username": "beto", "name": "Beto", "verified": False}}}),  # an older payload
        _post(3, Platform.X, "503", "muestra", {"synthetic": True}),  # the sample replay: no user object
        _post(4, Platform.FACEBOOK, "9001", "Carla Pérez", {"id": "p4", "from": {"id": "9001", "name": "Carla Pérez"}}),
        _post(5, Platform.INSTAGRAM, "17841", "dani.ig", {"id": "p5", "username": "dani.ig",
                                                           "from": {"id": "17841", "username": "dani.ig"}}),
        _post(6, Platform.INSTAGRAM, "unknown", "", {"id": "p6"}),  # Meta withheld the author
        _post(7, Platform.X, "501", "periodista_ana", {"id": "p7", "_expansions": {"author": {
            **ANA, "public_metrics": {"followers_count": 415_000}}}}, days=2),
    ]


def _store(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.posts.upsert(_posts())
        uow.commit()


def test_what_a_stored_payload_tells_of_its_author():
    found = {p.external_id: author_of_post(p) for p in _posts()}
    assert found["p1"][1] == "profile" and found["p1"][0].followers == 412_300  # type: ignore[union-attr]
    assert found["p2"][1] == "partial" and found["p2"][0].display_name == "Beto"  # type: ignore[union-attr]
    assert found["p3"][1] == "handle" and found["p3"][0].handle == "muestra"  # type: ignore[union-attr]
    assert found["p4"][1] == "partial" and found["p4"][0].display_name == "Carla Pérez"  # type: ignore[union-attr]
    assert found["p5"][1] == "handle" and found["p5"][0].profile_url == "https://www.instagram.com/dani.ig/"  # type: ignore[union-attr]
    assert found["p6"] == (None, "unknown")


def test_backfill_is_resumable_and_places_the_authors(engine):
    _store(engine)
    rules = segmenter(None)
    calls = []
    first = backfill_authors(engine, rules, batch=3, stop=lambda: calls.append(1) or True)  # stop after a batch
    assert (first.posts, first.new, first.finished) == (3, 3, False)
    with UnitOfWork(engine) as uow:
        bookmark = int(uow.cursors.get(BACKFILL_JOB).value)  # type: ignore[union-attr]
        assert uow.authors.count() == 3
    rest = backfill_authors(engine, rules, batch=3)
    assert rest.resumed_after == bookmark and rest.posts == 4 and rest.finished
    assert rest.by_source == {"profile": 1, "partial": 1, "handle": 1, "unknown": 1}
    with UnitOfWork(engine) as uow:
        assert uow.authors.count() == 5  # 501, 502, 503, 9001, 17841: the unknown author is not one
        ana = uow.authors.get("x", "501")
        carla = uow.authors.get("facebook", "9001")
    assert ana.author.followers == 415_000 and ana.author.description == "Periodista de tecnología"  # type: ignore[union-attr]
    assert ana.first_seen == T0 + timedelta(minutes=1) and ana.segment == "medios_periodistas"  # type: ignore[union-attr]
    assert carla.author.display_name == "Carla Pérez" and carla.segment_rules_version == rules.version  # type: ignore[union-attr]
    again = backfill_authors(engine, rules, batch=3)
    assert (again.posts, again.new, again.finished) == (0, 0, True)  # the bookmark is at the end
    restart = backfill_authors(engine, rules, batch=50, restart=True)
    assert (restart.posts, restart.new) == (7, 0)  # idempotent


def test_a_backfill_cut_off_by_a_failure_keeps_the_batches_done_and_continues(engine):
    _store(engine)
    refuse_inserts(engine, "authors", author_id="9001")  # the database refuses Carla's row (p4, in the second batch)
    rules = segmenter(None)
    with pytest.raises(Exception, match="refused"):
        backfill_authors(engine, rules, batch=3)
    with UnitOfWork(engine) as uow:
        first_batch_end = uow.posts.get("x", "p3").id  # type: ignore[union-attr]
        assert uow.cursors.get(BACKFILL_JOB).value == str(first_batch_end)  # type: ignore[union-attr]
        assert uow.authors.count() == 3  # the failed batch left nothing behind
    allow_inserts(engine, "authors")
    rest = backfill_authors(engine, rules, batch=3)
    assert rest.resumed_after == first_batch_end and rest.finished
    with UnitOfWork(engine) as uow:
        assert uow.authors.count() == 5


def test_the_command_backfills_resegments_and_shows(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'vigia.db'}"
    monkeypatch.setenv("VIGIA_DATABASE_URL", url)
    engine = db.create_db_engine(url)
    db.upgrade(engine)
    _store(engine)
    assert main(["authors", "--backfill", "--batch", "4"]) == 0
    out = capsys.readouterr().out
    assert "7 posts read from the first post; 5 new authors" in out
    assert "2 posts carried a whole profile" in out and "1 posts without a known author" in out
    with UnitOfWork(engine) as uow:  # as if an older version of the rules had placed one of them
        uow.session.execute(text("UPDATE authors SET segment_rules_version = 'old' WHERE author_id = '502'"))
        uow.commit()
    assert main(["authors", "--resegment"]) == 0
    assert "1 authors placed again" in capsys.readouterr().out
    assert main(["authors", "--show", "x:@Periodista_Ana"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["followers"], shown["segment"], shown["segment_rule"]) == (415_000, "medios_periodistas",
                                                                           "bio:periodista*")
    assert shown["segment_label"] and shown["rules_current"] is True and shown["history"] == []
    assert main(["authors", "--show", "x:nadie"]) == 1
    assert "no stored author 'nadie' on x" in capsys.readouterr().err
    assert main(["authors", "--show", "tiktok:x"]) == 2
    engine.dispose()

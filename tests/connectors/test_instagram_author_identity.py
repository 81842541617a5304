"""One Instagram person is one author, end to end: fake Graph API -> the real Instagram connector -> poll_stream
-> the authors table, on SQLite and PostgreSQL.

Meta gives a commenter's Instagram-scoped id with the username (`from{id,username}`), but media that tag the
account, and @-mentions, only the owner's `username`. Before the fix the same person stored as two authors: one
keyed by the scoped id (comments), one by the username (tags), so "unique citizens" counted them twice and an
admin's segment on one did not reach the other's posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import distinct, func, select

from bot import events
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.config import parse_config
from connectors.instagram import build_instagram_connector
from storage.models import AuthorRow, PostRow
from storage.unit_of_work import UnitOfWork
from tests.fakes.graph_api import APP_SECRET, TOKEN, FakeGraphAPI

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
USER, IG_ID = "mintic_colombia", "17841400000000001"
ANA, ANA_ID = "ana.pasto", "6900000000000001"  # her Instagram-scoped id, as comments' `from.id` gives it
COMMENTS, TAGS = f"instagram:comments:{USER}", f"instagram:tags:{USER}"


@pytest.fixture
def fake():
    with FakeGraphAPI(app_secret=APP_SECRET) as server:
        page_id = server.add_page("MinTIC Colombia", "MinTICColombia", page_id="1001")
        server.add_ig_user(USER, page_id=page_id, ig_id=IG_ID)
        yield server


def bus_for(fake: FakeGraphAPI, engine, tmp_path, clock: ManualClock):  # type: ignore[no-untyped-def]
    config = parse_config({
        "accounts": {"facebook": [], "instagram": [USER], "x": []},
        "connectors": {"sample": {"enabled": False},
                       "instagram": {"enabled": True, "api_base_url": fake.base_url,
                                     "streams": ["comments", "tags"]}},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })
    instagram = build_instagram_connector(config.connectors.instagram, config.accounts.instagram, TOKEN,
                                          APP_SECRET, clock, sleep=lambda _s: None)
    return bootstrap(config, engine=engine, clock=clock, connectors={s: instagram for s in instagram.streams()},
                     sinks={"file": FileSink(config.alerts.outbox_file)})


def poll(bus, stream: str) -> None:  # type: ignore[no-untyped-def]
    done = next(e for e in bus.handle(events.PollStream(stream)) if isinstance(e, events.PollCompleted))
    assert not done.failed and done.new >= 1


def ana_comments_and_tags(fake: FakeGraphAPI) -> None:
    media = fake.add_media(IG_ID, NOW - timedelta(hours=6), "Abrimos becas de Talento TI")
    fake.add_ig_comment(media, NOW - timedelta(hours=5), "¿Cómo me inscribo?", username=ANA, user_id=ANA_ID)
    fake.add_media(None, NOW - timedelta(hours=4), "Con @mintic_colombia en Pasto", owner_username=ANA,
                   tagged=[IG_ID])


def instagram_authors(engine) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        return [tuple(r) for r in uow.session.execute(  # type: ignore[misc]
            select(AuthorRow.author_id, AuthorRow.handle).where(AuthorRow.platform == "instagram")
            .order_by(AuthorRow.id))]


def citizens(engine) -> tuple[int, set[str]]:  # type: ignore[no-untyped-def]
    """Unique citizens as the indicators count them (distinct author ids of others' posts), and those ids."""
    with UnitOfWork(engine) as uow:
        mine = (PostRow.platform == "instagram", PostRow.is_own.is_(False))
        count = uow.session.scalar(select(func.count(distinct(PostRow.author_id))).where(*mine))
        ids = set(uow.session.scalars(select(PostRow.author_id).where(*mine)))
    return count, ids


@pytest.mark.parametrize("order", [(COMMENTS, TAGS), (TAGS, COMMENTS)], ids=["comment_first", "tag_first"])
def test_a_person_who_comments_and_tags_is_one_author_whatever_comes_first(fake, engine, tmp_path, order):
    ana_comments_and_tags(fake)
    bus = bus_for(fake, engine, tmp_path, ManualClock(NOW))
    for stream in order:
        poll(bus, stream)
    assert instagram_authors(engine) == [(ANA_ID, ANA)]  # keyed by the stable scoped id, not the username
    assert citizens(engine) == (1, {ANA_ID})  # her tag and her comment both point at that one row


def test_an_admins_segment_on_the_username_author_survives_the_merge(fake, engine, tmp_path):
    """A person first seen by a tag (username only) and set by an admin keeps the segment once a comment
    reveals her scoped id: the rows merge, the override and its history move, nothing is lost."""
    media = fake.add_media(IG_ID, NOW - timedelta(hours=6), "Abrimos becas de Talento TI")
    fake.add_media(None, NOW - timedelta(hours=4), "Con @mintic_colombia en Pasto", owner_username=ANA,
                   tagged=[IG_ID])
    clock = ManualClock(NOW)
    bus = bus_for(fake, engine, tmp_path, clock)
    poll(bus, TAGS)
    with UnitOfWork(engine) as uow:
        assert uow.authors.set_override("instagram", ANA, "medios_periodistas", "admin", NOW) is not None
        uow.commit()
    clock.advance(timedelta(hours=21))  # she comments the next day
    fake.add_ig_comment(media, NOW + timedelta(hours=20), "¿Cómo me inscribo?", username=ANA, user_id=ANA_ID)
    poll(bus, COMMENTS)
    with UnitOfWork(engine) as uow:
        merged = uow.authors.get("instagram", ANA_ID)
        gone = uow.authors.get("instagram", ANA)
        history = uow.authors.history("instagram", ANA_ID)
    assert gone is None and merged is not None
    assert (merged.segment, merged.segment_override) == ("medios_periodistas", "medios_periodistas")
    assert (merged.first_seen, merged.last_seen) == (NOW, NOW + timedelta(hours=21))  # tag's day, comment's
    assert [e.action for e in history] == ["segment_override"]
    assert citizens(engine) == (1, {ANA_ID})


def test_a_later_tag_by_a_known_commenter_joins_her_author_and_a_stranger_stays_apart(fake, engine, tmp_path):
    ana_comments_and_tags(fake)
    clock = ManualClock(NOW)
    bus = bus_for(fake, engine, tmp_path, clock)
    poll(bus, COMMENTS)
    poll(bus, TAGS)
    clock.advance(timedelta(hours=1))
    fake.add_media(None, NOW + timedelta(minutes=10), "Otra vez con @mintic_colombia", owner_username=ANA,
                   tagged=[IG_ID])
    fake.add_media(None, NOW + timedelta(minutes=20), "Yo también @mintic_colombia", owner_username="pedro.ipiales",
                   tagged=[IG_ID])
    poll(bus, TAGS)
    assert instagram_authors(engine) == [(ANA_ID, ANA), ("pedro.ipiales", "pedro.ipiales")]
    assert citizens(engine) == (2, {ANA_ID, "pedro.ipiales"})

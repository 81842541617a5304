"""Authors through the real poll path: fake X API → tweepy → X connector → poll_stream → database (SQLite and
PostgreSQL). The page's authors, the account's follower count, the posts and the bookmark are one transaction:
when the author write fails, neither the posts nor the bookmark are stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from bot import events
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.config import parse_config
from connectors.x import build_x_connector
from storage.unit_of_work import UnitOfWork
from tests.connectors.x_support import HANDLE, Harness, x_harness
from tests.db_faults import allow_inserts, refuse_inserts
from tests.fakes.x_api import TOKEN

STREAM = f"x:mentions:{HANDLE}"


@pytest.fixture
def x() -> Iterator[Harness]:
    with x_harness() as harness:
        yield harness


def _bus(x: Harness, engine: Engine, tmp_path):  # type: ignore[no-untyped-def]
    config = parse_config({
        "accounts": {"x": [HANDLE]},
        "connectors": {"sample": {"enabled": False}, "x": {"enabled": True, "api_base_url": x.server.base_url}},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })
    connector = build_x_connector(config.connectors.x, config.accounts.x, TOKEN, x.clock,
                                  sleep=x.sleeps.append)
    return bootstrap(config, engine=engine, clock=x.clock, connectors={s: connector for s in connector.streams()},
                     sinks={"file": FileSink(config.alerts.outbox_file)})


def _mentions(x: Harness) -> None:
    for n, who in enumerate(("periodista_ana", "alcaldia_ficticia", "ciudadano_sinperfil", "periodista_ana")):
        x.fake.add_user(who)
        x.fake.post(who, f"@{HANDLE} sin señal en la vereda desde ayer ({n})",
                    at=x.clock() - timedelta(minutes=30 - n))


def test_a_poll_stores_the_pages_authors_and_the_accounts_followers(x, engine, tmp_path):
    _mentions(x)
    bus = _bus(x, engine, tmp_path)
    before = len(x.fake.requests)
    bus.handle(events.PollStream(STREAM))
    requests = len(x.fake.requests) - before
    svc = bus.services
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 4
        ana = uow.authors.by_handle("x", "periodista_ana")
        by_handle = {s.author.handle: s for s in uow.authors.by_keys(
            [("x", x.fake.user_by_name(h).id) for h in ("periodista_ana", "alcaldia_ficticia",  # type: ignore[union-attr]
                                                         "ciudadano_sinperfil")]).values()}
        snapshots = uow.authors.snapshots("x", HANDLE)
    fake_ana, fake_town = x.fake.user_by_name("periodista_ana"), x.fake.user_by_name("alcaldia_ficticia")
    ministry = x.fake.user_by_name(HANDLE)
    assert len(ana) == 1 and ana[0].author.followers == fake_ana.followers  # type: ignore[union-attr]
    assert ana[0].author.verified_type == fake_ana.verified_type == "blue"  # type: ignore[union-attr]
    assert (ana[0].segment, ana[0].segment_rules_version) == ("medios_periodistas", svc.segmenter.version)
    assert ana[0].segment_rule.startswith("bio:periodista")
    assert by_handle["alcaldia_ficticia"].segment == "entidades_gubernamentales"
    assert by_handle["alcaldia_ficticia"].author.website == fake_town.url  # type: ignore[union-attr]
    assert fake_town.url.endswith(".gov.co")  # type: ignore[union-attr]
    assert by_handle["ciudadano_sinperfil"].segment == "ciudadania"
    assert [(s.day, s.followers) for s in snapshots] == [(x.clock().astimezone(svc.config.tz).date().isoformat(),
                                                          ministry.followers)]  # type: ignore[union-attr]
    assert requests <= 2  # the id lookup (which carries the follower count) and one page: no request per author


def test_a_failing_author_write_rolls_back_the_posts_and_the_bookmark(x, engine, tmp_path):
    _mentions(x)
    bus = _bus(x, engine, tmp_path)
    refuse_inserts(engine, "authors", message="authors refused")
    with pytest.raises(Exception, match="authors refused"):
        bus.handle(events.PollStream(STREAM))
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 0  # the page's posts went with its authors
        assert uow.cursors.get(STREAM) is None  # and so did the bookmark: the page is asked again
        assert uow.authors.count() == 0 and uow.authors.snapshots() == []
    allow_inserts(engine, "authors")
    bus.handle(events.PollStream(STREAM))
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 4 and uow.authors.count() == 3
        assert uow.cursors.get(STREAM) is not None


def test_start_up_places_the_authors_again_when_the_rules_changed(x, engine, tmp_path):
    from datetime import UTC, datetime

    from structlog.testing import capture_logs

    from domain import Author, Platform

    profiles = [Author(Platform.X, str(n), f"autor_{n}", datetime(2026, 11, 1, tzinfo=UTC),
                       description="Periodista regional" if n % 2 else "Me gusta el fútbol") for n in range(5)]
    with UnitOfWork(engine) as uow:  # placed by an older version of the rules: everyone a citizen
        uow.authors.upsert(profiles, lambda a: ("ciudadania", "default"), "old-rules", profiles[0].seen_at)
        uow.commit()
    with capture_logs() as logs:
        svc = _bus(x, engine, tmp_path).services
    with UnitOfWork(engine) as uow:
        stored = uow.authors.by_keys([p.key for p in profiles])
    assert {s.segment_rules_version for s in stored.values()} == {svc.segmenter.version}
    assert sorted(k[1] for k, s in stored.items() if s.segment == "medios_periodistas") == ["1", "3"]
    events_logged = [e["event"] for e in logs if e["event"].startswith("authors resegment")]
    assert events_logged == ["authors resegment started", "authors resegment progress", "authors resegment finished"]
    with capture_logs() as logs:
        _bus(x, engine, tmp_path)  # every author current: not a word, one count query
    assert not [e for e in logs if e["event"].startswith("authors resegment")]


def test_a_known_authors_daily_refresh_reorders_their_pending_posts(x, engine, tmp_path):
    from sqlalchemy import select

    from storage.models import PostReviewRow, PostRow
    from storage.reach import ReachRule

    _mentions(x)
    bus = _bus(x, engine, tmp_path)
    bus.handle(events.PollStream(STREAM))  # stored, analysed: in the inbox with the author's reach rank
    rule = ReachRule.of(bus.services.segmenter)
    citizen = x.fake.user_by_name("ciudadano_sinperfil")
    query = (select(PostReviewRow.reach_rank).join(PostRow, PostRow.id == PostReviewRow.post_id)
             .where(PostRow.author_id == citizen.id))  # type: ignore[union-attr]
    with UnitOfWork(engine) as uow:
        before = uow.session.scalar(query)
    assert before == rule.rank("ciudadania", citizen.followers)  # type: ignore[union-attr]
    x.fake.set_profile("ciudadano_sinperfil", followers=250_000)  # went viral overnight
    x.clock.advance(timedelta(hours=25))
    x.fake.post("ciudadano_sinperfil", f"@{HANDLE} y hoy tampoco hay señal", at=x.clock() - timedelta(minutes=5))
    bus.handle(events.PollStream(STREAM))
    with UnitOfWork(engine) as uow:
        old_rank = uow.session.scalar(query.order_by(PostRow.id).limit(1))
        now = uow.authors.get("x", citizen.id)  # type: ignore[union-attr]
    assert now is not None and now.author.followers == 250_000
    assert old_rank == rule.rank(now.segment, 250_000) < before  # the day-old post moved up with its author

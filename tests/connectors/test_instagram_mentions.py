"""The `instagram:mentions:<user>` stream against the fake Graph API, over an in-memory queue reader (the
connector never sees the database: bootstrap injects the reader)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from connectors.instagram import MENTIONS_PER_BATCH, InstagramConnector, build_instagram_connector
from connectors.meta_base import load_state
from domain import PostKind
from tests.fakes.graph_api import APP_SECRET, TOKEN, FakeGraphAPI, rate_limited, run_poll

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
USER, IG_ID = "mintic_colombia", "17841400000000001"
MENTIONS = f"instagram:mentions:{USER}"


@dataclass(frozen=True)
class Notice:
    id: int
    ig_user_id: str
    media_id: str
    comment_id: str | None = None


@dataclass
class Queue:
    """What storage's reader does, in memory; records each call so tests can see how it was read."""

    rows: list[Notice] = field(default_factory=list)
    calls: list[tuple[str, int, int]] = field(default_factory=list)

    def add(self, media_id: str, comment_id: str | None = None, user: str = IG_ID) -> Notice:
        notice = Notice(len(self.rows) + 1, user, media_id, comment_id)
        self.rows.append(notice)
        return notice

    def __call__(self, ig_user_id: str, after_id: int, limit: int) -> list[Notice]:
        self.calls.append((ig_user_id, after_id, limit))
        return [n for n in self.rows if n.ig_user_id == ig_user_id and n.id > after_id][:limit]


@pytest.fixture
def fake():
    with FakeGraphAPI(app_secret=APP_SECRET) as server:
        page_id = server.add_page("MinTIC Colombia", "MinTICColombia", page_id="1001")
        server.add_ig_user(USER, page_id=page_id, ig_id=IG_ID)
        yield server


@pytest.fixture
def clock():
    return ManualClock(NOW)


def make(fake: FakeGraphAPI, clock: ManualClock, queue: Queue | None, **settings) -> InstagramConnector:
    config = {"api_base_url": fake.base_url, "instagram_user_ids": {USER: IG_ID}, **settings}
    return build_instagram_connector(config, [USER], TOKEN, APP_SECRET, clock, sleep=lambda _s: None,
                                     pending_mentions=queue)


def mention_media(fake: FakeGraphAPI, text: str, hours: float = 2) -> str:
    return fake.add_media(None, NOW - timedelta(hours=hours), text, owner_username="alerta_ciudadana",
                          mentions=[IG_ID])


def after_of(cursor: str | None) -> int:
    return load_state(cursor, MENTIONS)["after"]


def test_the_stream_exists_only_with_a_queue_reader(fake, clock):
    without = make(fake, clock, None)
    assert MENTIONS not in without.streams()
    assert run_poll(without, MENTIONS).error.fatal  # an unknown stream, not a silent no-op
    assert MENTIONS in make(fake, clock, Queue()).streams()
    assert MENTIONS not in make(fake, clock, Queue(), streams=["media", "token"]).streams()


def test_queued_caption_and_comment_mentions_become_posts_and_the_bookmark_is_the_last_queue_id(fake, clock):
    media = mention_media(fake, "Denuncio estafa a nombre de @mintic_colombia")
    elsewhere = fake.add_media(None, NOW - timedelta(hours=3), "Foto", owner_username="otro")
    comment = fake.add_ig_comment(elsewhere, NOW - timedelta(hours=1), "@mintic_colombia ¿es cierto esto?")
    queue = Queue()
    queue.add(media)
    queue.add(elsewhere, comment)
    connector = make(fake, clock, queue)

    first = run_poll(connector, MENTIONS)
    assert first.error is None and sorted(first.ids) == sorted([media, comment])
    assert all(p.kind == PostKind.MENTION and not p.is_own for p in first.posts)
    by_id = {p.external_id: p for p in first.posts}
    assert by_id[media].author_handle == "alerta_ciudadana" and "estafa" in by_id[media].text
    assert by_id[comment].in_reply_to_id == elsewhere
    assert after_of(first.cursor) == 2 and TOKEN not in (first.cursor or "")

    fake.clear_log()
    second = run_poll(connector, MENTIONS, first.cursor)
    assert (second.batches, second.posts, fake.http_requests()) == (0, [], [])  # a quiet poll costs no request
    assert queue.calls[-1] == (IG_ID, 2, MENTIONS_PER_BATCH)

    later = mention_media(fake, "Otra vez @mintic_colombia", hours=0.5)
    queue.add(later)
    third = run_poll(connector, MENTIONS, first.cursor)
    assert third.ids == [later] and after_of(third.cursor) == 3


def test_other_accounts_notices_are_not_read(fake, clock):
    queue = Queue()
    queue.add(mention_media(fake, "Para @otra_cuenta"), user="17841499999999999")
    result = run_poll(make(fake, clock, queue), MENTIONS)
    assert (result.batches, result.posts, fake.http_requests()) == (0, [], [])


def test_a_mention_that_no_longer_resolves_is_set_aside_and_passed(fake, clock):
    queue = Queue()
    queue.add("17999999999999999")  # deleted or made private since Meta announced it: error 100
    kept = queue.add(mention_media(fake, "Hola @mintic_colombia"))
    result = run_poll(make(fake, clock, queue), MENTIONS)
    assert result.error is None and result.ids == [kept.media_id]
    assert len(result.rejected) == 1 and result.rejected[0].stream == MENTIONS
    assert "17999999999999999" in result.rejected[0].reason
    assert after_of(result.cursor) == 2


def test_a_long_queue_is_stored_in_batches_and_a_crash_resumes_after_the_last_stored_batch(fake, clock):
    queue = Queue()
    ids = [queue.add(mention_media(fake, f"Mención {n} @mintic_colombia")).media_id
           for n in range(MENTIONS_PER_BATCH + 3)]
    connector = make(fake, clock, queue)
    crashed = run_poll(connector, MENTIONS, max_batches=1)
    assert crashed.ids == ids[:MENTIONS_PER_BATCH] and after_of(crashed.cursor) == MENTIONS_PER_BATCH
    resumed = run_poll(connector, MENTIONS, crashed.cursor)
    assert resumed.ids == ids[MENTIONS_PER_BATCH:] and resumed.batches == 1
    assert after_of(resumed.cursor) == len(ids)


def test_a_rate_limit_keeps_the_mentions_queued_instead_of_losing_them(fake, clock):
    queue = Queue()
    media = queue.add(mention_media(fake, "Urgente @mintic_colombia")).media_id
    fake.fail(rf"/{IG_ID}$", rate_limited(4), status=403)
    connector = make(fake, clock, queue)
    failed = run_poll(connector, MENTIONS)
    assert failed.batches == 0 and failed.posts == [] and failed.rejected == []  # no bookmark moved
    clock.advance(timedelta(hours=1))  # past the pause
    retried = run_poll(connector, MENTIONS, failed.cursor)
    assert retried.ids == [media] and after_of(retried.cursor) == 1

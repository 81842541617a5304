"""The X connector through the real tweepy client against the fake X API: backfill, steady polling, bursts,
crashes between pages and restarts. Every answer the fake gives is checked against X's OpenAPI spec."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from connectors.x_cursor import parse_cursor
from domain import Platform, PostKind
from tests.connectors.x_support import HANDLE, Harness, x_harness

MENTIONS = f"x:mentions:{HANDLE}"
OWN = f"x:own:{HANDLE}"
METRICS = f"x:metrics:{HANDLE}"
SEARCH = "x:search:1"


@pytest.fixture
def x() -> Iterator[Harness]:
    with x_harness() as harness:
        yield harness


def test_backfill_takes_the_configured_window_and_maps_tweets(x):
    x.mentions(5, start=x.clock() - timedelta(hours=30))  # older than backfill_hours=24: not collected
    recent = x.mentions(150, start=x.clock() - timedelta(hours=3))
    connector = x.connector()
    result = x.poll(connector, MENTIONS)
    assert result.error is None
    assert sorted(p.external_id for p in result.posts) == sorted(recent)
    assert result.requests == 1 + 2  # the user lookup, then ceil(150 / 100) pages
    post = x.store.posts[recent[0]]
    assert post.platform is Platform.X and post.kind is PostKind.MENTION and post.account == HANDLE
    assert post.author_handle == "ciudadano_0" and post.author_id == x.fake.user_by_name("ciudadano_0").id
    assert post.url == f"https://x.com/ciudadano_0/status/{recent[0]}"
    assert post.lang == "es" and not post.is_own
    assert post.metrics.likes == 0 and post.metrics.reposts == 0
    assert post.raw["id"] == recent[0] and post.raw["_expansions"]["author"]["username"] == "ciudadano_0"
    assert parse_cursor(x.store.cursors[MENTIONS]).since_id == max(recent, key=int)
    lookups = x.fake.requests_to("users_by_username")
    assert len(lookups) == 1
    first = x.fake.requests_to("mentions")[0].params
    assert first["max_results"] == "100" and "start_time" in first and "since_id" not in first
    assert set(first["tweet.fields"].split(",")) >= {"public_metrics", "created_at", "lang", "conversation_id",
                                                     "in_reply_to_user_id", "referenced_tweets"}
    assert set(first["expansions"].split(",")) == {"author_id", "referenced_tweets.id", "geo.place_id"}


def test_steady_polling_costs_one_request_per_stream_and_ceil_n_over_100(x):
    x.mentions(20)
    connector = x.connector()
    for stream in (MENTIONS, OWN, SEARCH):
        x.poll(connector, stream)
    for stream in (MENTIONS, OWN, SEARCH):
        quiet = x.poll(connector, stream)
        assert (quiet.requests, quiet.batches) == (1, []), stream
    for new, pages in ((1, 1), (99, 1), (100, 1), (101, 2), (250, 3)):
        ids = x.mentions(new, start=x.clock() + timedelta(seconds=1))
        x.clock.advance(timedelta(minutes=60))
        result = x.poll(connector, MENTIONS)
        assert result.requests == pages, new
        assert sorted(p.external_id for p in result.posts) == sorted(ids)
        assert parse_cursor(x.store.cursors[MENTIONS]).since_id == max(ids, key=int)
        since = x.fake.requests_to("mentions")[-pages].params["since_id"]
        assert int(since) < min(int(i) for i in ids)
    assert all(count == 1 for count in x.store.writes.values())


def test_a_burst_of_1000_mentions_is_stored_completely_past_the_800_mention_cap(x):
    x.mentions(3)
    connector = x.connector()
    x.poll(connector, MENTIONS)
    burst = x.mentions(1000, start=x.clock() + timedelta(seconds=1), step=timedelta(milliseconds=700))
    x.clock.advance(timedelta(minutes=15))
    with capture_logs() as logs:
        result = x.poll(connector, MENTIONS)
    assert result.error is None
    assert {p.external_id for p in result.posts} == set(burst)
    assert len(result.posts) == 1000  # none twice
    assert result.requests == 10  # 8 timeline pages (X's 800 cap) + 2 recent-search pages for the rest
    assert [r.endpoint for r in x.fake.requests[-10:]] == ["mentions"] * 8 + ["search_recent"] * 2
    assert all(p.kind is PostKind.MENTION and p.account == HANDLE for p in result.posts)
    assert any(e["event"].startswith("x timeline cap reached") for e in logs)
    assert parse_cursor(x.store.cursors[MENTIONS]).since_id == max(burst, key=int)
    assert x.poll(connector, MENTIONS).requests == 1


def test_without_gap_filling_the_cap_is_reported(x):
    x.mentions(1)
    connector = x.connector(fill_timeline_gaps=False)
    x.poll(connector, MENTIONS)
    x.mentions(900, start=x.clock() + timedelta(seconds=1), step=timedelta(milliseconds=500))
    with capture_logs() as logs:
        result = x.poll(connector, MENTIONS)
    assert len(result.posts) == 800 and result.requests == 8
    assert any("older posts may be missing" in e["event"] for e in logs)


def test_a_crash_between_pages_neither_loses_nor_duplicates(x):
    connector = x.connector()
    x.poll(connector, MENTIONS)  # first run: nothing yet, bookmark with the user id
    ids = x.mentions(350, start=x.clock() + timedelta(seconds=1))
    x.clock.advance(timedelta(minutes=20))
    crashed = x.poll(connector, MENTIONS, max_batches=2)
    assert len(crashed.posts) == 200
    pending = parse_cursor(x.store.cursors[MENTIONS]).pending
    assert pending is not None and pending.newest_id == max(ids, key=int)
    late = x.mentions(4, start=x.clock() + timedelta(seconds=1))  # arrive while the bot is down
    restarted = x.connector()  # a new process: only the stored cursor survives
    resumed = x.poll(restarted, MENTIONS)
    assert resumed.requests == 2  # 150 left below the stored page: no lookup (the id is in the cursor)
    assert "until_id" in x.fake.requests_to("mentions")[-2].params
    assert {p.external_id for p in crashed.posts + resumed.posts} == set(ids)
    assert all(count == 1 for count in x.store.writes.values())
    state = parse_cursor(x.store.cursors[MENTIONS])
    assert state.pending is None and state.since_id == max(ids, key=int)
    after = x.poll(restarted, MENTIONS)
    assert {p.external_id for p in after.posts} == set(late) and after.requests == 1


def test_a_restart_with_saved_cursors_costs_one_request_per_stream(x):
    x.mentions(30)
    x.fake.post(HANDLE, "Convocatoria abierta #MinTIC", at=x.clock() - timedelta(hours=2))
    first = x.connector()
    for stream in first.streams():
        x.poll(first, stream)
    second = x.connector()
    counts = {stream: x.poll(second, stream).requests for stream in second.streams()}
    assert counts == {MENTIONS: 1, OWN: 1, METRICS: 0, SEARCH: 1}  # metrics: refreshed moments ago
    assert x.fake.requests_to("users_by_username").__len__() == 1


def test_own_posts_and_replies_to_citizens_are_recognised(x):
    announcement = x.fake.post(HANDLE, "Abrimos la convocatoria Talento TI", at=x.clock() - timedelta(hours=5))
    question = x.fake.post("ciudadana_ana", f"@{HANDLE} ¿hasta cuándo hay plazo?", at=x.clock() - timedelta(hours=4),
                           reply_to=announcement)
    answer = x.fake.post(HANDLE, "@ciudadana_ana hasta el viernes", at=x.clock() - timedelta(hours=3),
                         reply_to=question)
    thread = x.fake.post(HANDLE, "2/ Requisitos en mintic.gov.co", at=x.clock() - timedelta(hours=5, minutes=-1),
                         reply_to=announcement)
    repost = x.fake.post(HANDLE, "RT @otro: noticia", at=x.clock() - timedelta(hours=2),
                         retweet=x.fake.post("otro", "noticia", at=x.clock() - timedelta(hours=6)))
    connector = x.connector()
    own = {p.external_id: p for p in x.poll(connector, OWN).posts}
    assert set(own) == {announcement, answer, thread}  # the repost is not the ministry's content
    assert repost not in own
    assert own[answer].kind is PostKind.REPLY and own[answer].in_reply_to_id == question
    assert own[answer].conversation_id == announcement and own[answer].is_own
    assert own[thread].kind is PostKind.OWN_POST  # a thread continues the ministry's own post
    assert own[announcement].kind is PostKind.OWN_POST and own[announcement].author_handle == HANDLE
    mention = x.poll(connector, MENTIONS).posts
    assert [(p.external_id, p.kind, p.in_reply_to_id) for p in mention] == [(question, PostKind.REPLY, announcement)]


def test_metrics_of_recent_own_posts_are_refreshed_on_their_own_schedule(x):
    old = x.fake.post(HANDLE, "Publicación de hace dos semanas", at=x.clock() - timedelta(days=14))
    recent = x.fake.post(HANDLE, "Publicación de ayer", at=x.clock() - timedelta(days=1))
    connector = x.connector(metrics_refresh_minutes=60)
    first = x.poll(connector, METRICS)
    assert [p.external_id for p in first.posts] == [recent] and first.requests == 2  # lookup + one page
    x.fake.set_metrics(recent, like_count=40, retweet_count=7, reply_count=3, quote_count=1, impression_count=900)
    x.fake.set_metrics(old, like_count=99)
    x.clock.advance(timedelta(minutes=30))
    assert x.poll(connector, METRICS).requests == 0  # not due yet: no request at all
    x.clock.advance(timedelta(minutes=31))
    refreshed = x.poll(connector, METRICS)
    assert refreshed.requests == 1
    metrics = x.store.posts[recent].metrics
    assert (metrics.likes, metrics.reposts, metrics.replies, metrics.quotes, metrics.impressions) == (40, 7, 3, 1, 900)
    assert old not in x.store.posts


def test_search_hits_are_deduplicated_against_mentions_and_own_posts(x):
    x.fake.add_user("MinTIC_responde")
    ministry = x.fake.post(HANDLE, "Nueva convocatoria #MinTIC", at=x.clock() - timedelta(hours=3))
    mention = x.fake.post("ciudadano_1", f"@{HANDLE} el MinTIC no responde", at=x.clock() - timedelta(hours=2))
    reply = x.fake.post("ciudadano_2", "el MinTIC debería explicar", at=x.clock() - timedelta(hours=2),
                        reply_to=ministry)
    hit = x.fake.post("periodista", "Según el MinTIC habrá 5G en 2027", at=x.clock() - timedelta(hours=1))
    quote = x.fake.post("analista", "Ojo con este anuncio del MinTIC", at=x.clock() - timedelta(minutes=30),
                        quote=ministry)
    x.fake.post("bot_rt", "RT Nueva convocatoria #MinTIC", at=x.clock() - timedelta(minutes=20), retweet=ministry)
    connector = x.connector()
    x.poll(connector, MENTIONS)  # resolves the handle's id, as the bot's first round does
    search = {p.external_id: p for p in x.poll(connector, SEARCH).posts}
    assert set(search) == {hit, quote}
    assert all(p.kind is PostKind.SEARCH_HIT and not p.is_own for p in search.values())
    assert search[quote].account == HANDLE  # it quotes the ministry's post
    mentions = {p.external_id for p in x.poll(connector, MENTIONS).posts} | set(x.store.posts)
    assert {mention, reply} <= mentions


def test_languages_without_words_map_to_none(x):
    ids = {lang: x.fake.post("c", f"@{HANDLE} 👍 {lang}", lang=lang, at=x.clock() - timedelta(minutes=5))
           for lang in ("qme", "und", "zxx", "en")}
    x.poll(x.connector(), MENTIONS)
    assert {lang: x.store.posts[i].lang for lang, i in ids.items()} == {"qme": None, "und": None, "zxx": None,
                                                                         "en": "en"}


def test_long_posts_keep_their_full_text(x):
    text = f"@{HANDLE} " + "llevo semanas esperando respuesta sobre mi inscripción " * 8
    tweet = x.fake.post("c", text.strip(), at=x.clock() - timedelta(minutes=5))
    x.poll(x.connector(), MENTIONS)
    assert x.store.posts[tweet].text == text.strip() and len(text) > 280


@pytest.mark.parametrize("naming", ["spec", "tweet"])
def test_both_wire_namings_give_the_same_posts(naming):
    """The spec says referenced_posts / repost_count, X's guides and tweepy referenced_tweets / retweet_count."""
    harness = Harness(naming=naming, validate=naming == "spec")
    try:
        root = harness.fake.post(HANDLE, "Anuncio", at=harness.clock() - timedelta(hours=2),
                                 metrics={"retweet_count": 4})
        reply = harness.fake.post("c", f"@{HANDLE} gracias", at=harness.clock() - timedelta(hours=1), reply_to=root)
        harness.fake.set_metrics(reply, retweet_count=2, like_count=5)
        connector = harness.connector()
        posts = {p.external_id: p for s in (MENTIONS, OWN) for p in harness.poll(connector, s).posts}
        assert posts[reply].in_reply_to_id == root and posts[reply].kind is PostKind.REPLY
        assert (posts[reply].metrics.reposts, posts[reply].metrics.likes) == (2, 5)
        assert posts[root].metrics.reposts == 4
        assert posts[reply].raw["_expansions"]["referenced_tweets"][0]["id"] == root
        assert harness.fake.schema_errors == []
    finally:
        harness.close()

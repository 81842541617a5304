"""The Facebook Page connector against the fake Graph API: backfill, steady polling, bookmarks, odd payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from connectors.base import ConnectorError
from connectors.facebook import FacebookConnector, build_facebook_connector
from domain import Platform, PostKind
from tests.fakes.graph_api import APP_SECRET, TOKEN, FakeGraphAPI, run_poll

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
PAGE = "MinTICColombia"
PAGE_ID = "1001"
POSTS, COMMENTS, TAGGED = f"facebook:posts:{PAGE}", f"facebook:comments:{PAGE}", f"facebook:tagged:{PAGE}"
MINISTRY = (PAGE_ID, "MinTIC Colombia")


@pytest.fixture
def fake():
    with FakeGraphAPI(app_secret=APP_SECRET) as server:
        server.add_page("MinTIC Colombia", PAGE, page_id=PAGE_ID)
        yield server


@pytest.fixture
def clock():
    return ManualClock(NOW)


def make(fake: FakeGraphAPI, clock: ManualClock, **settings) -> FacebookConnector:
    config = {"api_base_url": fake.base_url, "page_ids": {PAGE: PAGE_ID}, **settings}
    return build_facebook_connector(config, [PAGE], TOKEN, APP_SECRET, clock, sleep=lambda _s: None)


def hours_ago(h: float) -> datetime:
    return NOW - timedelta(hours=h)


# --- streams and posts ------------------------------------------------------------------------------


def test_streams_are_named_by_platform_kind_and_page(fake, clock):
    assert make(fake, clock).streams() == [POSTS, COMMENTS, TAGGED, "facebook:token"]
    assert make(fake, clock, streams=["comments"]).streams() == [COMMENTS]
    with pytest.raises(ValueError, match="allowed"):
        make(fake, clock, streams=["media"])


def test_posts_backfill_the_metrics_window_with_interaction_counts(fake, clock):
    recent = fake.add_post(PAGE_ID, hours_ago(5), "Abrimos la convocatoria Talento TI", reactions=40, shares=3)
    fake.add_comment(recent, hours_ago(4), "¿Cómo me inscribo?")
    fake.add_post(PAGE_ID, NOW - timedelta(days=6), None, reactions=2)  # a photo without text
    fake.add_post(PAGE_ID, NOW - timedelta(days=9), "Fuera de la ventana")
    result = run_poll(make(fake, clock), POSTS)
    assert result.error is None and len(result.posts) == 2
    first = result.posts[0]
    assert (first.platform, first.kind, first.is_own, first.account) == (Platform.FACEBOOK, PostKind.OWN_POST, True,
                                                                          PAGE)
    assert (first.metrics.reactions, first.metrics.comments, first.metrics.shares) == (40, 1, 3)
    assert first.url.startswith("https://www.facebook.com/") and first.lang is None
    assert result.posts[1].text == "" and result.posts[1].metrics.shares == 0


def test_posts_are_refreshed_every_poll_so_edits_and_counts_update(fake, clock):
    post = fake.add_post(PAGE_ID, hours_ago(5), "Texto original", reactions=10)
    connector = make(fake, clock)
    first = run_poll(connector, POSTS)
    fake.edit_post(post, "Texto corregido", hours_ago(1))
    fake.posts[post]["reactions"] = 25
    fake.clear_log()
    second = run_poll(connector, POSTS, first.cursor)
    assert [p.text for p in second.posts] == ["Texto corregido"] and second.posts[0].metrics.reactions == 25
    assert second.posts[0].external_id == first.posts[0].external_id
    assert len(fake.http_requests()) == 1  # one request refreshes the whole window


def test_posts_over_several_pages_move_the_bookmark_only_with_the_last_page(fake, clock):
    ids = [fake.add_post(PAGE_ID, hours_ago(1 + i), f"Publicación {i}") for i in range(12)]
    result = run_poll(make(fake, clock, page_size=5), POSTS)
    assert result.ids == ids and result.batches == 3
    marks = [json.loads(c)["mark"] for c in _cursors(make(fake, clock, page_size=5), POSTS)]
    assert marks[:2] == [None, None] and marks[2]["ids"] == [ids[0]]
    listing = [r for r in fake.http_requests() if r.path.endswith("/posts")]
    assert len(listing) == 6  # time-based paging (until + __paging_token), no cursors
    assert len(fake.http_requests()) == 6 + 2  # and each fresh connector's follower snapshot of the day


def _cursors(connector: FacebookConnector, stream: str) -> list[str]:
    return [batch.cursor for batch in connector.poll(stream, None)]


def test_after_an_outage_posts_are_read_back_to_the_bookmark(fake, clock):
    connector = make(fake, clock, metrics_refresh_days=1, backfill_hours=24)
    fake.add_post(PAGE_ID, hours_ago(2), "Antes de la caída")
    first = run_poll(connector, POSTS)
    clock.advance(timedelta(days=4))  # Vigía was down for four days
    fake.add_post(PAGE_ID, NOW + timedelta(days=1), "Durante la caída")
    second = run_poll(connector, POSTS, first.cursor)
    assert "Durante la caída" in [p.text for p in second.posts]


def test_the_page_id_is_looked_up_once_by_username(fake, clock):
    connector = build_facebook_connector({"api_base_url": fake.base_url}, [PAGE], TOKEN, APP_SECRET, clock)
    run_poll(connector, POSTS)
    run_poll(connector, POSTS)
    lookups = [r for r in fake.http_requests() if r.path.endswith(f"/{PAGE}")]
    assert len(lookups) == 1 and connector.page_id(PAGE) == PAGE_ID


# --- comments -------------------------------------------------------------------------------------


def test_comments_and_replies_with_the_pages_own_replies_marked(fake, clock):
    post = fake.add_post(PAGE_ID, hours_ago(6), "Convocatoria")
    question = fake.add_comment(post, hours_ago(5), "¿Hasta cuándo hay plazo?")
    answer = fake.add_comment(post, hours_ago(4), "Hasta el 30 de noviembre", author=MINISTRY, parent=question)
    follow = fake.add_comment(post, hours_ago(3), "Gracias", parent=question)
    sticker = fake.add_comment(post, hours_ago(2), "", attachment={"type": "sticker", "url": "https://x.invalid"})
    result = run_poll(make(fake, clock), COMMENTS)
    by_id = {p.external_id: p for p in result.posts}
    assert set(by_id) == {question, answer, follow, sticker}
    assert (by_id[question].kind, by_id[question].in_reply_to_id, by_id[question].is_own) == (
        PostKind.COMMENT, post, False)
    assert (by_id[answer].kind, by_id[answer].is_own, by_id[answer].in_reply_to_id) == (PostKind.REPLY, True, question)
    assert by_id[answer].author_handle == PAGE
    assert (by_id[follow].kind, by_id[follow].is_own) == (PostKind.REPLY, False)
    assert by_id[sticker].text == "" and by_id[sticker].raw["attachment"]["type"] == "sticker"
    assert all(p.conversation_id == post for p in result.posts)
    assert by_id[question].metrics.replies == 2


def test_steady_polling_stops_at_the_bookmark_and_a_quiet_poll_costs_one_request(fake, clock):
    old = fake.add_post(PAGE_ID, NOW - timedelta(days=3), "Publicación de hace días")
    new = fake.add_post(PAGE_ID, hours_ago(3), "Publicación nueva")
    for i in range(40):
        fake.add_comment(old, NOW - timedelta(days=2, minutes=i), f"viejo {i}")
    connector = make(fake, clock, backfill_hours=24 * 7)
    first = run_poll(connector, COMMENTS)
    assert len(first.posts) == 40
    fake.clear_log()
    quiet = run_poll(connector, COMMENTS, first.cursor)
    assert quiet.posts == [] and len(fake.http_requests()) == 1
    fresh = [fake.add_comment(old, hours_ago(1), "nuevo en la vieja"), fake.add_comment(new, hours_ago(0.5), "hola")]
    fake.clear_log()
    clock.advance(timedelta(minutes=5))
    third = run_poll(connector, COMMENTS, quiet.cursor)
    assert sorted(third.ids) == sorted(fresh)
    assert len(fake.http_requests()) == 2  # the listing, then one batch with both first pages


def test_thousands_of_comments_25_per_page_without_loss_or_duplicates(fake, clock):
    post = fake.add_post(PAGE_ID, hours_ago(20), "Anuncio con mucha conversación")
    for i in range(3000):
        fake.add_comment(post, hours_ago(19) + timedelta(seconds=20 * i), f"comentario {i}")
    connector = make(fake, clock, comments_page_size=25)
    first = run_poll(connector, COMMENTS)
    assert len(first.ids) == 3000 == len(set(first.ids))
    assert len(fake.http_requests()) == 1 + 1 + 119  # listing, batch with page 1, pages 2..120
    for i in range(60):
        fake.add_comment(post, hours_ago(0.5) + timedelta(seconds=i), f"nuevo {i}")
    fake.clear_log()
    second = run_poll(connector, COMMENTS, first.cursor)
    assert len(second.ids) == 60 and set(second.ids).isdisjoint(first.ids)
    assert len(fake.http_requests()) == 4  # listing, batch (25), then 2 more pages down to the bookmark


def test_a_crash_between_pages_neither_loses_nor_duplicates(fake, clock):
    post = fake.add_post(PAGE_ID, hours_ago(10), "Anuncio")
    for i in range(120):
        fake.add_comment(post, hours_ago(9) + timedelta(minutes=i), f"c{i}")
    connector = make(fake, clock, comments_page_size=25)
    baseline = run_poll(connector, COMMENTS)
    for i in range(110):
        fake.add_comment(post, hours_ago(1) + timedelta(seconds=10 * i), f"n{i}")
    crashed = run_poll(connector, COMMENTS, baseline.cursor, max_batches=2)  # stored 2 pages, then died
    assert len(crashed.ids) == 50
    resumed = run_poll(make(fake, clock, comments_page_size=25), COMMENTS, crashed.cursor)  # a new process
    collected = crashed.ids + resumed.ids
    assert len(collected) == 110 == len(set(collected))
    fake.clear_log()
    assert run_poll(connector, COMMENTS, resumed.cursor).ids == []


def test_busy_posts_are_paged_together_in_batch_rounds_and_survive_a_crash(fake, clock):
    posts = [fake.add_post(PAGE_ID, hours_ago(10 + i), f"Anuncio {i}") for i in range(60)]
    connector = make(fake, clock, comments_page_size=25)
    baseline = run_poll(connector, COMMENTS)
    new = {fake.add_comment(p, hours_ago(2) + timedelta(seconds=20 * i), f"{n}-{i}")
           for n, p in enumerate(posts) for i in range(60)}  # 60 new comments under each of 60 posts
    fake.clear_log()
    crashed = run_poll(connector, COMMENTS, baseline.cursor, max_batches=3)  # died in round 2
    resumed = run_poll(make(fake, clock, comments_page_size=25), COMMENTS, crashed.cursor)
    collected = crashed.ids + resumed.ids
    assert len(collected) == len(new) == len(set(collected)) and set(collected) == new
    # pages of 25: 3 rounds of 2 batch calls (50 posts per call). Before the crash: listing + 3 calls; after
    # it: listing + 2 calls (every post resumes at its saved cursor) + 1 call for the 10 still unfinished.
    # One request per page would be 60 x 3 = 180.
    assert len(fake.http_requests()) == 8


def test_a_refused_saved_cursor_restarts_from_the_newest_without_loss(fake, clock):
    post = fake.add_post(PAGE_ID, hours_ago(10), "Anuncio")
    connector = make(fake, clock, comments_page_size=25)
    baseline = run_poll(connector, COMMENTS)
    for i in range(80):
        fake.add_comment(post, hours_ago(2) + timedelta(seconds=30 * i), f"n{i}")
    crashed = run_poll(connector, COMMENTS, baseline.cursor, max_batches=1)
    state = json.loads(crashed.cursor)
    state["objects"][post]["edge"]["after"] = "ZXhwaXJlZA"  # an expired cursor: Meta refuses it
    resumed = run_poll(connector, COMMENTS, json.dumps(state))
    assert resumed.error is None
    assert set(crashed.ids) | set(resumed.ids) == {c for c in fake.comments if fake.comments[c]["post_id"] == post}


def test_a_deleted_bookmark_comment_and_a_deleted_post_are_handled(fake, clock):
    kept = fake.add_post(PAGE_ID, hours_ago(10), "Sigue publicada")
    gone = fake.add_post(PAGE_ID, hours_ago(9), "Será borrada")
    last = fake.add_comment(kept, hours_ago(3), "el más reciente")
    fake.add_comment(kept, hours_ago(4), "otro")
    fake.add_comment(gone, hours_ago(3), "en la borrada")
    connector = make(fake, clock)
    first = run_poll(connector, COMMENTS)
    fake.delete_comment(last)  # the bookmark itself disappears
    new = fake.add_comment(kept, hours_ago(1), "nuevo")
    fake.add_comment(gone, hours_ago(1), "nuevo en la borrada")
    fake.fail(rf"/{gone}/comments$", {"error": {"message": "Unsupported get request. Object does not exist",
                                                "type": "GraphMethodException", "code": 100,
                                                "error_subcode": 33, "fbtrace_id": "x"}})
    second = run_poll(connector, COMMENTS, first.cursor)
    assert second.error is None and second.ids == [new]
    assert gone not in json.loads(second.cursor)["objects"]


def test_hidden_comments_are_kept_or_set_aside_as_configured(fake, clock):
    post = fake.add_post(PAGE_ID, hours_ago(5), "Anuncio")
    hidden = fake.add_comment(post, hours_ago(2), "Los voy a encontrar", hidden=True)
    kept = run_poll(make(fake, clock), COMMENTS)
    assert kept.ids == [hidden] and kept.posts[0].raw["is_hidden"] is True
    aside = run_poll(make(fake, clock, hidden_comments="set_aside"), COMMENTS)
    assert aside.posts == [] and len(aside.rejected) == 1 and "oculto" in aside.rejected[0].reason


def test_without_pages_read_user_content_comment_authors_are_unknown(fake, clock):
    fake.tokens[TOKEN].scopes = ("pages_read_engagement",)
    post = fake.add_post(PAGE_ID, hours_ago(5), "Anuncio")
    fake.add_comment(post, hours_ago(2), "sin autor visible")
    fake.add_comment(post, hours_ago(1), "respuesta", author=MINISTRY)
    result = run_poll(make(fake, clock), COMMENTS)
    authors = {p.text: (p.author_id, p.is_own) for p in result.posts}
    assert authors == {"sin autor visible": ("unknown", False), "respuesta": (PAGE_ID, True)}


def test_malformed_items_are_set_aside_and_the_rest_stored(fake, clock):
    post = fake.add_post(PAGE_ID, hours_ago(5), "Anuncio")
    good = fake.add_comment(post, hours_ago(2), "bien")
    body = {"data": [{"id": "1_1", "message": 42, "created_time": graph_time(hours_ago(1))},
                     {"message": "sin id", "created_time": graph_time(hours_ago(1))},
                     {"id": "1_3", "message": "fecha mala", "created_time": "ayer"},
                     "not an object",
                     {"id": good, "message": "bien", "created_time": graph_time(hours_ago(2))}]}
    fake.fail(rf"/{post}/comments$", body, status=200)
    result = run_poll(make(fake, clock), COMMENTS)
    assert result.error is None and result.ids == [good]
    assert len(result.rejected) == 4 and all("carga no reconocida" in r.reason for r in result.rejected)


def test_a_listing_without_data_is_kept_aside_as_a_warning_not_a_crash(fake, clock):
    fake.fail(r"/posts$", {"unexpected": True}, status=200)
    result = run_poll(make(fake, clock), POSTS)
    # Same rule as X: one malformed page is a warning and is kept; the bot escalates repeats (bot/alerts/problems.py).
    assert isinstance(result.error, ConnectorError) and not result.error.fatal
    assert result.error.problem == "payload:facebook" and "la API pudo cambiar" in str(result.error)
    assert [r.payload for r in result.rejected] == [{"unexpected": True}]
    assert result.cursor is None  # the bookmark does not move past a page that was not read


# --- tags and visitor posts -------------------------------------------------------------------------


def test_tagged_and_visitor_posts_are_mentions_and_own_feed_posts_are_skipped(fake, clock):
    fake.add_post(PAGE_ID, hours_ago(3), "Nuestra publicación")
    tagged = fake.add_post(PAGE_ID, hours_ago(2), "Sin señal en el Centro Digital de Mitú @MinTIC", kind="tagged")
    visitor = fake.add_post(PAGE_ID, hours_ago(1), "Solicito información sobre becas", kind="visitor")
    connector = make(fake, clock)
    result = run_poll(connector, TAGGED)
    assert set(result.ids) == {tagged, visitor}
    assert all(p.kind == PostKind.MENTION and not p.is_own and p.author_id == "unknown" for p in result.posts)
    fake.clear_log()
    assert run_poll(connector, TAGGED, result.cursor).ids == []
    assert len(fake.http_requests()) == 2  # one request per edge


def test_a_missing_permission_names_it_and_the_edge_rests_without_calls(fake, clock):
    fake.tokens[TOKEN].scopes = ("pages_read_engagement",)
    fake.add_post(PAGE_ID, hours_ago(1), "Visita", kind="visitor")
    connector = make(fake, clock, tagged_edges=["tagged"])
    first = run_poll(connector, TAGGED)
    assert first.error is not None and first.error.fatal
    assert "pages_read_user_content" in str(first.error) and TOKEN not in str(first.error)
    fake.clear_log()
    clock.advance(timedelta(hours=2))
    again = run_poll(connector, TAGGED, first.cursor)  # still missing: still reported (the bot repeats
    assert again.error is not None and "pages_read_user_content" in str(again.error)  # alerts hourly at most)
    assert fake.http_requests() == []  # but no call is wasted on it for permission_retry_hours
    assert run_poll(connector, POSTS).error is None  # other streams go on
    clock.advance(timedelta(hours=23))
    fake.tokens[TOKEN].scopes = ("pages_read_engagement", "pages_read_user_content")  # granted meanwhile
    assert len(run_poll(connector, TAGGED).ids) == 0 and fake.http_requests()[-1].path.endswith("/tagged")


def test_visitor_posts_without_permission_do_not_stop_the_tagged_edge(fake, clock):
    fake.fail(r"/feed$", {"error": {"message": "(#10) This endpoint requires the 'pages_read_user_content' "
                                               "permission", "type": "OAuthException", "code": 10,
                                    "fbtrace_id": "t"}}, status=403)
    tagged = fake.add_post(PAGE_ID, hours_ago(2), "Sin señal @MinTIC", kind="tagged")
    result = run_poll(make(fake, clock), TAGGED)
    assert result.ids == [tagged]  # stored before the error is reported
    assert result.error is not None and "(feed)" in str(result.error)


def test_an_unknown_stream_is_a_fatal_error(fake, clock):
    result = run_poll(make(fake, clock), "facebook:posts:OtraPagina")
    assert result.error is not None and result.error.fatal


def graph_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")

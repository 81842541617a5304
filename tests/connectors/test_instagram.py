"""The Instagram connector against the fake Graph API: media, nested comments, tags, mentions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from connectors.instagram import InstagramConnector, build_instagram_connector
from domain import Platform, PostKind
from tests.fakes.graph_api import APP_SECRET, TOKEN, FakeGraphAPI, run_poll

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
USER = "mintic_colombia"
MEDIA, COMMENTS, TAGS = f"instagram:media:{USER}", f"instagram:comments:{USER}", f"instagram:tags:{USER}"


@pytest.fixture
def fake():
    with FakeGraphAPI(app_secret=APP_SECRET) as server:
        page_id = server.add_page("MinTIC Colombia", "MinTICColombia", page_id="1001")
        server.add_ig_user(USER, page_id=page_id, ig_id="17841400000000001")
        yield server


@pytest.fixture
def clock():
    return ManualClock(NOW)


IG_ID = "17841400000000001"


def make(fake: FakeGraphAPI, clock: ManualClock, **settings) -> InstagramConnector:
    config = {"api_base_url": fake.base_url, "instagram_user_ids": {USER: IG_ID}, **settings}
    return build_instagram_connector(config, [USER], TOKEN, APP_SECRET, clock, sleep=lambda _s: None)


def hours_ago(h: float) -> datetime:
    return NOW - timedelta(hours=h)


def test_media_with_counts_and_without_caption(fake, clock):
    photo = fake.add_media(IG_ID, hours_ago(5), "Centros Digitales en La Guajira #MinTIC", likes=320)
    reel = fake.add_media(IG_ID, hours_ago(30), None, likes=15, media_type="VIDEO")  # no caption at all
    fake.add_media(IG_ID, NOW - timedelta(days=10), "fuera de la ventana")
    fake.add_ig_comment(photo, hours_ago(4), "¿Cuándo llega a Uribia?")
    result = run_poll(make(fake, clock, backfill_hours=48), MEDIA)
    assert result.error is None and result.ids == [photo, reel]
    first, second = result.posts
    assert (first.platform, first.kind, first.is_own, first.author_handle) == (Platform.INSTAGRAM,
                                                                              PostKind.OWN_POST, True, USER)
    assert (first.metrics.likes, first.metrics.comments) == (320, 1)
    assert first.url.startswith("https://www.instagram.com/p/")
    assert second.text == "" and second.metrics.likes == 15


def test_insights_add_views_reach_and_saves_when_enabled_never_as_impressions(fake, clock):
    fake.add_media(IG_ID, hours_ago(5), "Foto", likes=3, saves=12, views=900, reach=640)
    result = run_poll(make(fake, clock, insights=True), MEDIA)
    [post] = result.posts
    assert (post.metrics.views, post.metrics.reach, post.metrics.saves) == (900, 640, 12)
    assert post.metrics.impressions is None  # Instagram's views count repeats: not X's impressions
    [listing] = [r for r in fake.http_requests() if r.path.endswith("/media")]
    assert "insights.metric(views,reach,saved)" in listing.params["fields"]
    [plain] = run_poll(make(fake, clock), MEDIA).posts
    assert (plain.metrics.views, plain.metrics.reach, plain.metrics.saves) == (None, None, None)


def test_comments_and_replies_with_the_accounts_own_answers(fake, clock):
    media = fake.add_media(IG_ID, hours_ago(6), "Convocatoria Talento TI")
    question = fake.add_ig_comment(media, hours_ago(5), "¿Hay cupos para Nariño?", username="ana.pasto")
    answer = fake.add_ig_comment(media, hours_ago(4), "Sí, hasta el viernes", username=USER, user_id=IG_ID,
                                 parent=question)
    thanks = fake.add_ig_comment(media, hours_ago(3), "Gracias", username="ana.pasto", parent=question)
    result = run_poll(make(fake, clock), COMMENTS)
    by_id = {p.external_id: p for p in result.posts}
    assert set(by_id) == {question, answer, thanks}
    assert (by_id[question].kind, by_id[question].in_reply_to_id, by_id[question].author_handle) == (
        PostKind.COMMENT, media, "ana.pasto")
    assert (by_id[answer].kind, by_id[answer].is_own, by_id[answer].in_reply_to_id) == (PostKind.REPLY, True,
                                                                                         question)
    assert (by_id[thanks].kind, by_id[thanks].is_own) == (PostKind.REPLY, False)
    assert all(p.conversation_id == media and p.url == fake.media[media]["permalink"] for p in result.posts)
    assert "replies" not in by_id[question].raw


def test_quiet_polls_cost_one_request_and_new_comments_are_found(fake, clock):
    media = [fake.add_media(IG_ID, hours_ago(10 + i), f"media {i}") for i in range(5)]
    for i, m in enumerate(media):
        fake.add_ig_comment(m, hours_ago(9), f"comentario {i}")
    connector = make(fake, clock)
    first = run_poll(connector, COMMENTS)
    assert len(first.ids) == 5
    fake.clear_log()
    quiet = run_poll(connector, COMMENTS, first.cursor)
    assert quiet.ids == [] and len(fake.http_requests()) == 1
    new = fake.add_ig_comment(media[3], hours_ago(1), "nuevo")
    fake.clear_log()
    assert run_poll(connector, COMMENTS, quiet.cursor).ids == [new]
    assert len(fake.http_requests()) == 2  # listing + one batch with the changed media only


def test_a_new_reply_under_an_old_comment_is_found_through_the_count(fake, clock):
    media = fake.add_media(IG_ID, hours_ago(20), "Anuncio")
    tops = [fake.add_ig_comment(media, hours_ago(19) + timedelta(minutes=i), f"c{i}") for i in range(120)]
    connector = make(fake, clock, comments_page_size=50)
    first = run_poll(connector, COMMENTS)
    assert len(first.ids) == 120
    late = fake.add_ig_comment(media, hours_ago(1), "respondo tarde", parent=tops[30])  # on page 2 of 3
    newest = fake.add_ig_comment(media, hours_ago(0.5), "comentario nuevo")
    fake.clear_log()
    second = run_poll(connector, COMMENTS, first.cursor)
    assert sorted(second.ids) == sorted([late, newest])
    assert len(fake.http_requests()) == 3  # listing, batch (page 1), page 2 where the reply was found


def test_reconciliation_gives_up_after_a_few_pages_when_counts_never_match(fake, clock):
    media = fake.add_media(IG_ID, hours_ago(20), "Anuncio")
    for i in range(400):
        fake.add_ig_comment(media, hours_ago(19) + timedelta(seconds=30 * i), f"c{i}")
    connector = make(fake, clock, comments_page_size=50, reconcile_max_pages=2)
    first = run_poll(connector, COMMENTS)
    fake.add_ig_comment(media, hours_ago(1.5), "de una cuenta restringida", restricted=True)  # counted, unlisted
    visible = [fake.add_ig_comment(media, hours_ago(1), "uno nuevo"),
               fake.add_ig_comment(media, hours_ago(0.9), "otro nuevo")]
    fake.clear_log()
    second = run_poll(connector, COMMENTS, first.cursor)
    assert sorted(second.ids) == sorted(visible)
    assert len(fake.http_requests()) == 1 + 1 + 2  # listing, batch, then only 2 pages past the bookmark
    fake.clear_log()
    assert run_poll(connector, COMMENTS, second.cursor).ids == [] and len(fake.http_requests()) == 1


def test_more_than_fifty_replies_are_paged(fake, clock):
    media = fake.add_media(IG_ID, hours_ago(10), "Anuncio")
    top = fake.add_ig_comment(media, hours_ago(9), "pregunta popular")
    replies = [fake.add_ig_comment(media, hours_ago(8) + timedelta(minutes=i), f"r{i}", parent=top)
               for i in range(130)]
    result = run_poll(make(fake, clock), COMMENTS)
    assert set(result.ids) == {top, *replies} and len(result.ids) == 131


def test_hidden_comments_kept_or_set_aside(fake, clock):
    media = fake.add_media(IG_ID, hours_ago(10), "Anuncio")
    hidden = fake.add_ig_comment(media, hours_ago(2), "estafa, no den datos", hidden=True)
    assert run_poll(make(fake, clock), COMMENTS).ids == [hidden]
    aside = run_poll(make(fake, clock, hidden_comments="set_aside"), COMMENTS)
    assert aside.ids == [] and "oculto" in aside.rejected[0].reason


def test_tags_are_mentions_and_steady_polls_stop_at_the_bookmark(fake, clock):
    older = fake.add_media(None, hours_ago(5), "Con @mintic_colombia en Leticia", owner_username="viajera",
                           tagged=[IG_ID], likes=8)
    fake.add_media(None, hours_ago(4), "No nos etiqueta", owner_username="otro")
    connector = make(fake, clock)
    first = run_poll(connector, TAGS)
    assert first.ids == [older]
    assert (first.posts[0].kind, first.posts[0].author_handle, first.posts[0].is_own) == (PostKind.MENTION,
                                                                                          "viajera", False)
    newer = fake.add_media(None, hours_ago(1), None, owner_username="vecino", tagged=[IG_ID])
    fake.clear_log()
    second = run_poll(connector, TAGS, first.cursor)
    assert second.ids == [newer] and second.posts[0].text == "" and len(fake.http_requests()) == 1


def test_a_permission_error_without_a_name_names_what_the_stream_needs(fake, clock):
    fake.tokens[TOKEN].scopes = ("instagram_basic", "pages_read_engagement")
    fake.add_media(IG_ID, hours_ago(3), "Foto")
    result = run_poll(make(fake, clock), TAGS)
    assert result.error is not None and result.error.fatal
    assert "instagram_manage_comments" in str(result.error)
    assert run_poll(make(fake, clock), MEDIA).error is None


def test_the_user_id_is_found_through_the_tokens_page(fake, clock):
    connector = build_instagram_connector({"api_base_url": fake.base_url}, [USER], TOKEN, APP_SECRET, clock)
    assert connector.user_id(USER) == IG_ID
    wrong = build_instagram_connector({"api_base_url": fake.base_url}, ["otra_cuenta"], TOKEN, APP_SECRET, clock)
    result = run_poll(wrong, "instagram:media:otra_cuenta")
    assert result.error is not None and "instagram_user_ids" in str(result.error)


def test_mentions_announced_by_the_webhook_become_posts(fake, clock):
    media = fake.add_media(None, hours_ago(2), "Denuncio estafa a nombre de @mintic_colombia",
                           owner_username="alerta_ciudadana", mentions=[IG_ID])
    elsewhere = fake.add_media(None, hours_ago(3), "Foto", owner_username="otro")
    comment = fake.add_ig_comment(elsewhere, hours_ago(1), "@mintic_colombia ¿es cierto esto?")
    posts, rejected = make(fake, clock).fetch_mentions(USER, media_ids=[media, "0000"], comment_ids=[comment])
    assert [p.external_id for p in posts] == [media, comment]
    assert all(p.kind == PostKind.MENTION for p in posts)
    assert posts[1].in_reply_to_id == elsewhere and posts[1].url == fake.media[elsewhere]["permalink"]
    assert len(rejected) == 1 and "0000" in rejected[0].reason

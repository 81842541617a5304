"""Authors, follower snapshots and views/reach from the Facebook and Instagram connectors, through the real client
against the fake Graph API: what the responses already carry, at most one light request per account per day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from connectors.facebook import build_facebook_connector
from connectors.graph_client import GraphClient, InvalidParameter
from connectors.instagram import build_instagram_connector
from connectors.meta_profiles import instagram_profile_url
from domain import AccountSnapshot, Platform
from tests.fakes.graph_api import APP_SECRET, TOKEN, FakeGraphAPI, graph_time, run_poll

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # 10:00 in Bogotá
PAGE, PAGE_ID, USER, IG_ID = "MinTICColombia", "1001", "mintic_colombia", "17841400000000001"
FB_POSTS, FB_COMMENTS, FB_TAGGED = (f"facebook:{k}:{PAGE}" for k in ("posts", "comments", "tagged"))
IG_MEDIA, IG_COMMENTS, IG_TAGS = (f"instagram:{k}:{USER}" for k in ("media", "comments", "tags"))
MINISTRY = (PAGE_ID, "MinTIC Colombia")


@pytest.fixture
def fake():
    with FakeGraphAPI(app_secret=APP_SECRET) as server:
        server.add_page("MinTIC Colombia", PAGE, page_id=PAGE_ID, followers=812_345, fans=790_000)
        server.add_ig_user(USER, page_id=PAGE_ID, ig_id=IG_ID, followers=301_200, follows=150)
        yield server


@pytest.fixture
def clock():
    return ManualClock(NOW)


def facebook(fake, clock, *, configured: bool = True, **settings):
    config = {"api_base_url": fake.base_url, **({"page_ids": {PAGE: PAGE_ID}} if configured else {}), **settings}
    return build_facebook_connector(config, [PAGE], TOKEN, APP_SECRET, clock, sleep=lambda _s: None)


def instagram(fake, clock, *, configured: bool = True, **settings):
    config = {"api_base_url": fake.base_url, **({"instagram_user_ids": {USER: IG_ID}} if configured else {}),
              **settings}
    return build_instagram_connector(config, [USER], TOKEN, APP_SECRET, clock, sleep=lambda _s: None)


def poll_batches(connector, stream, cursor=None):
    """Every batch of one poll (run_poll keeps only posts; authors and snapshots ride on the batches)."""
    return list(connector.poll(stream, cursor))


def hours_ago(h: float) -> datetime:
    return NOW - timedelta(hours=h)


# --- Facebook authors ------------------------------------------------------------------------------------


def test_facebook_commenters_become_authors_with_only_what_from_gives(fake, clock):
    post = fake.add_post(PAGE_ID, hours_ago(6), "Convocatoria")
    question = fake.add_comment(post, hours_ago(5), "¿Hasta cuándo?", author=("7001", "Laura Gómez"))
    fake.add_comment(post, hours_ago(4), "Hasta el viernes", author=MINISTRY, parent=question)
    fake.add_comment(post, hours_ago(3), "Yo también pregunto", author=("7001", "Laura Gómez"))
    fake.add_comment(post, hours_ago(2), "sin autor", from_withheld=True)
    batches = poll_batches(facebook(fake, clock), FB_COMMENTS)
    posts = [p for b in batches for p in b.posts]
    authors = {a.author_id: a for b in batches for a in b.authors}
    assert len(posts) == 4 and set(authors) == {"7001", PAGE_ID}  # one author per person; none without `from`
    laura = authors["7001"]
    assert (laura.platform, laura.handle, laura.display_name, laura.seen_at) == (Platform.FACEBOOK, "Laura Gómez",
                                                                                "Laura Gómez", NOW)
    assert (laura.description, laura.followers, laura.verified_type, laura.profile_url) == (None, None, None, None)
    assert authors[PAGE_ID].display_name == "MinTIC Colombia"
    assert {p.author_id for p in posts if p.text == "sin autor"} == {"unknown"}


def test_without_pages_read_user_content_only_the_page_is_an_author(fake, clock):
    fake.tokens[TOKEN].scopes = ("pages_read_engagement",)
    post = fake.add_post(PAGE_ID, hours_ago(5), "Anuncio")
    fake.add_comment(post, hours_ago(2), "quién soy", author=("7002", "Pedro"))
    fake.add_comment(post, hours_ago(1), "respuesta", author=MINISTRY)
    batches = poll_batches(facebook(fake, clock), FB_COMMENTS)
    assert [a.author_id for b in batches for a in b.authors] == [PAGE_ID]


def test_tagging_pages_are_authors_and_users_without_from_are_not(fake, clock):
    fake.add_post(PAGE_ID, hours_ago(3), "Gracias @MinTIC", kind="tagged", author=("2002", "Alcaldía de Pasto"),
                  author_is_page=True)
    fake.add_post(PAGE_ID, hours_ago(2), "Sin señal @MinTIC", kind="tagged", author=("9003", "Usuario"))
    batches = poll_batches(facebook(fake, clock, tagged_edges=["tagged"]), FB_TAGGED)
    assert len([p for b in batches for p in b.posts]) == 2
    [author] = [a for b in batches for a in b.authors]
    assert (author.author_id, author.handle, author.display_name) == ("2002", "Alcaldía de Pasto",
                                                                      "Alcaldía de Pasto")


def test_malformed_from_objects_never_crash_and_make_no_author(fake, clock):
    post = fake.add_post(PAGE_ID, hours_ago(5), "Anuncio")
    body = {"data": [{"id": "1_1", "message": "from es texto", "created_time": graph_time(hours_ago(1)),
                      "from": "Laura"},
                     {"id": "1_2", "message": "nombre numérico", "created_time": graph_time(hours_ago(2)),
                      "from": {"id": "7005", "name": 42}},
                     {"id": "1_3", "message": "id vacío", "created_time": graph_time(hours_ago(3)),
                      "from": {"id": "", "name": "Nadie"}}]}
    fake.fail(rf"/{post}/comments$", body, status=200)
    batches = poll_batches(facebook(fake, clock), FB_COMMENTS)
    posts = {p.external_id: p.author_id for b in batches for p in b.posts}
    assert posts == {"1_1": "unknown", "1_2": "7005", "1_3": "unknown"}
    [author] = [a for b in batches for a in b.authors]
    assert (author.author_id, author.handle, author.display_name) == ("7005", "7005", None)


def test_authors_cost_no_request_the_comments_stream_asks_what_it_asked_before(fake, clock):
    posts = [fake.add_post(PAGE_ID, hours_ago(10 + i), f"Post {i}") for i in range(5)]
    for i, post in enumerate(posts):
        for j in range(30):
            fake.add_comment(post, hours_ago(9 - j / 10), f"c{i}-{j}", author=(f"70{i}{j:02d}", f"Persona {i}-{j}"))
    connector = facebook(fake, clock)
    batches = poll_batches(connector, FB_COMMENTS)
    assert sum(len(b.authors) for b in batches) == 150
    assert len(fake.http_requests()) == 2  # the listing and one batch call: the same as without authors
    [comments] = [json.loads(r.params["batch"]) for r in fake.http_requests() if r.method == "POST"]
    assert all("from%7Bid%2Cname%7D" in c["relative_url"] for c in comments)  # the field it always requested


# --- Facebook followers and views ------------------------------------------------------------------------


def test_the_posts_stream_records_the_pages_followers_once_per_bogota_day(fake, clock):
    fake.add_post(PAGE_ID, hours_ago(2), "Hola")
    connector = facebook(fake, clock)
    first = poll_batches(connector, FB_POSTS)
    assert [s for b in first for s in b.snapshots] == [
        AccountSnapshot(Platform.FACEBOOK, PAGE, 812_345, NOW, following=None, post_count=None)]
    light = [r for r in fake.http_requests() if r.path == f"/v24.0/{PAGE_ID}"]
    assert [r.params["fields"] for r in light] == ["followers_count,fan_count"]
    assert len(fake.http_requests()) == 2  # the listing + one light request
    fake.clear_log()
    clock.advance(timedelta(hours=13, minutes=50))  # 04:50 UTC = 23:50 in Bogotá: still the same day there
    second = poll_batches(connector, FB_POSTS, first[-1].cursor)
    assert [s for b in second for s in b.snapshots] == [] and len(fake.http_requests()) == 1
    fake.clear_log()
    clock.advance(timedelta(minutes=15))  # 00:05 in Bogotá: a new day
    third = poll_batches(connector, FB_POSTS, second[-1].cursor)
    assert [s.taken_at for b in third for s in b.snapshots] == [clock()]
    assert len(fake.http_requests()) == 2


def test_the_page_id_lookup_carries_the_days_followers_so_the_snapshot_is_free(fake, clock):
    fake.add_post(PAGE_ID, hours_ago(2), "Hola")
    connector = facebook(fake, clock, configured=False)
    batches = poll_batches(connector, FB_POSTS)
    assert [s.followers for b in batches for s in b.snapshots] == [812_345]
    assert [r.path for r in fake.http_requests()] == [f"/v24.0/{PAGE}", f"/v24.0/{PAGE_ID}/posts"]
    assert "followers_count" in fake.http_requests()[0].params["fields"]


def test_a_malformed_follower_count_is_kept_aside_and_the_posts_are_stored(fake, clock):
    fake.add_post(PAGE_ID, hours_ago(2), "Hola")
    fake.pages[PAGE_ID]["followers_count"] = "muchos"
    connector = facebook(fake, clock)
    result = run_poll(connector, FB_POSTS)
    assert result.error is None and len(result.posts) == 1
    assert len(result.rejected) == 1 and "followers_count" in result.rejected[0].reason
    assert json.loads(result.cursor)["snapshot_day"] == "2026-11-16"  # not asked again today
    fake.clear_log()
    run_poll(connector, FB_POSTS, result.cursor)
    assert len(fake.http_requests()) == 1


def test_a_transient_snapshot_failure_keeps_the_posts_and_retries_next_poll(fake, clock):
    fake.add_post(PAGE_ID, hours_ago(2), "Hola")
    connector = facebook(fake, clock)
    fake.fail(rf"/{PAGE_ID}$", {"error": {"message": "down", "code": 2, "is_transient": True}}, status=500, times=4)
    first = poll_batches(connector, FB_POSTS)
    assert len([p for b in first for p in b.posts]) == 1 and not any(b.snapshots for b in first)
    assert "snapshot_day" not in json.loads(first[-1].cursor)
    second = poll_batches(connector, FB_POSTS, first[-1].cursor)
    assert [s.followers for b in second for s in b.snapshots] == [812_345]


def test_facebook_insights_are_views_and_reach_never_impressions(fake, clock):
    fake.add_post(PAGE_ID, hours_ago(3), "Con alcance", views=5_400, reach=3_100)
    fake.add_post(PAGE_ID, hours_ago(4), "Valor raro", views="muchas", reach=-1)
    batches = poll_batches(facebook(fake, clock, insights=True), FB_POSTS)
    posts = {p.text: p.metrics for b in batches for p in b.posts}
    assert (posts["Con alcance"].views, posts["Con alcance"].reach, posts["Con alcance"].impressions) == (
        5_400, 3_100, None)
    assert (posts["Valor raro"].views, posts["Valor raro"].reach) == (None, None)  # not a count: unknown
    [listing] = [r for r in fake.http_requests() if r.path.endswith("/posts")]
    assert "insights.metric(post_media_view,post_total_media_view_unique)" in listing.params["fields"]


def test_the_fake_refuses_the_retired_post_impressions_metric_as_meta_does(fake):
    post = fake.add_post(PAGE_ID, hours_ago(3), "Hola")
    client = GraphClient(TOKEN, base_url=fake.base_url, app_secret=APP_SECRET, sleep=lambda _s: None)
    with pytest.raises(InvalidParameter, match="valid insights metric"):
        client.get(post, fields="id,insights.metric(post_impressions)")
    media = fake.add_media(IG_ID, hours_ago(3), "Foto")
    with pytest.raises(InvalidParameter, match="impressions"):
        client.get(media, fields="id,insights.metric(impressions)")


def test_when_meta_retires_an_insights_metric_the_posts_still_come_without_views(fake, clock):
    fake.add_post(PAGE_ID, hours_ago(3), "Hola", reactions=7, views=100)
    retired = {"error": {"message": "(#100) The value must be a valid insights metric", "type": "OAuthException",
                         "code": 100}}
    fake.fail(r"/posts$", retired, times=1)
    connector = facebook(fake, clock, insights=True)
    first = run_poll(connector, FB_POSTS)
    assert first.error is None and [(p.metrics.reactions, p.metrics.views) for p in first.posts] == [(7, None)]
    assert len(first.rejected) == 1 and "insights" in first.rejected[0].reason
    listings = [r.params["fields"] for r in fake.http_requests() if r.path.endswith("/posts")]
    assert len(listings) == 2 and "insights" in listings[0] and "insights" not in listings[1]
    fake.clear_log()
    clock.advance(timedelta(minutes=5))
    second = run_poll(connector, FB_POSTS, first.cursor)  # the same day: no second refusal, no retry
    assert second.rejected == [] and [r.params["fields"] for r in fake.http_requests()] == [listings[1]]
    clock.advance(timedelta(days=1))
    third = run_poll(connector, FB_POSTS, second.cursor)  # the next day the metrics are tried again
    assert [p.metrics.views for p in third.posts] == [100]


def test_other_invalid_parameters_still_fail_the_stream(fake, clock):
    fake.add_post(PAGE_ID, hours_ago(3), "Hola")
    fake.fail(r"/posts$", {"error": {"message": "(#100) Unknown fields: foo", "code": 100}}, times=1)
    result = run_poll(facebook(fake, clock, insights=True), FB_POSTS)
    assert result.error is not None and result.posts == []


# --- Instagram ---------------------------------------------------------------------------------------------


def test_instagram_commenters_are_authors_with_their_profile_url(fake, clock):
    media = fake.add_media(IG_ID, hours_ago(6), "Convocatoria")
    fake.add_ig_comment(media, hours_ago(5), "¿Hay cupos?", username="ana.pasto", user_id="6001")
    fake.add_ig_comment(media, hours_ago(4), "Sí", username=USER, user_id=IG_ID)
    batches = poll_batches(instagram(fake, clock), IG_COMMENTS)
    authors = {a.author_id: a for b in batches for a in b.authors}
    assert set(authors) == {"6001", IG_ID}
    ana = authors["6001"]
    assert (ana.platform, ana.handle, ana.profile_url, ana.display_name, ana.followers) == (
        Platform.INSTAGRAM, "ana.pasto", "https://www.instagram.com/ana.pasto/", None, None)


def test_instagram_tags_give_only_a_username(fake, clock):
    fake.add_media(None, hours_ago(2), "Con @mintic_colombia", owner_username="veeduria_tic", tagged=[IG_ID])
    batches = poll_batches(instagram(fake, clock), IG_TAGS)
    [author] = [a for b in batches for a in b.authors]
    assert (author.author_id, author.handle, author.profile_url) == (
        "veeduria_tic", "veeduria_tic", "https://www.instagram.com/veeduria_tic/")


def test_instagram_comments_without_author_fields_make_no_author(fake, clock):
    media = fake.add_media(IG_ID, hours_ago(6), "Convocatoria")
    body = {"data": [{"id": "180001", "text": "sin usuario", "timestamp": graph_time(hours_ago(1))},
                     {"id": "180002", "text": "usuario raro", "timestamp": graph_time(hours_ago(2)),
                      "username": "no valido!", "from": {"id": "6009"}}]}
    fake.fail(rf"/{media}/comments$", body, status=200)
    batches = poll_batches(instagram(fake, clock), IG_COMMENTS)
    assert len([p for b in batches for p in b.posts]) == 2
    [author] = [a for b in batches for a in b.authors]
    assert (author.author_id, author.handle, author.profile_url) == ("6009", "no valido!", None)


def test_the_media_stream_records_followers_following_and_media_once_a_day(fake, clock):
    for i in range(3):
        fake.add_media(IG_ID, hours_ago(2 + i), f"Foto {i}")
    connector = instagram(fake, clock)
    first = poll_batches(connector, IG_MEDIA)
    assert [s for b in first for s in b.snapshots] == [
        AccountSnapshot(Platform.INSTAGRAM, USER, 301_200, NOW, following=150, post_count=3)]
    assert [r.params.get("fields") for r in fake.http_requests() if r.path == f"/v24.0/{IG_ID}"] == [
        "followers_count,follows_count,media_count"]
    assert len(fake.http_requests()) == 2
    fake.clear_log()
    second = poll_batches(connector, IG_MEDIA, first[-1].cursor)
    assert not any(b.snapshots for b in second) and len(fake.http_requests()) == 1


def test_instagram_refusing_a_media_metric_keeps_the_media(fake, clock):
    fake.add_media(IG_ID, hours_ago(2), "Foto", likes=4)
    fake.fail(r"/media$", {"error": {"message": "(#100) metric[1] must be one of the following values: views, saved",
                                     "code": 100}}, times=1)
    result = run_poll(instagram(fake, clock, insights=True), IG_MEDIA)
    assert result.error is None and [p.metrics.likes for p in result.posts] == [4]
    assert len(result.rejected) == 1 and "insights" in result.rejected[0].reason


def test_the_instagram_id_lookup_carries_the_days_followers(fake, clock):
    fake.add_media(IG_ID, hours_ago(2), "Foto")
    batches = poll_batches(instagram(fake, clock, configured=False), IG_MEDIA)
    assert [(s.followers, s.following, s.post_count) for b in batches for s in b.snapshots] == [(301_200, 150, 1)]
    assert [r.path for r in fake.http_requests()] == ["/v24.0/me", f"/v24.0/{IG_ID}/media"]


def test_instagram_profile_urls_only_for_valid_usernames():
    assert instagram_profile_url("@ana.pasto") == "https://www.instagram.com/ana.pasto/"
    assert instagram_profile_url("ana pasto") is None and instagram_profile_url("a" * 31) is None
    assert instagram_profile_url("") is None and instagram_profile_url("ñandú") is None

"""The fake X API itself: it must answer as the spec and X's documentation say, or the connector tests prove
nothing. Plain HTTP (requests), no connector code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from bot.clock import ManualClock
from connectors.x_session import BaseUrlSession
from tests.fakes.x_api import TOKEN, FakeApiView, FakeTweet, FakeXApi, SpecValidator, XApiServer, compile_query

T0 = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
FIELDS = {"tweet.fields": "created_at,lang,public_metrics,author_id,referenced_tweets,conversation_id",
          "expansions": "author_id,referenced_tweets.id", "user.fields": "username,verified"}


@pytest.fixture
def api() -> Iterator[tuple[FakeXApi, str]]:
    clock = ManualClock(T0)
    fake = FakeXApi(clock=clock, limits={"search_recent": 5})
    fake.add_user("Ministerio_TIC")
    with XApiServer(fake) as server:
        yield fake, server.base_url
    assert fake.internal_errors == []


def get(base: str, path: str, token: str | None = TOKEN, **params: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(base + path, params=params, headers=headers, timeout=5)


def _seed(fake: FakeXApi, n: int) -> list[str]:
    return [fake.post(f"c{i % 3}", f"@Ministerio_TIC hola {i}", at=T0 - timedelta(minutes=n - i)) for i in range(n)]


def test_pages_are_newest_first_with_tokens_only_while_more_remain(api):
    fake, base = api
    ids = _seed(fake, 250)
    uid = fake.user_by_name("Ministerio_TIC").id
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        extra = {"pagination_token": token} if token else {}
        body = get(base, f"/2/users/{uid}/mentions", max_results="100", **FIELDS, **extra).json()
        pages += 1
        page_ids = [t["id"] for t in body["data"]]
        assert page_ids == sorted(page_ids, key=int, reverse=True)
        assert body["meta"]["newest_id"] == page_ids[0] and body["meta"]["oldest_id"] == page_ids[-1]
        assert body["meta"]["result_count"] == len(page_ids)
        seen += page_ids
        token = body["meta"].get("next_token")
        if not token:
            break
    assert pages == 3 and seen == sorted(ids, key=int, reverse=True)
    since = get(base, f"/2/users/{uid}/mentions", max_results="100", since_id=ids[200], **FIELDS).json()
    assert [t["id"] for t in since["data"]] == sorted(ids[201:], key=int, reverse=True)
    assert "next_token" not in since["meta"]
    until = get(base, f"/2/users/{uid}/mentions", max_results="5", until_id=ids[10], since_id=ids[4]).json()
    assert [t["id"] for t in until["data"]] == sorted(ids[5:10], key=int, reverse=True)
    empty = get(base, f"/2/users/{uid}/mentions", since_id=ids[-1]).json()
    assert empty == {"meta": {"result_count": 0}}
    assert fake.schema_errors == []


def test_parameters_are_checked_like_x_does(api):
    fake, base = api
    uid = fake.user_by_name("Ministerio_TIC").id
    assert get(base, f"/2/users/{uid}/mentions", max_results="4").status_code == 400
    assert get(base, f"/2/users/{uid}/mentions", max_results="101").status_code == 400
    assert get(base, "/2/tweets/search/recent", query="MinTIC", max_results="9").status_code == 400
    assert get(base, f"/2/users/{uid}/tweets", max_results="5", colour="red").status_code == 400
    bad_field = get(base, f"/2/users/{uid}/tweets", **{"tweet.fields": "likes"})
    assert bad_field.status_code == 400 and bad_field.json()["errors"][0]["parameters"] == {"tweet.fields": ["likes"]}
    assert get(base, f"/2/users/{uid}/tweets", since_id="abc").status_code == 400
    assert get(base, f"/2/users/{uid}/tweets", pagination_token="garbage").status_code == 400
    assert get(base, f"/2/users/{uid}/tweets", token=None).status_code == 401
    assert get(base, f"/2/users/{uid}/tweets", token="other").status_code == 401
    too_old = get(base, "/2/tweets/search/recent", query="x", start_time="2026-11-01T00:00:00Z")
    assert too_old.status_code == 400


def test_a_token_only_works_with_the_parameters_it_came_from(api):
    fake, base = api
    _seed(fake, 12)
    uid = fake.user_by_name("Ministerio_TIC").id
    token = get(base, f"/2/users/{uid}/mentions", max_results="5").json()["meta"]["next_token"]
    assert get(base, f"/2/users/{uid}/mentions", max_results="5", pagination_token=token).status_code == 200
    assert get(base, f"/2/users/{uid}/mentions", max_results="5", pagination_token=token,
               since_id="1").status_code == 400


def test_rate_limit_headers_count_down_and_429_when_spent(api):
    fake, base = api
    answers = [get(base, "/2/tweets/search/recent", query="MinTIC") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [a.headers["x-rate-limit-remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0"]
    assert {a.headers["x-rate-limit-limit"] for a in answers} == {"5"}
    reset = int(answers[0].headers["x-rate-limit-reset"])
    assert reset == int((T0 + timedelta(minutes=15)).timestamp())
    fake.clock.advance(timedelta(minutes=15))  # type: ignore[attr-defined]
    assert get(base, "/2/tweets/search/recent", query="MinTIC").status_code == 200


def test_the_mentions_timeline_reaches_only_the_last_800(api):
    fake, base = api
    ids = _seed(fake, 850)
    uid = fake.user_by_name("Ministerio_TIC").id
    got: list[str] = []
    token = None
    while True:
        extra = {"pagination_token": token} if token else {}
        body = get(base, f"/2/users/{uid}/mentions", max_results="100", **extra).json()
        got += [t["id"] for t in body.get("data", [])]
        token = body["meta"].get("next_token")
        if not token:
            break
    assert set(got) == set(ids[50:])


def test_partial_errors_and_users_follow_the_spec(api):
    fake, base = api
    gone = fake.post("c1", "borrado", at=T0 - timedelta(hours=2))
    fake.post("c2", "@Ministerio_TIC cita", at=T0 - timedelta(hours=1), quote=gone)
    fake.delete(gone)
    uid = fake.user_by_name("Ministerio_TIC").id
    body = get(base, f"/2/users/{uid}/mentions", **FIELDS).json()
    assert body["errors"][0]["type"].endswith("resource-not-found") and body["errors"][0]["resource_id"] == gone
    assert get(base, "/2/users/by/username/Ministerio_TIC").json() == {
        "data": {"id": uid, "name": "Ministerio TIC Colombia", "username": "Ministerio_TIC"}}
    missing = get(base, "/2/users/by/username/nadie").json()
    assert "data" not in missing and missing["errors"][0]["resource_type"] == "user"
    assert fake.schema_errors == []


def test_the_spec_check_is_not_vacuous():
    validator = SpecValidator()
    good = {"data": [{"id": "1", "text": "hola", "public_metrics": {
        "repost_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0, "bookmark_count": 0,
        "impression_count": 0}}], "meta": {"result_count": 1}}
    assert validator.errors("GetUsersMentionsResponse", good) == []
    legacy = {"data": [{"id": "1", "text": "hola", "public_metrics": {"retweet_count": 0}}]}
    assert any("repost_count" in e for e in validator.errors("GetUsersMentionsResponse", legacy))
    assert validator.errors("GetUsersMentionsResponse", {"data": [{"id": 1}]})
    assert validator.errors("GetUsersMentionsResponse", {"errors": [{"type": "nope"}]})


def test_search_queries_follow_x_precedence():
    fake = FakeXApi(validate=False)
    view = FakeApiView(fake)

    def tweet(text: str, refs: list[tuple[str, int]] | None = None) -> FakeTweet:
        return FakeTweet(id=1, author_id=fake.add_user("someone"), text=text, created_at=T0, refs=refs or [])

    retweet = tweet("RT el MinTIC", [("retweeted", 5)])
    loose = compile_query("MinTIC OR #MinTIC -is:retweet")  # AND first: MinTIC OR (#MinTIC AND NOT retweet)
    strict = compile_query("(MinTIC OR #MinTIC) -is:retweet")
    assert loose(retweet, view) and not strict(retweet, view)
    assert strict(tweet("viva el #MinTIC"), view) and strict(tweet("mintic responde"), view)
    assert not strict(tweet("ministerio de comercio"), view)
    assert compile_query("@Ministerio_TIC -from:Ministerio_TIC")(tweet("hola @ministerio_tic"), view)
    assert compile_query('"Centros Digitales"')(tweet("los centros digitales fallan"), view)


def test_the_base_url_session_sends_tweepy_s_calls_to_the_configured_host(api):
    fake, base = api
    session = BaseUrlSession(base + "/", timeout=2)
    response = session.get("https://api.twitter.com/2/users/by/username/Ministerio_TIC",
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and fake.requests[-1].path == "/2/users/by/username/Ministerio_TIC"

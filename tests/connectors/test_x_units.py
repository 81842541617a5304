"""Pure pieces of the X connector: the fair rate budget, the bookmark format, payload mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.x_cursor import Pending, StreamState, format_cursor, newest, oldest, parse_cursor
from connectors.x_limits import RateBudget, parse_rate_headers
from connectors.x_mapping import (
    MalformedPage,
    MapContext,
    field_denied,
    map_page,
    mentioned_watched,
    metrics_of,
    read_page,
    search_duplicate,
    to_post,
)
from domain import PostKind

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)


def _headers(limit: int, remaining: int, reset: datetime) -> dict[str, str]:
    return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(int(reset.timestamp()))}


def test_budget_gives_each_stream_a_share_and_lends_only_unclaimed_requests():
    budget = RateBudget({"search": ["s1", "s2", "s3"]})
    reset = NOW + timedelta(minutes=15)
    budget.record("search", "s1", _headers(9, 8, reset), NOW)  # 9 per window: 3 each
    assert budget.allow("search", "s1", NOW)
    budget.record("search", "s1", _headers(9, 7, reset), NOW)
    budget.record("search", "s1", _headers(9, 6, reset), NOW)
    assert not budget.allow("search", "s1", NOW)  # share used; the other 6 are claimed by s2 and s3
    assert budget.allow("search", "s2", NOW) and budget.allow("search", "s3", NOW)
    for remaining in (5, 4, 3):
        budget.record("search", "s2", _headers(9, remaining, reset), NOW)
    budget.record("search", "s3", _headers(9, 2, reset), NOW)  # s3 used 1 of its 3: 2 still claimed
    assert not budget.allow("search", "s1", NOW)
    budget.record("search", "s3", _headers(9, 1, reset), NOW)
    budget.record("search", "s3", _headers(9, 0, reset), NOW)
    assert not budget.allow("search", "s3", NOW)  # nothing left at all
    assert budget.allow("search", "s1", reset)  # a new window: everyone starts again
    assert budget.status("search").used == {}


def test_budget_allows_before_it_knows_and_honours_blocks():
    budget = RateBudget()
    assert budget.allow("mentions", "m", NOW)
    budget.block("mentions", NOW + timedelta(seconds=60))
    assert not budget.allow("mentions", "m", NOW + timedelta(seconds=59))
    assert budget.retry_at("mentions", NOW) == NOW + timedelta(seconds=60)
    assert budget.allow("mentions", "m", NOW + timedelta(seconds=60))


def test_rate_headers_tolerate_garbage():
    assert parse_rate_headers({"x-rate-limit-limit": "x", "x-rate-limit-reset": ""}) == (None, None, None)
    limit, remaining, reset = parse_rate_headers(_headers(450, 3, NOW))
    assert (limit, remaining, reset) == (450, 3, NOW)


def test_cursor_round_trips_and_reads_legacy_and_garbage():
    state = StreamState(since_id="123", user_id="9", pending=Pending(newest_id="200", until_id="150", fetched=100))
    text = format_cursor(state)
    assert parse_cursor(text) == state and format_cursor(parse_cursor(text)) == text
    assert parse_cursor("987") == StreamState(since_id="987")
    assert parse_cursor("{broken") == StreamState() == parse_cursor(None) == parse_cursor('["a"]')
    assert parse_cursor('{"since_id": "12a", "pending": {"phase": "weird"}}') == StreamState(pending=Pending())
    assert newest("99", "100") == "100" and oldest("99", "100") == "99" and newest(None, None) is None


CTX = MapContext(stream="x:mentions:Ministerio_TIC", role="mention", account="Ministerio_TIC", account_id="1",
                 watched={"ministerio_tic": "Ministerio_TIC"}, watched_ids={"1": "Ministerio_TIC"})


def _tweet(**overrides):
    tweet = {"id": "500", "text": "@Ministerio_TIC hola", "author_id": "7", "created_at": "2026-11-16T14:00:00.000Z",
             "lang": "es", "conversation_id": "500"}
    tweet.update(overrides)
    return {k: v for k, v in tweet.items() if v is not None}


def _page(*tweets, users=None, **body):
    return read_page({"data": list(tweets), "includes": {"users": users or [{"id": "7", "username": "ana"}]},
                      "meta": {"result_count": len(tweets)}, **body})


def test_read_page_rejects_a_wrong_envelope():
    for body in ([], {"data": {}}, {"meta": []}, {"errors": {}}, {"meta": {"next_token": ""}}):
        with pytest.raises(MalformedPage):
            read_page(body)
    page = read_page({"data": [{"id": "9"}, {"id": "12"}, {"id": "x"}], "meta": {"newest_id": "11"}})
    assert (page.newest_id, page.oldest_id) == ("12", "9")  # the data decides


def test_to_post_names_what_is_wrong():
    page = _page()
    for tweet, fragment in ((_tweet(id="abc"), "'id'"), (_tweet(author_id=None), "author_id"),
                            (_tweet(created_at="ayer"), "ISO"), (_tweet(created_at="2026-11-16T14:00:00"), "zone"),
                            ("texto", "not an object")):
        with pytest.raises(ValueError, match=fragment):
            to_post(tweet, page, CTX)
    mapped = map_page(_page(_tweet(), _tweet(id="501", text=None)), CTX)
    assert [p.external_id for p in mapped.posts] == ["500"] and len(mapped.rejected) == 1


def test_metrics_read_both_wire_namings():
    spec = metrics_of({"public_metrics": {"repost_count": 3, "like_count": 2, "impression_count": 9}})
    tweet = metrics_of({"public_metrics": {"retweet_count": 3, "like_count": 2},
                        "non_public_metrics": {"impression_count": 11}})
    assert (spec.reposts, spec.likes, spec.impressions) == (3, 2, 9)
    assert (tweet.reposts, tweet.impressions) == (3, 11)
    assert metrics_of({"public_metrics": {"like_count": -1, "reply_count": True}}).likes is None


def test_search_duplicates_are_mentions_or_own_posts():
    ctx = MapContext(stream="x:search:1", role="search", account="Ministerio_TIC",
                     watched={"ministerio_tic": "Ministerio_TIC"}, watched_ids={"1": "Ministerio_TIC"})
    page = _page(users=[{"id": "7", "username": "ana"}, {"id": "1", "username": "Ministerio_TIC"}])
    assert search_duplicate(_tweet(text="hola @MINISTERIO_tic"), page, ctx) == "mention"
    assert search_duplicate(_tweet(text="sin arroba", in_reply_to_user_id="1"), page, ctx) == "mention"
    assert search_duplicate(_tweet(author_id="1", text="MinTIC informa"), page, ctx) == "own"
    assert search_duplicate(_tweet(text="el MinTIC y @ministerio_tico"), page, ctx) is None
    assert mentioned_watched("cc @Ministerio_TIC.", ctx.watched) == "Ministerio_TIC"
    hit = to_post(_tweet(text="el MinTIC"), page, ctx)
    assert hit.kind is PostKind.SEARCH_HIT and hit.account == "Ministerio_TIC" and hit.url.endswith("/ana/status/500")


def test_a_post_without_its_author_in_includes_still_maps():
    post = to_post(_tweet(author_id="8"), _page(), CTX)
    assert post.author_handle == "" and post.url == "https://x.com/i/web/status/500"


def test_field_denied_recognises_x_field_errors():
    denied = [{"type": "https://api.x.com/2/problems/not-authorized-for-field", "title": "Field Authorization Error",
               "detail": "Sorry, you are not authorized to access 'non_public_metrics' on a Tweet.",
               "field": "non_public_metrics"}]
    assert field_denied(denied, "non_public_metrics")
    assert not field_denied([{"type": "https://api.x.com/2/problems/resource-not-found"}], "non_public_metrics")

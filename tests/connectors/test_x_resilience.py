"""The X connector when X misbehaves: rate limits, budgets, bad tokens, plans without access, 5xx, timeouts,
partial errors, malformed payloads. Always through tweepy against the fake X API."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
import tweepy
from structlog.testing import capture_logs

from connectors.base import Backoff
from connectors.x import build_x_connector
from connectors.x_api import XApi
from connectors.x_cursor import format_cursor, parse_cursor
from connectors.x_limits import RateBudget
from tests.connectors.x_support import HANDLE, Harness, x_harness

MENTIONS = f"x:mentions:{HANDLE}"
OWN = f"x:own:{HANDLE}"
METRICS = f"x:metrics:{HANDLE}"
SEARCH = "x:search:1"


@pytest.fixture
def x() -> Iterator[Harness]:
    with x_harness(spec_checked=False) as harness:
        yield harness


def _primed(x: Harness, **settings):
    """A connector whose mentions stream has a bookmark already (steady state)."""
    x.mentions(2)
    connector = x.connector(**settings)
    x.poll(connector, MENTIONS)
    return connector


def test_a_rate_limit_in_the_middle_of_a_pagination_blocks_only_that_endpoint(x):
    connector = _primed(x)
    ids = x.mentions(350, start=x.clock() + timedelta(seconds=1))
    x.fake.post("prensa", "El MinTIC anuncia subasta 5G", at=x.clock() + timedelta(seconds=2))
    x.clock.advance(timedelta(minutes=10))
    x.fake.fail(429, endpoint="mentions", at=3, reset_in=300)
    first = x.poll(connector, MENTIONS)
    assert len(first.posts) == 200 and first.requests == 3
    assert first.error is not None and not first.error.fatal
    assert first.error.problem == "rate_limit:x:mentions"  # one problem for every stream on the endpoint
    assert first.error.retry_after == pytest.approx(300, abs=1)
    assert "rate_limit:x:mentions" not in first.error.proven  # the pages before the 429 prove nothing about it
    assert parse_cursor(x.store.cursors[MENTIONS]).pending is not None
    x.clock.advance(timedelta(seconds=120))
    skipped = x.poll(connector, MENTIONS)  # the next tick, still before the reset: no request, no failure
    assert (skipped.requests, skipped.batches, skipped.error) == (0, [], None)  # the bot's stored pause reports
    other = x.poll(connector, SEARCH)  # other endpoints are not blocked
    assert other.error is None and len(other.posts) == 1
    x.clock.advance(timedelta(seconds=181))
    resumed = x.poll(connector, MENTIONS)
    assert resumed.error is None and resumed.requests == 2
    assert {p.external_id for p in first.posts + resumed.posts} == set(ids)
    assert all(n == 1 for n in x.store.writes.values())
    assert parse_cursor(x.store.cursors[MENTIONS]).since_id == max(ids, key=int)


def test_a_429_without_reset_header_waits_the_minimum(x):
    connector = x.connector(rate_limit_min_wait_seconds=90)
    x.fake.fail(429, endpoint="mentions", reset_in=None)  # the first answer of that endpoint: no window known
    result = x.poll(connector, MENTIONS)
    assert result.error is not None and result.error.retry_after == pytest.approx(90)
    x.clock.advance(timedelta(seconds=60))
    assert x.poll(connector, MENTIONS).requests == 0
    x.clock.advance(timedelta(seconds=31))
    assert x.poll(connector, MENTIONS).requests == 1


def test_a_429_without_reset_header_waits_for_the_known_window(x):
    connector = _primed(x, rate_limit_min_wait_seconds=90)  # earlier answers said: reset at T0 + 15 min
    x.clock.advance(timedelta(minutes=5))
    x.fake.fail(429, endpoint="mentions", reset_in=None)
    result = x.poll(connector, MENTIONS)
    assert result.error is not None and result.error.retry_after == pytest.approx(600, abs=1)


def test_the_budget_stops_before_x_says_429_and_resumes_in_the_next_window():
    x = Harness(limits={"mentions": 3})
    try:
        connector = x.connector()
        ids = x.mentions(500)
        first = x.poll(connector, MENTIONS)
        assert first.error is None and len(first.posts) == 300
        assert [r.status for r in x.fake.requests_to("mentions")] == [200, 200, 200]  # never a 429
        assert x.poll(connector, MENTIONS).requests == 0  # spent: the tick is skipped
        x.clock.advance(timedelta(minutes=15, seconds=1))
        second = x.poll(connector, MENTIONS)
        assert len(second.posts) == 200 and second.requests == 2
        assert {p.external_id for p in first.posts + second.posts} == set(ids)
    finally:
        x.close()


def test_one_account_in_a_burst_cannot_starve_the_others():
    x = Harness(accounts=(HANDLE, "MinTIC_responde"), limits={"mentions": 4})
    try:
        connector = x.connector()
        x.mentions(1000)
        x.mentions(3, handle="MinTIC_responde")
        busy = x.poll(connector, MENTIONS)
        assert busy.requests == 1 + 2  # lookup, then its share: 4 requests / 2 streams
        quiet = x.poll(connector, "x:mentions:MinTIC_responde")
        assert quiet.error is None and len(quiet.posts) == 3
    finally:
        x.close()


def test_an_invalid_token_is_one_fatal_problem_of_every_x_stream_with_back_off(x):
    # The pause itself (every X stream waits, back-off doubles) is the bot's: tests/connectors/test_ops_problems.py.
    connector = x.connector(token="expired-token", auth_pause_seconds=300, auth_pause_max_seconds=3600)
    result = x.poll(connector, MENTIONS)
    assert result.error is not None and result.error.fatal
    message = str(result.error)
    assert "401" in message and "X_BEARER_TOKEN" in message and "developer.x.com" in message
    assert "expired-token" not in message
    assert result.error.problem == "token:x" and result.error.backoff == Backoff(300, 3600)
    assert all("token:x" in connector.causes(stream) for stream in connector.streams())
    assert x.poll(connector, SEARCH).error.problem == "token:x"  # type: ignore[union-attr]


def test_a_plan_without_access_is_a_fatal_alert_for_that_endpoint_only(x):
    connector = _primed(x)
    x.fake.fail(403, endpoint="search_recent", times=5)
    result = x.poll(connector, SEARCH)
    assert result.error is not None and result.error.fatal
    assert "403" in str(result.error) and "Basic" in str(result.error)
    assert result.error.problem == "access:x:search_recent"  # the endpoint, not the token: mentions go on
    assert "access:x:search_recent" in connector.causes(SEARCH)
    assert "access:x:search_recent" not in connector.causes(MENTIONS)
    x.mentions(2, start=x.clock() + timedelta(seconds=1))
    assert len(x.poll(connector, MENTIONS).posts) == 2  # mentions are another endpoint


def test_the_monthly_usage_cap_pauses_all_reads_and_needs_a_person(x):
    connector = _primed(x)
    x.fake.fail(429, endpoint="mentions", usage_cap=True)
    result = x.poll(connector, MENTIONS)
    assert result.error is not None and result.error.fatal and "mensual" in str(result.error)
    assert result.error.problem == "quota:x" and result.error.retry_after == pytest.approx(3600)
    assert all("quota:x" in connector.causes(stream) for stream in connector.streams())


def test_server_errors_are_retried_with_exponential_back_off_and_jitter(x):
    connector = _primed(x, retry_base_seconds=1.0)
    x.mentions(3, start=x.clock() + timedelta(seconds=1))
    x.fake.fail(503, endpoint="mentions", times=2)
    result = x.poll(connector, MENTIONS)
    assert result.error is None and len(result.posts) == 3 and result.requests == 3
    first, second = x.sleeps
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0  # half fixed, half random, doubling
    assert first not in (0.5, 1.0) and second not in (1.0, 2.0)


def test_persistent_server_errors_give_up_after_the_retries(x):
    connector = _primed(x, max_retries=3)
    x.fake.fail(500, endpoint="mentions", times=10)
    result = x.poll(connector, MENTIONS)
    assert result.error is not None and not result.error.fatal and result.requests == 4
    assert len(x.sleeps) == 3 and x.sleeps == sorted(x.sleeps)


def test_timeouts_are_retried(x):
    connector = _primed(x, request_timeout_seconds=0.3)
    x.mentions(2, start=x.clock() + timedelta(seconds=1))
    x.fake.fail("timeout", endpoint="mentions", delay=1.0)
    result = x.poll(connector, MENTIONS)
    assert result.error is None and len(result.posts) == 2 and len(x.sleeps) == 1


def test_partial_errors_keep_the_good_data_and_are_logged(x):
    x.fake.add_user("cuenta_suspendida")
    gone = x.fake.post("otro", "algo que luego se borró", at=x.clock() - timedelta(hours=3))
    hidden = x.fake.post("cuenta_suspendida", "algo", at=x.clock() - timedelta(hours=3))
    quoting = x.fake.post("c1", f"@{HANDLE} miren esto", at=x.clock() - timedelta(hours=1), quote=gone)
    replying = x.fake.post("c2", f"@{HANDLE} y esto", at=x.clock() - timedelta(hours=1), quote=hidden)
    x.fake.delete(gone)
    x.fake.suspend("cuenta_suspendida")
    with capture_logs() as logs:
        result = x.poll(x.connector(), MENTIONS)
    assert {p.external_id for p in result.posts} == {quoting, replying}
    warning = next(e for e in logs if e["event"].startswith("x answered with partial errors"))
    assert warning["count"] == 2 and any(gone in e for e in warning["errors"])
    assert x.fake.schema_errors == []  # the errors array itself follows the spec


def test_a_malformed_tweet_is_kept_aside_and_the_page_is_stored(x):
    good = x.mentions(3)
    bad = x.fake.post("c9", f"@{HANDLE} roto", at=x.clock() - timedelta(minutes=2))
    x.fake.corrupt(bad, drop=["created_at"])
    worse = x.fake.post("c8", f"@{HANDLE} peor", at=x.clock() - timedelta(minutes=1))
    x.fake.corrupt(worse, text=None)
    result = x.poll(x.connector(), MENTIONS)
    assert {p.external_id for p in result.posts} == set(good)
    reasons = sorted(r.reason for r in result.rejected)
    assert len(reasons) == 2 and any("created_at" in r for r in reasons) and any("'text'" in r for r in reasons)
    assert {r.payload["id"] for r in result.rejected} == {bad, worse}
    assert parse_cursor(x.store.cursors[MENTIONS]).since_id == worse  # the bookmark moves past them
    assert x.fake.schema_errors, "the spec check must notice a tweet whose text is null"


def test_a_malformed_page_is_kept_aside_and_the_bookmark_does_not_move(x):
    connector = _primed(x)
    before = x.store.cursors[MENTIONS]
    ids = x.mentions(2, start=x.clock() + timedelta(seconds=1))
    for kind in ("malformed", "not_json"):
        x.fake.fail(kind, endpoint="mentions")
        result = x.poll(connector, MENTIONS)
        assert result.error is not None and not result.error.fatal and "formato inesperado" in str(result.error)
        assert result.error.problem == "payload:x" and "token:x" in result.error.proven
        assert [len(b.rejected) for b in result.batches] == [1] and x.store.cursors[MENTIONS] == before
    recovered = x.poll(connector, MENTIONS)
    assert {p.external_id for p in recovered.posts} == set(ids)


def test_a_search_bookmark_older_than_seven_days_restarts_within_reach(x):
    x.fake.post("prensa", "El MinTIC abre convocatoria", at=x.clock() - timedelta(hours=1))
    connector = x.connector()
    x.poll(connector, SEARCH)
    x.clock.advance(timedelta(days=9))  # the bot was down for nine days
    recent = x.fake.post("prensa", "El MinTIC responde", at=x.clock() - timedelta(days=2))
    with capture_logs() as logs:
        result = x.poll(connector, SEARCH)
    assert result.error is None and [p.external_id for p in result.posts] == [recent]
    assert [r.status for r in x.fake.requests_to("search_recent")[-2:]] == [400, 200]
    assert any("older than 7 days" in e["event"] for e in logs)


def test_non_public_metrics_are_asked_for_only_while_the_token_allows(x):
    x.fake.post(HANDLE, "Publicación", at=x.clock() - timedelta(hours=5), metrics={"impression_count": 50})
    connector = x.connector(non_public_metrics=True, metrics_refresh_minutes=1)
    with capture_logs() as logs:
        x.poll(connector, METRICS)
    assert "non_public_metrics" in x.fake.requests_to("user_tweets")[-1].params["tweet.fields"]
    assert any("non_public_metrics" in e["event"] for e in logs)
    x.clock.advance(timedelta(minutes=2))
    x.poll(connector, METRICS)
    assert "non_public_metrics" not in x.fake.requests_to("user_tweets")[-1].params["tweet.fields"]


def test_non_public_metrics_are_used_when_allowed():
    x = Harness(allow_non_public_metrics=True)
    try:
        tweet = x.fake.post(HANDLE, "Publicación", at=x.clock() - timedelta(hours=5),
                            metrics={"impression_count": 777})
        x.poll(x.connector(non_public_metrics=True), METRICS)
        assert x.store.posts[tweet].metrics.impressions == 777
        assert x.fake.schema_errors == []
    finally:
        x.close()


def test_wait_on_rate_limit_is_refused_and_a_missing_token_is_explained(x):
    client = tweepy.Client(bearer_token="t", wait_on_rate_limit=True, return_type=requests.Response)
    with pytest.raises(ValueError, match="wait_on_rate_limit"):
        XApi(client, RateBudget(), x.clock, sleep=lambda s: None, rng=random.Random(1))
    with pytest.raises(ValueError, match="X_BEARER_TOKEN"):
        build_x_connector(x.settings(), [HANDLE], "", x.clock)


def test_an_unknown_account_is_a_fatal_alert_naming_the_config_key(x):
    connector = build_x_connector(x.settings(), ["no_existe", "nombre_demasiado_largo"], "test-x-bearer-token",
                                  x.clock)
    for handle in ("no_existe", "nombre_demasiado_largo"):
        result = x.poll(connector, f"x:mentions:{handle}")
        assert result.error is not None and result.error.fatal and "accounts.x" in str(result.error)


def test_an_unreadable_cursor_starts_a_backfill_instead_of_crashing(x):
    ids = x.mentions(3)
    result = x.poll(x.connector(), MENTIONS, cursor="{not json")
    assert {p.external_id for p in result.posts} == set(ids)
    assert parse_cursor(format_cursor(parse_cursor(x.store.cursors[MENTIONS]))).since_id == max(ids, key=int)

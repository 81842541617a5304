"""Facebook connector resilience against the fake: token expiry mid-poll, throttling, rate limits, token check.

The connector names each failure's cause and reports what its requests proved; the pauses, back-off and
alerts that follow are the bot's (tests/connectors/test_ops_problems.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from connectors.base import Backoff
from connectors.facebook import FacebookConnector, build_facebook_connector
from tests.fakes.graph_api import (
    APP_SECRET,
    TOKEN,
    FakeGraphAPI,
    password_changed,
    rate_limited,
    run_poll,
)

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
PAGE, PAGE_ID = "MinTICColombia", "1001"
POSTS, COMMENTS, TAGGED, TOKEN_STREAM = (f"facebook:posts:{PAGE}", f"facebook:comments:{PAGE}",
                                         f"facebook:tagged:{PAGE}", "facebook:token")


@pytest.fixture
def fake():
    with FakeGraphAPI(app_secret=APP_SECRET) as server:
        server.add_page("MinTIC Colombia", PAGE, page_id=PAGE_ID)
        yield server


@pytest.fixture
def clock():
    return ManualClock(NOW)


def make(fake: FakeGraphAPI, clock: ManualClock, token: str = TOKEN, **settings) -> FacebookConnector:
    config = {"api_base_url": fake.base_url, "page_ids": {PAGE: PAGE_ID}, "comments_page_size": 25, **settings}
    return build_facebook_connector(config, [PAGE], token, APP_SECRET, clock, sleep=lambda _s: None)


def busy_post(fake: FakeGraphAPI, comments: int = 200) -> str:
    post = fake.add_post(PAGE_ID, NOW - timedelta(hours=10), "Anuncio")
    for i in range(comments):
        fake.add_comment(post, NOW - timedelta(hours=9) + timedelta(minutes=2 * i), f"comentario {i}")
    return post


# --- token expiry (code 190) -------------------------------------------------------------------------


def test_token_expiry_in_the_middle_of_a_poll_keeps_stored_pages_and_pauses_with_back_off(fake, clock):
    busy_post(fake)
    connector = make(fake, clock)
    fake.expire_token(after_requests=4, error=password_changed())  # listing, batch, 2 pages, then dead
    first = run_poll(connector, COMMENTS)
    assert len(first.ids) == 75  # three pages of 25 were stored with their bookmark
    error = first.error
    assert error is not None and error.fatal and error.problem == "token:meta"  # one problem, both platforms
    assert error.backoff == Backoff(900, 6 * 3600)
    assert "contraseña" in str(error) and "META_ACCESS_TOKEN" in str(error) and "/me/accounts" in str(error)
    assert TOKEN not in str(error)
    assert "token:meta" not in (first.proven or set())  # the pages before the 190 do not prove the token

    fake.add_token("EAAGnewTOKEN", page_id=PAGE_ID)  # the operator renews the token and restarts Vigía
    renewed = run_poll(make(fake, clock, token="EAAGnewTOKEN"), COMMENTS, first.cursor)
    assert renewed.error is None
    assert len(set(first.ids) | set(renewed.ids)) == 200 == len(first.ids) + len(renewed.ids)


def test_only_a_poll_that_reached_the_api_proves_anything(fake, clock):
    fake.add_post(PAGE_ID, NOW - timedelta(hours=1), "Hola")
    connector = make(fake, clock)
    fake.expire_token(after_requests=0)
    assert run_poll(connector, POSTS).error.problem == "token:meta"  # type: ignore[union-attr]
    fake.restore_token()  # Meta restored the session (e.g. a security checkpoint was cleared)
    ok = run_poll(connector, POSTS)
    assert ok.error is None and {"token:meta", "rate_limit:meta_app", f"connector:{POSTS}"} <= set(ok.proven or ())
    assert "token_check:meta" not in (ok.proven or ())  # only a token check proves the token's warnings over
    checked = run_poll(connector, TOKEN_STREAM)
    assert "token_check:meta" in (checked.proven or ())
    fake.clear_log()
    quiet = run_poll(connector, TOKEN_STREAM, checked.cursor)  # between daily checks: no request
    assert (quiet.error, quiet.proven, fake.http_requests()) == (None, frozenset(), [])


# --- throttling and rate limits ----------------------------------------------------------------------


def test_high_usage_slows_down_before_meta_blocks(fake, clock):
    busy_post(fake)
    connector = make(fake, clock)
    fake.set_usage(app={"call_count": 90, "total_time": 10, "total_cputime": 10})
    first = run_poll(connector, COMMENTS)
    assert first.error is None and len(first.ids) == 25  # stopped after the first page, quietly
    fake.clear_log()
    clock.advance(timedelta(minutes=5))
    assert run_poll(connector, COMMENTS, first.cursor).ids == [] and fake.http_requests() == []
    fake.set_usage(app={"call_count": 20, "total_time": 10, "total_cputime": 10})
    clock.advance(timedelta(minutes=30))  # 90 % -> pause of 300 + 0.5 * 3300 s = 32.5 min in total
    rest = run_poll(connector, COMMENTS, first.cursor)
    assert len(rest.ids) == 175 and set(rest.ids).isdisjoint(first.ids)


def test_usage_below_the_threshold_does_not_slow_down(fake, clock):
    busy_post(fake)
    fake.set_usage(app={"call_count": 79, "total_time": 10, "total_cputime": 10})
    assert len(run_poll(make(fake, clock), COMMENTS).ids) == 200


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_rate_limit_errors_pause_the_connector_without_sleeping(fake, clock, code):
    fake.add_post(PAGE_ID, NOW - timedelta(hours=1), "Hola")
    connector = make(fake, clock, rate_limit_pause_seconds=600)
    fake.fail(r"/posts$", rate_limited(code), status=403 if code == 4 else 400)
    first = run_poll(connector, POSTS)
    assert first.error is not None and not first.error.fatal
    assert first.error.problem == "rate_limit:meta_app"  # app-wide: Facebook and Instagram streams pause
    assert first.error.retry_after == (200 if code == 613 else 600)
    assert f"código {code}" in str(first.error)
    assert len(fake.http_requests()) == 1 and len(run_poll(connector, POSTS).ids) == 1  # no sleeping, no retry


def test_metas_regain_estimate_sets_the_pause(fake, clock):
    usage = {PAGE_ID: [{"type": "pages", "call_count": 100, "total_cputime": 30, "total_time": 30,
                        "estimated_time_to_regain_access": 42}]}
    fake.fail(r"/posts$", rate_limited(80001), headers={"x-business-use-case-usage": json.dumps(usage)})
    result = run_poll(make(fake, clock), POSTS)
    assert result.error is not None and result.error.retry_after == 42 * 60


def test_server_errors_are_retried_inside_the_poll(fake, clock):
    fake.add_post(PAGE_ID, NOW - timedelta(hours=1), "Hola")
    fake.fail(r"/posts$", "<html>Service Unavailable</html>", status=503, times=2)
    result = run_poll(make(fake, clock), POSTS)
    assert result.error is None and len(result.ids) == 1


# --- the daily token check ---------------------------------------------------------------------------


def test_token_check_warns_seven_days_before_expiry_and_asks_meta_once_a_day(fake, clock):
    fake.tokens[TOKEN].expires_at = int((NOW + timedelta(days=5)).timestamp())
    connector = make(fake, clock)
    first = run_poll(connector, TOKEN_STREAM)
    assert first.batches == 1 and first.error is not None and first.error.fatal
    assert "expira el 2026-11-21" in str(first.error) and "META_ACCESS_TOKEN" in str(first.error)
    assert first.error.problem == "token_check:meta"
    fake.clear_log()
    clock.advance(timedelta(hours=23))
    between = run_poll(connector, TOKEN_STREAM, first.cursor)  # nothing asked, nothing said, nothing proved
    assert (between.error, between.proven, fake.http_requests()) == (None, frozenset(), [])
    fake.tokens[TOKEN].expires_at = int((NOW + timedelta(days=60)).timestamp())  # renewed meanwhile
    clock.advance(timedelta(hours=2))
    renewed = run_poll(connector, TOKEN_STREAM, first.cursor)
    assert renewed.error is None and len(fake.http_requests()) == 1
    assert run_poll(connector, TOKEN_STREAM, renewed.cursor).error is None


def test_token_check_is_quiet_for_a_healthy_token(fake, clock):
    fake.tokens[TOKEN].expires_at = 0  # long-lived Page token: never expires
    fake.tokens[TOKEN].data_access_expires_at = int((NOW + timedelta(days=60)).timestamp())
    result = run_poll(make(fake, clock), TOKEN_STREAM)
    assert result.error is None and result.batches == 1
    assert json.loads(result.cursor)["data_access_expires_at"].startswith("2027-01-15")


def test_token_check_warns_about_data_access_expiry_and_missing_permissions(fake, clock):
    fake.tokens[TOKEN].data_access_expires_at = int((NOW + timedelta(days=2)).timestamp())
    fake.tokens[TOKEN].scopes = ("pages_read_engagement",)
    result = run_poll(make(fake, clock), TOKEN_STREAM)
    message = str(result.error)
    assert "acceso a datos" in message and "pages_read_user_content" in message


def test_token_check_reports_an_invalid_token(fake, clock):
    fake.expire_token(after_requests=0)
    result = run_poll(make(fake, clock), TOKEN_STREAM)
    assert result.error is not None and result.error.fatal and "expiró" in str(result.error)

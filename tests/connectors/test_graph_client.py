"""The Graph API client against the local fake: auth, version, fields, paging, batches, errors, retries, usage."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.graph_client import (
    BatchRequest,
    GraphClient,
    InvalidParameter,
    ObjectNotFound,
    Page,
    PermissionDenied,
    RateLimited,
    TokenInvalid,
    TransientError,
    UnexpectedPayload,
    appsecret_proof,
    parse_usage,
)
from tests.fakes.graph_api import (
    APP_SECRET,
    TOKEN,
    FakeGraphAPI,
    graph_error,
    missing_permission,
    password_changed,
    rate_limited,
    token_expired,
    unknown_error,
)

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)


@pytest.fixture
def fake():
    with FakeGraphAPI(app_secret=APP_SECRET) as server:
        server.add_page("MinTIC Colombia", "MinTICColombia", page_id="1001")
        yield server


def client_for(fake: FakeGraphAPI, *, secret: str | None = APP_SECRET, sleeps: list[float] | None = None,
               **kw) -> GraphClient:
    record = sleeps if sleeps is not None else []
    return GraphClient(TOKEN, base_url=fake.base_url, version="v24.0", app_secret=secret,
                       sleep=record.append, rng=lambda: 0.5, **kw)


def test_version_token_header_and_appsecret_proof(fake):
    client = client_for(fake)
    body = client.get("MinTICColombia", fields=["id", "name"])
    assert body == {"id": "1001", "name": "MinTIC Colombia"}
    [request] = fake.http_requests()
    assert request.path == "/v24.0/MinTICColombia"
    assert request.auth == "header" and "access_token" not in request.params
    assert request.params["appsecret_proof"] == appsecret_proof(TOKEN, APP_SECRET)
    assert request.params["fields"] == "id,name"


def test_a_wrong_app_secret_is_an_invalid_parameter_without_the_token_in_the_message(fake):
    with pytest.raises(InvalidParameter) as info:
        client_for(fake, secret="not-the-secret").get("me")
    assert "appsecret_proof" in info.value.message
    assert TOKEN not in info.value.describe() and TOKEN not in str(info.value)


def test_an_unknown_field_is_reported_as_meta_does(fake):
    with pytest.raises(InvalidParameter, match="nonexisting field"):
        client_for(fake).get("MinTICColombia", fields="id,no_such_field")


def test_version_must_look_like_a_graph_version():
    with pytest.raises(ValueError, match=r"v24\.0"):
        GraphClient(TOKEN, version="21.0")


def test_paging_follows_next_25_at_a_time_without_sending_the_embedded_token(fake):
    post = fake.add_post("1001", NOW - timedelta(hours=3))
    for i in range(260):
        fake.add_comment(post, NOW - timedelta(minutes=170 - i // 2), f"comentario {i}")
    client = client_for(fake)
    pages = list(client.pages(f"{post}/comments", fields="id,created_time", params={"filter": "stream"}))
    ids = [c["id"] for page in pages for c in page.data]
    assert len(pages) == 11 and [len(p.data) for p in pages[:-1]] == [25] * 10
    assert len(ids) == 260 == len(set(ids))
    assert all(p.next_url and "access_token=" in p.next_url for p in pages[:-1])  # Meta embeds it...
    assert all(r.auth == "header" and "access_token" not in r.params for r in fake.http_requests())  # ...we don't
    assert pages[0].after and pages[-1].next_url is None


def test_next_urls_are_rebased_on_the_configured_host(fake):
    post = fake.add_post("1001", NOW - timedelta(hours=3))
    for i in range(30):
        fake.add_comment(post, NOW - timedelta(minutes=100 - i))
    first = client_for(fake).get_page(f"{post}/comments", fields="id")
    elsewhere = first.next_url.replace(fake.base_url, "https://graph.facebook.com")  # as Meta would write it
    second = client_for(fake).next_page(Page(first.data, first.path, elsewhere, first.after))
    assert second is not None and len(second.data) == 5


def test_batch_calls_hold_at_most_50_and_return_failures_in_place(fake):
    posts = [fake.add_post("1001", NOW - timedelta(hours=i + 1)) for i in range(60)]
    fake.add_comment(posts[0], NOW - timedelta(minutes=30), "hola")
    requests = [BatchRequest(f"{p}/comments", {"fields": "id,message", "filter": "stream"}) for p in posts]
    requests[7] = BatchRequest("999_404/comments", {"fields": "id"})
    client = client_for(fake)
    results = client.batch_pages(requests)
    posts_calls = [r for r in fake.http_requests() if r.method == "POST"]
    assert len(posts_calls) == 2 and client.requests == 2
    assert isinstance(results[7], ObjectNotFound)
    assert results[0].data[0]["message"] == "hola"
    assert all(isinstance(r, Page) and r.data == [] for i, r in enumerate(results) if i not in (0, 7))


@pytest.mark.parametrize(
    ("body", "status", "kind", "code", "subcode"),
    [
        (token_expired(), 400, TokenInvalid, 190, 463),
        (password_changed(), 400, TokenInvalid, 190, 460),
        (rate_limited(4), 403, RateLimited, 4, None),
        (rate_limited(17), 400, RateLimited, 17, None),
        (rate_limited(32), 400, RateLimited, 32, None),
        (rate_limited(613), 400, RateLimited, 613, None),
        (missing_permission("pages_read_user_content"), 403, PermissionDenied, 10, None),
        (graph_error(200, "(#200) Requires pages_read_engagement permission to manage the object"), 403,
         PermissionDenied, 200, None),
        (graph_error(100, "(#100) Invalid parameter"), 400, InvalidParameter, 100, None),
        (graph_error(100, "Unsupported get request.", subcode=33), 400, ObjectNotFound, 100, 33),
    ],
)
def test_error_objects_map_to_exceptions(fake, body, status, kind, code, subcode):
    fake.fail(r"/MinTICColombia$", body, status=status)
    with pytest.raises(kind) as info:
        client_for(fake).get("MinTICColombia")
    assert type(info.value) is kind
    assert (info.value.code, info.value.subcode, info.value.status) == (code, subcode, status)
    assert info.value.fbtrace_id and TOKEN not in info.value.describe()


def test_rate_limits_carry_metas_estimate_or_a_default_pause(fake):
    business = {"1001": [{"type": "pages", "call_count": 100, "total_cputime": 20, "total_time": 20,
                          "estimated_time_to_regain_access": 19}]}
    fake.fail(r"/MinTICColombia$", rate_limited(32), headers={"x-business-use-case-usage": json.dumps(business)})
    with pytest.raises(RateLimited) as estimated:
        client_for(fake).get("MinTICColombia")
    assert estimated.value.retry_after == 19 * 60
    fake.fail(r"/MinTICColombia$", rate_limited(4))
    with pytest.raises(RateLimited) as default:
        client_for(fake, default_rate_limit_pause=600).get("MinTICColombia")
    assert default.value.retry_after == 600


def test_permission_errors_name_the_permission(fake):
    fake.fail(r"/tagged$", missing_permission("pages_read_user_content"), status=403)
    with pytest.raises(PermissionDenied) as info:
        client_for(fake).get("1001/tagged")
    assert info.value.permission == "pages_read_user_content"


def test_transient_errors_are_retried_with_growing_jittered_back_off(fake):
    fake.fail(r"/MinTICColombia$", unknown_error(), status=500, times=2)
    fake.fail(r"/MinTICColombia$", "<html>502 Bad Gateway</html>", status=502, times=1)
    sleeps: list[float] = []
    client = client_for(fake, sleeps=sleeps, backoff_base=0.5, backoff_cap=8.0)
    assert client.get("MinTICColombia")["id"] == "1001"
    assert client.requests == 4
    assert sleeps == [0.375, 0.75, 1.5]  # half fixed + half random (rng=0.5): 0.5, 1, 2 scaled by 0.75


def test_retries_give_up_with_a_transient_error(fake):
    fake.fail(r"/MinTICColombia$", unknown_error(), status=500, times=None)
    client = client_for(fake, max_retries=2)
    with pytest.raises(TransientError):
        client.get("MinTICColombia")
    assert client.requests == 3


def test_timeouts_are_retried_then_reported():
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    sleeps: list[float] = []
    client = GraphClient(TOKEN, base_url="http://127.0.0.1:9", transport=httpx.MockTransport(handler),
                         max_retries=3, sleep=sleeps.append, rng=lambda: 0.0)
    with pytest.raises(TransientError, match="tiempo de espera"):
        client.get("me")
    assert len(attempts) == 4 and sleeps == [0.25, 0.5, 1.0]


def test_a_body_that_is_not_json_is_an_unexpected_payload(fake):
    fake.fail(r"/MinTICColombia$", "<html>Sorry, something went wrong.</html>", status=200)
    with pytest.raises(UnexpectedPayload):
        client_for(fake).get("MinTICColombia")


def test_an_edge_without_data_is_an_unexpected_payload(fake):
    fake.fail(r"/posts$", {"posts": []}, status=200)
    with pytest.raises(UnexpectedPayload) as info:
        client_for(fake).get_page("1001/posts")
    assert info.value.payload == {"posts": []}


def test_usage_headers_are_read_after_every_call(fake):
    fake.set_usage(app={"call_count": 12, "total_time": 85, "total_cputime": 30})
    client = client_for(fake)
    client.get("MinTICColombia")
    assert client.usage.percent == 85 and client.usage.source == "x-app-usage.total_time"
    fake.set_usage(business={"1001": [{"type": "pages", "call_count": 91, "total_cputime": 5, "total_time": 5,
                                       "estimated_time_to_regain_access": 0}]})
    client.get("MinTICColombia")
    assert client.usage.percent == 91 and "pages" in client.usage.source


def test_usage_parsing_ignores_malformed_headers_and_takes_the_worst():
    usage = parse_usage({
        "x-app-usage": "not json",
        "x-page-usage": json.dumps({"call_count": 40, "total_cputime": 81, "total_time": 2,
                                    "estimated_time_to_regain_access": 3}),
        "x-business-use-case-usage": json.dumps({"1": [{"type": "instagram", "call_count": 79}], "2": "odd"}),
    })
    assert usage.percent == 81 and usage.source == "x-page-usage.total_cputime" and usage.regain_seconds == 180
    assert parse_usage({}).percent == 0

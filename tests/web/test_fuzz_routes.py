"""Property: whatever a client sends to any route, the answer is below 500 and carries the security headers.

Hypothesis drives path ids, every query parameter of the inbox, post, indicators, incidents, export, admin,
login and webhook routes, and the form fields of every POST route (with a valid session and CSRF token),
with arbitrary text and integers plus values known to have broken things (`²`, NUL, 2**63, far dates, forged
page cursors, deep JSON). Each test draws from many routes against one app per database engine, so the file
stays well under a minute on SQLite and PostgreSQL together (VIGIA_FUZZ_SCALE=10 searches ten times longer).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.web.routes_webhooks import PATH as WEBHOOK_PATH
from domain import CATEGORIES, CRISIS_FLAGS, SENTIMENTS
from storage.inbox_filters import SORTS, encode_cursor
from storage.review_changes import REVIEW_STATES
from storage.web_accounts import ROLES
from tests.web.conftest import TestClient
from tests.web.helpers import (
    NOW,
    SECURITY_HEADERS,
    WEBHOOK_VERIFY,
    Seeded,
    csrf_of,
    login_csrf_of,
    signed_headers,
    username,
)

SCALE = int(os.environ.get("VIGIA_FUZZ_SCALE", "1"))  # e.g. 10 for a longer search before a release
FUZZ = settings(max_examples=120, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

KNOWN_TROUBLE = (
    "", "²", "٣", "¹²", "\x00", "a\x00b", "0", "-1", "+1", " 1", "1 ", "1_000", "1e3", "0x10", "3.0",
    str(2**31), str(2**63 - 1), str(2**63), str(-(2**63) - 1), "9" * 40, "9" * 5000,
    "9999-12-31", "0001-01-01", "1969-12-31", "1970-01-01", "9998-12-31", "2026-02-30", "2026-11-20", "20261120",
    "9999-W52", "0001-W01", "2026-W53", "2026-W46", "2026-W00", "1970-W01", "9998-W52",
    "yo", "ninguno", "none", "me", "all", "any", "'", '"', "\\", "%", "%00", "_", "*", "NEAR(a b)", '"a" OR b',
    "señal", "TRAMITE", "🙂", "<script>", "x" * 300, "/", "..", "javascript:alert(1)", "//evil.example",
)
# Text a browser can send (no lone surrogates: they cannot be encoded in a URL or a form).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
CURSOR_PARTS = st.one_of(
    st.integers(), st.none(), st.booleans(), st.floats(), TEXT,
    st.sampled_from(["recent", "urgency", NOW.isoformat(), "2026-11-20T17:00:00", "0001-01-01T00:00:00+00:00",
                     "9999-12-31T23:59:59-23:59", "9998-12-31T23:59:59+23:59"]),
)
CURSORS = st.one_of(st.lists(CURSOR_PARTS, max_size=5).map(encode_cursor), TEXT,
                    st.lists(CURSOR_PARTS, max_size=3).map(lambda v: encode_cursor([[[v]]])))
VALUES = st.one_of(st.sampled_from(KNOWN_TROUBLE), TEXT, st.integers().map(str))

INBOX_PARAMS = {
    "plataforma": st.sampled_from(["x", "facebook", "instagram"]), "cuenta": st.just("Ministerio_TIC"),
    "categoria": st.sampled_from(CATEGORIES), "tema": st.sampled_from(["conectividad", "espectro"]),
    "sentimiento": st.sampled_from(SENTIMENTS), "alerta": st.sampled_from([*CRISIS_FLAGS, "any"]),
    "estado": st.sampled_from(["pending", *REVIEW_STATES, "all"]), "asignado": st.sampled_from(["yo", "1", "2"]),
    "desde": st.just("2026-11-01"), "hasta": st.just("2026-11-30"), "q": st.sampled_from(["señal", "trámite"]),
    "incidente": st.just("1"), "orden": st.sampled_from(SORTS), "cursor": CURSORS, "hecho": st.just("3"),
    "segmento": st.sampled_from(["medios_periodistas", "ciudadania", "sin_perfil"]),
    "campana": st.sampled_from(["talento-ti", "no-existe"]),
    "departamento": st.sampled_from(["27", "11", "sin_ubicacion"]),
}


def _wild(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly anything, sometimes a valid value (so that the paths behind validation are exercised too)."""
    return st.one_of(VALUES, valid)


def _query(names: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({}, optional={k: _wild(v) for k, v in names.items()})


INBOX_QUERY = _query(INBOX_PARAMS)
GET_ROUTES: dict[str, st.SearchStrategy[dict[str, str]]] = {
    "/inbox": INBOX_QUERY,
    "/inbox/counts": INBOX_QUERY,
    "/inbox/export.csv": INBOX_QUERY,
    "/indicators": _query({"semana": st.sampled_from(["2026-W47", "2026-W46"])}),
    "/admin/users": _query({"ok": st.sampled_from(["created", "role"])}),
    "/admin/campaigns": _query({"ok": st.sampled_from(["created", "archived"])}),
    "/admin/audit": _query({"accion": st.sampled_from(["login", "login_failed", "export_csv"]),
                            "usuario": st.sampled_from(["admin", "nadie"]), "desde": st.just("2026-11-01"),
                            "hasta": st.just("2026-11-30"), "pagina": st.sampled_from(["1", "2"])}),
    "/login": _query({"next": st.sampled_from(["/inbox", "/posts/1"])}),
    "/incidents": _query({}),
    "/learning": _query({}),
    WEBHOOK_PATH: _query({"hub.mode": st.just("subscribe"), "hub.verify_token": st.just(WEBHOOK_VERIFY),
                          "hub.challenge": st.just("123")}),
}
HTMX_HEADERS = st.sampled_from([{}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Target": "results"}])


def _segment(ids: list[int]) -> st.SearchStrategy[str]:
    """A path segment: a known id, any integer, or any text (percent-encoded as a browser would)."""
    return st.one_of(st.sampled_from(ids).map(str), st.integers().map(str), VALUES).map(lambda v: quote(v, safe=""))


def assert_safe(response: Any, what: object) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:500])
    for header in SECURITY_HEADERS:
        assert header in response.headers, (what, header)


@pytest.fixture
def admin(client_any: Callable[[str], TestClient]) -> TestClient:
    return client_any("admin")


@pytest.fixture
def admin_token(admin: TestClient) -> str:
    return csrf_of(admin.get("/admin/users").text)


# --- GET: every page's query parameters and path ids -------------------------------------------------------


@settings(FUZZ, max_examples=200 * SCALE)
@given(data=st.data())
def test_any_query_on_any_page_is_answered_safely(admin: TestClient, seeded_any: Seeded, data: st.DataObject,
                                                  ) -> None:
    route = data.draw(st.sampled_from(sorted(GET_ROUTES)), label="route")
    params = data.draw(GET_ROUTES[route], label="params")
    headers = data.draw(HTMX_HEADERS, label="headers")
    response = admin.get(f"{route}?{urlencode(params)}", headers=headers, follow_redirects=False)
    assert_safe(response, (route, params))


@settings(FUZZ, max_examples=80 * SCALE)
@given(data=st.data())
def test_any_id_in_a_path_is_answered_safely(admin: TestClient, seeded_any: Seeded, data: st.DataObject) -> None:
    route = data.draw(st.sampled_from(["/posts/{}", "/incidents/{}", "/authors/{}"]), label="route")
    ids = [*seeded_any.ids.values(), seeded_any.incident, *seeded_any.authors.values()]
    path = route.format(data.draw(_segment(ids), label="id"))
    response = admin.get(path, headers=data.draw(HTMX_HEADERS), follow_redirects=False)
    assert_safe(response, path)


# --- POST: every form field, with a valid session and CSRF token -------------------------------------------


def _return_to() -> st.SearchStrategy[str]:
    return st.one_of(INBOX_QUERY.map(urlencode), VALUES)


POST_FORMS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "/posts/{}/category": {"value": st.sampled_from(CATEGORIES)},
    "/posts/{}/sentiment": {"value": st.sampled_from(SENTIMENTS)},
    "/posts/{}/topics": {"toggle": st.sampled_from(["conectividad", "espectro"])},
    "/posts/{}/state": {"value": st.sampled_from(REVIEW_STATES)},
    "/posts/{}/assign": {"value": st.sampled_from(["me", "none", "", "1", "2", "3"])},
    "/posts/{}/note": {"text": st.sampled_from(["Llamar mañana", "ok"])},
    "/posts/{}/undo": {},
    "/admin/users/{}/active": {"active": st.sampled_from(["0", "1"])},
    "/admin/users/{}/role": {"role": st.sampled_from(ROLES)},
    "/admin/users/{}/password": {"password": st.just("una-clave-bastante-larga")},
    "/admin/users": {"username": st.sampled_from(["nueva", "otra.persona"]), "role": st.sampled_from(ROLES),
                     "password": st.just("una-clave-bastante-larga"), "display_name": st.just("Ana")},
    "/admin/campaigns": {"name": st.sampled_from(["Talento TI", "#BecasTIC 2027"]), "id": st.just("talento-ti"),
                         "hashtags": st.just("#TalentoTI"), "keywords": st.just("talento ti"),
                         "links": st.just("mintic.gov.co/talentoti"), "starts_on": st.just("2026-11-01"),
                         "ends_on": st.just("2026-12-31"), "description": st.just("Becas")},
    "/authors/{}/segment": {"segment": st.sampled_from(["", "academia", "medios_periodistas", "sin_perfil"])},
    "/inbox/bulk": {"action": st.sampled_from([f"state:{s}" for s in REVIEW_STATES] + ["assign:me", "assign:2",
                                                                                       "category:queja"])},
}
POST_VIEW = {"view": st.sampled_from(["row", "post"]), "return_to": st.just("estado=all")}


def _form(route: str) -> st.SearchStrategy[dict[str, Any]]:
    fields = dict(POST_FORMS[route])
    if route.startswith("/posts/"):
        fields.update(POST_VIEW)
    strategies = {k: (_return_to() if k == "return_to" else _wild(v)) for k, v in fields.items()}
    if route == "/inbox/bulk":
        strategies["return_to"] = _return_to()
    return st.fixed_dictionaries({}, optional=strategies)


def _path_ids(route: str, s: Seeded) -> list[int]:
    if route.startswith("/admin/users/{}/password"):
        return [s.users["viewer"], s.users["community_manager"]]  # the admin's own would end this session
    if route.startswith("/authors/"):
        return list(s.authors.values())
    return list(s.users.values()) if route.startswith("/admin/") else list(s.ids.values())


@settings(FUZZ, max_examples=250 * SCALE)
@given(data=st.data())
def test_any_form_on_any_action_is_answered_safely(admin: TestClient, admin_token: str, seeded_any: Seeded,
                                                   data: st.DataObject) -> None:
    route = data.draw(st.sampled_from(sorted(POST_FORMS)), label="route")
    form = data.draw(_form(route), label="form")
    path = route
    if "{}" in route:
        segment = st.sampled_from(_path_ids(route, seeded_any)).map(str) if "password" in route else \
            _segment(_path_ids(route, seeded_any))
        path = route.format(data.draw(segment, label="id"))
    if route == "/inbox/bulk":
        form["ids"] = data.draw(st.lists(st.one_of(st.sampled_from(list(seeded_any.ids.values())).map(str),
                                                   VALUES), max_size=4), label="ids")
    response = admin.post(path, data={**form, "csrf_token": admin_token}, headers=data.draw(HTMX_HEADERS),
                          follow_redirects=False)
    assert_safe(response, (path, form))


@settings(FUZZ, max_examples=40 * SCALE)
@given(data=st.data())
def test_any_login_form_is_answered_safely(app_any: Any, seeded_any: Seeded, data: st.DataObject) -> None:
    with TestClient(app_any) as client:
        page = client.get("/login")
        form = data.draw(_query({"username": st.sampled_from([username("viewer"), "nadie"]),
                                 "password": st.just("incorrecta"), "next": st.just("/inbox")}), label="form")
        response = client.post("/login", data={**form, "login_csrf": login_csrf_of(page.text)},
                               follow_redirects=False)
    assert_safe(response, form)


# --- Meta's webhook: any signed body --------------------------------------------------------------------------


JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
                    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
                    max_leaves=20)
MENTION = st.fixed_dictionaries({"media_id": VALUES, "comment_id": st.one_of(st.none(), VALUES)})


def _delivery(entry_id: Any, change: Any) -> bytes:
    entry = {"id": entry_id, "changes": [{"field": "mentions", "value": change}]}
    return json.dumps({"object": "instagram", "entry": [entry]}).encode()


BODIES = st.one_of(
    st.binary(max_size=200),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.builds(_delivery, st.one_of(VALUES, st.integers()), st.one_of(MENTION, JSON)),
    st.integers(1, 200_000).map(lambda n: b'{"object":"instagram","entry":' + b"[" * n + b"]" * n + b"}"),
)


@settings(FUZZ, max_examples=60 * SCALE)
@given(body=BODIES, sign=st.booleans())
def test_any_webhook_delivery_is_answered_safely(app_any: Any, seeded_any: Seeded, body: bytes, sign: bool,
                                                 ) -> None:
    headers = signed_headers(body) if sign else {"X-Hub-Signature-256": "sha256=00"}
    response = TestClient(app_any).post(WEBHOOK_PATH, content=body, headers=headers)
    assert_safe(response, body[:200])


def test_indicators_on_postgresql(client_any: Callable[[str], TestClient], engine: Any) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the SQLite page works")
    response = client_any("viewer").get("/indicators?semana=2026-W47")
    assert response.status_code == 200

"""Malformed input is a 400/404 page in Spanish with the security headers, never a 500 (issue 14, item 13).

Each case below gave HTTP 500 without the headers before the checks of `bot.web.inputs`; all run on SQLite
and on PostgreSQL (which also refuses NUL in text and overflows BIGINT).
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from fastapi import Request
from structlog.testing import capture_logs

from bot.web.app import SERVER_ERROR
from bot.web.inputs import (
    MAX_ID,
    InvalidParameter,
    cursor_param,
    day_param,
    json_depth,
    parse_id,
    safe_json,
    week_param,
)
from storage.inbox_filters import encode_cursor
from tests.web.conftest import TestClient
from tests.web.helpers import NOW, SECURITY_HEADERS, Seeded, csrf_of, signed_headers

BIG = str(2**63)  # one past BIGINT
SUPERSCRIPT_TWO = "²"  # str.isdigit() is True, int() fails


def _raw_cursor(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def assert_error_page(response, status: int, words: str, case: str = "") -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (case, response.status_code, re.findall(r"<p>.*?</p>", response.text))
    for header in SECURITY_HEADERS:
        assert header in response.headers, (case, header)
    assert words in response.text, (case, re.findall(r"<p>.*?</p>", response.text))
    assert "Volver a la bandeja" in response.text  # the app's usual error page, not a bare message


GET_CASES = [
    (f"/posts/{BIG}", 404, "Esa página no existe."),
    (f"/incidents/{BIG}", 404, "Esa página no existe."),
    ("/posts/-1", 404, "Esa página no existe."),
    (f"/posts/{SUPERSCRIPT_TWO}", 404, "Esa página no existe."),
    (f"/inbox?asignado={SUPERSCRIPT_TWO}", 400, "«asignado»"),
    (f"/inbox?asignado={BIG}", 400, "«asignado»"),
    (f"/inbox?incidente={SUPERSCRIPT_TWO}", 400, "«incidente»"),
    (f"/inbox?incidente={BIG}", 400, "«incidente»"),
    (f"/inbox?hecho={SUPERSCRIPT_TWO}", 400, "«hecho»"),
    ("/inbox?hecho=" + "9" * 5000, 400, "«hecho»"),
    (f"/inbox/counts?asignado={SUPERSCRIPT_TWO}", 400, "«asignado»"),
    (f"/inbox/export.csv?incidente={SUPERSCRIPT_TWO}", 400, "«incidente»"),
    ("/inbox?hasta=9999-12-31", 400, "La fecha «hasta» no es válida"),
    ("/inbox?desde=0001-01-01", 400, "La fecha «desde» no es válida"),
    ("/inbox?hasta=ayer", 400, "La fecha «hasta» no es válida"),
    ("/indicators?semana=9999-W52", 400, "La semana no es válida"),
    ("/indicators?semana=0001-W01", 400, "La semana no es válida"),
    ("/indicators?semana=2026-W99", 400, "La semana no es válida"),
    ("/inbox?cursor=" + _raw_cursor(["recent", "0001-01-01T00:00:00+00:00", 1]), 400, "enlace de página"),
    ("/inbox?cursor=" + _raw_cursor(["recent", "2026-01-01T00:00:00", 1]), 400, "enlace de página"),  # naive
    ("/inbox?cursor=" + _raw_cursor(["recent", "2026-01-01T00:00:00+00:00", 2**70]), 400, "enlace de página"),
    ("/inbox?orden=urgency&cursor=" + _raw_cursor(["urgency", 2**40, 0, "2026-01-01T00:00:00+00:00", 1]), 400,
     "enlace de página"),
    ("/inbox?orden=urgency&cursor=" + _raw_cursor(["urgency", 1, 2**40, "2026-01-01T00:00:00+00:00", 1]), 400,
     "enlace de página"),  # reach rank out of SMALLINT
    ("/inbox?orden=urgency&cursor=" + _raw_cursor(["urgency", 1, -1, "2026-01-01T00:00:00+00:00", 1]), 400,
     "enlace de página"),
    ("/inbox?cursor=" + base64.urlsafe_b64encode(b"[" * 300).decode(), 400, "enlace de página"),
    ("/inbox?cursor=" + _raw_cursor("recent"), 400, "enlace de página"),
    ("/inbox?cursor=%C3%B1" + "A" * 600, 400, "enlace de página"),
    ("/inbox?campana=no-existe", 400, "La campaña «no-existe» no existe"),
    ("/inbox?campana=" + "é" * 70, 400, "«campana»"),
    ("/inbox/export.csv?campana=Talento%20TI", 400, "«campana»"),
    ("/inbox/counts?departamento=" + SUPERSCRIPT_TWO * 2, 400, "«departamento»"),
    ("/inbox?departamento=00", 400, "«departamento»"),
]
ADMIN_GET_CASES = [
    (f"/admin/campaigns/{BIG}", 404, "Esa campaña no existe."),
    ("/admin/campaigns/%00", 404, "Esa campaña no existe."),
    ("/admin/campaigns/" + "ñ" * 100, 404, "Esa campaña no existe."),
]


def test_malformed_query_and_path_values(client_any) -> None:  # type: ignore[no-untyped-def]
    cm = client_any("community_manager")  # one app per engine for all cases: PostgreSQL schemas are slow to make
    for path, status, words in GET_CASES:
        assert_error_page(cm.get(path), status, words, path)
    admin = client_any("admin")
    for path, status, words in ADMIN_GET_CASES:
        assert_error_page(admin.get(path), status, words, path)


def test_nul_in_search_and_account_is_removed(client_any, seeded_any: Seeded) -> None:  # type: ignore[no-untyped-def]
    viewer = client_any("viewer")
    for path in ("/inbox?q=se%00%C3%B1al", "/inbox?cuenta=Ministerio%00_TIC", "/inbox/counts?q=%00",
                 "/inbox?q=%00&estado=all&orden=urgency"):
        response = viewer.get(path)
        assert response.status_code == 200, path
        assert "content-security-policy" in response.headers
    assert f"/posts/{seeded_any.ids['complaint']}" in viewer.get("/inbox?q=se%00%C3%B1al").text


def test_the_apps_own_cursor_and_week_links_still_work(client_any) -> None:  # type: ignore[no-untyped-def]
    viewer = client_any("viewer")
    cursor = encode_cursor(["recent", NOW.isoformat(), 3])
    assert viewer.get(f"/inbox?estado=all&cursor={cursor}").status_code == 200
    urgency = encode_cursor(["urgency", 1, 29, NOW.isoformat(), 3])
    assert viewer.get(f"/inbox?estado=all&orden=urgency&cursor={urgency}").status_code == 200


def test_week_links_stop_at_the_edges_of_the_range(client_for) -> None:  # type: ignore[no-untyped-def]
    viewer = client_for("viewer")  # SQLite only: see test_indicators_on_postgresql
    last = viewer.get("/indicators?semana=9998-W52")
    assert last.status_code == 200 and "9998-W51" in last.text and "9999-W01" not in last.text
    first = viewer.get("/indicators?semana=1970-W02")
    assert first.status_code == 200 and "1970-W03" in first.text and "1970-W01" not in first.text


def _post_cases(s: Seeded) -> list[tuple[str, dict[str, object], int, str]]:
    post = s.ids["complaint"]
    return [
        (f"/posts/{BIG}/state", {"value": "attended"}, 404, "Esa página no existe."),
        (f"/admin/users/{BIG}/role", {"role": "viewer"}, 404, "Esa página no existe."),
        ("/inbox/bulk", {"ids": [BIG], "action": "state:attended"}, 400, "La petición no es válida"),
        ("/inbox/bulk", {"ids": [SUPERSCRIPT_TWO], "action": "state:attended"}, 400, "La petición no es válida"),
        ("/inbox/bulk", {"ids": [post], "action": f"assign:{SUPERSCRIPT_TWO}"}, 400, "Asignación no válida."),
        ("/inbox/bulk", {"ids": [post], "action": f"assign:{BIG}"}, 400, "Asignación no válida."),
        (f"/posts/{post}/assign", {"value": SUPERSCRIPT_TWO}, 400, "Asignación no válida."),
        (f"/posts/{post}/assign", {"value": BIG[:16] + "0"}, 400, "La petición no es válida"),  # max_length
        (f"/posts/{post}/assign", {"value": "9" * 16}, 400, "Esa persona no existe"),
        (f"/posts/{post}/state", {}, 400, "La petición no es válida"),  # a missing field: FastAPI's validation
        (f"/posts/{post}/note", {"text": "\x00"}, 400, "La nota está vacía."),
    ]


def test_malformed_form_values(client_any, seeded_any: Seeded) -> None:  # type: ignore[no-untyped-def]
    admin = client_any("admin")
    token = csrf_of(admin.get("/inbox").text)
    for path, form, status, words in _post_cases(seeded_any):
        response = admin.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
        assert_error_page(response, status, words, path)


def test_nul_in_form_text_is_removed(client_any, seeded_any: Seeded) -> None:  # type: ignore[no-untyped-def]
    admin = client_any("admin")
    token = csrf_of(admin.get("/inbox").text)
    post = seeded_any.ids["complaint"]
    note = admin.post(f"/posts/{post}/note", data={"text": "lla\x00mar", "csrf_token": token},
                      follow_redirects=False)
    assert note.status_code == 303
    assert "llamar" in admin.get(f"/posts/{post}").text
    made = admin.post("/admin/users", data={"username": "nueva", "role": "viewer", "password": "una-clave-larga",
                                            "display_name": "Ana\x00 Pérez", "csrf_token": token},
                      follow_redirects=False)
    assert made.status_code == 303 and "Ana Pérez" in admin.get("/admin/users").text
    back = admin.post(f"/posts/{post}/state", data={"value": "in_progress", "view": "row", "csrf_token": token,
                                                    "return_to": f"asignado={SUPERSCRIPT_TWO}&q=%00"},
                      headers={"HX-Request": "true"})
    assert back.status_code == 200  # a hand-made return_to falls back to the default view


def test_nul_in_a_login_name_is_a_failed_login(app_any) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app_any)
    page = client.get("/login")
    token = page.text.split('name="login_csrf" value="')[1].split('"')[0]
    response = client.post("/login", data={"username": "admin\x00", "password": "x", "login_csrf": token})
    assert response.status_code == 401 and "content-security-policy" in response.headers


@pytest.mark.parametrize("depth", [33, 3000, 100_000])
def test_deeply_nested_webhook_json_is_refused(app_any, depth: int) -> None:  # type: ignore[no-untyped-def]
    body = b'{"object":"instagram","entry":' + b"[" * depth + b"]" * depth + b"}"
    response = TestClient(app_any).post("/webhooks/meta", content=body, headers=signed_headers(body))
    assert response.status_code == 400 and "anidada" in response.text
    assert "content-security-policy" in response.headers


def test_webhook_json_within_the_limit_is_accepted(app_any) -> None:  # type: ignore[no-untyped-def]
    body = b'{"object":"instagram","entry":[],"x":' + b"[" * 20 + b'"]]]]{{{{"' + b"]" * 20 + b"}"
    response = TestClient(app_any).post("/webhooks/meta", content=body, headers=signed_headers(body))
    assert (response.status_code, response.text) == (200, "EVENT_RECEIVED")


# --- the safety net -----------------------------------------------------------------------------------------


def _boom(request: Request) -> None:
    raise RuntimeError("a bug nobody foresaw")


def test_an_unexpected_error_is_a_logged_spanish_500_with_the_headers(app_any) -> None:  # type: ignore[no-untyped-def]
    app_any.add_api_route("/boom", _boom)
    client = TestClient(app_any, raise_server_exceptions=False)
    with capture_logs() as logs:
        page = client.get("/boom")
        fragment = client.get("/boom", headers={"HX-Request": "true"})
    assert page.status_code == 500 and SERVER_ERROR in page.text and "Volver a la bandeja" in page.text
    assert fragment.status_code == 500 and fragment.text == SERVER_ERROR
    for response in (page, fragment):
        for header in SECURITY_HEADERS:
            assert header in response.headers, header
    errors = [entry for entry in logs if entry["log_level"] == "error"]
    assert len(errors) == 2 and errors[0]["path"] == "/boom" and errors[0]["exc_info"]


# --- the checks themselves ----------------------------------------------------------------------------------


def test_ids_are_ascii_numbers_within_bigint() -> None:
    assert parse_id("42") == 42 and parse_id(str(MAX_ID)) == MAX_ID
    for bad in ("", "0", "-1", "+1", " 1", "1 ", "1_000", "²", "٣", "1e3", BIG, "9" * 5000):
        assert parse_id(bad) is None, bad


def test_dates_and_weeks_stay_inside_safe_years() -> None:
    assert day_param("desde", "") == "" and day_param("desde", "2026-11-16") == "2026-11-16"
    assert week_param("") is None and str(week_param("2026-W46")) == "2026-11-09"
    for bad in ("9999-12-31", "0001-01-01", "1969-12-31", "2026-02-30", "20261116", "２０２６-11-16", "ayer"):
        with pytest.raises(InvalidParameter):
            day_param("hasta", bad)
    for bad in ("9999-W52", "0001-W01", "2026-W54", "2026-W00", "2026-W4", "٢٠٢٦-W46", "2026W46"):
        with pytest.raises(InvalidParameter):
            week_param(bad)


def test_cursors_must_be_the_apps_own() -> None:
    good = encode_cursor(["recent", NOW.isoformat(), 7])
    assert cursor_param(good, "recent") == good and cursor_param(None, "recent") is None
    bad = ["not-base64!!", "A" * 600, encode_cursor(["urgency", 1, NOW.isoformat(), 7]),
           encode_cursor(["recent", NOW.isoformat(), 0]), encode_cursor(["recent", "9999-12-31T23:00:00+00:00", 1]),
           encode_cursor([["recent"], NOW.isoformat(), 1]), _raw_cursor({"a": 1}), _raw_cursor([[[["recent"]]]])]
    for token in bad:
        with pytest.raises(InvalidParameter):
            cursor_param(token, "recent")


def test_json_depth_ignores_brackets_in_strings() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[{{{"}]}') == 3
    assert json_depth(b'["\\"[[[", []]') == 2
    assert safe_json(b'{"a": [[1]]}', 3) == {"a": [[1]]}
    for bad in (b"[" * 5 + b"]" * 5, b"[" * 100_000, b"{"):
        with pytest.raises(ValueError):
            safe_json(bad, 4)

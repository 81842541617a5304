"""CSRF on every change, escaping of untrusted text everywhere, and the security headers."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import Engine, func, select

from bot.spreadsheet import safe_cell
from bot.web.templating import safe_url
from storage.models import PostEventRow
from storage.unit_of_work import UnitOfWork
from tests.web.conftest import TestClient
from tests.web.helpers import XSS, Seeded, csrf_of

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _events(engine: Engine) -> int:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        return int(uow.session.scalar(select(func.count()).select_from(PostEventRow)) or 0)


def _change_routes(s: Seeded) -> list[tuple[str, dict[str, object]]]:
    post = s.ids["complaint"]
    return [
        (f"/posts/{post}/category", {"value": "queja"}),
        (f"/posts/{post}/sentiment", {"value": "neutral"}),
        (f"/posts/{post}/topics", {"toggle": "espectro"}),
        (f"/posts/{post}/state", {"value": "attended"}),
        (f"/posts/{post}/assign", {"value": "me"}),
        (f"/posts/{post}/note", {"text": "nota"}),
        ("/inbox/bulk", {"ids": [post], "action": "state:attended"}),
        ("/admin/users", {"username": "nueva", "role": "viewer", "password": "una-clave-larga"}),
        ("/admin/campaigns", {"name": "Talento TI", "hashtags": "#TalentoTI", "starts_on": "2026-11-01"}),
        (f"/admin/users/{s.users['viewer']}/active", {"active": "0"}),
        ("/logout", {}),
    ]


@pytest.mark.parametrize("token", [None, "", "forged-token"], ids=["missing", "empty", "forged"])
def test_every_change_needs_the_session_csrf_token(client_for, seeded: Seeded, sqlite_engine: Engine,  # type: ignore[no-untyped-def]
                                                   token: str | None) -> None:
    admin = client_for("admin")
    for path, form in _change_routes(seeded):
        data = dict(form) if token is None else {**form, "csrf_token": token}
        response = admin.post(path, data=data, follow_redirects=False)
        assert response.status_code == 403, path
        assert "CSRF" in response.text, path
    assert _events(sqlite_engine) == 0
    assert admin.get("/inbox", follow_redirects=False).status_code == 200  # still logged in


def test_another_sessions_token_is_refused(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = client_for("community_manager"), client_for("admin")
    their_token = csrf_of(theirs.get("/inbox").text)
    response = mine.post(f"/posts/{seeded.ids['complaint']}/state",
                         data={"value": "attended", "csrf_token": their_token})
    assert response.status_code == 403


def test_header_token_works_and_cross_site_origin_is_refused(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    cm = client_for("community_manager")
    token = csrf_of(cm.get("/inbox").text)
    path = f"/posts/{seeded.ids['complaint']}/state"
    ok = cm.post(path, data={"value": "in_progress"}, headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert ok.status_code == 303
    evil = cm.post(path, data={"value": "attended", "csrf_token": token},
                   headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert evil.status_code == 403


def test_script_in_a_post_is_escaped_on_every_page(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    cm = client_for("community_manager")
    pages = ["/inbox", f"/posts/{seeded.ids['xss']}", f"/incidents/{seeded.incident}",
             "/inbox?orden=urgency&estado=all"]
    for path in pages:
        html = cm.get(path).text
        assert XSS not in html, path
        assert ESCAPED in html, path
    searched = cm.get("/inbox?q=script").text  # the search term is marked inside the escaped text
    assert XSS not in searched
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;" in searched
    # A fragment swapped in by htmx is escaped too.
    token = csrf_of(cm.get("/inbox").text)
    fragment = cm.post(f"/posts/{seeded.ids['xss']}/sentiment", data={
        "value": "negative", "csrf_token": token, "view": "row", "return_to": ""}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and ESCAPED in fragment.text and XSS not in fragment.text


def test_notes_and_search_terms_are_escaped(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    cm = client_for("community_manager")
    token = csrf_of(cm.get("/inbox").text)
    note = '<img src=x onerror="alert(3)">'
    cm.post(f"/posts/{seeded.ids['complaint']}/note", data={"text": note, "csrf_token": token})
    html = cm.get(f"/posts/{seeded.ids['complaint']}").text
    assert note not in html and "&lt;img src=x onerror=&#34;alert(3)&#34;&gt;" in html
    search = cm.get('/inbox?q="><script>alert(4)</script>').text
    assert "<script>alert(4)" not in search


def test_javascript_links_from_posts_are_not_rendered(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    html = client_for("viewer").get(f"/posts/{seeded.ids['xss']}").text
    assert "javascript:" not in html
    assert "Sin enlace al original" in html
    assert safe_url("https://x.com/a/status/1") == "https://x.com/a/status/1"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,hi", "//evil.example", None):
        assert safe_url(bad) is None


def test_pages_carry_a_strict_policy_and_no_inline_script(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    for path in ("/inbox", f"/posts/{seeded.ids['complaint']}", "/incidents", "/indicators", "/learning",
                 "/admin/users", "/admin/campaigns", "/login"):
        response = admin.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        html = response.text
        assert all('src="/static/' in tag for tag in re.findall(r"<script[^>]*>", html)), path
        assert not re.search(r"\son[a-z]+\s*=", html), path  # no inline event handlers
        assert 'style="' not in html, path


def test_csv_export_is_safe_for_spreadsheets(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    assert safe_cell("=HYPERLINK(\"http://evil\")") == "'=HYPERLINK(\"http://evil\")"
    assert safe_cell("+57 300") == "'+57 300" and safe_cell("-1") == "'-1" and safe_cell("@user") == "'@user"
    assert safe_cell("javascript:alert(1)") == "'javascript:alert(1)" and safe_cell("\tx") == "'\tx"
    assert safe_cell("normal") == "normal" and safe_cell(None) == ""
    assert safe_cell(-0.8) == -0.8 and safe_cell(3) == 3  # numbers stay numbers
    response = client_for("community_manager").get("/inbox/export.csv?estado=all")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["id", "fecha", "plataforma"]
    texts = {r[6] for r in rows[1:]}
    assert XSS in texts  # CSV is data, kept verbatim; only formula starts are neutralised
    assert len(rows) == 1 + 5
    scores = [r[10] for r in rows[1:] if r[10]]
    assert scores and all(not s.startswith("'") for s in scores)  # negative scores are numbers, not text
    assert any(s.startswith("-") for s in scores)


def test_unauthenticated_htmx_and_client_cannot_reach_fragments(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    response = client.post("/posts/1/state", data={"value": "attended"}, follow_redirects=False)
    assert response.status_code == 401

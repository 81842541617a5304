"""The web audit trail (issue 17) on SQLite and PostgreSQL: logins, failed logins (never a password, never what
was typed for an unknown user), logouts, user creation, role change, deactivation, password reset and CSV export
are recorded with who, when and from where; /admin/audit lists and filters them, for admins only; the client's
address comes from X-Forwarded-For only when the peer is a configured trusted proxy."""

from __future__ import annotations

import json
import warnings

import pytest
from fastapi import Request
from sqlalchemy import Engine, select

from bot.config import Config
from bot.web.app import create_app, fast_passwords
from bot.web.audit_trail import client_addr
from storage.models import AuditEventRow
from storage.unit_of_work import UnitOfWork
from tests.web.conftest import log_in
from tests.web.helpers import NOW, PASSWORD, Seeded, csrf_of, login_csrf_of, username

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TYPED_SECRET = "MiClave-Secreta-2026"  # a password typed into the username field


def _events(engine: Engine) -> list[AuditEventRow]:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        rows = list(uow.session.scalars(select(AuditEventRow).order_by(AuditEventRow.id)))
        uow.session.expunge_all()
        return rows


def test_logins_failures_user_changes_and_exports_are_recorded(app_any, client_any, engine, seeded_any: Seeded):
    # type: ignore[no-untyped-def]
    stranger = TestClient(app_any, base_url="http://testserver")
    assert log_in(stranger, TYPED_SECRET).status_code == 401  # unknown user
    assert log_in(stranger, username("viewer"), "mala-clave-123").status_code == 401
    admin = client_any("admin")
    page = admin.get("/admin/users").text
    token = csrf_of(page)
    viewer_id = seeded_any.users["viewer"]
    assert admin.post(f"/admin/users/{viewer_id}/role", data={"role": "community_manager", "csrf_token": token},
                      follow_redirects=False).status_code == 303
    assert admin.post("/admin/users", data={"username": "nueva", "role": "viewer", "password": "una-clave-larga-1",
                                            "csrf_token": token}, follow_redirects=False).status_code == 303
    assert admin.post(f"/admin/users/{viewer_id}/password", data={"password": "otra-clave-larga-2",
                                                                  "csrf_token": token},
                      follow_redirects=False).status_code == 303
    assert admin.post(f"/admin/users/{viewer_id}/active", data={"active": "0", "csrf_token": token},
                      follow_redirects=False).status_code == 303
    editor = client_any("community_manager")
    assert editor.get("/inbox/export.csv?estado=all").status_code == 200
    assert editor.post("/logout", data={"csrf_token": csrf_of(editor.get("/inbox").text)},
                       follow_redirects=False).status_code == 303
    stranger.close()

    events = _events(engine)
    seen = [(e.action, e.user, e.target) for e in events]
    assert seen == [
        ("login_failed", None, None),
        ("login_failed", username("viewer"), None),
        ("login", username("admin"), None),
        ("user_role", username("admin"), f"user:{username('viewer')}"),
        ("user_create", username("admin"), "user:nueva"),
        ("user_password", username("admin"), f"user:{username('viewer')}"),
        ("user_deactivate", username("admin"), f"user:{username('viewer')}"),
        ("login", username("community_manager"), None),
        ("export_csv", username("community_manager"), "inbox"),
        ("logout", username("community_manager"), None),
    ]
    assert [e.detail.get("reason") for e in events[:2]] == ["unknown_user", "bad_password"]
    assert events[3].detail == {"old": "viewer", "new": "community_manager"}
    assert events[8].detail == {"query": "estado=all"}
    assert all(e.remote_addr == "testclient" and e.created_at == NOW for e in events)
    everything = json.dumps([[e.user, e.target, e.detail, e.remote_addr] for e in events])
    for secret in (TYPED_SECRET, "mala-clave-123", "una-clave-larga-1", "otra-clave-larga-2"):
        assert secret not in everything


def test_the_audit_page_lists_filters_and_pages_for_admins_only(app_any, client_any, engine):
    # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        for n in range(60):
            uow.session.add(AuditEventRow(created_at=NOW, user="ana", action="login_failed", target=None,
                                          detail={"reason": "bad_password"}, remote_addr=f"10.0.0.{n}"))
        uow.commit()
    admin = client_any("admin")
    page = admin.get("/admin/audit")
    assert page.status_code == 200
    assert "Auditoría" in page.text and "Inicio de sesión fallido" in page.text and "contraseña incorrecta" in page.text
    assert "61 evento(s)" in page.text  # 60 + the admin's own login
    assert "página 1 de 2" in page.text and "pagina=2" in page.text
    second = admin.get("/admin/audit?pagina=2")
    assert second.status_code == 200 and second.text.count('data-action="') == 11
    only = admin.get("/admin/audit?accion=login&usuario=" + username("admin"))
    assert only.text.count('data-action="login"') == 1 and 'data-action="login_failed"' not in only.text
    assert "0 evento(s)" in admin.get("/admin/audit?desde=2026-11-21").text
    assert "61 evento(s)" in admin.get("/admin/audit?desde=2026-11-20&hasta=2026-11-20").text
    assert admin.get("/admin/audit?desde=ayer").status_code == 400
    assert admin.get("/admin/audit?pagina=0").status_code == 400
    for role in ("viewer", "community_manager"):
        assert client_any(role).get("/admin/audit").status_code == 403


def _request(peer: str, forwarded: str | None, proxies: list[str], engine: Engine) -> Request:
    app = create_app(Config.model_validate({"web": {"trusted_proxies": proxies}}), engine,
                     passwords=fast_passwords(), tune=False)
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "client": (peer, 1234),
                    "app": app, "query_string": b""})


@pytest.mark.parametrize(("peer", "forwarded", "proxies", "expected"), [
    ("203.0.113.9", "1.2.3.4", [], "203.0.113.9"),  # no trusted proxy: the header is never read
    ("203.0.113.9", "1.2.3.4", ["10.0.0.1"], "203.0.113.9"),  # the peer is not the proxy: ignored
    ("10.0.0.1", "198.51.100.7", ["10.0.0.1"], "198.51.100.7"),
    ("10.0.0.1", "6.6.6.6, 198.51.100.7", ["10.0.0.0/24"], "198.51.100.7"),  # the client wrote 6.6.6.6 itself
    ("10.0.0.1", "198.51.100.7, 10.0.0.2", ["10.0.0.0/24"], "198.51.100.7"),  # two proxies in a row
    ("10.0.0.1", "no-es-ip", ["10.0.0.1"], "10.0.0.1"),
    ("10.0.0.1", None, ["10.0.0.1"], "10.0.0.1"),
])
def test_client_address_trusts_forwarded_for_only_from_a_trusted_proxy(peer, forwarded, proxies, expected,
                                                                        sqlite_engine):  # type: ignore[no-untyped-def]
    assert client_addr(_request(peer, forwarded, proxies, sqlite_engine)) == expected


def test_a_login_through_a_trusted_proxy_records_the_real_client(sqlite_engine, seeded):  # type: ignore[no-untyped-def]
    config = Config.model_validate({"web": {"trusted_proxies": ["127.0.0.1"]}})
    app = create_app(config, sqlite_engine, passwords=fast_passwords(), clock=lambda: NOW, tune=False)
    with TestClient(app, base_url="http://testserver", client=("127.0.0.1", 5555)) as client:
        page = client.get("/login")
        response = client.post("/login", data={"username": username("admin"), "password": PASSWORD,
                                               "login_csrf": login_csrf_of(page.text), "next": "/inbox"},
                               headers={"X-Forwarded-For": "198.51.100.23"}, follow_redirects=False)
    assert response.status_code == 303
    assert [(e.action, e.remote_addr) for e in _events(sqlite_engine)] == [("login", "198.51.100.23")]


def test_user_changes_made_with_the_cli_are_in_the_same_trail(cli, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("getpass.getuser", lambda: "operador")
    assert cli("users", "add", "ana", "--role", "viewer", "--password-stdin", stdin="una-clave-larga\n") == 0
    assert cli("users", "disable", "ana") == 0
    assert cli("users", "reset-password", "ana", "--password-stdin", stdin="otra-clave-larga\n") == 0
    engine = cli.engine()
    try:
        events = _events(engine)
    finally:
        engine.dispose()
    assert [(e.action, e.user, e.target, e.remote_addr) for e in events] == [
        ("user_create", "cli:operador", "user:ana", None), ("user_deactivate", "cli:operador", "user:ana", None),
        ("user_password", "cli:operador", "user:ana", None)]
    assert "clave" not in json.dumps([e.detail for e in events])

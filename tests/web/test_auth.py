"""Login, sessions and throttling."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from bot.config import Config, WebSettings
from bot.web.app import create_app, fast_passwords
from bot.web.auth import safe_next
from storage.models import UserRow, WebSessionRow
from storage.unit_of_work import UnitOfWork
from tests.web.conftest import TestClient, log_in
from tests.web.helpers import NOW, PASSWORD, Seeded, login_csrf_of

PAGES = ["/", "/inbox", "/inbox/counts", "/inbox/export.csv", "/posts/1", "/incidents", "/incidents/1",
         "/indicators", "/learning", "/admin/users"]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


def test_every_page_requires_login(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path
    htmx = client.get("/inbox", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/login"
    assert client.get("/static/app.css").status_code == 200  # assets are public, data is not


def test_login_sets_a_hardened_session_cookie_and_redirects_back(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    first = client.get("/posts/1", follow_redirects=False)
    form = client.get(first.headers["location"])
    response = client.post("/login", data={"username": "communitymanager", "password": PASSWORD,
                                           "login_csrf": login_csrf_of(form.text), "next": "/posts/1"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/posts/1"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("vigia_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # web.cookie_secure is false by default (plain HTTP on loopback)
    assert client.get("/posts/1").status_code == 200


def test_secure_cookie_setting_uses_the_host_prefix(sqlite_engine: Engine, seeded: Seeded) -> None:
    config = Config(web=WebSettings(cookie_secure=True))
    client = TestClient(create_app(config, sqlite_engine, passwords=fast_passwords(), clock=lambda: NOW),
                        base_url="https://testserver")
    response = log_in(client, "viewer")
    cookie = next(c for c in response.headers.get_list("set-cookie") if "vigia_session" in c)
    assert cookie.startswith("__Host-vigia_session=") and "Secure" in cookie and "HttpOnly" in cookie
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_the_database_holds_only_a_hash_of_the_session_token(app, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    log_in(client, "viewer")
    token = client.cookies["vigia_session"]
    with UnitOfWork(sqlite_engine) as uow:
        assert uow.session is not None
        stored = list(uow.session.scalars(select(WebSessionRow.token_hash)))
        hashes = list(uow.session.scalars(select(UserRow.password_hash)))
    assert stored and token not in stored and len(stored[0]) == 64
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_wrong_password_and_unknown_user_get_the_same_answer(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    wrong = log_in(client, "viewer", "not-the-password")
    unknown = log_in(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Usuario o contraseña incorrectos" in wrong.text and "Usuario o contraseña incorrectos" in unknown.text
    assert "vigia_session" not in client.cookies


def test_login_form_token_is_required(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    response = client.post("/login", data={"username": "viewer", "password": PASSWORD, "login_csrf": "forged"},
                           follow_redirects=False)
    assert response.status_code == 403
    assert "vigia_session" not in client.cookies


def test_account_locks_after_repeated_failures_then_unlocks(sqlite_engine: Engine, seeded: Seeded) -> None:
    clock = Clock()
    config = Config(web=WebSettings(login_max_attempts=3, login_lock_minutes=15))
    app = create_app(config, sqlite_engine, passwords=fast_passwords(), clock=clock)
    client = TestClient(app)
    for _ in range(3):
        assert log_in(client, "viewer", "wrong-password").status_code == 401
    assert log_in(client, "viewer").status_code == 401  # locked: even the right password fails
    assert log_in(TestClient(app), "admin").status_code == 303  # other accounts are not affected
    clock.now += timedelta(minutes=16)
    assert log_in(client, "viewer").status_code == 303


def test_one_address_is_throttled_across_usernames(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    limiter = app.state.web.ip_limiter
    for n in range(limiter.max_failures):
        assert log_in(client, f"guess{n}", "wrong-password").status_code == 401
    blocked = log_in(client, "viewer")
    assert blocked.status_code == 429 and "Demasiados intentos" in blocked.text


def test_a_correct_login_does_not_reset_the_address_count(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    limiter = app.state.web.ip_limiter
    for n in range(limiter.max_failures - 1):
        assert log_in(client, f"guess{n}", "wrong-password").status_code == 401
        if n % 10 == 5:
            assert log_in(TestClient(app), "viewer").status_code == 303  # the attacker's own valid account
    assert log_in(client, "guess-last", "wrong-password").status_code == 401
    assert log_in(client, "another-guess", "wrong-password").status_code == 429


def test_logout_ends_the_session_on_the_server(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    log_in(client, "viewer")
    token = client.cookies["vigia_session"]
    page = client.get("/inbox")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    replay = TestClient(app, cookies={"vigia_session": token})
    assert replay.get("/inbox", follow_redirects=False).status_code == 303  # the old cookie is dead


def test_sessions_expire(sqlite_engine: Engine, seeded: Seeded) -> None:
    clock = Clock()
    config = Config(web=WebSettings(session_hours=1))
    client = TestClient(create_app(config, sqlite_engine, passwords=fast_passwords(), clock=clock))
    log_in(client, "viewer")
    assert client.get("/inbox", follow_redirects=False).status_code == 200
    clock.now += timedelta(minutes=61)
    assert client.get("/inbox", follow_redirects=False).status_code == 303


def test_disabled_user_is_logged_out_at_once(app, client_for, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("viewer")
    with UnitOfWork(sqlite_engine) as uow:
        assert uow.session is not None
        uow.session.execute(UserRow.__table__.update().where(UserRow.username == "viewer").values(active=False))
        uow.commit()
    assert client.get("/inbox", follow_redirects=False).status_code == 303
    assert log_in(TestClient(app), "viewer").status_code == 401


def test_next_parameter_cannot_redirect_off_site() -> None:
    assert safe_next("/posts/3?x=1") == "/posts/3?x=1"
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""):
        assert safe_next(evil) == "/inbox"

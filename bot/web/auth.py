"""Who is asking, and may they: sessions, roles, CSRF, and the login/logout pages.

Every page depends on `current_user` (no page is public but the login form and static files). Every POST
depends on `csrf_user`: the session's CSRF token must come back in the form (or the X-CSRF-Token header),
and a cross-site Origin is refused outright. Roles rank viewer < community_manager < admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from bot.web.audit_trail import audit, client_addr
from bot.web.context import get_db, render, web
from bot.web.security import new_token, same_secret, token_hash
from storage.web_accounts import UserRepository, WebSessionRepository

ROLE_RANK = {"viewer": 0, "community_manager": 1, "admin": 2}
LOGIN_CSRF_COOKIE = "vigia_login_csrf"
TOUCH_EVERY = timedelta(minutes=1)
IP_MAX_FAILURES = 30
IP_WINDOW = timedelta(minutes=15)
GENERIC_LOGIN_ERROR = "Usuario o contraseña incorrectos, o cuenta bloqueada temporalmente."

router = APIRouter()


class LoginRequired(Exception):
    """Raised by `current_user`; the app turns it into a redirect to /login (or a 401 for htmx)."""


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: str
    csrf_token: str
    token_hash: str

    def can(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]

    @property
    def can_edit(self) -> bool:
        return self.can("community_manager")

    @property
    def is_admin(self) -> bool:
        return self.can("admin")


def current_user(request: Request, db: Annotated[Session, Depends(get_db)]) -> CurrentUser:
    ctx = web(request)
    token = request.cookies.get(ctx.session_cookie)
    if not token:
        raise LoginRequired()
    hashed = token_hash(token)
    now = ctx.clock()
    sessions = WebSessionRepository(db)
    found = sessions.get_valid(hashed, now)
    user = UserRepository(db).get(found.user_id) if found else None
    if found is None or user is None or not user.active:
        raise LoginRequired()
    if now - found.last_seen_at > TOUCH_EVERY:
        sessions.touch(hashed, now)
        db.commit()
    return CurrentUser(user.id, user.username, user.display_name, user.role, found.csrf_token, hashed)


async def csrf_user(request: Request, user: Annotated[CurrentUser, Depends(current_user)]) -> CurrentUser:
    """The current user, after checking that this state-changing request really comes from our pages."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(403, "Origen de la petición no permitido.")
    given = request.headers.get("x-csrf-token")
    if not given:
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not same_secret(given, user.csrf_token):
        raise HTTPException(403, "Token CSRF ausente o inválido: recargue la página e intente de nuevo.")
    return user


def require_role(role: str, *, change: bool) -> object:
    """A dependency that admits users of `role` or higher (after the CSRF check when `change`)."""
    if change:
        def check_change(user: Annotated[CurrentUser, Depends(csrf_user)]) -> CurrentUser:
            if not user.can(role):
                raise HTTPException(403, "Su rol no permite esta acción.")
            return user
        return check_change

    def check(user: Annotated[CurrentUser, Depends(current_user)]) -> CurrentUser:
        if not user.can(role):
            raise HTTPException(403, "Su rol no permite ver esta página.")
        return user
    return check


Viewer = Annotated[CurrentUser, Depends(current_user)]
Editor = Annotated[CurrentUser, Depends(require_role("community_manager", change=False))]
EditorChange = Annotated[CurrentUser, Depends(require_role("community_manager", change=True))]
Admin = Annotated[CurrentUser, Depends(require_role("admin", change=False))]
AdminChange = Annotated[CurrentUser, Depends(require_role("admin", change=True))]
AnyChange = Annotated[CurrentUser, Depends(csrf_user)]


def safe_next(value: str | None) -> str:
    """Only same-site paths: an attacker's ?next=https://evil.example must not become a redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/inbox"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/inbox"
    return value


def login_redirect(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


def _login_page(request: Request, next_url: str, error: str | None, status: int = 200,
                username: str = "") -> Response:
    token = new_token()
    response = render(request, "login.html", {"next_url": next_url, "error": error, "login_csrf": token,
                                              "username": username, "user": None}, status=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict", path="/login",
                        secure=web(request).config.web.cookie_secure)
    return response


@router.get("/login")
def login_form(request: Request, db: Annotated[Session, Depends(get_db)], next: str = "/inbox") -> Response:
    try:
        current_user(request, db)
        return RedirectResponse(safe_next(next), status_code=303)
    except LoginRequired:
        return _login_page(request, safe_next(next), None)


@router.post("/login")
def login(
    request: Request,
    db: Annotated[Session, Depends(get_db)],
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    login_csrf: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/inbox",
) -> Response:
    ctx = web(request)
    now = ctx.clock()
    target = safe_next(next)
    if not same_secret(login_csrf, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_page(request, target, "La sesión del formulario expiró: intente de nuevo.", 403, username)
    ip = client_addr(request) or "?"
    if ctx.ip_limiter.blocked(ip, now):
        audit(request, db, "login_failed", None, detail={"reason": "throttled"})
        db.commit()
        return _login_page(request, target, "Demasiados intentos fallidos desde esta dirección. Espere unos "
                                            "minutos e intente de nuevo.", 429, username)
    users = UserRepository(db)
    name = username.strip()
    user = users.by_username(name) if "\x00" not in name else None  # no username holds NUL (PostgreSQL refuses it)
    stored = users.password_hash(user.id) if user else None
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    valid = ctx.passwords.verify(stored, password)  # always run: same time whether the user exists or not
    if user is None or not user.active or locked or not valid:
        ctx.ip_limiter.record_failure(ip, now)
        if user is not None and user.active and not locked:
            users.record_failure(user.id, ctx.config.web.login_max_attempts,
                                 timedelta(minutes=ctx.config.web.login_lock_minutes), now)
        # An existing account is named (an attack on it shows); whatever else was typed is not stored: people
        # type passwords into the username field.
        reason = ("unknown_user" if user is None else "inactive" if not user.active else "locked" if locked
                  else "bad_password")
        audit(request, db, "login_failed", user.username if user else None, detail={"reason": reason})
        db.commit()
        return _login_page(request, target, GENERIC_LOGIN_ERROR, 401, username)
    users.record_success(user.id)
    if stored and ctx.passwords.needs_rehash(stored):
        users.set_password(user.id, ctx.passwords.hash(password))
    token = new_token()
    sessions = WebSessionRepository(db)
    sessions.purge_expired(now)
    sessions.create(token_hash(token), user.id, new_token(), now, timedelta(hours=ctx.config.web.session_hours))
    audit(request, db, "login", user.username)
    db.commit()
    # No reset of the address's failures here: one valid account must not let its owner keep guessing
    # other usernames from the same address (they expire with the sliding window instead).
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(ctx.session_cookie, token, max_age=int(ctx.config.web.session_hours * 3600),
                        httponly=True, samesite="lax", secure=ctx.config.web.cookie_secure, path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, user: AnyChange, db: Annotated[Session, Depends(get_db)]) -> Response:
    WebSessionRepository(db).delete(user.token_hash)
    audit(request, db, "logout", user.username)
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(web(request).session_cookie, path="/")
    return response

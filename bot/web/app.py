"""The FastAPI application factory of the community managers' inbox.

`create_app(config, engine)` builds everything per instance (templates, caches, login throttle) and keeps
it on `app.state.web`. Security headers are added to every response by a small ASGI middleware: a strict
Content-Security-Policy (scripts and styles only from our own /static files, no inline code), no framing,
no MIME sniffing, and `Cache-Control: no-store` on pages (they hold citizens' personal data).

Errors keep those headers and speak Spanish: a value that can never be valid (`InvalidParameter`, FastAPI's
validation errors) is a 400 page (404 for a malformed id in the path), and `ServerErrors`, inside
`SecurityHeaders`, turns any exception no handler caught into a logged 500 page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from argon2 import PasswordHasher
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.config import Config, Secrets
from bot.health import HealthCollector, Liveness
from bot.metrics import Metrics
from bot.web import (
    auth,
    routes_admin,
    routes_audit,
    routes_authors,
    routes_campaigns,
    routes_health,
    routes_inbox,
    routes_pages,
    routes_posts,
    routes_webhooks,
)
from bot.web.auth import IP_MAX_FAILURES, IP_WINDOW, LoginRequired, login_redirect
from bot.web.context import STATIC_DIR, WebContext, build_templates, is_htmx, render, system_now
from bot.web.dbtuning import tune_for_inbox
from bot.web.inputs import InvalidParameter
from bot.web.routes_webhooks import WebhookSecrets
from bot.web.security import AttemptLimiter, Passwords

log = structlog.get_logger("vigia.web")

SERVER_ERROR = "Algo falló en el servidor. El error quedó registrado; intente de nuevo en unos minutos."
INVALID_REQUEST = "La petición no es válida: revise los datos enviados."
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class SecurityHeaders:
    """Adds the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp, hsts: bool):
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"same-origin",
                    b"cross-origin-opener-policy": b"same-origin",
                    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
                }
                if not static:
                    extra[b"cache-control"] = b"no-store"
                if self.hsts:
                    extra[b"strict-transport-security"] = b"max-age=31536000"
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in extra]
                message["headers"] = kept + list(extra.items())
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ServerErrors:
    """The last line of defence: an exception that no handler caught is logged and answered with a 500 page
    in Spanish. It runs inside `SecurityHeaders`, so that page carries the usual headers (Starlette's own
    error middleware sits outside every other middleware, and its answer would not)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error in a web request", method=scope.get("method"), path=scope.get("path"))
            if started:  # part of the answer is gone already (a streamed export): nothing better to send
                raise
            await _server_error_page(Request(scope))(scope, receive, send)


def _server_error_page(request: Request) -> Response:
    """The 500 page, without touching the database (it may be what failed)."""
    if is_htmx(request):
        return PlainTextResponse(SERVER_ERROR, status_code=500)
    try:
        return render(request, "error.html", {"status": 500, "message": SERVER_ERROR, "user": None}, status=500)
    except Exception:  # the templates themselves failed: plain text still says it in Spanish
        log.exception("the error page could not be rendered")
        return PlainTextResponse(SERVER_ERROR, status_code=500)


def create_app(config: Config, engine: Engine, *, passwords: Passwords | None = None,
               clock: Callable[[], datetime] | None = None, tune: bool = True,
               webhook_secrets: WebhookSecrets | None = None, metrics: Metrics | None = None,
               metrics_token: str | None = None) -> FastAPI:
    """The web app over `engine` (already migrated). Tests pass cheap `passwords` and a fixed `clock`;
    `tune` applies the PostgreSQL planner settings of `bot.web.dbtuning` to the engine's connections;
    `webhook_secrets` (default: from the environment) guard Meta's webhook; `metrics` is the registry `/metrics`
    serves (default: a new one for this app), `metrics_token` its bearer token (default: VIGIA_METRICS_TOKEN)."""
    if tune:
        tune_for_inbox(engine)
    app = FastAPI(title="Vigía — bandeja", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = WebContext(
        config=config,
        engine=engine,
        sessions=sessionmaker(bind=engine, expire_on_commit=False),
        passwords=passwords or Passwords(),
        ip_limiter=AttemptLimiter(IP_MAX_FAILURES, IP_WINDOW),
        templates=build_templates(config),
        clock=clock or system_now,
    )
    app.state.meta_webhook = webhook_secrets or WebhookSecrets.from_env()
    metrics = metrics or Metrics()
    metrics.registry.register(HealthCollector(config, engine, engine.url.render_as_string(hide_password=True)))
    if metrics_token is None:
        secret = Secrets.from_env().metrics_token
        metrics_token = secret.get_secret_value() if secret else None
    app.state.health = routes_health.HealthEndpoints(metrics, metrics_token, Liveness(engine))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (auth, routes_inbox, routes_posts, routes_authors, routes_pages, routes_admin, routes_campaigns,
                   routes_audit, routes_webhooks, routes_health):
        app.include_router(module.router)
    _install_error_handlers(app)
    app.add_middleware(ServerErrors)
    app.add_middleware(SecurityHeaders, hsts=config.web.cookie_secure)  # added last: the outermost
    return app


def fast_passwords() -> Passwords:
    """Cheap argon2 parameters for tests and benchmarks only (never for real accounts)."""
    return Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if is_htmx(request) or request.method != "GET":
            return PlainTextResponse("Su sesión terminó: inicie sesión de nuevo.", status_code=401,
                                     headers={"HX-Redirect": "/login"})
        return RedirectResponse(login_redirect(request), status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail) if exc.detail else "Error")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if exc.errors() and all(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
            return _error(request, 404, "Esa página no existe.")  # /posts/abc, /posts/99999999999999999999
        return _error(request, 400, INVALID_REQUEST)

    @app.exception_handler(InvalidParameter)
    async def _bad_parameter(request: Request, exc: InvalidParameter) -> Response:
        return _error(request, 400, exc.message)


def _error(request: Request, status: int, message: str) -> Response:
    if status == 404 and message == "Not Found":
        message = "Esa página no existe."
    elif status == 405:
        message = "Método no permitido."
    if is_htmx(request):
        return PlainTextResponse(message, status_code=status)
    user: Any = None
    try:
        db = request.app.state.web.sessions()
        try:
            user = auth.current_user(request, db)
        finally:
            db.close()
    except (LoginRequired, HTTPException):
        user = None
    return render(request, "error.html", {"status": status, "message": message, "user": user}, status=status)

"""`/healthz` for load balancers and orchestrators, `/metrics` for Prometheus.

`/healthz` needs no login and says nothing but ok/not ok: 200 `{"status":"ok"}` when the database answers and
is at the code's migration, 503 `{"status":"unavailable"}` otherwise. It costs one small query.

`/metrics` is the Prometheus text format of this process's registry (bot/metrics.py): its own counters plus
the gauges read from the database at scrape time (bot/health.HealthCollector). It needs either
`Authorization: Bearer <VIGIA_METRICS_TOKEN>` or a logged-in admin's session: 401 with neither, 403 with a
wrong token or a user who is not an admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from bot.health import Liveness
from bot.metrics import Metrics, bearer_problem
from bot.web import auth
from bot.web.context import web

router = APIRouter()


@dataclass
class HealthEndpoints:
    """What the two routes need, built by `create_app` (one per app instance)."""

    metrics: Metrics
    token: str | None
    liveness: Liveness


def _endpoints(request: Request) -> HealthEndpoints:
    return request.app.state.health  # type: ignore[no-any-return]


@router.get("/healthz")
def healthz(request: Request) -> Response:
    if _endpoints(request).liveness.ok():
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable"}, status_code=503)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    endpoints = _endpoints(request)
    header = request.headers.get("authorization")
    if header is not None:
        problem = bearer_problem(header, endpoints.token)
        if problem is not None:
            return _refused(*problem)
    else:
        refused = _admin_refusal(request)
        if refused is not None:
            return refused
    return Response(endpoints.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def _admin_refusal(request: Request) -> Response | None:
    """None for a logged-in admin; 401 without a session, 403 for another role."""
    if not request.cookies.get(web(request).session_cookie):
        return _refused(401, "Inicie sesión como administrador o envíe 'Authorization: Bearer "
                             "<VIGIA_METRICS_TOKEN>'.")
    db = web(request).sessions()
    try:
        user = auth.current_user(request, db)
    except auth.LoginRequired:
        return _refused(401, "Su sesión terminó: inicie sesión de nuevo como administrador.")
    finally:
        db.close()
    if not user.is_admin:
        return _refused(403, "Solo los administradores pueden ver las métricas.")
    return None


def _refused(status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="vigia-metrics"'} if status == 401 else None
    return PlainTextResponse(message, status_code=status, headers=headers)

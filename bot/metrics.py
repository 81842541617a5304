"""The process's Prometheus counters, in one `CollectorRegistry` owned by whoever builds the process.

There is no module-level registry: `bootstrap` (for `run`, `poll`, `demo`) and `create_app` (for `serve`) each
make a `Metrics` and pass it on, so tests get a fresh one per bus or app and two buses in one process never
add into each other's counts.

Everything here is PER PROCESS: it counts what this process did since it started (a restart starts again at
zero, which Prometheus' `rate()`/`increase()` handle). `run` and `serve` are usually separate processes, so
the web app's `/metrics` shows its own counters plus the gauges `bot.health.HealthCollector` reads from the
database at scrape time (outbox backlog, oldest undelivered alert, stream lag, leader present): those are the
cross-process truth. `run` exposes its own counters on `health.run_metrics_port` when set
(`start_metrics_server`).

The counters are incremented where the work happens: the bus handlers (polls, posts stored, rate-limit
waits, analysis time, detector evaluations, alerts queued), the outbox worker (alerts delivered/failed) and
the connectors' HTTP sessions (API requests and errors per platform, through `instrument_connector`, which
only hooks the session objects the connectors already own).
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

PLATFORMS = ("x", "facebook", "instagram", "sample")
ANALYSIS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def platform_of(stream: str) -> str:
    """`x:mentions:Ministerio_TIC` → `x`: labels stay few (one per platform), whatever the account list."""
    return stream.split(":", 1)[0] or "desconocida"


class Metrics:
    """The counters and histograms of one process, all in `self.registry`."""

    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.polls = Counter("vigia_polls", "Stream polls by outcome (ok, failed, paused: a stored problem kept "
                             "it from asking).", ["stream", "outcome"], registry=r)
        self.posts_stored = Counter("vigia_posts_stored", "Posts stored for the first time, by stream.",
                                    ["stream"], registry=r)
        self.posts_updated = Counter("vigia_posts_updated", "Posts seen again whose metrics were refreshed.",
                                     ["stream"], registry=r)
        self.payloads_rejected = Counter("vigia_payloads_rejected", "Payloads set aside as unreadable.",
                                         ["stream"], registry=r)
        self.api_requests = Counter("vigia_api_requests", "HTTP requests answered by a platform's API.",
                                    ["platform"], registry=r)
        self.api_errors = Counter("vigia_api_errors", "API answers with an error status: kind rate_limit (429), "
                                  "client (other 4xx) or server (5xx).", ["platform", "kind"], registry=r)
        self.connector_failures = Counter("vigia_connector_failures", "Failed polls by problem kind (token, "
                                          "rate_limit, unavailable, payload, connector...).",
                                          ["platform", "problem"], registry=r)
        self.rate_limit_waits = Counter("vigia_rate_limit_waits", "Times a platform's rate limit made a stream "
                                        "wait: the 429 itself and each poll skipped while paused by it.",
                                        ["platform"], registry=r)
        self.alerts_queued = Counter("vigia_alerts_queued", "Alerts put in the outbox, by kind.", ["kind"],
                                     registry=r)
        self.alerts_delivered = Counter("vigia_alerts_delivered", "Outbox rows delivered, by sink.", ["sink"],
                                        registry=r)
        self.alerts_failed = Counter("vigia_alerts_failed", "Failed delivery attempts (retried later), by sink.",
                                     ["sink"], registry=r)
        self.analysis_seconds = Histogram("vigia_analysis_seconds", "Time to analyse and store one batch of "
                                          "posts.", registry=r, buckets=ANALYSIS_BUCKETS)
        self.posts_analysed = Counter("vigia_posts_analysed", "Posts analysed for the first time.", registry=r)
        self.detector_evaluations = Counter("vigia_detector_evaluations", "Spike detector updates (one per key "
                                            "and closed bucket).", registry=r)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


# --- connectors' HTTP sessions ------------------------------------------------------------------------------


def _status_kind(status: int) -> str | None:
    if status == 429:
        return "rate_limit"
    if 400 <= status < 500:
        return "client"
    if status >= 500:
        return "server"
    return None


def _sessions_of(connector: Any) -> Iterable[Any]:
    """The HTTP session objects a connector already owns: tweepy's requests session (X), the Graph client's
    httpx client (Facebook, Instagram). Anything else (the sample replay) has none."""
    api = getattr(connector, "api", None)
    client = getattr(api, "client", None) or getattr(api, "_client", None)
    session = getattr(client, "session", None)
    if session is not None and hasattr(session, "hooks"):
        yield session
    graph = getattr(connector, "_client", None)
    http = getattr(graph, "_http", None)
    if http is not None and hasattr(http, "event_hooks"):
        yield http


def instrument_connector(connector: Any, platform: str, metrics: Metrics) -> bool:
    """Count every response (and every error status) of the connector's HTTP session; True when hooked.

    A response hook on the session the connector already uses: the connector stays unaware of metrics, and
    retries inside a poll are counted as the requests they are.
    """
    hooked = False
    for session in _sessions_of(connector):
        if getattr(session, "_vigia_metrics", None) is metrics:
            hooked = True
            continue
        if hasattr(session, "event_hooks"):  # httpx
            def on_httpx(response: Any, p: str = platform) -> None:
                _count(metrics, p, int(response.status_code))

            session.event_hooks["response"] = [*session.event_hooks.get("response", []), on_httpx]
        else:  # requests
            def on_requests(response: Any, *args: Any, p: str = platform, **kwargs: Any) -> Any:
                _count(metrics, p, int(response.status_code))
                return response

            session.hooks["response"].append(on_requests)
        session._vigia_metrics = metrics
        hooked = True
    return hooked


def _count(metrics: Metrics, platform: str, status: int) -> None:
    metrics.api_requests.labels(platform).inc()
    kind = _status_kind(status)
    if kind is not None:
        metrics.api_errors.labels(platform, kind).inc()


# --- an endpoint for `run` -----------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return  # scrapes every 15 s would flood the log; structlog keeps the app's own lines


def metrics_wsgi_app(metrics: Metrics, token: str | None) -> Callable[..., Any]:
    """`GET /metrics` with `Authorization: Bearer <token>`; 401 without it, 403 with a wrong one, 404 elsewhere.
    With no token configured every request is refused (403): counters are never served unauthenticated."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"no existe"]
        problem = bearer_problem(environ.get("HTTP_AUTHORIZATION"), token)
        if problem is not None:
            status, message = problem
            headers = [("Content-Type", "text/plain; charset=utf-8")]
            if status == 401:
                headers.append(("WWW-Authenticate", 'Bearer realm="vigia-metrics"'))
            start_response(f"{status} {'Unauthorized' if status == 401 else 'Forbidden'}", headers)
            return [message.encode()]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [metrics.exposition()]

    return app


def bearer_problem(header: str | None, token: str | None) -> tuple[int, str] | None:
    """None when `header` carries the configured token; else (status, Spanish message). Constant-time compare."""
    if not token:
        return 403, "Métricas desactivadas: defina VIGIA_METRICS_TOKEN para consultarlas con un token."
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return 401, "Falta el token: envíe 'Authorization: Bearer <VIGIA_METRICS_TOKEN>'."
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return 403, "Token de métricas incorrecto."
    return None


def start_metrics_server(metrics: Metrics, host: str, port: int, token: str | None) -> WSGIServer:
    """Serve `metrics` on host:port in a daemon thread (for `run`); call `.shutdown()` to stop it."""
    server = make_server(host, port, metrics_wsgi_app(metrics, token), handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="vigia-metrics", daemon=True).start()
    return server

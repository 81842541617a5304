"""One X API v2 call through tweepy: retries for transient failures, typed errors for the rest.

tweepy's `Client` is used with `return_type=requests.Response` (the raw response: its rate-limit headers and
the body exactly as sent) and never with `wait_on_rate_limit=True` (it sleeps in the caller and retries at
once when the reset header is missing or past). 5xx answers, timeouts and dropped connections are retried
here with exponential back-off and jitter (short waits only); everything else becomes an `XApiError`
subclass that the connector turns into a pause and an operational alert.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
import structlog
import tweepy

from connectors.x_limits import RateBudget, parse_rate_headers

log = structlog.get_logger("vigia.connectors.x")

USERS, MENTIONS, USER_TWEETS, SEARCH = "users_by_username", "mentions", "user_tweets", "search_recent"


@dataclass(frozen=True)
class Page:
    """A 200 answer: the decoded body (or None if it was not JSON), its text, its headers."""

    body: Any
    text: str
    headers: Mapping[str, str]


class XApiError(Exception):
    def __init__(self, message: str, *, status: int | None = None, detail: str = ""):
        super().__init__(message)
        self.status = status
        self.detail = detail
        self.endpoint = ""  # set by `XApi.call`


class RateLimited(XApiError):
    def __init__(self, message: str, *, reset_at: datetime | None, usage_cap: bool, detail: str = ""):
        super().__init__(message, status=429, detail=detail)
        self.reset_at = reset_at
        self.usage_cap = usage_cap  # the monthly post cap of the plan, not the 15-minute window


class AuthFailed(XApiError):
    """401 (the token) or 403 (the plan or the project's access): needs a person."""

    def __init__(self, message: str, *, status: int, reason: str = "", detail: str = ""):
        super().__init__(message, status=status, detail=detail)
        self.reason = reason


class BadRequest(XApiError):
    def __init__(self, message: str, *, parameters: tuple[str, ...] = (), detail: str = ""):
        super().__init__(message, status=400, detail=detail)
        self.parameters = parameters


class NotFound(XApiError):
    pass


class Unavailable(XApiError):
    """5xx or network trouble that outlasted the retries."""


def _body(response: requests.Response | None) -> Any:
    if response is None:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _detail(body: Any, response: requests.Response | None) -> str:
    if isinstance(body, dict):
        parts = [str(body.get(k)) for k in ("title", "detail", "reason") if body.get(k)]
        for err in body.get("errors", []) or []:
            if isinstance(err, dict):
                parts.append(str(err.get("message") or err.get("detail") or ""))
        if parts:
            return " — ".join(p for p in parts if p)[:500]
    return (response.text[:300] if response is not None else "").strip()


def _bad_parameters(body: Any) -> tuple[str, ...]:
    names: list[str] = []
    if isinstance(body, dict):
        for err in body.get("errors", []) or []:
            if isinstance(err, dict):
                if isinstance(err.get("parameter"), str):
                    names.append(err["parameter"])
                params = err.get("parameters")
                if isinstance(params, dict):
                    names.extend(str(k) for k in params)
    return tuple(names)


def auth_message(status: int, reason: str, detail: str, endpoint: str) -> str:
    """An operator-facing explanation: what X refused, why, and what to do (Spanish, X's detail kept)."""
    if status == 401:
        return (f"X rechazó el token de acceso (HTTP 401 Unauthorized en {endpoint}): el Bearer Token es "
                "inválido, fue regenerado o revocado. Solución: genere un Bearer Token nuevo en "
                "developer.x.com → Projects & Apps → la app de Vigía → Keys and tokens, póngalo en la variable "
                f"de entorno X_BEARER_TOKEN y reinicie Vigía. Detalle de X: {detail or 'sin detalle'}")
    if reason in ("client-not-enrolled", "client-forbidden") or "enrol" in detail.lower():
        return (f"X negó el acceso a {endpoint} (HTTP 403, {reason or 'forbidden'}): la app no está dentro de "
                "un Project o el plan de la API no incluye lectura (el plan Free no permite leer menciones, "
                "publicaciones ni búsquedas). Solución: en developer.x.com asocie la app a un Project y use el "
                "plan Basic o superior; luego reinicie Vigía. Detalle de X: " + (detail or "sin detalle"))
    return (f"X negó el acceso a {endpoint} (HTTP 403{', ' + reason if reason else ''}): el token no tiene "
            "permiso para este recurso (cuenta protegida o suspendida, o un nivel de acceso insuficiente). "
            "Solución: revise el nivel de acceso del Project en developer.x.com y las cuentas en "
            f"accounts.x de config.yaml. Detalle de X: {detail or 'sin detalle'}")


class XApi:
    """Calls tweepy for the four endpoints Vigía reads, with retries and rate-limit bookkeeping."""

    def __init__(self, client: tweepy.Client, budget: RateBudget, clock: Callable[[], datetime], *,
                 max_retries: int = 3, retry_base_seconds: float = 1.0, retry_max_seconds: float = 20.0,
                 sleep: Callable[[float], None], rng: random.Random):
        if client.wait_on_rate_limit:
            raise ValueError("wait_on_rate_limit=True blocks the bot and storms X: handle 429s in the connector")
        self.client = client
        self.budget = budget
        self.clock = clock
        self.max_retries = max_retries
        self.retry_base = retry_base_seconds
        self.retry_max = retry_max_seconds
        self.sleep = sleep
        self.rng = rng
        self.requests = 0  # every HTTP request made, for tests and the benchmark

    def _send(self, endpoint: str, params: Mapping[str, Any]) -> requests.Response:
        args = {k: v for k, v in params.items() if v is not None}
        if endpoint == USERS:
            return self.client.get_user(username=args.pop("username"), **args)
        if endpoint == MENTIONS:
            return self.client.get_users_mentions(args.pop("id"), **args)
        if endpoint == USER_TWEETS:
            return self.client.get_users_tweets(args.pop("id"), **args)
        if endpoint == SEARCH:
            return self.client.search_recent_tweets(args.pop("query"), **args)
        raise ValueError(f"unknown X endpoint {endpoint!r}")

    def backoff(self, attempt: int) -> float:
        """Exponential back-off with jitter: half the step fixed, half random, capped."""
        step = min(self.retry_max, self.retry_base * (2 ** attempt))
        return step / 2 + self.rng.uniform(0, step / 2)

    def call(self, endpoint: str, stream: str, params: Mapping[str, Any]) -> Page:
        attempt = 0
        while True:
            self.requests += 1
            try:
                response = self._send(endpoint, params)
            except tweepy.TwitterServerError as exc:
                self.budget.record(endpoint, stream, exc.response.headers, self.clock())
                problem: str = f"HTTP {exc.response.status_code}"
            except (requests.Timeout, requests.ConnectionError) as exc:
                self.budget.record(endpoint, stream, None, self.clock())
                problem = type(exc).__name__
            except tweepy.HTTPException as exc:
                self.budget.record(endpoint, stream, exc.response.headers, self.clock())
                error = self._error(endpoint, exc)
                error.endpoint = endpoint
                raise error from None
            else:
                self.budget.record(endpoint, stream, response.headers, self.clock())
                return Page(_body(response), response.text, dict(response.headers))
            if attempt >= self.max_retries:
                unavailable = Unavailable(f"X no respondió bien a {endpoint} tras {attempt + 1} intentos "
                                          f"({problem}); Vigía reintentará en el próximo ciclo", detail=problem)
                unavailable.endpoint = endpoint
                raise unavailable
            delay = self.backoff(attempt)
            log.warning("x request failed, retrying", endpoint=endpoint, stream=stream, problem=problem,
                        attempt=attempt + 1, retry_in_s=round(delay, 2))
            self.sleep(delay)
            attempt += 1

    def _error(self, endpoint: str, exc: tweepy.HTTPException) -> XApiError:
        response = exc.response
        body = _body(response)
        detail = _detail(body, response)
        status = response.status_code
        if isinstance(exc, tweepy.TooManyRequests):
            _, _, reset_at = parse_rate_headers(response.headers)
            kind = str(body.get("type", "")) if isinstance(body, dict) else ""
            usage_cap = "usage-capped" in kind or "UsageCapExceeded" in json.dumps(body or "")
            return RateLimited(f"X limitó las solicitudes a {endpoint} (HTTP 429)", reset_at=reset_at,
                               usage_cap=usage_cap, detail=detail)
        if isinstance(exc, tweepy.Unauthorized | tweepy.Forbidden):
            reason = str(body.get("reason", "")) if isinstance(body, dict) else ""
            return AuthFailed(auth_message(status, reason, detail, endpoint), status=status, reason=reason,
                              detail=detail)
        if isinstance(exc, tweepy.BadRequest):
            return BadRequest(f"X rechazó la solicitud a {endpoint} (HTTP 400): {detail}",
                              parameters=_bad_parameters(body), detail=detail)
        if isinstance(exc, tweepy.NotFound):
            return NotFound(f"X no encontró el recurso pedido a {endpoint} (HTTP 404): {detail}", status=404,
                            detail=detail)
        return XApiError(f"X respondió HTTP {status} a {endpoint}: {detail}", status=status, detail=detail)


def rate_limit_wait(reset_at: datetime | None, now: datetime, minimum: float) -> datetime:
    """Not before: the window's reset, at least `minimum` seconds away, at most one window and a minute."""
    floor = now + timedelta(seconds=minimum)
    if reset_at is None or reset_at <= floor:
        return floor
    return min(reset_at, now + timedelta(minutes=16))

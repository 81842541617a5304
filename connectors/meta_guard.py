"""When a Meta connector may call the Graph API, and what to tell operators when a call fails.

The guard lives in the connector instance (never in a module global). It never sleeps: after a rate limit,
a high usage reading or an invalid token it remembers "not before T", and polls before T make no request.
A pause has an owner, the stream that met the problem: while the pause lasts the owner keeps reporting it
(so the bot neither takes a skipped tick for a recovery nor forgets the problem), and every other stream
waits quietly (so one problem is one alert, not one per stream). Throttling on usage has no owner: nothing
failed. Operational messages are in Spanish: they become the operators' alerts as they are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog

from connectors.base import ConnectorError
from connectors.graph_client import (
    GraphError,
    InvalidParameter,
    PermissionDenied,
    RateLimited,
    TokenInvalid,
    TransientError,
    UnexpectedPayload,
    Usage,
)
from connectors.meta_settings import MetaSettings

log = structlog.get_logger("vigia.connectors.meta")

GUIDE = "docs/meta-graph-api.md"

_TOKEN_REASONS = {
    458: "la app de Vigía fue retirada de la cuenta",
    459: "la cuenta quedó en un punto de control de seguridad de Facebook",
    460: "se cambió la contraseña de la cuenta que generó el token",
    463: "el token expiró",
    464: "la cuenta de Facebook no está confirmada",
    467: "el token fue revocado o se cerró la sesión",
    492: "cambió el rol de la cuenta en la página",
}


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Pause:
    """No calls before `until`; `owner` (a stream, or None) keeps reporting `message` meanwhile."""

    kind: str  # "token" | "rate" | "usage" | "permission"
    until: datetime
    owner: str | None
    message: str
    fatal: bool

    def error(self, now: datetime) -> ConnectorError:
        return ConnectorError(f"{self.message} [en pausa hasta {_hhmm(self.until)}]", stream=self.owner or "",
                              retry_after=max(1.0, (self.until - now).total_seconds()), fatal=self.fatal)


class MetaGuard:
    """Pause state of one connector: app-wide (token, rate limits, usage) and per stream or edge (permissions)."""

    def __init__(self, platform: str, settings: MetaSettings, clock: Callable[[], datetime]):
        self.platform = platform  # "Facebook" | "Instagram", for messages
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()  # the scheduler may poll several streams of one connector at once
        self._pause: Pause | None = None
        self._keyed: dict[str, Pause] = {}
        self._token_failures = 0

    # -- queries --

    def check(self, stream: str, key: str | None = None) -> ConnectorError | bool:
        """True: call away. False: wait quietly. A ConnectorError: this stream owns the pause; raise it."""
        now = self._clock()
        with self._lock:
            for pause in (self._pause, self._keyed.get(key or stream)):
                if pause is not None and now < pause.until:
                    return pause.error(now) if pause.owner == stream else False
        return True

    # -- state changes --

    def succeeded(self) -> None:
        """A call went through: the app-wide problem (if any) is over, and token back-off starts afresh."""
        with self._lock:
            self._token_failures = 0
            if self._pause is not None and self._pause.kind != "usage" and self._clock() >= self._pause.until:
                self._pause = None

    def slow_down(self, usage: Usage) -> float | None:
        """Above the usage threshold, pause the connector for a while that grows with usage; returns it."""
        limit = self._settings.throttle_percent
        if usage.percent < limit:
            return None
        share = min(1.0, (usage.percent - limit) / max(1e-9, 100.0 - limit))
        low, high = self._settings.throttle_min_pause_seconds, self._settings.throttle_max_pause_seconds
        pause = max(low + share * (high - low), usage.regain_seconds or 0.0)
        self._set(Pause("usage", self._clock() + timedelta(seconds=pause), None,
                        f"uso de la Graph API al {usage.percent:.0f} % ({usage.source})", False))
        log.warning("graph api usage high: slowing down", platform=self.platform, percent=usage.percent,
                    source=usage.source, pause_s=round(pause))
        return pause

    def failure(self, stream: str, exc: GraphError, *, permission: str | None = None,
                key: str | None = None) -> ConnectorError | None:
        """Record the pause an error calls for; the error to raise, or None when another stream owns it."""
        p = self.platform
        detail = exc.describe()
        now = self._clock()
        if isinstance(exc, TokenInvalid):
            with self._lock:
                self._token_failures += 1
                failures = self._token_failures
            wait = min(self._settings.token_retry_max_seconds,
                       self._settings.token_retry_seconds * 2 ** (failures - 1))
            until = now + timedelta(seconds=wait)
            reason = _TOKEN_REASONS.get(exc.subcode or 0, "el token ya no es válido")
            message = (
                f"{p}: el token de acceso de Meta no sirve: {reason} ({detail}). Para renovarlo: genere un token "
                "de usuario de larga duración con los permisos de Vigía, obtenga con él el token de página "
                "(GET /me/accounts) o use un token de usuario del sistema del Business Manager, póngalo en "
                f"META_ACCESS_TOKEN y reinicie Vigía (guía: {GUIDE}). Los flujos de {p} quedan en pausa; "
                f"próximo intento: {_hhmm(until)}.")
            return self._owned(Pause("token", until, stream, message, True), stream, now)
        if isinstance(exc, RateLimited):
            wait = float(exc.retry_after or self._settings.rate_limit_pause_seconds)
            until = now + timedelta(seconds=wait)
            message = (f"{p}: la Graph API limitó el uso ({detail}). Vigía pausa los flujos de {p} hasta "
                       f"{_hhmm(until)} para no ser bloqueado.")
            return self._owned(Pause("rate", until, stream, message, False), stream, now)
        if isinstance(exc, PermissionDenied):
            name = exc.permission or permission or "desconocido"
            hours = self._settings.permission_retry_hours
            what = f"{stream} ({key.split('|', 1)[1]})" if key and "|" in key else stream
            message = (f"{p}: falta el permiso «{name}» para leer {what} ({detail}). Concédalo a la app de Meta, "
                       f"genere un token nuevo y reinicie Vigía (guía: {GUIDE}). Vigía no reintentará esta lectura "
                       f"durante {hours} h.")
            pause = Pause("permission", now + timedelta(hours=hours), stream, message, True)
            with self._lock:
                self._keyed[key or stream] = pause
            return ConnectorError(message, stream=stream, retry_after=hours * 3600.0, fatal=True)
        if isinstance(exc, InvalidParameter | UnexpectedPayload):
            return ConnectorError(
                f"{p}: la Graph API rechazó o respondió de forma inesperada una lectura de {stream} ({detail}). "
                f"Posible cambio de la API o versión {self._settings.api_version} retirada: revise {GUIDE}.",
                stream=stream, fatal=True)
        if isinstance(exc, TransientError):
            return ConnectorError(f"{p}: la Graph API no responde ({detail}); se reintentará en el próximo ciclo.",
                                  stream=stream)
        return ConnectorError(f"{p}: error de la Graph API ({detail}).", stream=stream)

    def _owned(self, pause: Pause, stream: str, now: datetime) -> ConnectorError | None:
        """Keep the first reporter of a continuing problem as its owner: one problem, one alert thread."""
        with self._lock:
            current = self._pause
            if current is not None and current.kind == pause.kind and current.owner not in (None, stream):
                self._pause = Pause(pause.kind, max(pause.until, current.until), current.owner, pause.message,
                                    pause.fatal)
                log.warning("graph api problem continues", platform=self.platform, kind=pause.kind,
                            stream=stream, owner=current.owner)
                return None
            self._set_locked(pause)
        return ConnectorError(pause.message, stream=stream, retry_after=(pause.until - now).total_seconds(),
                              fatal=pause.fatal)

    def _set(self, pause: Pause) -> None:
        with self._lock:
            self._set_locked(pause)

    def _set_locked(self, pause: Pause) -> None:
        current = self._pause
        active = current is not None and current.until > self._clock()
        if pause.kind != "usage" or current is None or not active:
            self._pause = pause
        elif current.until < pause.until:  # slowing down never hides a problem a stream is reporting
            self._pause = replace(current, until=pause.until) if current.owner else pause

"""When a Meta connector may call the Graph API, and what to tell operators when a call fails.

Failures are operational problems the bot stores and shares (`bot/alerts/problems.py`): this module names their
cause, as a key every stream of the same cause shares: `token:meta` (code 190: one token for Facebook and
Instagram), `rate_limit:meta_app` (codes 4, 17, 32, 613 and the business-use-case limits: one app for both
platforms), `unavailable:meta` (5xx and timeouts after the client's retries), `permission:<stream>` (a
permission the stream needs), `payload:<platform>` (a malformed answer, kept aside by the connector) and
`connector:<stream>` (a read the API refused, often an API change). It keeps no problem state.

Two things stay in the connector instance (never in a module global), because they are not failures: the
slow-down when usage headers pass the threshold (no request before T, quietly: no problem, no alert, but the
bot shows it in `main.py status` through `slowing_down`), and the per-edge memory of a missing permission on
one of the tagged edges (so the page's other edges go on being read).
Operational messages are in Spanish: they become the operators' alerts as they are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from connectors.base import Backoff, ConnectorError
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
    """No calls before `until`; `message` is repeated (as an error) by the stream that meets it, if any."""

    kind: str  # "usage" | "permission"
    until: datetime
    message: str
    fatal: bool

    def error(self, stream: str, problem: str, now: datetime) -> ConnectorError:
        return ConnectorError(f"{self.message} [en pausa hasta {_hhmm(self.until)}]", stream=stream,
                              retry_after=max(1.0, (self.until - now).total_seconds()), fatal=self.fatal,
                              problem=problem)


class MetaGuard:
    """Error translation of one connector, its usage slow-down and the per-edge permission memory."""

    def __init__(self, platform: str, settings: MetaSettings, clock: Callable[[], datetime]):
        self.platform = platform  # "Facebook" | "Instagram", for messages
        self._name = platform.lower()
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()  # the scheduler may poll several streams of one connector at once
        self._usage: Pause | None = None
        self._keyed: dict[str, Pause] = {}

    # -- queries --

    def check(self, stream: str, key: str | None = None) -> ConnectorError | bool:
        """True: call away. False: slowing down on usage, wait quietly. A ConnectorError: the permission this
        edge needs is still missing (say so again, without calling)."""
        now = self._clock()
        with self._lock:
            keyed = self._keyed.get(key) if key else None
            if keyed is not None and now < keyed.until:
                return keyed.error(stream, permission_key(stream, key), now)
            if self._usage is not None and now < self._usage.until:
                return False
        return True

    def slowing_down(self) -> Pause | None:
        """The usage slow-down in force now, if any (for the bot to show the connector's streams as paused)."""
        now = self._clock()
        with self._lock:
            return self._usage if self._usage is not None and now < self._usage.until else None

    # -- state changes --

    def slow_down(self, usage: Usage) -> float | None:
        """Above the usage threshold, pause the connector for a while that grows with usage; returns it."""
        limit = self._settings.throttle_percent
        if usage.percent < limit:
            return None
        share = min(1.0, (usage.percent - limit) / max(1e-9, 100.0 - limit))
        low, high = self._settings.throttle_min_pause_seconds, self._settings.throttle_max_pause_seconds
        pause = max(low + share * (high - low), usage.regain_seconds or 0.0)
        until = self._clock() + timedelta(seconds=pause)
        with self._lock:
            if self._usage is None or self._usage.until < until:
                self._usage = Pause("usage", until, f"uso de la Graph API al {usage.percent:.0f} % ({usage.source})",
                                    False)
        log.warning("graph api usage high: slowing down", platform=self.platform, percent=usage.percent,
                    source=usage.source, pause_s=round(pause))
        return pause

    def failure(self, stream: str, exc: GraphError, *, permission: str | None = None,
                key: str | None = None) -> ConnectorError:
        """The error to raise: Spanish message, the problem key of its cause, and how to space retries."""
        p = self.platform
        detail = exc.describe()
        now = self._clock()
        if isinstance(exc, TokenInvalid):
            reason = _TOKEN_REASONS.get(exc.subcode or 0, "el token ya no es válido")
            message = (
                f"{p}: el token de acceso de Meta no sirve: {reason} ({detail}). Para renovarlo: genere un token "
                "de usuario de larga duración con los permisos de Vigía, obtenga con él el token de página "
                "(GET /me/accounts) o use un token de usuario del sistema del Business Manager, póngalo en "
                f"META_ACCESS_TOKEN y reinicie Vigía (guía: {GUIDE}). Los flujos de Facebook e Instagram que "
                "usan el token quedan en pausa y Vigía lo vuelve a probar con espera progresiva.")
            return ConnectorError(message, stream=stream, fatal=True, problem="token:meta",
                                  backoff=Backoff(self._settings.token_retry_seconds,
                                                  self._settings.token_retry_max_seconds))
        if isinstance(exc, RateLimited):
            wait = float(exc.retry_after or self._settings.rate_limit_pause_seconds)
            message = (f"{p}: la Graph API limitó el uso de la app ({detail}). Vigía pausa los flujos de Facebook "
                       f"e Instagram de la app hasta {_hhmm(now + timedelta(seconds=wait))} para no ser bloqueado.")
            return ConnectorError(message, stream=stream, retry_after=wait, problem="rate_limit:meta_app",
                                  backoff=Backoff(wait, max(wait, 3600.0)))
        if isinstance(exc, PermissionDenied):
            name = exc.permission or permission or "desconocido"
            hours = self._settings.permission_retry_hours
            what = f"{stream} ({key.split('|', 1)[1]})" if key and "|" in key else stream
            message = (f"{p}: falta el permiso «{name}» para leer {what} ({detail}). Concédalo a la app de Meta, "
                       f"genere un token nuevo y reinicie Vigía (guía: {GUIDE}). Vigía no reintentará esta lectura "
                       f"durante {hours} h.")
            if key:
                with self._lock:
                    self._keyed[key] = Pause("permission", now + timedelta(hours=hours), message, True)
            return ConnectorError(message, stream=stream, retry_after=hours * 3600.0, fatal=True,
                                  problem=permission_key(stream, key),
                                  backoff=Backoff(hours * 3600.0, hours * 3600.0))
        if isinstance(exc, UnexpectedPayload):
            return ConnectorError(
                f"{p}: la Graph API respondió con un formato inesperado en una lectura de {stream} ({detail}); la "
                "respuesta se guardó en rejected_payloads para inspección. Si se repite, la API pudo cambiar "
                f"(versión {self._settings.api_version}; revise {GUIDE}).",
                stream=stream, retry_after=float(self._settings.poll_interval_seconds), problem=f"payload:{self._name}")
        if isinstance(exc, InvalidParameter):
            return ConnectorError(
                f"{p}: la Graph API rechazó una lectura de {stream} ({detail}). Posible cambio de la API o versión "
                f"{self._settings.api_version} retirada: revise {GUIDE}.", stream=stream, fatal=True)
        if isinstance(exc, TransientError):
            return ConnectorError(f"{p}: la Graph API no responde ({detail}); se reintentará con espera progresiva.",
                                  stream=stream, problem="unavailable:meta",
                                  backoff=Backoff(float(self._settings.poll_interval_seconds), 3600.0))
        return ConnectorError(f"{p}: error de la Graph API ({detail}).", stream=stream)


def permission_key(stream: str, key: str | None) -> str:
    """`permission:<stream>`, or `permission:<stream>|<edge>` for one edge of a stream that reads several."""
    return f"permission:{key}" if key and "|" in key else f"permission:{stream}"

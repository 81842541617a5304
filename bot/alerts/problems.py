"""Operational problems modelled as problems, not as stream states.

A problem is keyed by its cause (`token:meta`, `token:x`, `rate_limit:meta_app`, `rate_limit:x:<endpoint>`,
`payload:<platform>`, `connector:<stream>`...). It opens once (one alert), is reported again at most once an
hour while open (sooner only when it gets worse), and recovers only when a real request that would have
failed succeeds: the connector says which causes a clean poll proved (`PollCompleted.proven`); a poll that
made no request (a paused stream's wait, a token check not yet due) proves nothing and clears nothing.

While a pausing problem is open, no stream that depends on its cause asks the platform before
`paused_until`: they pause together and resume together. Each failed attempt after a pause doubles the
next pause (with up to 10 % jitter) up to a cap; a non-request never resets it. The state lives in the
`ops_problems` table, so restarts and `poll --once` from cron respect it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from bot import events
from domain import Alert

if TYPE_CHECKING:
    from bot.services import Services
    from storage.models import OpsProblemRow

log = structlog.get_logger("vigia.problems")

OPS_REPEAT = timedelta(hours=1)  # a reminder of an open problem at most this often
DEFAULT_BACKOFF = (60.0, 3600.0)  # base and cap (s) when the connector gives none
JITTER = 0.1  # a pause is up to 10 % longer than the doubled base: streams and replicas do not retry in step
PAYLOAD_ESCALATE_AFTER = 3  # malformed pages in a row from one platform ...
PAYLOAD_ESCALATE_SPAN = timedelta(hours=1)  # ... or malformed pages for this long: "posible cambio de la API"
NON_PAUSING = ("payload:", "token_check:")  # warnings about what came back; the next poll is the next check
_RANK = {"info": 0, "aviso": 1, "critico": 2}
_PLATFORMS = {"x": "X", "meta": "Meta", "facebook": "Facebook", "instagram": "Instagram"}


# --- policy (pure) ----------------------------------------------------------------------------------------


def problem_key(event: events.ConnectorFailed) -> str:
    return event.problem or f"connector:{event.stream}"


def pauses(key: str) -> bool:
    """Does this problem hold its streams back? Malformed payloads and token warnings do not."""
    return not key.startswith(NON_PAUSING)


def backoff_seconds(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """`base` doubled per attempt after the first, capped, plus up to `JITTER` of itself."""
    step = min(cap, base * 2 ** max(0, attempt - 1))
    return step * (1 + JITTER * rng.random())


def severity_for(row: OpsProblemRow, fatal: bool, now: datetime) -> str:
    """critico when a person must act; a malformed page is an aviso until it repeats (then the API changed)."""
    if row.key.startswith("payload:"):
        repeated = row.failures >= PAYLOAD_ESCALATE_AFTER or now - row.opened_at >= PAYLOAD_ESCALATE_SPAN
        return "critico" if repeated else "aviso"
    return "critico" if fatal else "aviso"


def title_for(key: str, severity: str = "aviso") -> str:
    """What the problem is, in Spanish, from its key."""
    kind, _, rest = key.partition(":")
    platform = _PLATFORMS.get(rest.split(":", 1)[0], rest)
    if kind == "token":
        return f"El token de acceso de {platform} no sirve"
    if kind == "token_check":
        return f"Aviso de la revisión diaria del token de {platform}"
    if kind == "rate_limit" and rest == "meta_app":
        return "Límite de uso de la app de Meta: Facebook e Instagram en pausa"
    if kind == "rate_limit":
        return f"{platform} limitó las solicitudes a {rest.partition(':')[2] or rest}"
    if kind == "quota":
        return f"Cupo mensual de {platform} agotado"
    if kind == "access":
        return f"{platform} negó el acceso a {rest.partition(':')[2] or rest}"
    if kind == "unavailable":
        return f"La API de {platform} no responde"
    if kind == "payload":
        if severity == "critico":
            return f"Posible cambio de la API de {platform}: respuestas con formato inesperado repetidas"
        return f"Respuesta con formato inesperado de {platform}"
    if kind == "permission":
        return f"Falta un permiso de Meta para {rest}"
    if kind == "connector":
        return f"Falla del conector {rest}"
    return f"Problema operativo {key}"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _failure_body(event: events.ConnectorFailed, row: OpsProblemRow, severity: str, reminder: bool) -> str:
    lines = [event.error]
    if row.key.startswith("payload:") and severity == "critico":
        lines.append(f"{row.failures} respuestas seguidas con formato inesperado desde {_when(row.opened_at)}: "
                     "posible cambio de la API. Revise las cargas guardadas en rejected_payloads y la guía "
                     "de la API (docs/operations.md).")
    elif event.fatal:
        lines.append("Requiere intervención: revise las credenciales, el plan de acceso o los permisos.")
    else:
        lines.append("Vigía reintentará automáticamente con espera progresiva.")
    if row.paused_until is not None:
        lines.append(f"Todos los flujos afectados por esta causa quedan en pausa hasta {_when(row.paused_until)} "
                     f"(intento {row.attempts}).")
    if reminder:
        lines.append(f"Sigue abierto desde {_when(row.opened_at)}.")
    lines.append(f"Fallas seguidas: {row.failures} (último flujo: {event.stream}).")
    return "\n".join(lines)


# --- handlers ---------------------------------------------------------------------------------------------


def problem_failed(event: events.ConnectorFailed, svc: Services) -> list[events.Event]:
    """Count the failure on its problem, pause the problem's streams, and tell operators when it is due."""
    key = problem_key(event)
    now = svc.clock()
    log.warning("connector failed", stream=event.stream, problem=key, error=event.error,
                retry_after=event.retry_after, fatal=event.fatal)
    with svc.uow() as uow:
        row = uow.ops.record_failure(key, event.error, event.fatal, now, event.stream)
        if pauses(key):
            if row.paused_until is None or row.paused_until <= now:
                row.attempts = (row.attempts or 0) + 1  # a failure while already paused was a request in flight
            base = event.backoff_base or DEFAULT_BACKOFF[0]
            cap = max(base, event.backoff_max or DEFAULT_BACKOFF[1])
            wait = max(backoff_seconds(row.attempts, base, cap, svc.rng), event.retry_after or 0.0)
            until = now + timedelta(seconds=wait)
            row.paused_until = max(row.paused_until, until) if row.paused_until else until
        severity = severity_for(row, event.fatal, now)
        told = row.severity or "info"
        worse = _RANK[severity] > _RANK[told] and row.last_alert_at is not None
        due = row.last_alert_at is None or now - row.last_alert_at >= OPS_REPEAT or worse
        if not due:
            uow.commit()
            return []
        reminder = row.last_alert_at is not None and not worse
        severity = max(severity, told, key=_RANK.__getitem__)
        row.last_alert_at, row.severity = now, severity
        alert = Alert(
            key=f"ops:{key}:{row.opened_at.isoformat()}:{row.failures}",
            kind="operational",
            severity=severity,
            channel="ops",
            title=title_for(key, severity),
            body=_failure_body(event, row, severity, reminder),
            created_at=now,
            details={"problem": key, "failures": row.failures, "stream": event.stream,
                     "paused_until": row.paused_until.isoformat() if row.paused_until else None},
        )
        for sink in svc.sinks_for("ops"):
            uow.alerts.add(alert, sink.name)
        uow.commit()
    return [events.AlertRaised(alert.key, alert.kind, alert.severity, alert.title)]


def problems_recovered(event: events.PollCompleted, svc: Services) -> list[events.Event]:
    """Close the open problems that this poll's real requests proved over, and say so once for each."""
    if not event.proven:
        return []
    now = svc.clock()
    out: list[events.Event] = []
    with svc.uow() as uow:
        open_rows = uow.ops.open_problems(event.proven)
        if not open_rows:
            return []
        for candidate in open_rows:
            if event.started_at is not None and candidate.last_seen_at > event.started_at:
                continue  # failed again while this poll ran (another stream, another thread): not proof
            row = uow.ops.resolve(candidate.key, now)
            if row is None:
                continue
            log.info("operational problem recovered", problem=row.key, stream=event.stream,
                     failures=row.failures)
            if row.last_alert_at is None:
                continue  # nobody was told it was open
            minutes = int((now - row.opened_at).total_seconds() // 60)
            alert = Alert(
                key=f"ops:{row.key}:{row.opened_at.isoformat()}:recovered",
                kind="recovery",
                severity="info",
                channel="ops",
                title=f"Recuperado: {title_for(row.key, row.severity or 'aviso')}",
                body=(f"Una solicitud real de {event.stream} volvió a funcionar tras {minutes} min y "
                      f"{row.failures} fallas; los flujos que esperaban por esta causa retoman."),
                created_at=now,
                details={"problem": row.key, "stream": event.stream},
            )
            for sink in svc.sinks_for("ops"):
                uow.alerts.add(alert, sink.name)
            out.append(events.AlertRaised(alert.key, alert.kind, alert.severity, alert.title))
        uow.commit()
    return out

"""The audit trail for admins (`/admin/audit`): who logged in (or failed to), logged out, created, deactivated or
changed users and roles, reset passwords, exported the inbox, changed campaigns; when and from which address.
Newest first, 50 a page, filtered by action, user and dates (Bogotá days). Admins only (403 for everyone else).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from bot.web.auth import Admin
from bot.web.context import get_db, render, web
from bot.web.inputs import InvalidParameter, day_param, parse_int, without_nul
from storage.audit_log import AuditFilter, AuditLog

router = APIRouter(prefix="/admin")
PAGE_SIZE = 50
MAX_PAGE = 100_000

ACTION_ES = {
    "login": "Inicio de sesión",
    "login_failed": "Inicio de sesión fallido",
    "logout": "Cierre de sesión",
    "user_create": "Usuario creado",
    "user_activate": "Usuario reactivado",
    "user_deactivate": "Usuario desactivado",
    "user_role": "Cambio de rol",
    "user_password": "Contraseña restablecida",
    "export_csv": "Exportación CSV de la bandeja",
    "campaign_create": "Campaña creada",
    "campaign_update": "Campaña modificada",
    "campaign_archive": "Campaña archivada",
    "campaign_unarchive": "Campaña reactivada",
}
REASON_ES = {"unknown_user": "usuario inexistente", "bad_password": "contraseña incorrecta",
             "locked": "cuenta bloqueada", "inactive": "cuenta desactivada", "throttled": "demasiados intentos"}


def describe(action: str, detail: dict[str, Any]) -> str:
    """One short Spanish line about an event's detail (reasons, role changes, export filters)."""
    if detail.get("reason"):
        return REASON_ES.get(str(detail["reason"]), str(detail["reason"]))
    if action == "user_role":
        return f"{detail.get('old') or '—'} → {detail.get('new') or '—'}"
    if action == "user_create" and detail.get("role"):
        return f"rol {detail['role']}"
    if action == "export_csv":
        return f"filtros: {detail.get('query') or 'ninguno'}"
    if action.startswith("campaign_"):
        return "ver el historial en la campaña"
    return ""


def _start_of(day: str, request: Request) -> datetime | None:
    if not day:
        return None
    return datetime.combine(date.fromisoformat(day), time(0), tzinfo=web(request).config.tz)


@router.get("/audit")
def audit_page(request: Request, user: Admin, db: Annotated[Session, Depends(get_db)]) -> Response:
    q = request.query_params
    action = without_nul(q.get("accion", "")).strip()[:32]
    who = without_nul(q.get("usuario", "")).strip()[:64]
    since, until = day_param("desde", q.get("desde", "")), day_param("hasta", q.get("hasta", ""))
    page = parse_int(q.get("pagina", "1") or "1", low=1, high=MAX_PAGE)
    if page is None:
        raise InvalidParameter(f"La página debe ser un número entre 1 y {MAX_PAGE}.")
    end = _start_of(until, request)
    log = AuditLog(db)
    events, total = log.page(AuditFilter(action=action or None, user=who or None, since=_start_of(since, request),
                                         until=end + timedelta(days=1) if end else None),
                             offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    query = {k: v for k, v in (("accion", action), ("usuario", who), ("desde", since), ("hasta", until)) if v}
    pages = max(1, -(-total // PAGE_SIZE))
    return render(request, "audit.html", {
        "user": user, "events": events, "total": total, "page": page, "pages": pages,
        "actions": sorted(set(log.actions()) | set(ACTION_ES)), "ACTION_ES": ACTION_ES, "describe": describe,
        "action": action, "who": who, "since": since, "until": until,
        "prev_url": f"/admin/audit?{urlencode({**query, 'pagina': page - 1})}" if page > 1 else None,
        "next_url": f"/admin/audit?{urlencode({**query, 'pagina': page + 1})}" if page < pages else None,
        "months": web(request).config.retention.audit_months,
    })

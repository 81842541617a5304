"""The daily health check of the Meta access token (`GET /debug_token`).

A long-lived Page token does not expire (`expires_at` = 0), but its data access does (about 90 days after
the person who granted it last used the app), and a password change or a removed role kills it at once. The
check reads validity, expiry, data-access expiry and granted permissions, and says in Spanish what to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.graph_client import GraphClient, TokenInvalid, UnexpectedPayload

# Permissions each stream needs (what the README and docs/meta-graph-api.md list, checked against the token).
REQUIRED_SCOPES: dict[tuple[str, str], tuple[str, ...]] = {
    ("facebook", "posts"): ("pages_read_engagement",),
    ("facebook", "comments"): ("pages_read_engagement", "pages_read_user_content"),
    ("facebook", "tagged"): ("pages_read_user_content",),
    ("instagram", "media"): ("instagram_basic", "pages_read_engagement"),
    ("instagram", "comments"): ("instagram_basic", "instagram_manage_comments", "pages_read_engagement"),
    ("instagram", "tags"): ("instagram_basic", "instagram_manage_comments", "pages_read_engagement"),
    ("instagram", "mentions"): ("instagram_basic", "instagram_manage_comments", "pages_read_engagement"),
}
INSIGHTS_SCOPES = {"facebook": "read_insights", "instagram": "instagram_manage_insights"}

RENEW_ES = ("Renueve el token: genere un token de usuario de larga duración con los permisos de Vigía, "
            "obtenga el token de página con GET /me/accounts (o use un token de usuario del sistema del "
            "Business Manager), póngalo en META_ACCESS_TOKEN y reinicie Vigía (guía: docs/meta-graph-api.md).")


@dataclass(frozen=True)
class TokenReport:
    """What `/debug_token` says about the token (times are None when Meta says 'never')."""

    valid: bool
    token_type: str | None
    expires_at: datetime | None
    data_access_expires_at: datetime | None
    scopes: tuple[str, ...] | None


def inspect_token(client: GraphClient, access_token: str) -> TokenReport:
    """Ask Meta about the token; an invalid token raises `TokenInvalid` (code 190)."""
    body = client.get("debug_token", params={"input_token": access_token})
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, Mapping):
        raise UnexpectedPayload("debug_token no devolvió 'data'", path="debug_token", payload=body)
    if not data.get("is_valid"):
        err = data.get("error") if isinstance(data.get("error"), Mapping) else {}
        subcode = err.get("subcode") if isinstance(err.get("subcode"), int) else None
        raise TokenInvalid(str(err.get("message") or "debug_token: el token no es válido"), code=190,
                           subcode=subcode, path="debug_token")
    scopes = data.get("scopes")
    return TokenReport(
        valid=True,
        token_type=data.get("type") if isinstance(data.get("type"), str) else None,
        expires_at=_unix(data.get("expires_at")),
        data_access_expires_at=_unix(data.get("data_access_expires_at")),
        scopes=tuple(s for s in scopes if isinstance(s, str)) if isinstance(scopes, list) else None,
    )


def token_problems(report: TokenReport, now: datetime, warn_days: int, required: Iterable[str]) -> list[str]:
    """Problems worth an operator's attention now, in Spanish; empty when all is well."""
    problems: list[str] = []
    horizon = now + timedelta(days=warn_days)
    for moment, what in ((report.expires_at, "El token de acceso de Meta expira"),
                         (report.data_access_expires_at, "El acceso a datos del token de Meta vence")):
        if moment is not None and moment <= horizon:
            days = max(0, (moment - now).days)
            problems.append(f"{what} el {moment:%Y-%m-%d %H:%M} UTC (en {days} días).")
    if report.token_type and report.token_type.upper() == "USER":
        problems.append("El token configurado es de usuario, no de página: algunas lecturas (comentarios con "
                        "autor, publicaciones de visitantes) exigen un token de página.")
    if report.scopes is not None:
        missing = sorted(set(required) - set(report.scopes))
        if missing:
            problems.append(f"Al token le faltan permisos que Vigía usa: {', '.join(missing)}.")
    return problems


def state_after_check(report: TokenReport, now: datetime) -> dict[str, Any]:
    return {
        "checked_at": now.isoformat(),
        "expires_at": report.expires_at.isoformat() if report.expires_at else None,
        "data_access_expires_at": report.data_access_expires_at.isoformat() if report.data_access_expires_at
        else None,
    }


def _unix(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(value, UTC)

"""Who did what from where, for the audit trail (storage/audit_log.py): the client's address and one call to
record an event in the request's transaction.

The address is the TCP peer's, unless that peer is one of `web.trusted_proxies`: only then is X-Forwarded-For
read, right to left, skipping the trusted proxies, so a client cannot write its own address into the trail by
sending the header itself. With no trusted proxy configured the header is never read.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from bot.web.context import web
from storage.audit_log import AuditLog


def _trusted(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def client_addr(request: Request) -> str | None:
    peer = request.client.host if request.client else None
    proxies = web(request).config.web.trusted_proxies
    if peer is None or not proxies or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a malformed header: the proxy's own address is the honest answer
    return peer


def audit(request: Request, db: Session, action: str, user: str | None, *, target: str | None = None,
          detail: dict[str, Any] | None = None) -> None:
    """Add an audit event to the request's transaction (the caller commits it with the change it records)."""
    AuditLog(db).add(action, user, web(request).clock(), target=target, detail=detail,
                     remote_addr=client_addr(request))

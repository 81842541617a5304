"""The web app's audit trail (`audit_events`): logins, failed logins, logouts, user and role changes, exports,
campaign changes. Written in the caller's transaction (never commits); read page by page, newest first, for
the admins' /admin/audit page. Retention deletes rows older than `retention.audit_months` (storage/retention.py).

Nothing secret goes in: no password, no session token, and for a failed login with an unknown username not even
what was typed (people type passwords into the username field); `detail` holds only short reasons and ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import AuditEventRow


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    user: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


@dataclass(frozen=True)
class AuditEvent:
    id: int
    created_at: datetime
    user: str | None
    action: str
    target: str | None
    detail: dict[str, Any]
    remote_addr: str | None


class AuditLog:
    def __init__(self, session: Session):
        self.session = session

    def add(self, action: str, user: str | None, now: datetime, *, target: str | None = None,
            detail: dict[str, Any] | None = None, remote_addr: str | None = None) -> None:
        self.session.add(AuditEventRow(created_at=now, user=user[:64] if user else None, action=action[:32],
                                       target=target[:128] if target else None, detail=dict(detail or {}),
                                       remote_addr=remote_addr[:64] if remote_addr else None))

    def _where(self, f: AuditFilter) -> list[Any]:
        conditions: list[Any] = []
        if f.action:
            conditions.append(AuditEventRow.action == f.action)
        if f.user:
            conditions.append(AuditEventRow.user == f.user)
        if f.since is not None:
            conditions.append(AuditEventRow.created_at >= f.since)
        if f.until is not None:
            conditions.append(AuditEventRow.created_at < f.until)
        return conditions

    def page(self, f: AuditFilter, offset: int = 0, limit: int = 50) -> tuple[list[AuditEvent], int]:
        """One page of events (newest first) and how many match in all."""
        where = self._where(f)
        total = self.session.scalar(select(func.count()).select_from(AuditEventRow).where(*where)) or 0
        rows = self.session.scalars(select(AuditEventRow).where(*where)
                                    .order_by(AuditEventRow.created_at.desc(), AuditEventRow.id.desc())
                                    .offset(offset).limit(limit))
        return [AuditEvent(r.id, r.created_at, r.user, r.action, r.target, dict(r.detail or {}), r.remote_addr)
                for r in rows], total

    def actions(self) -> list[str]:
        return sorted(self.session.scalars(select(AuditEventRow.action).distinct()))

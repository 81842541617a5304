"""Users and server-side web sessions of the inbox app.

Only hashes are stored: the password hash (computed by the caller, argon2id) and the SHA-256 of each session
token, so a copy of the database lets nobody log in. Never commits: the caller's unit of work does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import UserRow, WebSessionRow

ROLES = ("viewer", "community_manager", "admin")
ASSIGNABLE_ROLES = ("community_manager", "admin")  # roles that can act on posts, so can be assignees


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime
    password_changed_at: datetime


def _user(row: UserRow) -> User:
    return User(row.id, row.username, row.display_name, row.role, row.active, row.failed_logins or 0,
                row.locked_until, row.created_at, row.password_changed_at)


class UserRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, username: str, display_name: str, role: str, password_hash: str) -> User:
        if role not in ROLES:
            raise ValueError(f"role {role!r} must be one of {', '.join(ROLES)}")
        if self.by_username(username) is not None:
            raise ValueError(f"user {username!r} already exists")
        now = _now()
        row = UserRow(username=username, display_name=display_name or username, role=role,
                      password_hash=password_hash, active=True, failed_logins=0, created_at=now,
                      password_changed_at=now)
        self.session.add(row)
        self.session.flush()
        return _user(row)

    def by_username(self, username: str) -> User | None:
        row = self.session.scalar(select(UserRow).where(UserRow.username == username))
        return _user(row) if row else None

    def get(self, user_id: int) -> User | None:
        row = self.session.get(UserRow, user_id)
        return _user(row) if row else None

    def password_hash(self, user_id: int) -> str | None:
        return self.session.scalar(select(UserRow.password_hash).where(UserRow.id == user_id))

    def all(self) -> list[User]:
        return [_user(r) for r in self.session.scalars(select(UserRow).order_by(UserRow.username))]

    def assignable(self) -> list[User]:
        """Active people who can work on posts (community managers and admins)."""
        stmt = (select(UserRow).where(UserRow.active.is_(True), UserRow.role.in_(ASSIGNABLE_ROLES))
                .order_by(UserRow.display_name))
        return [_user(r) for r in self.session.scalars(stmt)]

    def set_active(self, user_id: int, active: bool) -> None:
        self.session.execute(update(UserRow).where(UserRow.id == user_id).values(active=active))

    def set_role(self, user_id: int, role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"role {role!r} must be one of {', '.join(ROLES)}")
        self.session.execute(update(UserRow).where(UserRow.id == user_id).values(role=role))

    def set_password(self, user_id: int, password_hash: str) -> None:
        """New password: clears the lock-out too (an admin reset is how a locked user gets back in)."""
        self.session.execute(update(UserRow).where(UserRow.id == user_id).values(
            password_hash=password_hash, password_changed_at=_now(), failed_logins=0, locked_until=None))

    def record_failure(self, user_id: int, max_attempts: int, lock_for: timedelta, now: datetime) -> bool:
        """Count a failed login; lock the account after `max_attempts` in a row. True when now locked."""
        row = self.session.get(UserRow, user_id, populate_existing=True)
        if row is None:
            return False
        row.failed_logins = (row.failed_logins or 0) + 1
        locked = row.failed_logins >= max_attempts
        if locked:
            row.locked_until = now + lock_for
            row.failed_logins = 0
        self.session.flush()
        return locked

    def record_success(self, user_id: int) -> None:
        self.session.execute(update(UserRow).where(UserRow.id == user_id).values(failed_logins=0,
                                                                                locked_until=None))


@dataclass(frozen=True)
class WebSession:
    token_hash: str
    user_id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


class WebSessionRepository:
    def __init__(self, session: Session):
        self.session = session

    def create(self, token_hash: str, user_id: int, csrf_token: str, now: datetime, ttl: timedelta) -> None:
        self.session.add(WebSessionRow(token_hash=token_hash, user_id=user_id, csrf_token=csrf_token,
                                       created_at=now, last_seen_at=now, expires_at=now + ttl))

    def get_valid(self, token_hash: str, now: datetime) -> WebSession | None:
        row = self.session.get(WebSessionRow, token_hash)
        if row is None or row.expires_at <= now:
            return None
        return WebSession(row.token_hash, row.user_id, row.csrf_token, row.created_at, row.last_seen_at,
                          row.expires_at)

    def touch(self, token_hash: str, now: datetime) -> None:
        self.session.execute(update(WebSessionRow).where(WebSessionRow.token_hash == token_hash)
                             .values(last_seen_at=now))

    def delete(self, token_hash: str) -> None:
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == token_hash))

    def delete_for_user(self, user_id: int) -> int:
        ids = list(self.session.scalars(select(WebSessionRow.token_hash).where(WebSessionRow.user_id == user_id)))
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))
        return len(ids)

    def purge_expired(self, now: datetime) -> None:
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))

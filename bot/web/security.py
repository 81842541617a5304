"""Security primitives: password hashing (argon2id), session tokens, CSRF comparison, login throttling.

Session tokens are 256-bit random values; the database keeps only their SHA-256, so a leaked copy of the
database cannot be replayed as a cookie. Comparisons of secrets use constant-time `hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import deque
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 copes with more, but nobody types this much: refuse obvious abuse


class Passwords:
    """argon2id hashing with the library's current recommended parameters (or cheaper ones in tests)."""

    def __init__(self, hasher: PasswordHasher | None = None):
        self.hasher = hasher or PasswordHasher()
        # Verified when the user does not exist, so a wrong username costs as much time as a wrong password.
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable (in Spanish), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"La contraseña debe tener al menos {MIN_PASSWORD_LENGTH} caracteres."
    if len(password) > MAX_PASSWORD_LENGTH:
        return "La contraseña es demasiado larga."
    if password.strip() != password or not password.strip():
        return "La contraseña no puede empezar ni terminar con espacios."
    return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_secret(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


class AttemptLimiter:
    """Failed logins per client address in a sliding window (in memory, per app instance).

    Complements the per-user lock stored in the database: it stops one address from trying many
    usernames. Memory is bounded: old entries are pruned, and at most `max_keys` addresses are tracked.
    """

    def __init__(self, max_failures: int, window: timedelta, max_keys: int = 10_000):
        self.max_failures = max_failures
        self.window = window
        self.max_keys = max_keys
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: datetime) -> deque[datetime]:
        q = self._failures.get(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, key: str, now: datetime) -> bool:
        with self._lock:
            return len(self._prune(key, now)) >= self.max_failures

    def record_failure(self, key: str, now: datetime) -> None:
        with self._lock:
            if key not in self._failures and len(self._failures) >= self.max_keys:
                for old in [k for k, q in self._failures.items() if not q or q[-1] <= now - self.window]:
                    del self._failures[old]
                if len(self._failures) >= self.max_keys:
                    self._failures.pop(next(iter(self._failures)))
            q = self._prune(key, now)
            q.append(now)
            self._failures[key] = q


"""What every request handler needs: the app's settings, database sessions, templates and helpers.

One `WebContext` per app instance lives on `app.state.web` (no module-level mutable state), so tests can run
several apps side by side.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from analyzers.segments import Segmenter
from bot.config import Config, business_calendar, segmenter
from bot.web import templating
from bot.web.security import AttemptLimiter, Passwords
from domain import NO_PROFILE
from domain.business_calendar import BusinessCalendar
from storage.reach import ReachRule

TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")
CHEAP_COUNTS_SECONDS = 0.25


@dataclass(frozen=True)
class Cached:
    value: Any
    stored_at: float  # time.monotonic()
    cost: float  # seconds it took to compute

    @property
    def age(self) -> float:
        return time.monotonic() - self.stored_at


class TTLCache:
    """A small, thread-safe cache for the inbox counts (the one query that reads a whole filtered set).

    After a change, `drop_cheap` forgets the entries that are cheap to recompute, so small inboxes show
    exact counts at once, while on a database of millions an expensive count is reused until it expires
    (the page says how old it is) instead of being recomputed after every click of every colleague.
    """

    def __init__(self, ttl_seconds: float, max_items: int = 256):
        self.ttl = ttl_seconds
        self.max_items = max_items
        self._items: OrderedDict[Any, Cached] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Cached | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit.age > self.ttl:
                self._items.pop(key, None)
                return None
            return hit

    def put(self, key: Any, value: Any, cost: float = 0.0) -> Cached:
        entry = Cached(value, time.monotonic(), cost)
        with self._lock:
            self._items[key] = entry
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return entry

    def drop_cheap(self, max_cost: float) -> None:
        with self._lock:
            for key in [k for k, v in self._items.items() if v.cost < max_cost]:
                del self._items[key]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def system_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WebContext:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    passwords: Passwords
    ip_limiter: AttemptLimiter
    templates: Jinja2Templates
    clock: Callable[[], datetime] = system_now
    counts_cache: TTLCache = field(default_factory=lambda: TTLCache(60))

    def counts_changed(self) -> None:
        """Something was written: counts that are cheap to redo are dropped, expensive ones age out."""
        self.counts_cache.drop_cheap(CHEAP_COUNTS_SECONDS)

    @cached_property
    def calendar(self) -> BusinessCalendar:
        """The configured business calendar (zone, office hours, holidays), the one the weekly report uses."""
        return business_calendar(self.config)

    @cached_property
    def segmenter(self) -> Segmenter:
        """The configured audience segments (ids, Spanish labels, priorities), as the poll places authors."""
        return segmenter(self.config)

    @property
    def segment_choices(self) -> tuple[str, ...]:
        """The values of the inbox's segment filter: the configured segments, then "sin perfil"."""
        return (*(sid for sid, _ in self.segmenter.segments), NO_PROFILE)

    @cached_property
    def reach(self) -> ReachRule:
        """The segments' priorities for the reach rank of the urgency order (storage/reach.py)."""
        return ReachRule.of(self.segmenter)

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.config.topics)

    @property
    def session_cookie(self) -> str:
        # The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and path=/.
        return "__Host-vigia_session" if self.config.web.cookie_secure else "vigia_session"


def web(request: Request) -> WebContext:
    return request.app.state.web  # type: ignore[no-any-return]


def get_db(request: Request) -> Iterator[Session]:
    """One database session per request; handlers commit explicitly, anything else is rolled back."""
    session = web(request).sessions()
    try:
        yield session
    finally:
        session.close()


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(request: Request, template: str, context: dict[str, Any], *, status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    ctx = web(request)
    data = {"request": request, "config": ctx.config, "now": ctx.clock(), **context}
    response = ctx.templates.TemplateResponse(request, template, data, status_code=status, headers=headers)
    response.headers["Vary"] = "HX-Request, HX-Target, Cookie"
    return response


def build_templates(config: Config) -> Jinja2Templates:
    return Jinja2Templates(env=templating.environment(TEMPLATES_DIR, config.tz))

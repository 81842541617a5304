"""Request budget per X endpoint and 15-minute window, shared fairly by the streams that use the endpoint.

X limits each endpoint per app and window and says where a window stands in every response
(`x-rate-limit-limit`, `x-rate-limit-remaining`, `x-rate-limit-reset` as epoch seconds). The budget keeps
those figures per endpoint and gives each stream a guaranteed share (limit / streams on the endpoint); a
stream may go past its share (a burst needs many pages) only with requests no other stream still has a claim
on. A 429 blocks the whole endpoint until its reset ("not before T"), without touching other endpoints.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

WINDOW = timedelta(minutes=15)


@dataclass
class _Window:
    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None
    reset_from_header: bool = False  # False: reset_at is our own guess (one window after the first request)
    blocked_until: datetime | None = None
    used: Counter[str] = field(default_factory=Counter)
    members: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class WindowStatus:
    limit: int | None
    remaining: int | None
    reset_at: datetime | None
    reset_from_header: bool
    blocked_until: datetime | None
    used: Mapping[str, int]


def parse_rate_headers(headers: Mapping[str, str]) -> tuple[int | None, int | None, datetime | None]:
    """(limit, remaining, reset) from X's headers; missing or garbled values are None."""

    def number(name: str) -> int | None:
        value = headers.get(name)
        try:
            return int(str(value).strip()) if value is not None else None
        except ValueError:
            return None

    reset = number("x-rate-limit-reset")
    reset_at = datetime.fromtimestamp(reset, UTC) if reset is not None and reset > 0 else None
    return number("x-rate-limit-limit"), number("x-rate-limit-remaining"), reset_at


class RateBudget:
    """Fair request budget per endpoint. Thread-safe: scheduler jobs may poll streams concurrently."""

    def __init__(self, members: Mapping[str, Iterable[str]] | None = None):
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()
        for endpoint, streams in (members or {}).items():
            self._window(endpoint).members.update(streams)

    def _window(self, endpoint: str) -> _Window:
        return self._windows.setdefault(endpoint, _Window())

    @staticmethod
    def _roll(win: _Window, now: datetime) -> None:
        """A window whose reset has passed starts afresh: full quota, nobody has used anything."""
        if win.reset_at is not None and now >= win.reset_at:
            win.used.clear()
            win.remaining = win.limit
            win.reset_at, win.reset_from_header = None, False

    def join(self, endpoint: str, stream: str) -> None:
        """Declare that `stream` uses `endpoint`, so shares are fair before it first asks."""
        with self._lock:
            self._window(endpoint).members.add(stream)

    def allow(self, endpoint: str, stream: str, now: datetime) -> bool:
        """May `stream` make one more request on `endpoint` now?"""
        with self._lock:
            win = self._window(endpoint)
            win.members.add(stream)
            return self._allows(win, stream, now)

    def held_until(self, endpoint: str, stream: str, now: datetime) -> datetime | None:
        """Until when `stream` may not ask `endpoint` (None: it may now), so the bot can show the stream
        paused instead of counting a poll that asked nothing as a successful one. Without a known reset, one
        window from now (the latest a window can end)."""
        with self._lock:
            win = self._window(endpoint)
            if self._allows(win, stream, now):
                return None
            if win.blocked_until is not None and now < win.blocked_until:
                return win.blocked_until
            return win.reset_at if win.reset_at is not None and win.reset_at > now else now + WINDOW

    def _allows(self, win: _Window, stream: str, now: datetime) -> bool:
        if win.blocked_until is not None and now < win.blocked_until:
            return False
        self._roll(win, now)
        if win.limit is None or win.remaining is None:
            return True  # nothing known yet: the first response will tell
        if win.remaining <= 0:
            return False
        share = max(1, win.limit // max(1, len(win.members)))
        if win.used[stream] < share:
            return True
        reserved = sum(max(0, share - win.used[s]) for s in win.members if s != stream)
        return win.remaining > reserved

    def retry_at(self, endpoint: str, now: datetime) -> datetime | None:
        """When a denied request is worth trying again (the block's end or the window's reset)."""
        with self._lock:
            win = self._window(endpoint)
            if win.blocked_until is not None and now < win.blocked_until:
                return win.blocked_until
            return win.reset_at

    def record(self, endpoint: str, stream: str, headers: Mapping[str, str] | None, now: datetime) -> None:
        """Count a request that was made, and learn the window's state from the response headers."""
        with self._lock:
            win = self._window(endpoint)
            win.members.add(stream)
            self._roll(win, now)
            limit, remaining, reset_at = parse_rate_headers(headers or {})
            if reset_at is not None and win.reset_at is not None and reset_at > win.reset_at:
                win.used.clear()  # the server has moved on to a new window
            win.used[stream] += 1
            if limit is not None:
                win.limit = limit
            if remaining is not None:
                win.remaining = remaining
            elif win.remaining is not None:
                win.remaining = max(0, win.remaining - 1)
            if reset_at is not None:
                win.reset_at, win.reset_from_header = reset_at, True
            elif win.reset_at is None and win.limit is not None:
                win.reset_at, win.reset_from_header = now + WINDOW, False

    def block(self, endpoint: str, until: datetime) -> None:
        """After a 429: no request on this endpoint before `until`."""
        with self._lock:
            win = self._window(endpoint)
            win.blocked_until = max(until, win.blocked_until or until)
            win.remaining = 0
            win.reset_at, win.reset_from_header = win.blocked_until, False

    def status(self, endpoint: str) -> WindowStatus:
        with self._lock:
            win = self._window(endpoint)
            return WindowStatus(win.limit, win.remaining, win.reset_at, win.reset_from_header, win.blocked_until,
                                dict(win.used))

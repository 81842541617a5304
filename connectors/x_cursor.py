"""The bookmark of an X stream, stored as JSON in the stream's cursor.

X pages newest first, so `since_id` may only advance once every page down to the old bookmark is stored.
Until then the cursor carries the run in progress (`pending`): the newest id seen in this run (the next
`since_id`) and `until_id`, the oldest id already stored, so a poll that stops after any page (crash, rate
limit, shutdown) resumes below it: nothing is lost and nothing is fetched twice.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

Phase = Literal["timeline", "gap"]
VERSION = 1


@dataclass(frozen=True)
class Pending:
    """A run of pages that has not reached the old bookmark yet."""

    newest_id: str | None = None  # becomes since_id when the run completes
    until_id: str | None = None  # the oldest id stored so far: the next page starts below it
    start_time: str | None = None  # first run (no since_id): the backfill window's start, ISO 8601
    fetched: int = 0  # posts received in this run (to detect X's timeline caps)
    phase: Phase = "timeline"  # "gap": filling, through recent search, what the timeline cap cut off
    started_at: str | None = None  # metrics refresh: when this refresh began


@dataclass(frozen=True)
class StreamState:
    since_id: str | None = None
    user_id: str | None = None  # the watched account's id, so a restart needs no lookup
    query: str | None = None  # search streams: the query the bookmark belongs to
    refreshed_at: str | None = None  # metrics streams: when the last full refresh began
    pending: Pending | None = None

    def with_pending(self, pending: Pending | None) -> StreamState:
        return replace(self, pending=pending)


def _id(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text.isdigit() and len(text) <= 19 else None


def parse_cursor(value: str | None) -> StreamState:
    """Read a cursor. A bare number is taken as a since_id; anything unreadable starts afresh (backfill)."""
    if not value:
        return StreamState()
    text = value.strip()
    if text.isdigit():
        return StreamState(since_id=_id(text))
    try:
        data = json.loads(text)
    except ValueError:
        return StreamState()
    if not isinstance(data, dict):
        return StreamState()
    raw_pending = data.get("pending")
    pending = None
    if isinstance(raw_pending, dict):
        phase = raw_pending.get("phase") if raw_pending.get("phase") in ("timeline", "gap") else "timeline"
        pending = Pending(
            newest_id=_id(raw_pending.get("newest_id")),
            until_id=_id(raw_pending.get("until_id")),
            start_time=raw_pending.get("start_time") if isinstance(raw_pending.get("start_time"), str) else None,
            fetched=int(raw_pending.get("fetched") or 0),
            phase=phase,
            started_at=raw_pending.get("started_at") if isinstance(raw_pending.get("started_at"), str) else None,
        )
    return StreamState(
        since_id=_id(data.get("since_id")),
        user_id=_id(data.get("user_id")),
        query=data.get("query") if isinstance(data.get("query"), str) else None,
        refreshed_at=data.get("refreshed_at") if isinstance(data.get("refreshed_at"), str) else None,
        pending=pending,
    )


def format_cursor(state: StreamState) -> str:
    """Compact JSON without empty fields; the same state always gives the same string."""
    data: dict[str, Any] = {"v": VERSION}
    for key, value in asdict(state).items():
        if key == "pending" and value is not None:
            value = {k: v for k, v in value.items() if v not in (None, 0) or k == "fetched"}
        if value is not None:
            data[key] = value
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def newest(a: str | None, b: str | None) -> str | None:
    """The larger of two X ids (ids grow with time), ignoring None."""
    ids = [int(x) for x in (a, b) if x]
    return str(max(ids)) if ids else None


def oldest(a: str | None, b: str | None) -> str | None:
    ids = [int(x) for x in (a, b) if x]
    return str(min(ids)) if ids else None

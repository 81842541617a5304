"""Newest-first paging with a bookmark: what the Facebook and Instagram streams share.

Graph edges list items newest first. A stream's bookmark (`Mark`) is the newest item stored: its time and
the ids at that time (items can share a second). A poll pages down until it meets an item the mark covers
(or the time floor), then the mark moves up to the newest item seen in the run.

Crash safety: the mark may only move once every page down to the old mark is stored. Until then, each page
is saved with an in-progress state (`EdgeState.top` = newest seen so far, `after` = where to continue), so
a crash between pages neither loses items (the old mark still bounds the walk) nor re-reports them (the
resumed walk starts after the stored pages, and upserts are idempotent anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.graph_client import Page
from domain import utc

Key = tuple[datetime, str]


def parse_time(value: Any) -> datetime:
    """A Graph timestamp (`2026-11-16T15:00:00+0000`) as aware UTC; ValueError when it is not one."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"missing or non-text timestamp: {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without UTC offset: {value!r}")
    return utc(parsed)


def item_key(item: Any, time_field: str) -> Key | None:
    """(time, id) of a payload item, or None when it has no usable id or time (it will be set aside)."""
    if not isinstance(item, Mapping):
        return None
    item_id = item.get("id")
    if not isinstance(item_id, str) or not item_id:
        return None
    try:
        return parse_time(item.get(time_field)), item_id
    except ValueError:
        return None


@dataclass(frozen=True)
class Mark:
    """The newest stored item: its time and every id stored at exactly that time."""

    t: datetime
    ids: tuple[str, ...] = ()

    def covers(self, key: Key) -> bool:
        return key[0] < self.t or (key[0] == self.t and key[1] in self.ids)

    @staticmethod
    def newest(mark: Mark | None, key: Key) -> Mark:
        if mark is None or key[0] > mark.t:
            return Mark(key[0], (key[1],))
        if key[0] == mark.t and key[1] not in mark.ids:
            return Mark(mark.t, tuple(sorted((*mark.ids, key[1]))))
        return mark

    @staticmethod
    def merge(a: Mark | None, b: Mark | None) -> Mark | None:
        if a is None or b is None:
            return a or b
        merged = a
        for item_id in b.ids:
            merged = Mark.newest(merged, (b.t, item_id))
        return merged

    def to_json(self) -> dict[str, Any]:
        return {"t": self.t.isoformat(), "ids": list(self.ids)}

    @classmethod
    def from_json(cls, data: Any) -> Mark | None:
        if not isinstance(data, Mapping):
            return None
        ids = data.get("ids") or []
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ValueError("mark ids must be a list of strings")
        return cls(parse_time(data.get("t")), tuple(ids))


@dataclass(frozen=True)
class EdgeState:
    """One edge's bookmark and, while a walk is in progress, where it stands."""

    mark: Mark | None = None
    top: Mark | None = None  # newest item seen by the walk in progress
    after: str | None = None  # cursor of the next page of the walk in progress

    @property
    def in_progress(self) -> bool:
        return self.top is not None or self.after is not None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.mark:
            out["mark"] = self.mark.to_json()
        if self.top:
            out["top"] = self.top.to_json()
        if self.after:
            out["after"] = self.after
        return out

    @classmethod
    def from_json(cls, data: Any) -> EdgeState:
        if not isinstance(data, Mapping):
            return cls()
        after = data.get("after")
        return cls(Mark.from_json(data.get("mark")), Mark.from_json(data.get("top")),
                   after if isinstance(after, str) and after else None)


@dataclass(frozen=True)
class Step:
    """A page's new items and the edge state to store together with them."""

    items: list[Any]
    state: EdgeState
    done: bool


@dataclass
class Walk:
    """How to read one edge's items: their times, their nested items, where to stop."""

    key: Callable[[Any], Key | None]
    flatten: Callable[[Any], Iterable[Any]] = field(default=lambda item: (item,))
    floor: datetime | None = None  # items older than this are out of scope and end the walk
    want: int | None = None  # new items the edge's counter announces; keep looking past the mark until found
    extra_pages: int = 0  # at most this many pages past the mark while looking for `want`


class EdgeWalker:
    """Takes an edge's pages newest first, one at a time, and says what is new and whether to go on.

    Fetching is left to the caller, so pages of many edges can travel in one batch call.
    """

    def __init__(self, walk: Walk, state: EdgeState):
        self.walk = walk
        self._mark, self._top = state.mark, state.top
        self._found = self._past_mark = 0
        self._reached = False

    def feed(self, page: Page) -> Step:
        walk, mark = self.walk, self._mark
        if self._reached:
            self._past_mark += 1
        fresh: list[Any] = []
        below_floor = False
        for item in page.data:
            key = walk.key(item)
            if key is not None and walk.floor is not None and key[0] < walk.floor:
                below_floor = True
                continue
            if key is not None and mark is not None and mark.covers(key):
                self._reached = True
            for sub in walk.flatten(item):
                sub_key = walk.key(sub)
                if sub_key is not None:
                    if (mark is not None and mark.covers(sub_key)) or (
                            walk.floor is not None and sub_key[0] < walk.floor):
                        continue
                    self._top = Mark.newest(self._top, sub_key)
                fresh.append(sub)
        self._found += len(fresh)
        more = page.next_url is not None and not below_floor
        if more and self._reached:
            more = walk.want is not None and self._found < walk.want and self._past_mark < walk.extra_pages
        if not more:
            return self.finish(fresh)
        return Step(fresh, EdgeState(mark, self._top or mark, page.after), done=False)

    def finish(self, fresh: list[Any] | None = None) -> Step:
        """The last step: the mark moves up to the newest item the walk saw."""
        return Step(fresh or [], EdgeState(Mark.merge(self._mark, self._top)), done=True)


def walk_newest_first(walk: Walk, state: EdgeState, first: Callable[[str | None], Page],
                      next_page: Callable[[Page], Page | None]) -> Iterator[Step]:
    """Fetch and walk one edge page by page; the last step (done=True) carries the advanced mark."""
    walker = EdgeWalker(walk, state)
    page: Page | None = first(state.after)
    while page is not None:
        step = walker.feed(page)
        yield step
        if step.done:
            return
        page = next_page(page)
    yield walker.finish()

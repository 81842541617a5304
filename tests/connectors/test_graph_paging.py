"""Newest-first walks with bookmarks (connectors/meta_paging.py): ties, floors, reconciliation, JSON forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.graph_client import Page
from connectors.meta_paging import EdgeState, EdgeWalker, Mark, Walk, item_key, parse_time, walk_newest_first

T = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)


def item(n: int, at: datetime) -> dict[str, str]:
    return {"id": f"c{n}", "created_time": at.strftime("%Y-%m-%dT%H:%M:%S+0000")}


def pages_of(items: list[dict[str, str]], size: int) -> list[Page]:
    chunks = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
    return [Page(chunk, "x/comments", f"http://n/{i + 1}" if i + 1 < len(chunks) else None, f"after{i + 1}")
            for i, chunk in enumerate(chunks)]


def walk(items, size, state: EdgeState | None = None, **kw):
    state = state or EdgeState()
    pages = pages_of(items, size)
    by_after = {None: 0, **{f"after{i}": i for i in range(1, len(pages))}}
    fetched: list[int] = []

    def first(after):
        fetched.append(by_after[after])
        return pages[by_after[after]]

    def next_page(page):
        index = pages.index(page) + 1
        fetched.append(index)
        return pages[index] if index < len(pages) else None

    steps = list(walk_newest_first(Walk(key=lambda i: item_key(i, "created_time"), **kw), state, first, next_page))
    return steps, fetched


def test_graph_timestamps_parse_to_aware_utc_and_bad_ones_are_refused():
    assert parse_time("2026-11-16T10:00:00-0500") == T
    assert parse_time("2026-11-16T15:00:00+0000") == T
    for bad in ("2026-11-16T15:00:00", "ayer", None, 5):
        with pytest.raises(ValueError):
            parse_time(bad)
    assert item_key({"id": "", "created_time": "2026-11-16T15:00:00+0000"}, "created_time") is None


def test_items_sharing_the_bookmarks_second_are_not_lost_or_repeated():
    mark = Mark(T, ("c1",))
    same_second_new = item(2, T)
    steps, _ = walk([item(3, T + timedelta(seconds=1)), same_second_new, item(1, T), item(0, T - timedelta(1))],
                    10, EdgeState(mark))
    assert [i["id"] for i in steps[0].items] == ["c3", "c2"]
    assert steps[-1].done and steps[-1].state.mark == Mark(T + timedelta(seconds=1), ("c3",))
    assert Mark.newest(Mark(T, ("c1",)), (T, "c2")).ids == ("c1", "c2")


def test_the_mark_moves_only_with_the_last_step_and_in_progress_steps_say_where_to_resume():
    items = [item(i, T - timedelta(minutes=i)) for i in range(12)]
    old = Mark(T - timedelta(minutes=10), ("c10",))
    steps, fetched = walk(items, 5, EdgeState(old))
    assert [s.done for s in steps] == [False, False, True]
    assert steps[0].state.mark == old and steps[0].state.top == Mark(T, ("c0",)) and steps[0].state.after == "after1"
    assert steps[-1].state == EdgeState(Mark(T, ("c0",)))
    assert sum(len(s.items) for s in steps) == 10 and fetched == [0, 1, 2]
    resumed, fetched = walk(items, 5, steps[0].state)  # after a crash following the first page
    assert fetched == [1, 2] and sum(len(s.items) for s in resumed) == 5
    assert resumed[-1].state.mark == Mark(T, ("c0",))


def test_the_floor_ends_a_first_walk():
    items = [item(i, T - timedelta(hours=i)) for i in range(30)]
    steps, fetched = walk(items, 10, floor=T - timedelta(hours=12, minutes=30))
    assert sum(len(s.items) for s in steps) == 13 and fetched == [0, 1]


def test_a_counter_that_announces_more_keeps_the_walk_going_a_bounded_number_of_pages():
    items = [item(i, T - timedelta(minutes=i)) for i in range(40)]
    old = Mark(T - timedelta(minutes=2), ("c2",))
    walker_walk = Walk(key=lambda i: item_key(i, "created_time"), want=5, extra_pages=2)
    walker = EdgeWalker(walker_walk, EdgeState(old))
    pages = pages_of(items, 5)
    steps = [walker.feed(pages[0])]
    while not steps[-1].done:
        steps.append(walker.feed(pages[len(steps)]))
    assert len(steps) == 3  # the page with the mark, then 2 more looking for the 3 missing, then stop
    assert steps[-1].state.mark == Mark(T, ("c0",))


def test_edge_state_round_trips_through_json():
    state = EdgeState(Mark(T, ("a", "b")), Mark(T + timedelta(1), ("c",)), "QVFI")
    assert EdgeState.from_json(state.to_json()) == state and state.in_progress
    assert EdgeState.from_json(None) == EdgeState() and not EdgeState().in_progress
    with pytest.raises(ValueError):
        EdgeState.from_json({"mark": {"t": "no", "ids": []}})

"""The sample replay connector: clock pacing, bookmarks, ties, broken lines, serialisation."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.base import Batch, ConnectorError
from connectors.sample_replay import (
    ACCOUNTS_FILE,
    AUTHORS_FILE,
    SampleReplayConnector,
    author_from_dict,
    author_to_dict,
    format_cursor,
    parse_cursor,
    post_from_dict,
    post_to_dict,
    snapshot_from_dict,
    snapshot_to_dict,
)
from domain import AccountSnapshot, Author, Metrics, Platform, Post, PostKind

T0 = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
X = "sample:x:Ministerio_TIC"
FB = "sample:facebook:MinTICColombia"
REPO = Path(__file__).resolve().parents[2]


class Clock:
    """A settable clock, as `demo` drives the replay."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_post(n: int, minutes: float = 0, platform: Platform = Platform.X, **kw) -> Post:
    account = {Platform.X: "Ministerio_TIC", Platform.FACEBOOK: "MinTICColombia",
               Platform.INSTAGRAM: "mintic_colombia"}[platform]  # fmt: skip
    fields = {
        "platform": platform,
        "external_id": f"syn-{platform.value}-{n:06d}",
        "kind": PostKind.MENTION,
        "account": account,
        "author_id": f"synthetic-{n}",
        "author_handle": f"ciudadano_syn{n:04d}",
        "text": f"texto {n}",
        "created_at": T0 + timedelta(minutes=minutes),
    }
    fields.update(kw)
    return Post(**fields)


def write_jsonl(path: Path, items: list[Post | str]) -> Path:
    lines = [json.dumps(post_to_dict(i), ensure_ascii=False) if isinstance(i, Post) else i for i in items]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def drain(connector: SampleReplayConnector, stream: str, cursor: str | None) -> tuple[list[Batch], str | None]:
    batches = list(connector.poll(stream, cursor))
    return batches, (batches[-1].cursor if batches else cursor)


def ids(batches: list[Batch]) -> list[str]:
    return [p.external_id for b in batches for p in b.posts]


# --- serialisation ---------------------------------------------------------------------------------


def test_round_trip_keeps_every_field_and_is_json_safe():
    post = make_post(
        7,
        kind=PostKind.COMMENT,
        url="https://example.invalid/x/1",
        lang="es",
        in_reply_to_id="syn-x-000001",
        conversation_id="syn-x-000001",
        is_own=True,
        metrics=Metrics(likes=3, impressions=120),
        raw={"synthetic": True, "label": {"category": "queja"}},
    )
    d = json.loads(json.dumps(post_to_dict(post)))
    assert d["platform"] == "x" and d["kind"] == "comment"
    assert d["created_at"] == "2026-11-18T15:00:00+00:00"
    assert d["metrics"] == {"likes": 3, "impressions": 120}  # platform-silent counters are left out
    back = post_from_dict(d)
    assert back == post
    assert back.raw == post.raw and back.metrics.reposts is None


def test_from_dict_converts_offsets_to_utc():
    d = post_to_dict(make_post(1))
    d["created_at"] = "2026-11-18T10:00:00-05:00"
    assert post_from_dict(d).created_at == T0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"platform": "tiktok"}, "platform"),
        ({"kind": "story"}, "kind"),
        ({"created_at": "2026-11-18T10:00:00"}, "no UTC offset"),
        ({"created_at": "ayer"}, "ISO-8601"),
        ({"text": None}, "missing field(s): text"),
        ({"colour": "red"}, "unknown field(s): colour"),
        ({"metrics": {"likes": -1}}, "non-negative"),
        ({"metrics": {"likes": True}}, "non-negative"),
        ({"metrics": {"hearts": 2}}, "unknown metric"),
        ({"is_own": "yes"}, "is_own"),
        ({"author_id": 42}, "author_id"),
    ],
)
def test_from_dict_names_what_is_wrong(change, message):
    d = post_to_dict(make_post(1)) | change
    with pytest.raises(ValueError, match=re.escape(message)):
        post_from_dict(d)


def test_cursor_round_trip_and_bad_cursors():
    cursor = format_cursor(T0, "syn-x-000001|odd")
    assert parse_cursor(cursor) == (T0, "syn-x-000001|odd")
    for bad in ("garbage", "", "2026-11-18T15:00:00|x", "mañana|syn-x-1"):
        with pytest.raises(ValueError):
            parse_cursor(bad)


# --- streams and pacing ----------------------------------------------------------------------------


def test_one_stream_per_platform_and_account(tmp_path):
    path = write_jsonl(tmp_path / "w.jsonl", [make_post(1), make_post(2, platform=Platform.FACEBOOK),
                                              make_post(3, platform=Platform.INSTAGRAM), make_post(4)])  # fmt: skip
    connector = SampleReplayConnector(path, Clock(T0 + timedelta(days=1)))
    assert connector.name == "sample"
    assert connector.streams() == [FB, "sample:instagram:mintic_colombia", X]
    assert ids(list(connector.poll(FB, None))) == ["syn-facebook-000002"]


def test_serves_only_what_the_clock_has_reached(tmp_path):
    path = write_jsonl(tmp_path / "w.jsonl", [make_post(i, minutes=10 * i) for i in range(5)])
    clock = Clock(T0 - timedelta(seconds=1))
    connector = SampleReplayConnector(path, clock)

    batches, cursor = drain(connector, X, None)
    assert batches == [] and cursor is None  # nothing has happened yet

    clock.now = T0 + timedelta(minutes=20)  # a post exactly at "now" is visible
    batches, cursor = drain(connector, X, cursor)
    assert ids(batches) == ["syn-x-000000", "syn-x-000001", "syn-x-000002"]

    clock.now = T0 + timedelta(minutes=35)
    batches, cursor = drain(connector, X, cursor)
    assert ids(batches) == ["syn-x-000003"]

    clock.now = T0 + timedelta(days=30)
    batches, cursor = drain(connector, X, cursor)
    assert ids(batches) == ["syn-x-000004"]


def test_repoll_with_the_last_cursor_and_same_clock_yields_nothing(tmp_path):
    path = write_jsonl(tmp_path / "w.jsonl", [make_post(i, minutes=i) for i in range(7)])
    connector = SampleReplayConnector(path, Clock(T0 + timedelta(hours=1)), page_size=3)
    batches, cursor = drain(connector, X, None)
    assert len(ids(batches)) == 7
    assert list(connector.poll(X, cursor)) == []


# --- pagination and bookmarks ----------------------------------------------------------------------


def test_pages_of_at_most_page_size_and_cursor_covers_exactly_the_batch(tmp_path):
    path = write_jsonl(tmp_path / "w.jsonl", [make_post(i, minutes=i) for i in range(5)])
    connector = SampleReplayConnector(path, Clock(T0 + timedelta(hours=1)), page_size=2)
    batches = list(connector.poll(X, None))
    assert [len(b.posts) for b in batches] == [2, 2, 1]
    for b in batches:
        last = b.posts[-1]
        assert b.stream == X
        assert b.cursor == format_cursor(last.created_at, last.external_id)
    # Resuming from any batch's cursor gives exactly the posts after it: nothing lost, nothing twice.
    for i, b in enumerate(batches):
        assert ids(list(connector.poll(X, b.cursor))) == ids(batches[i + 1 :])


def test_posts_sharing_a_timestamp_are_neither_skipped_nor_repeated(tmp_path):
    same = [make_post(i, minutes=5) for i in (3, 1, 2)]  # file order differs from id order
    path = write_jsonl(tmp_path / "w.jsonl", [make_post(0), *same, make_post(9, minutes=6)])
    connector = SampleReplayConnector(path, Clock(T0 + timedelta(hours=1)), page_size=2)
    first = next(iter(connector.poll(X, None)))
    assert ids([first]) == ["syn-x-000000", "syn-x-000001"]  # cut in the middle of the tie
    rest = list(connector.poll(X, first.cursor))
    assert ids(rest) == ["syn-x-000002", "syn-x-000003", "syn-x-000009"]


def test_a_consumer_that_stops_mid_poll_resumes_from_its_last_saved_cursor(tmp_path):
    path = write_jsonl(tmp_path / "w.jsonl", [make_post(i, minutes=i) for i in range(10)])
    connector = SampleReplayConnector(path, Clock(T0 + timedelta(hours=1)), page_size=3)
    saved: list[str] = []
    saved_cursor = None
    for batch in connector.poll(X, None):
        saved += [p.external_id for p in batch.posts]
        saved_cursor = batch.cursor
        if len(saved) >= 6:
            break  # the process dies after storing two batches
    restarted = SampleReplayConnector(path, Clock(T0 + timedelta(hours=1)), page_size=3)
    saved += ids(list(restarted.poll(X, saved_cursor)))
    assert saved == [f"syn-x-{i:06d}" for i in range(10)]


def test_unreadable_cursor_is_a_clear_fatal_connector_error(tmp_path):
    path = write_jsonl(tmp_path / "w.jsonl", [make_post(1)])
    connector = SampleReplayConnector(path, Clock(T0))
    with pytest.raises(ConnectorError, match="not-a-bookmark") as err:
        list(connector.poll(X, "not-a-bookmark"))
    assert err.value.stream == X and err.value.fatal


def test_unknown_stream_and_missing_file_are_connector_errors(tmp_path):
    path = write_jsonl(tmp_path / "w.jsonl", [make_post(1)])
    with pytest.raises(ConnectorError, match="unknown sample stream"):
        list(SampleReplayConnector(path, Clock(T0)).poll("sample:x:Otra", None))
    missing = SampleReplayConnector(tmp_path / "nope.jsonl", Clock(T0))  # lazy: no error until used
    with pytest.raises(ConnectorError, match=r"generate_sample\.py") as err:
        missing.streams()
    assert err.value.fatal


def test_file_is_read_once(tmp_path):
    path = write_jsonl(tmp_path / "w.jsonl", [make_post(i, minutes=i) for i in range(3)])
    clock = Clock(T0)
    connector = SampleReplayConnector(path, clock)
    _, cursor = drain(connector, X, None)
    path.unlink()  # later polls use the index built on first use
    clock.now = T0 + timedelta(minutes=5)
    assert ids(list(connector.poll(X, cursor))) == ["syn-x-000001", "syn-x-000002"]


def test_page_size_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        SampleReplayConnector(tmp_path / "w.jsonl", Clock(T0), page_size=0)


# --- broken lines ----------------------------------------------------------------------------------


def test_malformed_lines_become_rejected_entries_and_the_rest_is_served(tmp_path):
    good = [make_post(i, minutes=10 * i) for i in range(4)]
    missing_text = post_to_dict(make_post(50, minutes=15))
    del missing_text["text"]
    duplicate = post_to_dict(good[0]) | {"text": "otra vez"}
    path = write_jsonl(
        tmp_path / "w.jsonl",
        [
            "{not json",  # before any valid line: reported first
            good[0],
            good[1],
            json.dumps(missing_text),  # names its stream, sits after good[1] (minute 10)
            good[2],
            json.dumps(duplicate),
            "[1, 2, 3]",
            good[3],
        ],
    )
    clock = Clock(T0 + timedelta(minutes=5))
    connector = SampleReplayConnector(path, clock, page_size=100)

    batches, cursor = drain(connector, X, None)
    assert ids(batches) == ["syn-x-000000"]
    assert [r.reason.split(":")[0] for b in batches for r in b.rejected] == ["line 1"]
    assert "invalid JSON" in batches[0].rejected[0].reason
    assert batches[0].rejected[0].payload == "{not json"

    clock.now = T0 + timedelta(days=1)
    batches, cursor = drain(connector, X, cursor)
    assert ids(batches) == ["syn-x-000001", "syn-x-000002", "syn-x-000003"]
    rejected = [r for b in batches for r in b.rejected]
    assert [r.reason.split(":")[0] for r in rejected] == ["line 4", "line 6", "line 7"]
    assert "missing field(s): text" in rejected[0].reason
    assert "duplicate external_id" in rejected[1].reason
    assert "expected a JSON object" in rejected[2].reason
    assert all(r.stream == X for r in rejected)

    assert list(connector.poll(X, cursor)) == []  # each rejected line is reported once


def test_a_page_may_hold_only_rejected_lines_and_still_advance(tmp_path):
    path = write_jsonl(tmp_path / "w.jsonl", [make_post(1), "oops", "oops again", make_post(2, minutes=1)])
    connector = SampleReplayConnector(path, Clock(T0 + timedelta(hours=1)), page_size=1)
    batches = list(connector.poll(X, None))
    assert [(len(b.posts), len(b.rejected)) for b in batches] == [(1, 0), (0, 1), (0, 1), (1, 0)]
    assert next(iter(connector.poll(X, batches[1].cursor))).rejected[0].reason.startswith("line 3")


def test_unicode_line_separators_inside_text_do_not_split_a_line(tmp_path):
    path = write_jsonl(tmp_path / "w.jsonl", [make_post(1, text="uno\u2028dos\x85tres")])
    batches = list(SampleReplayConnector(path, Clock(T0)).poll(X, None))
    assert [p.text for b in batches for p in b.posts] == ["uno\u2028dos\x85tres"]
    assert not any(b.rejected for b in batches)


# --- the bundled sample ----------------------------------------------------------------------------


def test_replaying_the_bundled_week_in_15_minute_steps_serves_every_post_once():
    path = REPO / "data" / "sample" / "week.jsonl"
    total = sum(1 for line in path.open(encoding="utf-8") if line.strip())
    start = datetime(2026, 11, 16, 5, 0, tzinfo=UTC)
    clock = Clock(start)
    connector = SampleReplayConnector(path, clock)
    cursors: dict[str, str | None] = dict.fromkeys(connector.streams())
    assert sorted(cursors) == sorted([X, FB, "sample:instagram:mintic_colombia"])
    seen: list[tuple[str, str]] = []
    for step in range(7 * 24 * 4 + 1):
        clock.now = start + timedelta(minutes=15 * step)
        for stream, cursor in cursors.items():
            for batch in connector.poll(stream, cursor):
                assert not batch.rejected
                assert all(p.created_at <= clock.now for p in batch.posts)
                seen += [p.key for p in batch.posts]
                cursors[stream] = batch.cursor
    assert len(seen) == total == len(set(seen))


# --- authors and follower counts -------------------------------------------------------------------


def profile(n: int, platform: Platform = Platform.X, **kw) -> Author:
    fields = {"platform": platform, "author_id": f"synthetic-{n}", "handle": f"ciudadano_syn{n:04d}", "seen_at": T0,
              "display_name": f"Persona Ficticia {n}", "followers": 10 * n}
    return Author(**(fields | kw))


def write_side(path: Path, lines: list[dict | str]) -> None:
    path.write_text("".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines), encoding="utf-8")


def test_author_and_snapshot_lines_round_trip_and_name_what_is_wrong():
    author = profile(3, description="Periodista", verified_type="blue", website="https://example.invalid/a")
    line = json.loads(json.dumps(author_to_dict(author) | {"synthetic": True, "label": {"segment": "x"}}))
    assert "seen_at" not in line and author_from_dict(line, T0) == author
    snap = AccountSnapshot(Platform.X, "Ministerio_TIC", 1_000, T0, following=5, post_count=None)
    assert snapshot_from_dict(json.loads(json.dumps(snapshot_to_dict(snap)))) == snap
    for bad, message in (({"followers": -1}, "non-negative"), ({"handle": ""}, "missing"), ({"colour": 1}, "unknown"),
                         ({"description": 5}, "string"), ({"platform": "tiktok"}, "platform")):
        with pytest.raises(ValueError, match=message):
            author_from_dict(author_to_dict(author) | bad, T0)
    with pytest.raises(ValueError, match="UTC offset"):
        snapshot_from_dict(snapshot_to_dict(snap) | {"taken_at": "2026-11-18T10:00:00"})


def test_pages_carry_their_authors_profiles_seen_when_served(tmp_path):
    path = write_jsonl(tmp_path / "week.jsonl", [make_post(1), make_post(2, minutes=1), make_post(1, minutes=2,
                       external_id="syn-x-000003"), make_post(4, minutes=3, platform=Platform.FACEBOOK)])
    write_side(tmp_path / AUTHORS_FILE, [
        author_to_dict(profile(1)), author_to_dict(profile(4, platform=Platform.FACEBOOK)),
        "{broken", json.dumps(author_to_dict(profile(9)) | {"followers": "muchos"})])  # skipped, never fatal
    clock = Clock(T0 + timedelta(hours=1))
    batches = list(SampleReplayConnector(path, clock, page_size=10).poll(X, None))
    authors = [a for b in batches for a in b.authors]
    assert [a.author_id for a in authors] == ["synthetic-1"]  # once per page; no profile for author 2
    assert authors[0].seen_at == clock.now and authors[0].followers == 10
    assert len([p for b in batches for p in b.posts]) == 3  # every post served
    fb = list(SampleReplayConnector(path, clock).poll(FB, None))
    assert [a.display_name for b in fb for a in b.authors] == ["Persona Ficticia 4"]


def test_follower_counts_arrive_once_each_when_the_clock_passes_them(tmp_path):
    path = write_jsonl(tmp_path / "week.jsonl", [make_post(i, minutes=60 * i) for i in range(4)])
    counts = [AccountSnapshot(Platform.X, "Ministerio_TIC", 1_000 + i, T0 + timedelta(minutes=90 + 60 * i))
              for i in range(2)]
    other = AccountSnapshot(Platform.FACEBOOK, "MinTICColombia", 7, T0)  # no Facebook stream: ignored
    write_side(tmp_path / ACCOUNTS_FILE, [snapshot_to_dict(s) for s in (*counts, other)])
    clock = Clock(T0 + timedelta(minutes=100))
    connector = SampleReplayConnector(path, clock, page_size=1)
    batches, cursor = drain(connector, X, None)
    assert [s.followers for b in batches for s in b.snapshots] == [1_000]
    assert ids(batches) == ["syn-x-000000", "syn-x-000001"]
    assert list(connector.poll(X, cursor)) == []  # served once
    clock.now = T0 + timedelta(days=1)
    batches, _ = drain(connector, X, cursor)
    assert [s.followers for b in batches for s in b.snapshots] == [1_001]
    assert ids(batches) == ["syn-x-000002", "syn-x-000003"]


def test_the_bundled_week_gives_every_post_its_author_and_a_count_a_day():
    path = REPO / "data" / "sample" / "week.jsonl"
    clock = Clock(datetime(2026, 11, 23, 5, 0, tzinfo=UTC))
    connector = SampleReplayConnector(path, clock)
    for stream in connector.streams():
        batches = list(connector.poll(stream, None))
        posts = [p for b in batches for p in b.posts]
        authors = {a.key for b in batches for a in b.authors}
        assert {(str(p.platform), p.author_id) for p in posts} <= authors
        snapshots = [s for b in batches for s in b.snapshots]
        assert len(snapshots) == 7 and len({s.taken_at.date() for s in snapshots}) == 7
        assert [s.followers for s in snapshots] == sorted(s.followers for s in snapshots)

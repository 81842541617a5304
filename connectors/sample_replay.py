"""Replays the bundled synthetic sample week as if it were a live platform.

The sample (`data/sample/week.jsonl`, written by `scripts/generate_sample.py`) holds one serialised
`domain.Post` per line. This connector serves it through the same `Connector` interface as the real
platforms, so the whole pipeline (storage, analyzers, spike detection, alerts) runs without credentials.
Time is whatever the injected clock says: a post becomes visible once `clock() >= created_at`, which lets
`demo` replay a week in seconds and tests pin "now" exactly.

Streams are one per (platform, watched account), e.g. ``sample:x:Ministerio_TIC``. A stream's bookmark is
``"<ISO created_at>|<external_id>"`` of the last entry served, so posts that share a timestamp are neither
skipped nor served twice. Lines that cannot be read become `Rejected` entries placed in the timeline right
after the valid line before them, so each is reported exactly once and never stops the rest of the file.

Next to the posts, when present: `authors.jsonl` (one public profile per author, what that platform would tell)
and `accounts.jsonl` (the watched accounts' follower counts, one a day). Each page carries the profiles of its
posts' authors (`Batch.authors`, seen now), and a stream carries its account's daily count once the clock
passes it (`Batch.snapshots`), placed in the timeline like a post so the bookmark serves it exactly once.
A profile or count line that cannot be read is logged and skipped: it never costs a post.
"""

from __future__ import annotations

import dataclasses
import json
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from connectors.base import Batch, ConnectorError, Rejected
from domain import AccountSnapshot, Author, GeoTag, Metrics, Platform, Post, PostKind, utc

log = structlog.get_logger("vigia.connectors.sample")

STREAM_PREFIX = "sample"
DEFAULT_PAGE_SIZE = 100
AUTHORS_FILE = "authors.jsonl"  # next to the posts file
ACCOUNTS_FILE = "accounts.jsonl"

_REQUIRED = ("platform", "external_id", "kind", "account", "author_id", "author_handle", "text", "created_at")
_OPTIONAL_STR = ("url", "lang", "in_reply_to_id", "conversation_id")
_KNOWN = frozenset((*_REQUIRED, *_OPTIONAL_STR, "is_own", "metrics", "raw", "geo"))
_GEO_STR = ("name", "full_name", "country_code", "city", "region")
_GEO_KNOWN = frozenset((*_GEO_STR, "lat", "lon"))
_METRIC_NAMES = frozenset(Metrics.names())
# Rejected lines with no valid line before them sort before every post.
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
_PROFILE_STR = ("display_name", "description", "verified_type", "location", "website", "profile_url")
_PROFILE_INT = ("followers", "following", "post_count")
_PROFILE_KNOWN = frozenset(("platform", "author_id", "handle", *_PROFILE_STR, *_PROFILE_INT, "synthetic", "label"))
_ACCOUNT_KNOWN = frozenset(("platform", "account", "taken_at", "followers", "following", "post_count", "synthetic"))


# --- serialisation (the one JSON form of a Post; the generator uses it too) -------------------------


def post_to_dict(post: Post) -> dict[str, Any]:
    """A JSON-safe dict: enums as values, created_at as ISO-8601 UTC with offset, metrics without Nones."""
    return {
        "platform": Platform(post.platform).value,
        "external_id": post.external_id,
        "kind": PostKind(post.kind).value,
        "account": post.account,
        "author_id": post.author_id,
        "author_handle": post.author_handle,
        "text": post.text,
        "created_at": utc(post.created_at).isoformat(),
        "url": post.url,
        "lang": post.lang,
        "in_reply_to_id": post.in_reply_to_id,
        "conversation_id": post.conversation_id,
        "is_own": post.is_own,
        "metrics": {k: v for k, v in post.metrics.as_dict().items() if v is not None},
        "raw": dict(post.raw),
        **({"geo": geo_to_dict(post.geo)} if post.geo is not None else {}),
    }


def geo_to_dict(geo: GeoTag) -> dict[str, Any]:
    """The optional `geo` object of a line: the platform's place tag, absent fields left out."""
    return {k: v for k, v in dataclasses.asdict(geo).items() if v is not None}


def geo_from_dict(value: Any) -> GeoTag | None:
    """Inverse of `geo_to_dict` (None or absent: no place); raises ValueError naming what is wrong."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"field 'geo' must be a JSON object, got {type(value).__name__}")
    unknown = sorted(set(value) - _GEO_KNOWN)
    if unknown:
        raise ValueError(f"field 'geo' has unknown keys {unknown}; allowed: {', '.join(sorted(_GEO_KNOWN))}")
    for key in _GEO_STR:
        if value.get(key) is not None and not isinstance(value[key], str):
            raise ValueError(f"field 'geo.{key}' must be a string")
    point: dict[str, float] = {}
    for key, limit in (("lat", 90), ("lon", 180)):
        number = value.get(key)
        if number is None:
            continue
        if isinstance(number, bool) or not isinstance(number, int | float) or not abs(number) <= limit:
            raise ValueError(f"field 'geo.{key}' must be a number between -{limit} and {limit}, got {number!r}")
        point[key] = float(number)
    if ("lat" in point) != ("lon" in point):
        raise ValueError("field 'geo' needs both 'lat' and 'lon', or neither")
    return GeoTag(**{k: value[k] for k in _GEO_STR if value.get(k) is not None}, **point)


def post_from_dict(d: Mapping[str, Any]) -> Post:
    """Inverse of `post_to_dict`; raises ValueError naming the offending field (strict, to catch typos)."""
    _check(d, _KNOWN, _REQUIRED, _OPTIONAL_STR, ())
    platform = _platform(d["platform"])
    try:
        kind = PostKind(d["kind"])
    except ValueError:
        allowed = ", ".join(k.value for k in PostKind)
        raise ValueError(f"field 'kind' is {d['kind']!r}; allowed: {allowed}") from None
    created_at = _parse_aware(d["created_at"], "created_at")
    is_own = d.get("is_own", False)
    if not isinstance(is_own, bool):
        raise ValueError(f"field 'is_own' must be true or false, got {is_own!r}")
    raw = d.get("raw") or {}
    if not isinstance(raw, Mapping):
        raise ValueError("field 'raw' must be a JSON object")
    return Post(
        platform=platform,
        external_id=d["external_id"],
        kind=kind,
        account=d["account"],
        author_id=d["author_id"],
        author_handle=d["author_handle"],
        text=d["text"],
        created_at=created_at,
        url=d.get("url"),
        lang=d.get("lang"),
        in_reply_to_id=d.get("in_reply_to_id"),
        conversation_id=d.get("conversation_id"),
        is_own=is_own,
        metrics=_metrics_from(d.get("metrics") or {}),
        raw=dict(raw),
        geo=geo_from_dict(d.get("geo")),
    )


def _metrics_from(m: Any) -> Metrics:
    if not isinstance(m, Mapping):
        raise ValueError("field 'metrics' must be a JSON object")
    unknown = sorted(set(m) - _METRIC_NAMES)
    if unknown:
        raise ValueError(f"unknown metric(s): {', '.join(unknown)}; allowed: {', '.join(Metrics.names())}")
    for name, value in m.items():
        # bool is an int subclass; a JSON true is not a count.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"metric {name!r} must be a non-negative integer, got {value!r}")
    return Metrics(**m)


def _parse_aware(value: str, what: str) -> datetime:
    """ISO-8601 with an explicit offset: a naive time is ambiguous (UTC? Bogotá?), so it is refused."""
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"field {what!r} is not an ISO-8601 date-time: {value!r}") from None
    if dt.tzinfo is None:
        raise ValueError(f"field {what!r} has no UTC offset: {value!r}")
    return dt.astimezone(UTC)


def author_to_dict(author: Author) -> dict[str, Any]:
    """An authors.jsonl line (without `seen_at`: the replay sees the profile when it serves the page)."""
    out: dict[str, Any] = {"platform": Platform(author.platform).value, "author_id": author.author_id,
                           "handle": author.handle}
    for key in (*_PROFILE_STR, *_PROFILE_INT):
        out[key] = getattr(author, key)
    return out


def author_from_dict(d: Any, seen_at: datetime) -> Author:
    """Inverse of `author_to_dict` (`synthetic` and the hidden `label` are allowed and ignored)."""
    _check(d, _PROFILE_KNOWN, ("platform", "author_id", "handle"), _PROFILE_STR, _PROFILE_INT)
    return Author(platform=_platform(d["platform"]), author_id=d["author_id"], handle=d["handle"], seen_at=seen_at,
                  **{k: d.get(k) for k in (*_PROFILE_STR, *_PROFILE_INT)})


def snapshot_to_dict(snapshot: AccountSnapshot) -> dict[str, Any]:
    return {"platform": Platform(snapshot.platform).value, "account": snapshot.account,
            "taken_at": utc(snapshot.taken_at).isoformat(), "followers": snapshot.followers,
            "following": snapshot.following, "post_count": snapshot.post_count}


def snapshot_from_dict(d: Any) -> AccountSnapshot:
    """Inverse of `snapshot_to_dict`; raises ValueError naming the offending field."""
    _check(d, _ACCOUNT_KNOWN, ("platform", "account", "taken_at", "followers"), ("account", "taken_at"),
           ("followers", "following", "post_count"))
    return AccountSnapshot(platform=_platform(d["platform"]), account=d["account"],
                           taken_at=_parse_aware(d["taken_at"], "taken_at"), followers=d["followers"],
                           following=d.get("following"), post_count=d.get("post_count"))


def _check(d: Any, known: frozenset[str], required: tuple[str, ...], strings: Iterable[str],
           counts: Iterable[str]) -> None:
    if not isinstance(d, Mapping):
        raise ValueError(f"expected a JSON object, got {type(d).__name__}")
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    missing = [k for k in required if d.get(k) in (None, "")]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    counts = tuple(counts)
    for key in (*required, *strings):
        value = d.get(key)
        if key not in counts and value is not None and not isinstance(value, str):
            raise ValueError(f"field {key!r} must be a string, got {type(value).__name__}")
    for key in counts:
        value = d.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"field {key!r} must be a non-negative integer, got {value!r}")


def _platform(value: Any) -> Platform:
    try:
        return Platform(value)
    except ValueError:
        raise ValueError(f"field 'platform' is {value!r}; allowed: {', '.join(p.value for p in Platform)}") from None


# --- cursors -------------------------------------------------------------------------------------


def format_cursor(created_at: datetime, external_id: str) -> str:
    return f"{utc(created_at).isoformat()}|{external_id}"


def parse_cursor(cursor: str) -> tuple[datetime, str]:
    """Inverse of `format_cursor`; raises ValueError when the text is not such a bookmark."""
    stamp, sep, external_id = cursor.partition("|")
    if not sep:
        raise ValueError("expected '<ISO-8601 created_at>|<external_id>'")
    return _parse_aware(stamp, "cursor"), external_id


# --- the connector -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One timeline slot of a stream: a post, or a rejected line reported at that position."""

    key: tuple[datetime, str]
    post: Post | None = None
    rejected: Rejected | None = None
    snapshot: AccountSnapshot | None = None


@dataclass(frozen=True)
class _Timeline:
    entries: tuple[_Entry, ...]
    keys: tuple[tuple[datetime, str], ...]
    times: tuple[datetime, ...]


class SampleReplayConnector:
    """Serves `data/sample/week.jsonl` stream by stream, paced by the clock it is given."""

    name = "sample"

    def __init__(
        self,
        path: Path,
        clock: Callable[[], datetime],
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        self._path = Path(path)
        self._clock = clock
        self._page_size = page_size
        self._timelines: dict[str, _Timeline] | None = None  # loaded on first use, then kept
        self._profiles: dict[tuple[str, str], Author] = {}  # (platform, author_id) -> profile (seen_at set per page)

    @staticmethod
    def stream_name(platform: Platform | str, account: str) -> str:
        return f"{STREAM_PREFIX}:{Platform(platform).value}:{account}"

    def streams(self) -> list[str]:
        return sorted(self._load())

    def poll(self, stream: str, cursor: str | None) -> Iterator[Batch]:
        timelines = self._load()
        timeline = timelines.get(stream)
        if timeline is None:
            known = ", ".join(sorted(timelines)) or "none"
            message = f"unknown sample stream {stream!r}; known: {known}"
            raise ConnectorError(message, stream=stream, fatal=True)
        start = 0
        if cursor is not None:
            try:
                after = parse_cursor(cursor)
            except ValueError as exc:
                raise ConnectorError(
                    f"cannot read bookmark {cursor!r} of stream {stream!r}: {exc}", stream=stream, fatal=True
                ) from None
            start = bisect_right(timeline.keys, after)
        now = utc(self._clock())
        stop = bisect_right(timeline.times, now)
        for lo in range(start, stop, self._page_size):
            page = timeline.entries[lo : min(lo + self._page_size, stop)]
            last = page[-1].key
            posts = tuple(e.post for e in page if e.post is not None)
            yield Batch(
                stream=stream,
                posts=posts,
                cursor=format_cursor(*last),
                rejected=tuple(e.rejected for e in page if e.rejected is not None),
                authors=self._authors_of(posts, now),
                snapshots=tuple(e.snapshot for e in page if e.snapshot is not None),
            )

    def _authors_of(self, posts: tuple[Post, ...], seen_at: datetime) -> tuple[Author, ...]:
        """The profiles of the page's authors, seen now (each author once)."""
        found: dict[tuple[str, str], Author] = {}
        for post in posts:
            key = (str(post.platform), post.author_id)
            profile = self._profiles.get(key)
            if profile is not None and key not in found:
                found[key] = replace(profile, seen_at=seen_at)
        return tuple(found.values())

    # --- loading ---------------------------------------------------------------------------------

    def _read_profiles(self) -> dict[tuple[str, str], Author]:
        authors = _read_lines(self._path.parent / AUTHORS_FILE, lambda d: author_from_dict(d, _BEGINNING))
        return {a.key: a for a in authors}

    def _read_accounts(self) -> list[AccountSnapshot]:
        return _read_lines(self._path.parent / ACCOUNTS_FILE, snapshot_from_dict)

    def _load(self) -> dict[str, _Timeline]:
        if self._timelines is None:
            self._timelines = self._read()
        return self._timelines

    def _read(self) -> dict[str, _Timeline]:
        try:
            text = self._path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConnectorError(
                f"cannot read the sample file {self._path}: {exc.strerror or exc}. "
                "Generate it with: python scripts/generate_sample.py",
                stream=self.name,
                fatal=True,
            ) from None
        valid: list[tuple[int, str, Post]] = []  # (line number, stream, post)
        broken: list[tuple[int, str, str, str | None]] = []  # (line number, reason, line, claimed stream)
        seen: dict[tuple[Platform, str], int] = {}
        # split("\n"), not splitlines(): JSON text may legally hold U+2028 and friends inside strings.
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                payload = json.loads(line)
            except ValueError as exc:
                broken.append((number, f"line {number}: invalid JSON ({exc})", line, None))
                continue
            try:
                post = post_from_dict(payload)
            except (ValueError, TypeError) as exc:
                broken.append((number, f"line {number}: {exc}", line, _claimed_stream(payload)))
                continue
            first = seen.setdefault((post.platform, post.external_id), number)
            if first != number:
                reason = f"line {number}: duplicate external_id {post.external_id!r} (first on line {first})"
                broken.append((number, reason, line, self.stream_name(post.platform, post.account)))
                continue
            valid.append((number, self.stream_name(post.platform, post.account), post))

        by_stream: dict[str, list[_Entry]] = {}
        for _, stream, post in valid:
            entry = _Entry(key=(post.created_at, post.external_id), post=post)
            by_stream.setdefault(stream, []).append(entry)
        if valid:
            for stream, entry in _place_rejected(broken, valid, set(by_stream)):
                by_stream[stream].append(entry)
        self._profiles = self._read_profiles()
        for snapshot in self._read_accounts():
            stream = self.stream_name(snapshot.platform, snapshot.account)
            if stream in by_stream:
                by_stream[stream].append(_Entry(key=(snapshot.taken_at, "#followers"), snapshot=snapshot))
        timelines = {}
        for stream, entries in by_stream.items():
            entries.sort(key=lambda e: e.key)
            timelines[stream] = _Timeline(
                entries=tuple(entries),
                keys=tuple(e.key for e in entries),
                times=tuple(e.key[0] for e in entries),
            )
        return timelines


def _read_lines(path: Path, parse: Callable[[Any], Any]) -> list[Any]:
    """The valid records of an optional side file (profiles, follower counts); bad lines are logged, skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        log.warning("sample side file unreadable; replaying without it", path=str(path), error=str(exc))
        return []
    records, bad = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(parse(json.loads(line)))
        except (ValueError, TypeError) as exc:
            bad.append(f"line {number}: {exc}")
    if bad:
        log.warning("sample side file has unreadable lines; they are skipped", path=str(path), count=len(bad),
                    first=bad[:3])
    return records


def _place_rejected(
    broken: list[tuple[int, str, str, str | None]],
    valid: list[tuple[int, str, Post]],
    streams: set[str],
) -> Iterator[tuple[str, _Entry]]:
    """Put each rejected line in the timeline right after the valid line before it in the file.

    It goes to the stream it names, if it still names one; otherwise to the stream of that previous valid
    line (or of the first valid line). Either way it is reported exactly once, in time order.
    """
    lines = [number for number, _, _ in valid]
    for number, reason, line, claimed in broken:
        i = bisect_right(lines, number) - 1
        if i >= 0:
            _, anchor_stream, anchor = valid[i]
            time, tag = anchor.created_at, anchor.external_id
        else:
            anchor_stream = valid[0][1]
            time, tag = _BEGINNING, ""
        stream = claimed if claimed in streams else anchor_stream
        yield stream, _Entry(
            key=(time, f"{tag}#rejected-line-{number:07d}"),
            rejected=Rejected(stream=stream, reason=reason, payload=line),
        )


def _claimed_stream(payload: Any) -> str | None:
    """The stream a broken line says it belongs to, when it still names a valid platform and account."""
    if not isinstance(payload, Mapping):
        return None
    platform, account = payload.get("platform"), payload.get("account")
    if not isinstance(account, str) or not account or platform not in {p.value for p in Platform}:
        return None
    return SampleReplayConnector.stream_name(platform, account)

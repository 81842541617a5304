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
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.base import Batch, ConnectorError, Rejected
from domain import Metrics, Platform, Post, PostKind, utc

STREAM_PREFIX = "sample"
DEFAULT_PAGE_SIZE = 100

_REQUIRED = ("platform", "external_id", "kind", "account", "author_id", "author_handle", "text", "created_at")
_OPTIONAL_STR = ("url", "lang", "in_reply_to_id", "conversation_id")
_KNOWN = frozenset((*_REQUIRED, *_OPTIONAL_STR, "is_own", "metrics", "raw"))
_METRIC_NAMES = frozenset(Metrics.names())
# Rejected lines with no valid line before them sort before every post.
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


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
    }


def post_from_dict(d: Mapping[str, Any]) -> Post:
    """Inverse of `post_to_dict`; raises ValueError naming the offending field (strict, to catch typos)."""
    if not isinstance(d, Mapping):
        raise ValueError(f"expected a JSON object, got {type(d).__name__}")
    unknown = sorted(set(d) - _KNOWN)
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    missing = [k for k in _REQUIRED if d.get(k) in (None, "")]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    for key in (*_REQUIRED, *_OPTIONAL_STR):
        value = d.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"field {key!r} must be a string, got {type(value).__name__}")
    try:
        platform = Platform(d["platform"])
    except ValueError:
        raise ValueError(
            f"field 'platform' is {d['platform']!r}; allowed: {', '.join(p.value for p in Platform)}"
        ) from None
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
            yield Batch(
                stream=stream,
                posts=tuple(e.post for e in page if e.post is not None),
                cursor=format_cursor(*last),
                rejected=tuple(e.rejected for e in page if e.rejected is not None),
            )

    # --- loading ---------------------------------------------------------------------------------

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
        timelines = {}
        for stream, entries in by_stream.items():
            entries.sort(key=lambda e: e.key)
            timelines[stream] = _Timeline(
                entries=tuple(entries),
                keys=tuple(e.key for e in entries),
                times=tuple(e.key[0] for e in entries),
            )
        return timelines


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

"""Repositories: the only code that writes SQL for the rest of the bot.

Upserts use `INSERT … ON CONFLICT` with RETURNING (SQLite ≥ 3.35 and PostgreSQL alike), never rowcount.
Repositories never commit: the unit of work does, so a batch of posts and its bookmark share one transaction.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain import Alert, Cursor, GeoTag, Metrics, Place, Platform, Post, PostKind, TextAnalysis
from storage.models import (
    AlertRow,
    AnalysisRow,
    CorrectionRow,
    CursorRow,
    DetectorStateRow,
    IncidentRow,
    OpsProblemRow,
    PostLabelRow,
    PostRow,
    RejectedPayloadRow,
    SpikeBucketRow,
    StreamHoldRow,
)
from storage.search_text import fold_search_text

_METRICS = Metrics.names()
_CHUNK = 500  # rows per statement: stays under SQLite's bound-parameter limit


def utc_now() -> datetime:
    return datetime.now(UTC)


def dialect_insert(session: Session, table: Any) -> Any:
    """A dialect insert that supports ON CONFLICT (SQLite and PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {name!r}: use SQLite or PostgreSQL")


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def post_to_row(post: Post, now: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "platform": str(post.platform),
        "external_id": post.external_id,
        "kind": str(post.kind),
        "account": post.account,
        "author_id": post.author_id,
        "author_handle": post.author_handle,
        "text": post.text,
        "lang": post.lang,
        "created_at": post.created_at,
        "url": post.url,
        "in_reply_to_id": post.in_reply_to_id,
        "conversation_id": post.conversation_id,
        "is_own": post.is_own,
        "raw": dict(post.raw),
        "geo": geo_to_json(post.geo),
        "collected_at": now,
        "updated_at": now,
    }
    row.update(post.metrics.as_dict())
    return row


_GEO_TEXT = ("name", "full_name", "country_code", "city", "region")


def geo_to_json(geo: GeoTag | None) -> dict[str, Any] | None:
    """`posts.geo`: the GeoTag's fields, absent ones left out."""
    if geo is None:
        return None
    return {name: value for name, value in dataclasses.asdict(geo).items() if value is not None}


def geo_from_json(value: Any) -> GeoTag | None:
    """The stored `posts.geo` back as a GeoTag; anything unreadable (hand-edited rows) reads as no place."""
    if not isinstance(value, dict):
        return None
    text = {k: value[k] for k in _GEO_TEXT if isinstance(value.get(k), str)}
    point = {k: float(value[k]) for k in ("lat", "lon")
             if isinstance(value.get(k), int | float) and not isinstance(value.get(k), bool)}
    return GeoTag(**text, **point) if text or point else None


def row_to_post(row: PostRow) -> Post:
    return Post(
        platform=Platform(row.platform),
        external_id=row.external_id,
        kind=PostKind(row.kind),
        account=row.account,
        author_id=row.author_id,
        author_handle=row.author_handle,
        text=row.text,
        created_at=row.created_at,
        url=row.url,
        lang=row.lang,
        in_reply_to_id=row.in_reply_to_id,
        conversation_id=row.conversation_id,
        is_own=row.is_own,
        metrics=Metrics(**{name: getattr(row, name) for name in _METRICS}),
        raw=row.raw or {},
        geo=geo_from_json(row.geo),
    )


@dataclass(frozen=True)
class StoredPost:
    id: int
    post: Post


@dataclass(frozen=True)
class UpsertResult:
    new_ids: tuple[int, ...]  # posts stored for the first time
    updated: int  # posts already known whose metrics/text were refreshed


class PostRepository:
    def __init__(self, session: Session):
        self.session = session

    def upsert(self, posts: Sequence[Post]) -> UpsertResult:
        """Store new posts and refresh metrics (and edited text) of known ones. Idempotent."""
        if not posts:
            return UpsertResult((), 0)
        now = utc_now()
        unique: dict[tuple[str, str], Post] = {}
        for post in posts:  # the last copy of a post within one batch wins
            unique[post.key] = post
        new_ids: list[int] = []
        new_keys: set[tuple[str, str]] = set()
        rows = [post_to_row(p, now) for p in unique.values()]
        table = PostRow.__table__
        stmt = (
            dialect_insert(self.session, table)
            .on_conflict_do_nothing(index_elements=["platform", "external_id"])
            .returning(table.c.id, table.c.platform, table.c.external_id)
        )
        for chunk in _chunks(rows):
            # executemany with RETURNING ("insertmanyvalues"): one cached statement, batched rows
            for row_id, platform, external_id in self.session.execute(stmt, list(chunk)):
                new_ids.append(row_id)
                new_keys.add((platform, external_id))
        known = [p for k, p in unique.items() if k not in new_keys]
        for post in known:
            values: dict[str, Any] = {
                name: value for name, value in post.metrics.as_dict().items() if value is not None
            }
            values.update(text=post.text, search_text=fold_search_text(post.text), raw=dict(post.raw), updated_at=now)
            if post.geo is not None:  # a place the platform gives now; none given never erases a stored one
                values["geo"] = geo_to_json(post.geo)
            self.session.execute(
                update(PostRow)
                .where(PostRow.platform == str(post.platform), PostRow.external_id == post.external_id,
                       PostRow.anonymized_at.is_(None))  # an anonymised post never gets its text back
                .values(**values)
            )
        return UpsertResult(tuple(sorted(new_ids)), len(known))

    def get(self, platform: str, external_id: str) -> StoredPost | None:
        row = self.session.scalar(
            select(PostRow).where(PostRow.platform == platform, PostRow.external_id == external_id)
        )
        return StoredPost(row.id, row_to_post(row)) if row else None

    def by_ids(self, ids: Sequence[int]) -> list[StoredPost]:
        out: list[StoredPost] = []
        for chunk in _chunks(list(ids)):
            rows = self.session.scalars(select(PostRow).where(PostRow.id.in_(chunk)).order_by(PostRow.id))
            out.extend(StoredPost(r.id, row_to_post(r)) for r in rows)
        return out

    def unanalyzed_ids(self, limit: int = 1000) -> list[int]:
        """Posts stored but not analysed yet (e.g. the bot stopped between the two steps)."""
        stmt = (
            select(PostRow.id)
            .outerjoin(AnalysisRow, AnalysisRow.post_id == PostRow.id)
            .where(AnalysisRow.post_id.is_(None), PostRow.anonymized_at.is_(None))
            .order_by(PostRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def ids_since(self, since: datetime, after_id: int = 0, limit: int = 1000) -> list[int]:
        stmt = (
            select(PostRow.id)  # anonymised posts keep the analysis made from their text (data-protection)
            .where(PostRow.created_at >= since, PostRow.id > after_id, PostRow.anonymized_at.is_(None))
            .order_by(PostRow.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(PostRow)) or 0

    def all_keys(self) -> list[tuple[str, str]]:
        return [tuple(r) for r in self.session.execute(select(PostRow.platform, PostRow.external_id))]


class AnalysisRepository:
    def __init__(self, session: Session):
        self.session = session

    def insert_new(self, results: Sequence[tuple[int, TextAnalysis]], analyzed_at: datetime) -> set[int]:
        """Store analyses of posts that have none yet; returns the post ids actually inserted."""
        inserted: set[int] = set()
        table = AnalysisRow.__table__
        stmt = (
            dialect_insert(self.session, table)
            .on_conflict_do_nothing(index_elements=["post_id"])
            .returning(table.c.post_id)
        )
        for chunk in _chunks(list(results)):
            rows = [self._row(post_id, a, analyzed_at) for post_id, a in chunk]
            inserted.update(self.session.execute(stmt, rows).scalars())
        self._write_labels([(pid, a) for pid, a in results if pid in inserted])
        return inserted

    def replace(self, results: Sequence[tuple[int, TextAnalysis]], analyzed_at: datetime) -> None:
        """Recompute: overwrite existing analyses (used by `analyze --since`)."""
        if not results:
            return
        ids = [pid for pid, _ in results]
        for chunk in _chunks(ids):
            self.session.execute(delete(PostLabelRow).where(PostLabelRow.post_id.in_(chunk)))
            self.session.execute(delete(AnalysisRow).where(AnalysisRow.post_id.in_(chunk)))
        self.insert_new(results, analyzed_at)

    def _write_labels(self, results: Sequence[tuple[int, TextAnalysis]]) -> None:
        labels = [
            {"post_id": pid, "kind": kind, "value": value}
            for pid, a in results
            for kind, values in (("topic", a.topics), ("flag", a.flags), ("campaign", a.campaigns))
            for value in dict.fromkeys(values)
        ]
        if labels:
            self.session.execute(dialect_insert(self.session, PostLabelRow.__table__).on_conflict_do_nothing(), labels)

    @staticmethod
    def _row(post_id: int, a: TextAnalysis, analyzed_at: datetime) -> dict[str, Any]:
        return {
            "post_id": post_id,
            "lang": a.lang,
            "sentiment": a.sentiment,
            "sentiment_score": float(a.sentiment_score),
            "category": a.category,
            "topics": list(a.topics),
            "flags": list(a.flags),
            "rules": list(a.rules),
            "version": a.version,
            "analyzed_at": analyzed_at,
            "campaigns": list(a.campaigns),
            "place_dpto": a.place.dpto_code if a.place else None,
            "place_mpio": a.place.mpio_code if a.place else None,
            "place_evidence": a.place.evidence if a.place else None,
        }

    def campaigns_of(self, post_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """{post_id: stored campaign ids} of the analysed posts among `post_ids`."""
        out: dict[int, tuple[str, ...]] = {}
        for chunk in _chunks(list(post_ids)):
            stmt = select(AnalysisRow.post_id, AnalysisRow.campaigns).where(AnalysisRow.post_id.in_(chunk))
            out.update((pid, tuple(campaigns or ())) for pid, campaigns in self.session.execute(stmt))
        return out

    def ids_with_campaigns(self, campaign_ids: Sequence[str], after_id: int = 0, limit: int = 1000) -> list[int]:
        """Posts labelled with any of these campaigns, by id, after `after_id` (ix_post_labels_kind_value)."""
        if not campaign_ids:
            return []
        stmt = (select(PostLabelRow.post_id).where(PostLabelRow.kind == "campaign",
                                                   PostLabelRow.value.in_(list(campaign_ids)),
                                                   PostLabelRow.post_id > after_id,
                                                   ~exists().where(PostRow.id == PostLabelRow.post_id,
                                                                   PostRow.anonymized_at.is_not(None)))
                .group_by(PostLabelRow.post_id).order_by(PostLabelRow.post_id).limit(limit))
        return list(self.session.scalars(stmt))

    def analysed_ids_between(self, since: datetime, until: datetime | None, after_id: int = 0,
                             limit: int = 1000) -> list[int]:
        """Analysed posts published in [since, until) (until None: no end), by id, after `after_id`."""
        stmt = (select(PostRow.id).join(AnalysisRow, AnalysisRow.post_id == PostRow.id)
                .where(PostRow.created_at >= since, PostRow.id > after_id, PostRow.anonymized_at.is_(None)))
        if until is not None:
            stmt = stmt.where(PostRow.created_at < until)
        return list(self.session.scalars(stmt.order_by(PostRow.id).limit(limit)))

    def set_campaigns(self, changes: dict[int, tuple[str, ...]]) -> None:
        """Rewrite only the campaign membership of analysed posts (column and kind "campaign" labels): a campaign
        edit needs no full re-analysis (bot/campaign_matching.py)."""
        if not changes:
            return
        ids = sorted(changes)
        for chunk in _chunks(ids):
            self.session.execute(delete(PostLabelRow).where(PostLabelRow.post_id.in_(chunk),
                                                            PostLabelRow.kind == "campaign"))
        table = AnalysisRow.__table__
        stmt = (update(table).where(table.c.post_id == bindparam("b_post_id"))
                .values(campaigns=bindparam("b_campaigns", type_=table.c.campaigns.type)))
        for chunk in _chunks(ids):
            self.session.execute(stmt, [{"b_post_id": pid, "b_campaigns": list(changes[pid])} for pid in chunk])
        labels = [{"post_id": pid, "kind": "campaign", "value": value}
                  for pid in ids for value in dict.fromkeys(changes[pid])]
        for chunk in _chunks(labels):
            self.session.execute(dialect_insert(self.session, PostLabelRow.__table__).on_conflict_do_nothing(),
                                 list(chunk))

    def get(self, post_id: int) -> TextAnalysis | None:
        row = self.session.get(AnalysisRow, post_id)
        if row is None:
            return None
        return TextAnalysis(
            lang=row.lang,
            sentiment=row.sentiment,
            sentiment_score=row.sentiment_score,
            category=row.category,
            topics=tuple(row.topics),
            flags=tuple(row.flags),
            rules=tuple(row.rules),
            version=row.version,
            campaigns=tuple(row.campaigns or ()),
            # Codes and evidence only: the names are DANE's, read from the gazetteer (analyzers.places) by the
            # layer that shows them; storage knows no analyzer.
            place=Place(row.place_dpto, "", row.place_evidence or "text", row.place_mpio)
            if row.place_dpto else None,
        )

    def counts_by(self, column: str) -> dict[str, int]:
        col = getattr(AnalysisRow, column)
        return dict(self.session.execute(select(col, func.count()).group_by(col)).all())


class CursorRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, stream: str) -> Cursor | None:
        row = self.session.get(CursorRow, stream)
        return Cursor(row.stream, row.value, row.updated_at) if row else None

    def save(self, stream: str, value: str | None) -> None:
        now = utc_now()
        stmt = dialect_insert(self.session, CursorRow).values(stream=stream, value=value, updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["stream"], set_={"value": value, "updated_at": now}
        )
        self.session.execute(stmt)

    def touch(self, stream: str) -> None:
        """A clean poll happened now: `updated_at` moves, the bookmark stays (`main.py status` reads the time as
        the stream's last successful poll). A stream never saved gets an empty bookmark (= none)."""
        now = utc_now()
        stmt = dialect_insert(self.session, CursorRow).values(stream=stream, value=None, updated_at=now)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["stream"], set_={"updated_at": now}))

    def hold(self, stream: str, key: str, reason: str, until: datetime, now: datetime) -> None:
        """The connector holds `stream` back on its own until `until`: `main.py status` shows it paused, while
        the bookmark and its `updated_at` (the last successful poll) stay as they are."""
        values = {"key": key[:64], "reason": reason[:300], "until": until, "held_at": now}
        stmt = dialect_insert(self.session, StreamHoldRow).values(stream=stream, **values)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["stream"], set_=values))

    def release(self, stream: str) -> None:
        """The connector no longer holds `stream` back (its poll was free to ask)."""
        self.session.execute(delete(StreamHoldRow).where(StreamHoldRow.stream == stream))

    def all(self) -> list[Cursor]:
        rows = self.session.scalars(select(CursorRow).order_by(CursorRow.stream))
        return [Cursor(r.stream, r.value, r.updated_at) for r in rows]


class RejectedRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, stream: str, reason: str, payload: Any) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, default=str)
        self.session.add(RejectedPayloadRow(stream=stream, reason=reason, payload=text, created_at=utc_now()))

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(RejectedPayloadRow)) or 0


class CorrectionRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, post_id: int, field: str, old: str, new: str, user: str) -> None:
        self.session.add(
            CorrectionRow(post_id=post_id, field=field, old_value=old, new_value=new, user=user,
                          created_at=utc_now())
        )

    def latest_for_posts(self, post_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """{post_id: {field: latest new_value}} for the given posts (people's word beats a recomputation)."""
        out: dict[int, dict[str, str]] = {}
        for chunk in _chunks(list(post_ids)):
            stmt = (select(CorrectionRow.post_id, CorrectionRow.field, CorrectionRow.new_value)
                    .where(CorrectionRow.post_id.in_(chunk)).order_by(CorrectionRow.id))
            for post_id, field, value in self.session.execute(stmt):
                out.setdefault(post_id, {})[field] = value
        return out

    def latest_labels(self, field: str) -> list[tuple[str, str]]:
        """(label, post text) for each post's latest correction of `field`."""
        latest = (
            select(CorrectionRow.post_id, func.max(CorrectionRow.id).label("last_id"))
            .where(CorrectionRow.field == field)
            .group_by(CorrectionRow.post_id)
            .subquery()
        )
        stmt = (
            select(CorrectionRow.new_value, PostRow.text)
            .join(latest, latest.c.last_id == CorrectionRow.id)
            .join(PostRow, PostRow.id == CorrectionRow.post_id)
            .order_by(CorrectionRow.id)
        )
        return [(label, text) for label, text in self.session.execute(stmt)]


class AlertRepository:
    """The outbox. `add` is idempotent on the alert key."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, alert: Alert, sink: str, incident_id: int | None = None) -> bool:
        """Queue `alert` for delivery through `sink`; False if it was already queued."""
        stmt = (
            dialect_insert(self.session, AlertRow)
            .values(
                key=alert.key, sink=sink, incident_id=incident_id, kind=alert.kind,
                severity=alert.severity, channel=alert.channel,
                title=alert.title, body=alert.body, details=dict(alert.details),
                created_at=alert.created_at, attempts=0, next_attempt_at=alert.created_at,
            )
            .on_conflict_do_nothing(index_elements=["key", "sink"])
            .returning(AlertRow.id)
        )
        return self.session.scalar(stmt) is not None

    def get(self, key: str, sink: str) -> AlertRow | None:
        stmt = select(AlertRow).where(AlertRow.key == key, AlertRow.sink == sink)
        return self.session.scalar(stmt.execution_options(populate_existing=True))

    def mark_sending(self, alert_id: int, when: datetime) -> None:
        self.session.execute(update(AlertRow).where(AlertRow.id == alert_id).values(sending_at=when))

    def mark_sent(self, alert_id: int, when: datetime, remote_id: str | None = None) -> None:
        self.session.execute(
            update(AlertRow).where(AlertRow.id == alert_id).values(sent_at=when, remote_id=remote_id)
        )

    def mark_failed(self, alert_id: int, error: str, retry_at: datetime) -> None:
        self.session.execute(
            update(AlertRow)
            .where(AlertRow.id == alert_id)
            .values(attempts=AlertRow.attempts + 1, last_error=error[:2000], next_attempt_at=retry_at)
        )

    def all(self) -> list[AlertRow]:
        return list(self.session.scalars(select(AlertRow).order_by(AlertRow.id)))


class OpsProblemRepository:
    """Operational problems by cause: people hear of each at most once an hour, and of its recovery; its pause
    holds every stream that shares the cause."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, key: str) -> OpsProblemRow | None:
        return self.session.get(OpsProblemRow, key)

    def open_problems(self, keys: Iterable[str] | None = None) -> list[OpsProblemRow]:
        query = select(OpsProblemRow).where(OpsProblemRow.resolved_at.is_(None)).order_by(OpsProblemRow.key)
        if keys is not None:
            query = query.where(OpsProblemRow.key.in_(list(keys)))
        return list(self.session.scalars(query))

    def pausing(self, keys: Iterable[str], now: datetime) -> OpsProblemRow | None:
        """The open problem among `keys` whose pause lasts longest past `now`, if any."""
        query = (select(OpsProblemRow)
                 .where(OpsProblemRow.key.in_(list(keys)), OpsProblemRow.resolved_at.is_(None),
                        OpsProblemRow.paused_until > now)
                 .order_by(OpsProblemRow.paused_until.desc()).limit(1))
        return self.session.scalars(query).first()

    def record_failure(self, key: str, message: str, fatal: bool, now: datetime,
                       stream: str | None = None) -> OpsProblemRow:
        """Open the problem (or reopen a resolved one) or count one more failure; the row is locked on
        PostgreSQL so two streams meeting the same cause at once update one problem."""
        fresh = {"key": key, "message": message, "fatal": fatal, "opened_at": now, "last_seen_at": now,
                 "failures": 0, "attempts": 0}
        self.session.execute(dialect_insert(self.session, OpsProblemRow).values(**fresh)
                             .on_conflict_do_nothing(index_elements=["key"]))
        row = self.session.scalars(select(OpsProblemRow).where(OpsProblemRow.key == key)
                                   .with_for_update().execution_options(populate_existing=True)).one()
        if row.resolved_at is not None:  # the same cause again after a recovery: a new problem
            row.opened_at, row.resolved_at, row.last_alert_at, row.severity = now, None, None, None
            row.failures, row.attempts, row.paused_until = 0, 0, None
        row.message, row.fatal, row.last_seen_at, row.last_stream = message, fatal, now, stream
        row.failures = (row.failures or 0) + 1
        self.session.flush()
        return row

    def resolve(self, key: str, now: datetime) -> OpsProblemRow | None:
        """Close an open problem (a real request that would have failed succeeded); None if none was open."""
        row = self.session.scalars(select(OpsProblemRow).where(OpsProblemRow.key == key)
                                   .with_for_update().execution_options(populate_existing=True)).first()
        if row is None or row.resolved_at is not None:
            return None
        row.resolved_at, row.paused_until, row.attempts = now, None, 0
        self.session.flush()
        return row


class IncidentRepository:
    def __init__(self, session: Session):
        self.session = session

    def open_incidents(self) -> list[IncidentRow]:
        stmt = select(IncidentRow).where(IncidentRow.closed_at.is_(None)).order_by(IncidentRow.id)
        return list(self.session.scalars(stmt))

    def last_closed(self) -> IncidentRow | None:
        stmt = (select(IncidentRow).where(IncidentRow.closed_at.is_not(None))
                .order_by(IncidentRow.closed_at.desc(), IncidentRow.id.desc()))
        return self.session.scalars(stmt).first()

    def create(self, opened_at: datetime, level: str, key: str, value: int, expected: float) -> IncidentRow:
        row = IncidentRow(opened_at=opened_at, level=level, keys=[key], active_keys=[key],
                          peak_value=value, peak_expected=expected, peak_key=key)
        self.session.add(row)
        self.session.flush()
        return row

    def all(self) -> list[IncidentRow]:
        return list(self.session.scalars(select(IncidentRow).order_by(IncidentRow.id)))


class StaleDetectorState(Exception):
    """A detector state changed in the database after it was read: the caller must read it again."""


@dataclass(frozen=True)
class DetectorHead:
    """A detector state row without its state: enough to tell whether a copy in memory is still current."""

    key: str
    revision: int
    next_bucket: datetime  # the first bucket not yet evaluated
    level: str  # alert level last announced


@dataclass(frozen=True)
class DetectorSave:
    """One detector state to store, and the revision it was read at (the save is refused if that moved)."""

    key: str
    state: dict[str, Any]
    next_bucket: datetime
    level: str
    revision: int


class SpikeRepository:
    """Bucket counts and detector states for the spike detector."""

    def __init__(self, session: Session):
        self.session = session

    def add_counts(self, counts: dict[tuple[str, datetime], int]) -> None:
        if not counts:
            return
        rows = [{"key": k, "bucket_start": b, "count": c} for (k, b), c in sorted(counts.items())]
        table = SpikeBucketRow.__table__
        stmt = dialect_insert(self.session, table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key", "bucket_start"], set_={"count": table.c.count + stmt.excluded["count"]}
        )
        self.session.execute(stmt, rows)

    def counts_for_keys(self, keys: Sequence[str], start: datetime, end: datetime) -> dict[str, dict[datetime, int]]:
        """Counts of several keys at once (one query per evaluation instead of one per key)."""
        out: dict[str, dict[datetime, int]] = {k: {} for k in keys}
        stmt = select(SpikeBucketRow.key, SpikeBucketRow.bucket_start, SpikeBucketRow.count).where(
            SpikeBucketRow.key.in_(list(keys)), SpikeBucketRow.bucket_start >= start, SpikeBucketRow.bucket_start < end
        )
        for key, bucket, count in self.session.execute(stmt):
            out[key][bucket] = count
        return out

    def save_states(self, states: Sequence[DetectorSave]) -> None:
        """Save many detector states in one executemany, each only if it is still at the revision it was read at.

        Every save bumps the revision. A row another process saved in the meantime raises StaleDetectorState
        (nothing of it is kept once the caller rolls back), instead of silently overwriting that work.
        """
        if not states:
            return
        table = DetectorStateRow.__table__
        stmt = (
            update(table)
            .where(table.c.key == bindparam("b_key"), table.c.revision == bindparam("b_revision"))
            .values(state=bindparam("b_state", type_=table.c.state.type),
                    next_bucket=bindparam("b_next", type_=table.c.next_bucket.type),
                    level=bindparam("b_level"), updated_at=bindparam("b_now", type_=table.c.updated_at.type),
                    revision=table.c.revision + 1)
        )
        now = utc_now()
        result = self.session.execute(stmt, [
            {"b_key": s.key, "b_revision": s.revision, "b_state": s.state, "b_next": s.next_bucket,
             "b_level": s.level, "b_now": now} for s in states
        ])
        if result.rowcount != len(states):  # type: ignore[attr-defined]
            raise StaleDetectorState(f"{len(states) - result.rowcount} of {len(states)} detector states were "  # type: ignore[attr-defined]
                                     "saved by another process since they were read")

    def states(self) -> list[DetectorStateRow]:
        return list(self.session.scalars(select(DetectorStateRow).order_by(DetectorStateRow.key)))

    def heads(self) -> dict[str, DetectorHead]:
        """Every key's revision, next bucket and level, by key (the order keys are evaluated in), without the
        state's JSON: what a step needs to know."""
        t = DetectorStateRow
        stmt = select(t.key, t.revision, t.next_bucket, t.level).order_by(t.key)
        return {key: DetectorHead(key, revision, next_bucket, level)
                for key, revision, next_bucket, level in self.session.execute(stmt)}

    def load_states(self, keys: Sequence[str]) -> dict[str, tuple[DetectorHead, dict[str, Any]]]:
        """The stored state of these keys, with the head it belongs to (read together, so they agree)."""
        t = DetectorStateRow
        out: dict[str, tuple[DetectorHead, dict[str, Any]]] = {}
        for start in range(0, len(keys), _CHUNK):
            stmt = select(t.key, t.revision, t.next_bucket, t.level, t.state).where(
                t.key.in_(list(keys[start:start + _CHUNK])))
            for key, revision, next_bucket, level, state in self.session.execute(stmt):
                out[key] = (DetectorHead(key, revision, next_bucket, level), state)
        return out

    def ensure_state(self, key: str, state: dict[str, Any], first_bucket: datetime) -> None:
        stmt = (
            dialect_insert(self.session, DetectorStateRow)
            .values(key=key, state=state, next_bucket=first_bucket, level="none", updated_at=utc_now())
            .on_conflict_do_nothing(index_elements=["key"])
        )
        self.session.execute(stmt)

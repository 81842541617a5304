"""SQLAlchemy 2.x table definitions.

Timestamps are stored in UTC through `UTCDateTime`, because SQLite drops time zones: everything read back
is an aware UTC datetime on every engine. JSON columns use the generic JSON type (JSONB-like on PostgreSQL,
text on SQLite).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.search_text import search_text_default


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class PostRow(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_posts_platform_external_id"),
        Index("ix_posts_created_at", "created_at"),
        Index("ix_posts_account_created_at", "account", "created_at"),
        Index("ix_posts_conversation_id", "platform", "conversation_id"),
        Index("ix_posts_in_reply_to_id", "platform", "in_reply_to_id"),
        Index("ix_posts_author", "platform", "author_id", "created_at"),  # migration 0010: an author's posts
        # Migration 0014: the retention job's next batch (posts still holding personal data, oldest first).
        Index("ix_posts_anonymized_at", "anonymized_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(128))
    author_id: Mapped[str] = mapped_column(String(128))
    author_handle: Mapped[str] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text)
    # `text` folded for the inbox search (storage/search_text.py): filled from `text` on insert; whoever
    # changes `text` writes it too (PostRepository.upsert). Indexed by trigrams (migration 0009).
    search_text: Mapped[str | None] = mapped_column(Text, default=search_text_default)
    lang: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    url: Mapped[str | None] = mapped_column(Text)
    in_reply_to_id: Mapped[str | None] = mapped_column(String(128))
    conversation_id: Mapped[str | None] = mapped_column(String(128))
    is_own: Mapped[bool] = mapped_column(Boolean, default=False)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    reposts: Mapped[int | None] = mapped_column(BigInteger)
    replies: Mapped[int | None] = mapped_column(BigInteger)
    quotes: Mapped[int | None] = mapped_column(BigInteger)
    bookmarks: Mapped[int | None] = mapped_column(BigInteger)
    impressions: Mapped[int | None] = mapped_column(BigInteger)
    reactions: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    views: Mapped[int | None] = mapped_column(BigInteger)  # migration 0010
    reach: Mapped[int | None] = mapped_column(BigInteger)  # migration 0010
    # Migration 0012: the platform's place tag (domain.GeoTag as a dict), when the author attached one.
    geo: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Migration 0014 (docs/data-protection.md): when the retention policy or a `forget` request anonymised the
    # post's personal data (text, raw payload, link, handle, place tag); None while it holds them.
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AnalysisRow(Base):
    """The current analysis of a post (one per post; recomputed by `analyze --since`)."""

    __tablename__ = "analyses"
    __table_args__ = (
        Index("ix_analyses_category", "category"),
        Index("ix_analyses_sentiment", "sentiment"),
        Index("ix_analyses_place_dpto", "place_dpto"),
    )

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    lang: Mapped[str] = mapped_column(String(16))
    sentiment: Mapped[str] = mapped_column(String(16))
    sentiment_score: Mapped[float] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(16))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[str] = mapped_column(String(256))
    analyzed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Migration 0012. Campaign ids the post matched (also one post_labels row each, kind "campaign").
    campaigns: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Where the post comes from (DANE DIVIPOLA codes) and what placed it ("geo" | "text" | "profile"); all
    # None when no evidence names a Colombian place (analyzers/places never invents one).
    place_dpto: Mapped[str | None] = mapped_column(String(2))
    place_mpio: Mapped[str | None] = mapped_column(String(5))
    place_evidence: Mapped[str | None] = mapped_column(String(8))


class PostLabelRow(Base):
    """Topics, crisis flags and campaigns of an analysis, one row each, so SQL can filter and count them."""

    __tablename__ = "post_labels"
    # Migration 0012: one campaign's (or topic's) posts without reading every label row.
    __table_args__ = (Index("ix_post_labels_kind_value", "kind", "value", "post_id"),)

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # "topic" | "flag" | "campaign"
    value: Mapped[str] = mapped_column(String(64), primary_key=True)


class CursorRow(Base):
    __tablename__ = "cursors"

    stream: Mapped[str] = mapped_column(String(256), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StreamHoldRow(Base):
    """A connector holding a stream back on its own (Meta's usage slow-down, X's spent request budget;
    migration 0015): no request before `until`. Written by the poll that meets the hold, deleted by the next poll
    that asks the platform; read by `main.py status`, which shows the stream paused while `until` is ahead. Not
    a problem: nobody is alerted."""

    __tablename__ = "stream_holds"

    stream: Mapped[str] = mapped_column(String(256), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))  # e.g. "usage:facebook"
    reason: Mapped[str] = mapped_column(String(300))  # Spanish, for operators
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    held_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RejectedPayloadRow(Base):
    """Payloads a connector could not understand: kept aside for inspection."""

    __tablename__ = "rejected_payloads"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stream: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CorrectionRow(Base):
    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_post_id", "post_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str] = mapped_column(Text)
    new_value: Mapped[str] = mapped_column(Text)
    user: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AlertRow(Base):
    """The alert outbox: written in the transaction that decides the alert, sent later by a worker."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("key", "sink", name="uq_alerts_key_sink"),
        Index("ix_alerts_pending", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(256))  # idempotency key of the alert
    sink: Mapped[str] = mapped_column(String(32))  # where this row is delivered: console, file, slack
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set (and committed) just before a delivery attempt: if the process dies during the attempt, the next
    # attempt first asks the sink whether the alert arrived, so it is not posted twice.
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    remote_id: Mapped[str | None] = mapped_column(String(128))  # e.g. Slack message ts, for threading
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeliveryLaneRow(Base):
    """One delivery queue: a sink and a channel (e.g. Slack, alerts), delivered oldest first.

    The back-off lives here, not on each alert: when Slack is down it is down for every message, so the
    lane waits as a whole and the oldest alert stays at the head. The lease keeps two processes (or two
    scheduler threads) from posting the same head at once.
    """

    __tablename__ = "delivery_lanes"

    sink: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed attempts
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # wall-clock time of the next attempt
    down_since: Mapped[datetime | None] = mapped_column(UTCDateTime())  # first failure of the current outage
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(128))  # "host:pid:token" of the process draining it
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SlackChannelRow(Base):
    """A configured Slack channel name and its conversation ID (history and uploads take IDs only)."""

    __tablename__ = "slack_channels"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)  # as configured, e.g. "#vigia-alertas"
    channel_id: Mapped[str] = mapped_column(String(32))
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IncidentRow(Base):
    """A crisis incident: related spiking keys grouped, from the first alert to the recovery."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_opened_at", "opened_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())  # start of the first spiking bucket
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    level: Mapped[str] = mapped_column(String(16))  # highest level reached
    keys: Mapped[list[str]] = mapped_column(JSON, default=list)  # every key that spiked in it
    active_keys: Mapped[list[str]] = mapped_column(JSON, default=list)  # keys still spiking
    peak_value: Mapped[int] = mapped_column(Integer, default=0)
    peak_expected: Mapped[float] = mapped_column(Float, default=0.0)
    peak_key: Mapped[str | None] = mapped_column(String(128))  # the key peak_value counts; NULL: before 0017

    @property
    def peak_signal(self) -> str:
        """The key whose count the peak is; rows from before `peak_key` read as their opening signal, or all
        mentions when those joined (the old rule replaced the peak with all mentions' count)."""
        if self.peak_key:
            return self.peak_key
        keys = self.keys or ["all"]
        return "all" if "all" in keys else keys[0]


class OpsProblemRow(Base):
    """An operational problem keyed by its cause (`token:meta`, `rate_limit:x:mentions`, ...), when people
    were told, and the pause it imposes on every stream that shares the cause (stored, so it outlives the
    process: `poll --once` from cron and a restarted `run` both respect it)."""

    __tablename__ = "ops_problems"

    key: Mapped[str] = mapped_column(String(256), primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    fatal: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # migration 0008: what the problem does to polling, and what people were last told
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # no request on its streams before
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # back-off exponent
    severity: Mapped[str | None] = mapped_column(String(16))  # severity of the last alert sent
    last_stream: Mapped[str | None] = mapped_column(String(256))  # the stream that met it last


class SpikeBucketRow(Base):
    """Citizen-post counts per detector key and time bucket."""

    __tablename__ = "spike_buckets"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class DetectorStateRow(Base):
    """A spike detector's persisted state, so a restart neither re-learns nor re-fires."""

    __tablename__ = "detector_states"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    next_bucket: Mapped[datetime] = mapped_column(UTCDateTime())  # the first bucket not yet evaluated
    level: Mapped[str] = mapped_column(String(16), default="none")  # alert level last announced
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # migration 0011: +1 on every save; a process keeping detectors in memory reloads a key whose revision moved
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# --- community managers' inbox (web app) ---------------------------------------------------------------


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("username", name="uq_users_username"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))  # viewer | community_manager | admin
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebSessionRow(Base):
    """Server-side sessions: the cookie holds a random token, the table its hash (revocable at once)."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user_id", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PostReviewRow(Base):
    """The community managers' work state of a citizen post, written when the post is first analysed.

    `tier` and `due_at` copy what the urgency order needs from the post and its analysis (crisis flag,
    sentiment, category's legal term) into plain columns, so that order and the pending views come from
    `ix_post_reviews_urgency` instead of reading every post. A citizen post not analysed yet has no row.
    `reach_rank` (migration 0010) copies the author's reach (segment weight, followers; storage/reach.py):
    0 = widest, sorted ascending inside a tier, rewritten when the author's segment or followers change.
    """

    __tablename__ = "post_reviews"
    __table_args__ = (
        Index("ix_post_reviews_state", "state"),
        Index("ix_post_reviews_assignee", "assignee_id", "state"),
        Index("ix_post_reviews_urgency", "state", "tier", "reach_rank", "due_at", "post_id"),
        Index("ix_post_reviews_segment_urgency", "state", "segment", "tier", "reach_rank", "due_at", "post_id"),
    )

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="new")  # new|in_progress|attended|not_applicable
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="2")  # 0 crisis, 1 negative, 2 rest
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())  # created_at + the category's legal term
    # 0 widest reach … 11 (storage/reach.WORST_RANK: no profile, or a citizen under 10,000 followers)
    reach_rank: Mapped[int] = mapped_column(SmallInteger, default=11, server_default="11")
    # The author's audience segment (migration 0012), copied like reach_rank and rewritten with it, so the
    # urgency order filtered by segment is one walk of ix_post_reviews_segment_urgency.
    segment: Mapped[str] = mapped_column(String(64), default="sin_perfil", server_default="sin_perfil")


class PostEventRow(Base):
    """Audit trail of every human change to a post: who, when, what, old and new value (notes too)."""

    __tablename__ = "post_events"
    __table_args__ = (Index("ix_post_events_post_id", "post_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # category|sentiment|topics|state|assignee|note
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- weekly reports ------------------------------------------------------------------------------------


class ReportRunRow(Base):
    """One row per ISO week: when its report was built and posted, so a restart never posts it twice."""

    __tablename__ = "report_runs"

    week: Mapped[str] = mapped_column(String(10), primary_key=True)  # e.g. "2026-W47"
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    files: Mapped[list[str]] = mapped_column(JSON, default=list)
    slack_ref: Mapped[str | None] = mapped_column(String(128))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- Instagram @-mentions announced by Meta's webhook ----------------------------------------------------


class MetaMentionRow(Base):
    """An @-mention of a watched Instagram account, as Meta's `mentions` webhook announced it: only ids.

    The Instagram connector's `mentions` stream fetches rows with an id above its bookmark, so a row is
    "fetched" exactly when the stream's cursor (saved with the posts) covers its id; no per-row flag needed.
    Meta retries deliveries, so the ids are unique: (media, comment) for comment mentions and, because NULLs
    never collide in a unique constraint, a partial unique index on the media for caption mentions.
    """

    __tablename__ = "meta_mentions"
    __table_args__ = (
        UniqueConstraint("media_id", "comment_id", name="uq_meta_mentions_media_comment"),
        Index("uq_meta_mentions_caption", "media_id", unique=True,
              sqlite_where=text("comment_id IS NULL"), postgresql_where=text("comment_id IS NULL")),
        Index("ix_meta_mentions_user_id", "ig_user_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ig_user_id: Mapped[str] = mapped_column(String(64))  # the mentioned account (the webhook's entry id)
    media_id: Mapped[str] = mapped_column(String(64))
    comment_id: Mapped[str | None] = mapped_column(String(64))  # None: the mention is in the caption
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- authors and audiences ------------------------------------------------------------------------------


class AuthorRow(Base):
    """One author per platform: the public profile the connectors saw, and the audience segment it is in.

    Posts join it on (platform, author_id). The profile is rewritten at most once a day per author.
    `segment` is the effective one (an admin's override wins over the rules); `segment_rule` says what placed
    it ("override", or the rule's name such as "bio:periodista"); `segment_override` keeps the admin's choice
    so a rule change never undoes it. Only public profile fields are stored (docs/data-protection applies).
    """

    __tablename__ = "authors"
    __table_args__ = (
        UniqueConstraint("platform", "author_id", name="uq_authors_platform_author_id"),
        Index("ix_authors_segment", "segment", "platform", "author_id"),
        Index("ix_authors_followers", "followers"),
        Index("ix_authors_anonymized_at", "anonymized_at", "last_seen"),  # migration 0014: retention's batches
        # migration 0016: an Instagram username's scoped-id author (storage/authors.py, HANDLE_IDENTIFIES)
        Index("ix_authors_handle", "platform", "handle"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str] = mapped_column(String(128))
    handle: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    verified_type: Mapped[str | None] = mapped_column(String(32))
    followers: Mapped[int | None] = mapped_column(BigInteger)
    following: Mapped[int | None] = mapped_column(BigInteger)
    post_count: Mapped[int | None] = mapped_column(BigInteger)
    location: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
    profile_url: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when the profile fields were last written
    segment: Mapped[str] = mapped_column(String(64))
    segment_rule: Mapped[str] = mapped_column(String(128))
    segment_override: Mapped[str | None] = mapped_column(String(64))
    segment_rules_version: Mapped[str | None] = mapped_column(String(64))  # the rules' fingerprint when placed
    # Migration 0014: when the profile was anonymised (retention or `forget`): the profile fields are gone, the
    # handle and author_id are a keyed pseudonym, counts and segment stay for the aggregates.
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthorEventRow(Base):
    """Audit trail of admin changes to an author (segment overrides): who, when, old and new value."""

    __tablename__ = "author_events"
    __table_args__ = (Index("ix_author_events_author", "author_row_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    author_row_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    user: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # segment_override | segment_override_removed
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountSnapshotRow(Base):
    """A watched ministry account's followers on one day (the first observation of the day in Bogotá kept)."""

    __tablename__ = "account_snapshots"
    __table_args__ = (UniqueConstraint("platform", "account", "day", name="uq_account_snapshots_day"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(128))
    day: Mapped[str] = mapped_column(String(10))  # ISO date, America/Bogota
    followers: Mapped[int] = mapped_column(BigInteger)
    following: Mapped[int | None] = mapped_column(BigInteger)
    post_count: Mapped[int | None] = mapped_column(BigInteger)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CampaignRow(Base):
    """A communications campaign (domain.Campaign): from `config.yaml` (source "config", rewritten from the file
    at start-up) or made by an admin in the web app (source "admin"). Posts carry the ids they matched in
    `analyses.campaigns` and `post_labels` (kind "campaign"). An archived campaign matches no new post and is
    hidden from the lists; its posts keep their label.
    """

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the slug, e.g. "talento-ti"
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    hashtags: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(8), default="admin")  # "config" | "admin"
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(64))


class AuditEventRow(Base):
    """The web app's audit trail of things that are not a post or an author: campaign changes now; logins,
    role changes and exports (the data-protection issue) use it too. Who, when, from where, what."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_created_at", "created_at"),
                      Index("ix_audit_events_target", "target", "created_at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    user: Mapped[str | None] = mapped_column(String(64))  # None: not logged in (a failed login)
    action: Mapped[str] = mapped_column(String(32))  # "campaign_create", "campaign_update", "login", ...
    target: Mapped[str | None] = mapped_column(String(128))  # "campaign:talento-ti"
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class RunNodeRow(Base):
    """One `main.py run` process (hot standby, issue 17): who it is, whether it leads, its last heartbeat.

    Written by the process itself every few seconds; `status` and operators read it. A row whose heartbeat
    is old belongs to a process that died; it is deleted after a day."""

    __tablename__ = "run_nodes"
    __table_args__ = (Index("ix_run_nodes_heartbeat_at", "heartbeat_at"),)

    node_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4, new for every process start
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(8))  # "leader" | "standby"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    leader_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    epoch: Mapped[int | None] = mapped_column(BigInteger)  # the leader epoch it holds (None: never led)
    version: Mapped[str] = mapped_column(String(64))


class LeaderEpochRow(Base):
    """The fencing token: incremented by each new leader while it holds the advisory lock. Writes that
    matter (stream bookmarks, outbox claims) check, in their own transaction, that the epoch they were
    started under is still the current one, so a deposed leader's late commit fails and rolls back."""

    __tablename__ = "leader_epoch"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)  # "run"
    epoch: Mapped[int] = mapped_column(BigInteger)
    node_id: Mapped[str | None] = mapped_column(String(36))
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DataRequestRow(Base):
    """What data protection did, without the data (migration 0014, docs/data-protection.md): a data-subject
    request (`kind` "forget": the platform, a keyed hash of the handle, who ran it, what it changed) or a
    retention run (`kind` "retention": counts per kind). Never holds a handle, a name or a text."""

    __tablename__ = "data_requests"
    __table_args__ = (Index("ix_data_requests_subject", "kind", "platform", "subject_hash"),
                      Index("ix_data_requests_created_at", "created_at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))  # "forget" | "retention"
    platform: Mapped[str | None] = mapped_column(String(16))
    subject_hash: Mapped[str | None] = mapped_column(String(64))  # HMAC-SHA256 of "platform:handle" (forget)
    requested_by: Mapped[str] = mapped_column(String(128))  # the operator (forget) or "scheduler"/"cli"
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

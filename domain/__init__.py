"""Shared domain types of Vigía.

Every package (bot, connectors, analyzers, storage) may import this module; it imports none of them.
Values are immutable so they can travel safely through the message bus.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any


class Platform(StrEnum):
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"


class PostKind(StrEnum):
    MENTION = "mention"  # a citizen names a ministry account
    COMMENT = "comment"  # a comment under a ministry post (Facebook / Instagram)
    REPLY = "reply"  # a reply inside a conversation (by a citizen or by the ministry)
    OWN_POST = "own_post"  # a post published by a ministry account
    SEARCH_HIT = "search_hit"  # found by a configured search query


SENTIMENTS = ("negative", "neutral", "positive")
CATEGORIES = ("peticion", "queja", "reclamo", "sugerencia", "denuncia", "felicitacion", "otro")
CRISIS_FLAGS = ("outage", "fraud", "data_leak", "threat", "misinformation")
# The audience segment of posts whose author has no stored profile yet: shown apart, never counted as citizens.
NO_PROFILE = "sin_perfil"


def valid_timezone(name: str) -> str:
    """`name` if it is an IANA time zone this machine knows (for config validators), else ValueError."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'America/Bogota'") from exc
    return name


def utc(dt: datetime) -> datetime:
    """Return `dt` as an aware UTC datetime (naive values are taken to be UTC already)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


@dataclass(frozen=True)
class Metrics:
    """Interaction counters as the platform reports them; None means the platform did not say."""

    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None
    bookmarks: int | None = None
    impressions: int | None = None
    reactions: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    # Meta's own measures, kept apart from X's "impressions" because they count different things: `views`
    # (Instagram and, since Meta retired post_impressions* on 2025-11-15, Facebook) counts every display
    # including repeats; `reach` counts unique accounts (Instagram insights).
    views: int | None = None
    reach: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class Post:
    """One item a connector collected: a citizen's mention or comment, or a ministry post or reply."""

    platform: Platform
    external_id: str
    kind: PostKind
    account: str  # the watched ministry account this post concerns (handle)
    author_id: str
    author_handle: str
    text: str
    created_at: datetime  # aware, UTC
    url: str | None = None
    lang: str | None = None  # the platform's own language tag, when it gives one
    in_reply_to_id: str | None = None
    conversation_id: str | None = None
    is_own: bool = False  # authored by a watched ministry account
    metrics: Metrics = field(default_factory=Metrics)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    geo: GeoTag | None = None  # the platform's place/geo tag, when the author attached one

    def __post_init__(self) -> None:
        object.__setattr__(self, "created_at", utc(self.created_at))

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.platform), self.external_id)


@dataclass(frozen=True)
class GeoTag:
    """A place the platform attached to a post (X `geo.place_id` expanded to a place; a Facebook post's `place`).

    Only what the platform says, untouched: the region placer (analyzers/places) decides whether it names a
    Colombian department or municipality. Coordinates are WGS84 when given.
    """

    name: str | None = None  # "Quibdó"
    full_name: str | None = None  # X: "Quibdó, Colombia"; Facebook: the place's name
    country_code: str | None = None  # ISO 3166-1 alpha-2 ("CO") when given
    city: str | None = None  # Facebook place.location.city
    region: str | None = None  # Facebook place.location.state / region
    lat: float | None = None
    lon: float | None = None


PLACE_EVIDENCE = ("geo", "text", "profile")  # in order of trust


@dataclass(frozen=True)
class Place:
    """Where a post comes from, in DANE's DIVIPOLA codes, and the evidence that placed it (never invented)."""

    dpto_code: str  # "27"
    departamento: str  # "CHOCÓ", as DANE writes it
    evidence: str  # one of PLACE_EVIDENCE
    mpio_code: str | None = None  # "27001" when the municipality is known, else None
    municipio: str | None = None  # "QUIBDÓ"

    def as_dict(self) -> dict[str, str | None]:
        """The shape `classify` prints and the API returns."""
        return {"dpto_code": self.dpto_code, "departamento": self.departamento, "mpio_code": self.mpio_code,
                "municipio": self.municipio, "evidence": self.evidence}


@dataclass(frozen=True)
class Campaign:
    """A communications campaign: what marks its posts (hashtags, keywords, links or UTM `utm_campaign` values)
    and the days it runs (Bogotá dates, both ends included; no end = still running).

    Defined in `config.yaml` (`campaigns:`) or by an admin in the web app; `id` is the stable slug stored on
    each matched post ("talento-ti"), `name` what people read ("#TalentoTI").
    """

    id: str
    name: str
    starts_on: date
    ends_on: date | None = None
    hashtags: tuple[str, ...] = ()  # without "#", matched case- and accent-insensitively
    keywords: tuple[str, ...] = ()  # words or phrases, matched on word boundaries
    links: tuple[str, ...] = ()  # URL prefixes ("mintic.gov.co/talentoti") or utm_campaign values
    description: str = ""


@dataclass(frozen=True)
class Author:
    """A post's author as the platform describes them, from the data the connectors already request.

    Only public profile fields. None means the platform did not say (Facebook gives a commenter's name only;
    Instagram a username), never zero. `seen_at` is when this profile was observed (the post's page was read).
    """

    platform: Platform
    author_id: str
    handle: str
    seen_at: datetime  # aware, UTC
    display_name: str | None = None
    description: str | None = None  # bio
    verified_type: str | None = None  # X: "blue" | "business" | "government" | "none"; None: not given
    followers: int | None = None
    following: int | None = None
    post_count: int | None = None
    location: str | None = None  # free text the author wrote in the profile
    website: str | None = None  # the link in the profile (expanded when the platform gives it)
    profile_url: str | None = None  # the author's page on the platform

    def __post_init__(self) -> None:
        object.__setattr__(self, "seen_at", utc(self.seen_at))

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.platform), self.author_id)


@dataclass(frozen=True)
class AccountSnapshot:
    """A watched ministry account's audience at one moment: one stored per account per day (followers over time)."""

    platform: Platform
    account: str  # the watched account's handle, as in Post.account
    followers: int
    taken_at: datetime  # aware, UTC
    following: int | None = None
    post_count: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "taken_at", utc(self.taken_at))


@dataclass(frozen=True)
class TextAnalysis:
    """What the analyzers say about one text. Pure value: no database ids."""

    lang: str
    sentiment: str  # one of SENTIMENTS
    sentiment_score: float  # -1 (very negative) .. +1 (very positive)
    category: str  # one of CATEGORIES
    topics: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()  # subset of CRISIS_FLAGS
    rules: tuple[str, ...] = ()  # which rules / models produced the result, for the UI and audits
    version: str = ""  # analyzer versions, e.g. "lang=1;sentiment=lexicon-1;category=rules-1"
    campaigns: tuple[str, ...] = ()  # ids of the configured campaigns the post belongs to (analyzers/campaigns)
    place: Place | None = None  # the Colombian department/municipality it comes from, if any evidence says so


@dataclass(frozen=True)
class Analysis:
    """A stored analysis of a post."""

    platform: Platform
    external_id: str
    result: TextAnalysis
    analyzed_at: datetime


@dataclass(frozen=True)
class Cursor:
    """A stream's bookmark: saved only together with the posts it covers."""

    stream: str  # e.g. "x:mentions:MinTIC"
    value: str | None  # since_id, paging cursor or ISO timestamp, as the stream defines it
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Correction:
    """A community manager's fix of an analysis field."""

    platform: Platform
    external_id: str
    field: str  # "category" | "sentiment" | "topics"
    old_value: str
    new_value: str
    user: str
    created_at: datetime


@dataclass(frozen=True)
class Alert:
    """A message for people: a crisis spike or an operational problem."""

    key: str  # idempotency key: the same alert is never stored or sent twice
    kind: str  # "spike" | "escalation" | "recovery" | "operational"
    severity: str  # "info" | "aviso" | "critico"
    title: str
    body: str
    created_at: datetime
    channel: str = "alerts"  # "alerts" | "ops"
    details: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

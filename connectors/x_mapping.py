"""Translate X API v2 payloads into `domain.Post`s, and check their shape on the way.

X's published OpenAPI spec has renamed several wire names ("post" for "tweet": `referenced_posts`,
`repost_count`, `includes.posts`, `note_post`) while its guides and tweepy still use the older ones; the
readers below accept both, so a rename on the wire does not silently drop data.

A page that does not have the documented shape raises `MalformedPage` (the caller keeps it aside); a single
tweet that cannot be turned into a Post becomes a `Rejected`, and the rest of the page is kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import structlog

from connectors.base import Rejected
from connectors.x_profiles import PROFILE_FIELDS
from connectors.x_profiles import count as _count
from domain import GeoTag, Metrics, Platform, Post, PostKind

log = structlog.get_logger("vigia.connectors.x")

Role = Literal["mention", "own", "search"]

# Only what the product uses: text (full text of long posts), time, language, thread and reply links, metrics,
# and the place the author tagged (`geo`: `place_id`, and `coordinates` when the post has an exact point).
TWEET_FIELDS = ("author_id", "created_at", "lang", "conversation_id", "in_reply_to_user_id",
                "referenced_tweets", "public_metrics", "note_tweet", "geo")
EXPANSIONS = ("author_id", "referenced_tweets.id", "geo.place_id")
# The tagged place comes in the same answers (`includes.places`, expansion `geo.place_id`): no extra request.
# `geo` is a GeoJSON Feature whose `bbox` is [west lon, south lat, east lon, north lat] (the spec's PlaceGeo).
PLACE_FIELDS = ("full_name", "name", "country_code", "place_type", "geo")
# The authors' public profiles come in the same answers (`includes.users`): see x_profiles.
USER_FIELDS = PROFILE_FIELDS
NON_PUBLIC_FIELD = "non_public_metrics"

# X's language codes for "no linguistic content": undetermined, none, media/hashtags/cashtags/mentions only.
NO_LANGUAGE = frozenset({"und", "zxx", "qme", "qam", "qct", "qht", "qst", "art"})
_ID = re.compile(r"^[0-9]{1,19}$")


class MalformedPage(ValueError):
    """The response as a whole does not have the documented shape (an API change, or a broken proxy)."""


@dataclass(frozen=True)
class PageContent:
    tweets: list[Any]
    users: dict[str, Mapping[str, Any]]
    referenced: dict[str, Mapping[str, Any]]
    errors: list[Any]
    next_token: str | None
    newest_id: str | None
    oldest_id: str | None
    result_count: int
    places: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # place id -> includes.places[] object


@dataclass(frozen=True)
class MapContext:
    """What a stream knows when it maps a tweet."""

    stream: str
    role: Role
    account: str  # the watched handle this stream concerns (search: the default one)
    account_id: str | None = None
    watched: Mapping[str, str] = field(default_factory=dict)  # lower-case handle -> configured handle
    watched_ids: Mapping[str, str] = field(default_factory=dict)  # user id -> configured handle


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_ID.match(value))


def read_page(body: Any) -> PageContent:
    """Check a timeline/search response's envelope and index its includes."""
    if not isinstance(body, dict):
        raise MalformedPage(f"the response is {type(body).__name__}, not a JSON object")
    data = body.get("data", [])
    if not isinstance(data, list):
        raise MalformedPage(f"'data' is {type(data).__name__}, not a list")
    includes = body.get("includes", {})
    meta = body.get("meta", {})
    errors = body.get("errors", [])
    if not isinstance(includes, dict) or not isinstance(meta, dict) or not isinstance(errors, list):
        raise MalformedPage("'includes', 'meta' or 'errors' has the wrong type")
    # A broken expansion costs the profiles or the parents, never the posts: anything but a list reads as empty.
    raw_users = includes.get("users") or []
    users = {u["id"]: u for u in (raw_users if isinstance(raw_users, list) else [])
             if isinstance(u, dict) and _is_id(u.get("id"))}
    referenced_list = includes.get("tweets") or includes.get("posts") or []
    referenced_list = referenced_list if isinstance(referenced_list, list) else []
    referenced = {t["id"]: t for t in referenced_list if isinstance(t, dict) and _is_id(t.get("id"))}
    raw_places = includes.get("places") or []
    places = {str(p["id"]): p for p in (raw_places if isinstance(raw_places, list) else [])
              if isinstance(p, dict) and isinstance(p.get("id"), str) and p["id"]}
    token = meta.get("next_token")
    if token is not None and (not isinstance(token, str) or not token):
        raise MalformedPage("'meta.next_token' is not a non-empty string")
    ids = [int(t["id"]) for t in data if isinstance(t, dict) and _is_id(t.get("id"))]
    newest_id = meta.get("newest_id") if _is_id(meta.get("newest_id")) else None
    oldest_id = meta.get("oldest_id") if _is_id(meta.get("oldest_id")) else None
    if ids:  # trust the data over meta: the ids decide what is stored
        newest_id = str(max(ids + ([int(newest_id)] if newest_id else [])))
        oldest_id = str(min(ids + ([int(oldest_id)] if oldest_id else [])))
    count = meta.get("result_count", len(data))
    return PageContent(data, users, referenced, errors, token, newest_id, oldest_id,
                       count if isinstance(count, int) else len(data), places)


def references(tweet: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    refs = tweet.get("referenced_tweets", tweet.get("referenced_posts")) or []
    return [r for r in refs if isinstance(r, dict)] if isinstance(refs, list) else []


def replied_to(tweet: Mapping[str, Any]) -> str | None:
    for ref in references(tweet):
        if ref.get("type") == "replied_to" and _is_id(ref.get("id")):
            return str(ref["id"])
    return None


def _text(tweet: Mapping[str, Any]) -> str:
    """The full text: long posts come truncated in `text` and whole in `note_tweet` (`note_post`)."""
    for key in ("note_tweet", "note_post"):
        note = tweet.get(key)
        if isinstance(note, dict) and isinstance(note.get("text"), str) and note["text"]:
            return note["text"]
    text = tweet.get("text")
    if not isinstance(text, str):
        raise ValueError("'text' is missing or not a string")
    return text


def _created_at(tweet: Mapping[str, Any]) -> datetime:
    value = tweet.get("created_at")
    if not isinstance(value, str):
        raise ValueError("'created_at' is missing (was tweet.fields=created_at requested?)")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'created_at' {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError(f"'created_at' {value!r} has no time zone")
    return moment


def metrics_of(tweet: Mapping[str, Any]) -> Metrics:
    public = tweet.get("public_metrics") if isinstance(tweet.get("public_metrics"), dict) else {}
    private = tweet.get("non_public_metrics") if isinstance(tweet.get("non_public_metrics"), dict) else {}
    return Metrics(
        likes=_count(public, "like_count"),
        reposts=_count(public, "retweet_count", "repost_count"),
        replies=_count(public, "reply_count"),
        quotes=_count(public, "quote_count"),
        bookmarks=_count(public, "bookmark_count"),
        impressions=_count(private, "impression_count") or _count(public, "impression_count"),
    )


class MalformedPlace(ValueError):
    """A place object (or a tweet's `geo`) without the documented shape: the post is kept without it."""


def _optional_text(place: Mapping[str, Any], key: str) -> str | None:
    value = place.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedPlace(f"'{key}' is {type(value).__name__}, not a string")
    return value.strip() or None


def _lon_lat(lon: Any, lat: Any) -> tuple[float, float]:
    if isinstance(lon, bool) or isinstance(lat, bool) or not isinstance(lon, int | float) \
            or not isinstance(lat, int | float):
        raise MalformedPlace(f"coordinates ({lon!r}, {lat!r}) are not numbers")
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise MalformedPlace(f"coordinates ({lon!r}, {lat!r}) are out of range")
    return float(lon), float(lat)


def _bbox_centre(place: Mapping[str, Any]) -> tuple[float, float] | None:
    """The centre (lon, lat) of the place's bounding box [west, south, east, north], if it has one."""
    geo = place.get("geo")
    if geo is None:
        return None
    if not isinstance(geo, dict):
        raise MalformedPlace(f"'geo' is {type(geo).__name__}, not an object")
    bbox = geo.get("bbox")
    if bbox is None:
        return None
    if not isinstance(bbox, list) or len(bbox) != 4:
        raise MalformedPlace(f"'geo.bbox' {bbox!r} is not [west, south, east, north]")
    west, south = _lon_lat(bbox[0], bbox[1])
    east, north = _lon_lat(bbox[2], bbox[3])
    if south > north:
        raise MalformedPlace(f"'geo.bbox' {bbox!r} has its south above its north")
    if west > east:  # a box across the antimeridian: its centre wraps
        centre_lon = (west + east + 360) / 2
        return (centre_lon - 360 if centre_lon > 180 else centre_lon), (south + north) / 2
    return (west + east) / 2, (south + north) / 2


def place_to_geo(place: Any) -> GeoTag:
    """An `includes.places[]` object as a GeoTag: X's names untouched, the bbox centre as lat/lon.

    `place_type` says what `name` is: a "city" (or "neighborhood"/"poi" inside one) or an "admin" area (a
    department); `country` places carry only the country. Raises MalformedPlace naming what is wrong.
    """
    if not isinstance(place, dict):
        raise MalformedPlace(f"the place is {type(place).__name__}, not an object")
    name = _optional_text(place, "name")
    full_name = _optional_text(place, "full_name")
    country_code = _optional_text(place, "country_code")
    place_type = _optional_text(place, "place_type")
    if country_code is not None:
        if not re.fullmatch(r"[A-Za-z]{2}", country_code):
            raise MalformedPlace(f"'country_code' {country_code!r} is not ISO 3166-1 alpha-2")
        country_code = country_code.upper()
    if name is None and full_name is None:
        raise MalformedPlace("the place has neither 'name' nor 'full_name'")
    centre = _bbox_centre(place)
    kind = (place_type or "").lower()
    return GeoTag(name=name, full_name=full_name, country_code=country_code,
                  city=name if kind == "city" else None, region=name if kind == "admin" else None,
                  lat=centre[1] if centre else None, lon=centre[0] if centre else None)


def _point(geo: Mapping[str, Any]) -> tuple[float, float] | None:
    """A post's exact point (`geo.coordinates`, GeoJSON [lon, lat]), when the author shared one."""
    coordinates = geo.get("coordinates")
    if coordinates is None:
        return None
    if not isinstance(coordinates, dict) or not isinstance(coordinates.get("coordinates"), list) \
            or len(coordinates["coordinates"]) != 2:
        raise MalformedPlace(f"'geo.coordinates' {coordinates!r} is not a GeoJSON Point")
    return _lon_lat(*coordinates["coordinates"])


def geo_of(tweet: Mapping[str, Any], places: Mapping[str, Mapping[str, Any]],
           stream: str = "") -> tuple[GeoTag | None, Mapping[str, Any] | None]:
    """The tweet's tagged place (and the place object it came from), or (None, None).

    Never raises: a malformed place is logged and dropped, the post is kept. A place id missing from
    `includes.places` (X leaves out places it cannot show) gives no place unless the tweet has an exact point.
    """
    geo = tweet.get("geo")
    if geo is None:
        return None, None
    try:
        if not isinstance(geo, dict):
            raise MalformedPlace(f"'geo' is {type(geo).__name__}, not an object")
        point = _point(geo)
        place_id = geo.get("place_id")
        place = places.get(place_id) if isinstance(place_id, str) else None
        if place is None:
            if place_id is not None:
                log.info("x place not in includes.places; the post is kept without it", stream=stream,
                         tweet_id=tweet.get("id"), place_id=place_id)
            return (GeoTag(lat=point[1], lon=point[0]), None) if point else (None, None)
        tag = place_to_geo(place)
        if point:  # the exact point is better than the centre of a city's box
            tag = GeoTag(tag.name, tag.full_name, tag.country_code, tag.city, tag.region, point[1], point[0])
        return tag, place
    except MalformedPlace as exc:
        log.warning("x malformed place ignored; the post is kept without it", stream=stream,
                    tweet_id=tweet.get("id"), problem=str(exc))
        return None, None


def mentioned_watched(text: str, watched: Mapping[str, str]) -> str | None:
    """The first watched handle @-mentioned in `text` (handles are case-insensitive)."""
    for match in re.finditer(r"@([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_])", text):
        handle = watched.get(match.group(1).lower())
        if handle:
            return handle
    return None


def _watched_author(tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]],
                    ctx: MapContext) -> str | None:
    author_id = tweet.get("author_id")
    if author_id in ctx.watched_ids:
        return ctx.watched_ids[author_id]
    username = users.get(author_id, {}).get("username") if isinstance(author_id, str) else None
    return ctx.watched.get(str(username).lower()) if username else None


def search_duplicate(tweet: Mapping[str, Any], page: PageContent, ctx: MapContext) -> str | None:
    """Why a search hit belongs to another stream (None if it is a genuine search hit).

    Posts by a watched account come through `x:own:*`; posts that @-mention a watched account or reply to one
    come through `x:mentions:*`. Skipping them here means a post is never stored first as a `search_hit` and
    later met again with its proper kind (the upsert keeps the first kind it stored).
    """
    if _watched_author(tweet, page.users, ctx):
        return "own"
    if tweet.get("in_reply_to_user_id") in ctx.watched_ids:
        return "mention"
    text = tweet.get("text")
    if isinstance(text, str) and mentioned_watched(text, ctx.watched):
        return "mention"
    return None


def _search_account(tweet: Mapping[str, Any], page: PageContent, ctx: MapContext) -> str:
    """A search hit concerns the watched account whose post it quotes or answers, else the default one."""
    for ref in references(tweet):
        parent = page.referenced.get(str(ref.get("id")))
        if parent is not None:
            owner = _watched_author(parent, page.users, ctx)
            if owner:
                return owner
    return ctx.account


def _kind(tweet: Mapping[str, Any], ctx: MapContext, is_own: bool, author_id: str) -> PostKind:
    parent = replied_to(tweet)
    if ctx.role == "search" and not is_own:
        return PostKind.SEARCH_HIT
    if is_own:
        # A ministry reply to someone else is what response times are measured on; a reply to itself is a thread.
        if parent and tweet.get("in_reply_to_user_id") != author_id:
            return PostKind.REPLY
        return PostKind.OWN_POST
    return PostKind.REPLY if parent else PostKind.MENTION


def to_post(tweet: Any, page: PageContent, ctx: MapContext) -> Post:
    """One tweet as a Post; raises ValueError naming what is wrong."""
    if not isinstance(tweet, dict):
        raise ValueError(f"the tweet is {type(tweet).__name__}, not an object")
    tweet_id = tweet.get("id")
    if not _is_id(tweet_id):
        raise ValueError(f"'id' {tweet_id!r} is not a numeric string")
    author_id = tweet.get("author_id")
    if not _is_id(author_id):
        raise ValueError(f"'author_id' {author_id!r} is missing or not a numeric string")
    text = _text(tweet)
    created_at = _created_at(tweet)
    author = page.users.get(author_id, {})
    handle = author.get("username") if isinstance(author.get("username"), str) else ""
    watched_author = _watched_author(tweet, page.users, ctx)
    is_own = watched_author is not None or (ctx.account_id is not None and author_id == ctx.account_id)
    if is_own and not handle:
        handle = watched_author or ctx.account
    lang = tweet.get("lang") if isinstance(tweet.get("lang"), str) else None
    account = ctx.account
    if ctx.role == "search":
        account = watched_author or _search_account(tweet, page, ctx)
    conversation = tweet.get("conversation_id")
    expansions: dict[str, Any] = {}
    if author:
        expansions["author"] = dict(author)
    parents = [dict(page.referenced[str(r.get("id"))]) for r in references(tweet)
               if str(r.get("id")) in page.referenced]
    if parents:
        expansions["referenced_tweets"] = parents
    geo, place = geo_of(tweet, page.places, ctx.stream)
    if place is not None:  # kept with the raw tweet, so a stored post can be placed again without X
        expansions["place"] = dict(place)
    raw = dict(tweet)
    if expansions:
        raw["_expansions"] = expansions
    return Post(
        platform=Platform.X,
        external_id=tweet_id,
        kind=_kind(tweet, ctx, is_own, author_id),
        account=account,
        author_id=author_id,
        author_handle=handle,
        text=text,
        created_at=created_at,
        url=f"https://x.com/{handle}/status/{tweet_id}" if handle else f"https://x.com/i/web/status/{tweet_id}",
        lang=None if lang is None or lang.lower() in NO_LANGUAGE else lang,
        in_reply_to_id=replied_to(tweet),
        conversation_id=conversation if _is_id(conversation) else None,
        is_own=is_own,
        metrics=metrics_of(tweet),
        raw=raw,
        geo=geo,
    )


@dataclass(frozen=True)
class Mapped:
    posts: tuple[Post, ...]
    rejected: tuple[Rejected, ...]
    skipped: int  # search hits left to the mentions / own streams


def map_page(page: PageContent, ctx: MapContext) -> Mapped:
    posts: list[Post] = []
    rejected: list[Rejected] = []
    skipped = 0
    for tweet in page.tweets:
        try:
            if ctx.role == "search" and isinstance(tweet, dict) and search_duplicate(tweet, page, ctx):
                skipped += 1
                continue
            posts.append(to_post(tweet, page, ctx))
        except ValueError as exc:
            rejected.append(Rejected(ctx.stream, f"x: malformed tweet: {exc}", tweet))
    return Mapped(tuple(posts), tuple(rejected), skipped)


def problem_summary(errors: Iterable[Any]) -> list[str]:
    """Short descriptions of the `errors` of a 200 answer (deleted, suspended, withheld posts...)."""
    out: list[str] = []
    for err in errors:
        if not isinstance(err, dict):
            out.append(repr(err)[:200])
            continue
        kind = str(err.get("type", "")).rsplit("/", 1)[-1] or str(err.get("title", "error"))
        what = err.get("resource_id") or err.get("value") or ""
        out.append(f"{kind}:{err.get('resource_type', '')}:{what}".rstrip(":"))
    return out


def field_denied(errors: Sequence[Any], name: str) -> bool:
    """Did X refuse a requested field (e.g. non_public_metrics with an app-only token)?"""
    for err in errors:
        if not isinstance(err, dict):
            continue
        kind = str(err.get("type", ""))
        refused = ("not-authorized-for-field" in kind or "field-unauthorized" in kind
                   or err.get("title") == "Field Authorization Error")
        if refused and name in str(err.get("field", "")) + str(err.get("detail", "")) + str(err.get("value", "")):
            return True
    return False

"""Authors and the watched accounts' follower counts, read from the `includes.users` of the pages already fetched.

X sends the user object of every post's author in the same answer when the request asks `expansions=author_id`
with `user.fields`: no extra call is needed to know who is talking. The spec renames `tweet_count` to
`post_count` in `public_metrics`; both are read. A user object with a wrong field never costs the post: the
field is left out (None) and the problem logged; without a usable `username` the profile is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import structlog

from domain import AccountSnapshot, Author, Platform, Post

log = structlog.get_logger("vigia.connectors.x")

# Only public profile fields, and only those Vigía stores (created_at, images, pinned post... are not asked).
PROFILE_FIELDS = ("username", "name", "verified", "verified_type", "description", "public_metrics", "location",
                  "url", "entities")
VERIFIED_TYPES = frozenset({"blue", "business", "government", "none"})
_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,50}$")  # X allows 15; older and special accounts are longer
_TEXT_LIMIT = 2000  # a bio is at most 160 characters; anything far longer is not a bio


def count(metrics: Mapping[str, Any], *names: str) -> int | None:
    """The first of `names` that holds a non-negative integer (X renamed some counters), else None."""
    for name in names:
        value = metrics.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def _text(user: Mapping[str, Any], name: str, bad: list[str]) -> str | None:
    value = user.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > _TEXT_LIMIT:
        bad.append(name)
        return None
    return value.strip() or None


def _http(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def website(user: Mapping[str, Any], bad: list[str]) -> str | None:
    """The profile's link, expanded: `url` is a t.co link; `entities.url.urls[]` says where it leads."""
    short = user.get("url")
    if short is not None and not isinstance(short, str):
        bad.append("url")
        short = None
    entities = user.get("entities")
    urls: Any = []
    if isinstance(entities, dict):
        url_part = entities.get("url")
        urls = url_part.get("urls", []) if isinstance(url_part, dict) else []
    elif entities is not None:
        bad.append("entities")
    if not isinstance(urls, list):
        bad.append("entities.url")
        urls = []
    for entry in urls:
        if isinstance(entry, dict) and (not short or entry.get("url") == short):
            expanded = _http(entry.get("expanded_url")) or _http(entry.get("unwound_url"))
            if expanded:
                return expanded
    # Without its expansion a t.co link says nothing about the site (no `.gov.co` to read): left out.
    return None if short and short.startswith(("https://t.co/", "http://t.co/")) else _http(short)


def _metrics(user: Mapping[str, Any], bad: list[str]) -> Mapping[str, Any]:
    metrics = user.get("public_metrics")
    if metrics is None:
        return {}
    if not isinstance(metrics, dict):
        bad.append("public_metrics")
        return {}
    return metrics


def author_from_user(user: Mapping[str, Any], seen_at: datetime, bad: list[str]) -> Author | None:
    """One `includes.users` object as an Author; names of unusable fields are appended to `bad`."""
    username = user.get("username")
    if not isinstance(username, str) or not _USERNAME.match(username):
        bad.append("username")
        return None
    metrics = _metrics(user, bad)
    verified_type = user.get("verified_type")
    if verified_type is not None and (not isinstance(verified_type, str) or verified_type not in VERIFIED_TYPES):
        bad.append("verified_type")
        verified_type = None
    if verified_type is None and user.get("verified") is False:
        verified_type = "none"
    return Author(
        platform=Platform.X,
        author_id=str(user["id"]),
        handle=username,
        seen_at=seen_at,
        display_name=_text(user, "name", bad),
        description=_text(user, "description", bad),
        verified_type=verified_type,
        followers=count(metrics, "followers_count"),
        following=count(metrics, "following_count"),
        post_count=count(metrics, "tweet_count", "post_count"),
        location=_text(user, "location", bad),
        website=website(user, bad),
        profile_url=f"https://x.com/{username}",
    )


def page_authors(posts: Iterable[Post], users: Mapping[str, Mapping[str, Any]], seen_at: datetime,
                 stream: str) -> tuple[Author, ...]:
    """The profiles of these posts' authors, from the page's `includes.users` (each author once)."""
    authors: dict[str, Author] = {}
    problems: dict[str, list[str]] = {}
    for post in posts:
        if post.author_id in authors or post.author_id in problems:
            continue
        user = users.get(post.author_id)
        if user is None:
            continue
        bad: list[str] = []
        try:
            author = author_from_user(user, seen_at, bad)
        except Exception as exc:  # a profile must never cost the post
            bad.append(f"{type(exc).__name__}: {exc}")
            author = None
        if bad:
            problems[post.author_id] = bad
        if author is not None:
            authors[post.author_id] = author
    if problems:
        log.warning("x user objects with unexpected fields: those fields are left out, the posts kept",
                    stream=stream, users=len(problems),
                    sample={uid: fields for uid, fields in list(problems.items())[:5]})
    return tuple(authors.values())


def account_snapshot(user: Mapping[str, Any], account: str, taken_at: datetime) -> AccountSnapshot | None:
    """The watched account's audience, when its user object carries `public_metrics.followers_count`."""
    metrics = user.get("public_metrics")
    if not isinstance(metrics, dict):
        return None
    followers = count(metrics, "followers_count")
    if followers is None:
        return None
    return AccountSnapshot(platform=Platform.X, account=account, followers=followers, taken_at=taken_at,
                           following=count(metrics, "following_count"),
                           post_count=count(metrics, "tweet_count", "post_count"))

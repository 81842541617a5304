"""Who wrote a Facebook or Instagram post, and how many follow the ministry's own accounts, from the Graph API
fields the connectors already request.

Authors cost no request: they come from the `from{id,name}` (Facebook) and `from{id,username}` / `username`
(Instagram) fields of the posts and comments being read. The Graph API gives little about a person:

- Facebook: a commenter's `from` holds only `id` (app- or page-scoped) and `name`, and only with
  `pages_read_user_content`; without it, and on posts by users (not Pages) in `/tagged`, `from` is absent and
  the post's author is `unknown`: no author then. No handle, bio, followers or profile link is given, so those
  stay None (a page-scoped id does not make a reliable profile URL).
- Instagram: comments carry the commenter's `username` (and `from.id`, the Instagram-scoped id); tagged and
  mentioned media carry only the owner's `username`. The profile URL is derivable from the username.

Follower counts of the ministry's accounts come from the account node itself (`followers_count`, ...), one
light request per account per Bogotá day (or none when the one-time id lookup already carried them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from connectors.meta_payload import UNKNOWN_AUTHOR, as_count
from domain import AccountSnapshot, Author, Platform, Post

# Facebook Page: followers_count is who follows the Page (what the New Pages Experience shows); fan_count
# (likes) is asked too but kept only in the snapshot's raw body, never as followers (docs/meta-graph-api.md).
PAGE_SNAPSHOT_FIELDS = "followers_count,fan_count"
IG_SNAPSHOT_FIELDS = "followers_count,follows_count,media_count"


def facebook_author(post: Post, seen_at: datetime) -> Author | None:
    """The author of a Facebook post or comment as `from` gave them; None when Meta withheld `from`."""
    if not post.author_id or post.author_id == UNKNOWN_AUTHOR:
        return None
    source = post.raw.get("from") if isinstance(post.raw, Mapping) else None
    name = source.get("name") if isinstance(source, Mapping) else None
    name = name.strip() if isinstance(name, str) and name.strip() else None
    return Author(platform=Platform.FACEBOOK, author_id=post.author_id,
                  handle=post.author_handle or name or post.author_id, seen_at=seen_at, display_name=name)


def instagram_author(post: Post, seen_at: datetime) -> Author | None:
    """The author of an Instagram media or comment: username (and Instagram-scoped id when `from` gave one)."""
    if not post.author_id or post.author_id == UNKNOWN_AUTHOR:
        return None
    username = post.author_handle.strip() if post.author_handle else ""
    return Author(platform=Platform.INSTAGRAM, author_id=post.author_id, handle=username or post.author_id,
                  seen_at=seen_at, profile_url=instagram_profile_url(username) if username else None)


def instagram_profile_url(username: str) -> str | None:
    """https://www.instagram.com/<username>/ for a syntactically valid username (letters, digits, . and _)."""
    name = username.strip().lstrip("@")
    if not name or len(name) > 30 or not all(ch.isascii() and (ch.isalnum() or ch in "._") for ch in name):
        return None
    return f"https://www.instagram.com/{name}/"


def unique_authors(authors: Iterable[Author | None]) -> tuple[Author, ...]:
    """One author per key (the last seen wins, it is the freshest), in first-seen order."""
    out: dict[tuple[str, str], Author] = {}
    for author in authors:
        if author is not None:
            out[author.key] = author
    return tuple(out.values())


def snapshot_from(body: Any, *, platform: Platform, account: str, taken_at: datetime) -> AccountSnapshot:
    """An account node (`followers_count`, and for Instagram `follows_count`, `media_count`) as a snapshot.

    ValueError when `followers_count` is missing or not a count (the caller keeps the body aside).
    """
    if not isinstance(body, Mapping):
        raise ValueError(f"se esperaba un objeto JSON, llegó {type(body).__name__}")
    followers = as_count(body.get("followers_count"))
    if followers is None:
        raise ValueError(f"followers_count ausente o no es un número: {body.get('followers_count')!r}")
    return AccountSnapshot(platform=platform, account=account, followers=followers, taken_at=taken_at,
                           following=as_count(body.get("follows_count")),
                           post_count=as_count(body.get("media_count")))



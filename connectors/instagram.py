"""The Instagram professional account connector (Instagram API with Facebook Login, on graph.facebook.com).

Streams (one set per watched account):
- `instagram:media:<user>`: the account's media of the last `metrics_refresh_days`, re-read every poll so
  likes and comments (and views, reach and saves with `insights`) stay current (kind own_post); once per
  Bogotá day it also records the account's `followers_count`, `follows_count` and `media_count`;
- `instagram:comments:<user>`: comments and replies under recent media; replies are nested under their
  top-level comment, so a new reply under an old comment is found by comparing the media's
  `comments_count` with what was collected and looking a few pages further when they disagree;
- `instagram:tags:<user>`: media by others that tag the account (kind mention);
- `instagram:mentions:<user>`: captions and comments that @-mention the account (kind mention); only when a
  `pending_mentions` reader is injected (bootstrap gives one over the webhook queue);
- `instagram:token`: the daily `/debug_token` check.

Every batch also carries the authors of its posts: the `username` (and `from.id`) the same responses gave.

@-mentions in captions and comments (`mentioned_media`, `mentioned_comment`) can only be looked up by an id
that Meta sends through the `mentions` webhook. The web app queues those ids; the mentions stream reads the
queue through the injected `pending_mentions(ig_user_id, after_id, limit)` (no database here) and its
bookmark is the highest queue id whose posts were stored, so it is saved in the same transaction as them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from connectors.base import Batch, Rejected
from connectors.graph_client import GraphClient, InvalidParameter, Page, UnexpectedPayload, page_from_body
from connectors.meta_base import CommentsPlan, Handler, MetaConnectorBase, make_batch, translate
from connectors.meta_nodes import NodeCache
from connectors.meta_paging import EdgeState, Mark, Walk, item_key, parse_time, walk_newest_first
from connectors.meta_payload import (
    UNKNOWN_AUTHOR,
    count_of,
    insight_values,
    require_id,
    require_object,
    text_of,
)
from connectors.meta_profiles import IG_SNAPSHOT_FIELDS, instagram_author
from connectors.meta_settings import MetaSettings
from domain import Author, Metrics, Platform, Post, PostKind

IG_MAX_PAGE = 50
MEDIA_FIELDS = "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count,username"
# Media insights (with `insights: true`): `views` (times the media was played or displayed, repeats counted;
# it replaced `impressions`, refused for media since v22.0 and in every version since 2025-04-21), `reach`
# (unique accounts that saw it) and `saved`. Source: developers.facebook.com/docs/instagram-platform/
# reference/instagram-media/insights (docs/meta-graph-api.md, "What each platform measures").
INSIGHTS_FIELD = "insights.metric(views,reach,saved)"
LISTING_FIELDS = "id,timestamp,comments_count,permalink"
_COMMENT = "id,text,timestamp,username,from{id,username},like_count,hidden,parent_id"
COMMENT_FIELDS = f"{_COMMENT},replies.limit({IG_MAX_PAGE}){{{_COMMENT}}}"
TAGS_FIELDS = "id,caption,media_type,permalink,timestamp,username,like_count,comments_count"
MENTIONS_PER_BATCH = 25  # queued mentions fetched (one request each) and stored per transaction


class MentionRef(Protocol):
    """A queued webhook notice, as the injected reader returns it (e.g. `storage.mentions_repository`)."""

    @property
    def id(self) -> int: ...

    @property
    def media_id(self) -> str: ...

    @property
    def comment_id(self) -> str | None: ...


# (ig user id, queue id to read after, limit) -> notices oldest first
PendingMentions = Callable[[str, int, int], Sequence[MentionRef]]


# --- payload -> Post -------------------------------------------------------------------------------


def media_to_post(item: Any, *, account: str, user_id: str, insights: bool = False) -> Post:
    """One of the account's own media; a media without caption has empty text (its counts still matter)."""
    item = require_object(item)
    media_id = require_id(item)
    values = insight_values(item) if insights else {}
    return Post(
        platform=Platform.INSTAGRAM, external_id=media_id, kind=PostKind.OWN_POST, account=account,
        author_id=user_id, author_handle=account, text=text_of(item, "caption"),
        created_at=parse_time(item.get("timestamp")), url=_str(item.get("permalink")),
        conversation_id=media_id, is_own=True,
        metrics=Metrics(likes=count_of(item, "like_count"), comments=count_of(item, "comments_count"),
                        saves=values.get("saved"), views=values.get("views"), reach=values.get("reach")),
        raw=dict(item),
    )


def tagged_media_to_post(item: Any, *, account: str) -> Post:
    """Media by someone else that tags the account, or @-mentions it in the caption."""
    item = require_object(item)
    media_id = require_id(item)
    username = _str(item.get("username")) or ""
    return Post(
        platform=Platform.INSTAGRAM, external_id=media_id, kind=PostKind.MENTION, account=account,
        author_id=username or UNKNOWN_AUTHOR, author_handle=username, text=text_of(item, "caption"),
        created_at=parse_time(item.get("timestamp")), url=_str(item.get("permalink")),
        conversation_id=media_id, is_own=False,
        metrics=Metrics(likes=count_of(item, "like_count"), comments=count_of(item, "comments_count")),
        raw=dict(item),
    )


def ig_comment_to_post(item: Any, *, account: str, user_id: str, media_id: str, media_url: str | None,
                       kind: PostKind | None = None) -> Post:
    """A comment or reply under a media; the account's own replies are the ministry's answers."""
    item = require_object(item)
    comment_id = require_id(item)
    author = item.get("from") if isinstance(item.get("from"), Mapping) else {}
    username = _str(item.get("username")) or _str(author.get("username")) or ""
    author_id = _str(author.get("id")) or username or UNKNOWN_AUTHOR
    own = author_id == user_id or (bool(username) and username.lower() == account.lower())
    parent = _str(item.get("parent_id"))
    return Post(
        platform=Platform.INSTAGRAM, external_id=comment_id,
        kind=kind or (PostKind.REPLY if own or parent else PostKind.COMMENT), account=account,
        author_id=author_id, author_handle=username, text=text_of(item, "text"),
        created_at=parse_time(item.get("timestamp")), url=media_url,
        in_reply_to_id=parent or media_id, conversation_id=media_id, is_own=own,
        metrics=Metrics(likes=count_of(item, "like_count")),
        raw=dict(item),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# --- the connector ---------------------------------------------------------------------------------


class InstagramConnector(MetaConnectorBase):
    """Instagram streams over one Graph API client (the Page token of the page linked to the account)."""

    name = "instagram"
    label = "Instagram"

    def __init__(self, client: GraphClient, settings: MetaSettings, users: Sequence[str],
                 clock: Callable[[], datetime], access_token: str, *,
                 pending_mentions: PendingMentions | None = None):
        super().__init__(client, settings, users, clock, access_token)
        self._users = NodeCache(settings.instagram_user_ids, self._look_up_user, self._now)
        self._pending_mentions = pending_mentions
        if pending_mentions is None:  # without the webhook queue there is nothing to poll
            self._kinds = [kind for kind in self._kinds if kind != "mentions"]

    def _handlers(self) -> dict[str, Handler]:
        return {"media": self._poll_media, "comments": self._poll_comments, "tags": self._poll_tags,
                "mentions": self._poll_mentions}

    def user_id(self, account: str) -> str:
        """The IG user id: configured, given as the name, or the account linked to the token's page."""
        return self._users.id(account)

    def _look_up_user(self, account: str) -> tuple[str, Any]:
        # the follower counts ride along: the day's snapshot costs no request then
        body = self._client.get("me", fields=f"id,instagram_business_account{{id,username,{IG_SNAPSHOT_FIELDS}}}")
        linked = body.get("instagram_business_account") if isinstance(body, Mapping) else None
        if (isinstance(linked, Mapping) and isinstance(linked.get("id"), str)
                and str(linked.get("username", "")).lower() == account.lower()):
            return linked["id"], linked
        raise UnexpectedPayload(
            f"la página del token no está vinculada a la cuenta de Instagram {account}; configure "
            "connectors.instagram.instagram_user_ids", path="me", payload=body)

    def _account_node(self, account: str) -> Any:
        return self._users.node(account, lambda user_id: self._client.get(user_id, fields=IG_SNAPSHOT_FIELDS))

    def _author_of(self, post: Post, seen_at: datetime) -> Author | None:
        return instagram_author(post, seen_at)

    # -- own media, re-read over the metrics window --

    def _poll_media(self, stream: str, account: str, state: dict[str, Any]) -> Iterator[Batch]:
        user_id = self.user_id(account)
        mark, start = self._refresh_window(state)
        first, notes, insights = self._own_listing(stream, f"{user_id}/media", MEDIA_FIELDS, INSIGHTS_FIELD,
                                                   {"limit": min(self._settings.page_size, IG_MAX_PAGE)})
        page: Page | None = first
        # after the listing answered, so a failed poll costs no snapshot request (it would be lost unsaved)
        daily = self._daily_snapshot(stream, account, state)
        carry, aside, snapshots = dict(daily.state), [*notes, *daily.rejected], daily.snapshots
        newest = mark
        while page is not None:
            items, below = [], False
            for item in page.data:
                key = item_key(item, "timestamp")
                if key is not None and key[0] < start:
                    below = True  # media are newest first: everything after this is older still
                    continue
                if key is not None:
                    newest = Mark.newest(newest, key)
                items.append(item)
            results = [*aside, *translate(stream, items, lambda it: media_to_post(
                it, account=account, user_id=user_id, insights=insights))]
            if below or page.next_url is None:
                yield make_batch(stream, results, {**carry, "mark": newest.to_json() if newest else None}, snapshots)
                return
            yield make_batch(stream, results, {**carry, "mark": mark.to_json() if mark else None}, snapshots)
            aside, snapshots = [], ()  # the snapshot travels with the first page only
            page = self._client.next_page(page)

    # -- comments and replies under recent media --

    def _poll_comments(self, stream: str, account: str, state: dict[str, Any]) -> Iterator[Batch]:
        user_id = self.user_id(account)
        since = self._now() - timedelta(days=self._settings.comments_lookback_days)
        objects: dict[str, tuple[Any, Mapping[str, Any]]] = {}
        params = {"limit": min(self._settings.page_size, IG_MAX_PAGE)}
        for page in self._client.pages(f"{user_id}/media", fields=LISTING_FIELDS, params=params):
            older = False
            for item in page.data:
                key = item_key(item, "timestamp")
                if key is None:
                    continue
                if key[0] < since:
                    older = True
                    continue
                objects[key[1]] = (count_of(item, "comments_count"), {"url": _str(item.get("permalink"))})
            if older:
                break
        plan = CommentsPlan(
            objects=objects,
            path=lambda oid: f"{oid}/comments",
            params={"fields": COMMENT_FIELDS, "limit": min(self._settings.comments_page_size, IG_MAX_PAGE)},
            time_field="timestamp",
            convert=lambda oid, facts, item: self._comment(stream, account, user_id, oid, facts, item),
            flatten=self._with_replies,
            want=_count_delta,
        )
        yield from self._poll_object_comments(stream, state, plan)

    def _comment(self, stream: str, account: str, user_id: str, media_id: str, facts: Mapping[str, Any],
                 item: Any) -> Post | Rejected:
        hidden = isinstance(item, Mapping) and item.get("hidden") is True
        if hidden and self._settings.hidden_comments == "set_aside":
            return Rejected(stream, "comentario oculto en Instagram (hidden_comments: set_aside)", item)
        return ig_comment_to_post(item, account=account, user_id=user_id, media_id=media_id,
                                  media_url=facts.get("url"))

    def _with_replies(self, top: Any) -> Iterable[Any]:
        """A top-level comment followed by all its replies (more pages fetched when Meta paginates them)."""
        if not isinstance(top, Mapping):
            return [top]
        replies = top.get("replies")
        flat: list[Any] = [{k: v for k, v in top.items() if k != "replies"}]
        if not isinstance(replies, Mapping):
            return flat
        top_id = top.get("id")
        try:
            page: Page | None = page_from_body(replies, f"{top_id}/replies")
        except UnexpectedPayload:
            return [*flat, replies]  # set aside by the converter, with the reason
        while page is not None:
            for reply in page.data:
                flat.append({**reply, "parent_id": reply.get("parent_id") or top_id}
                            if isinstance(reply, Mapping) else reply)
            page = self._client.next_page(page)
        return flat

    # -- media by others that tag the account --

    def _poll_tags(self, stream: str, account: str, state: dict[str, Any]) -> Iterator[Batch]:
        user_id = self.user_id(account)
        edge_state = EdgeState.from_json(state.get("edge"))
        fresh = edge_state.mark is None and not edge_state.in_progress
        walk = Walk(key=self._key("timestamp"), floor=self._backfill_floor() if fresh else self._catch_up_floor())
        first = self._first_page(f"{user_id}/tags", TAGS_FIELDS, {"limit": min(self._settings.page_size, IG_MAX_PAGE)})
        for step in walk_newest_first(walk, edge_state, first, self._client.next_page):
            results = translate(stream, step.items, lambda it: tagged_media_to_post(it, account=account))
            yield make_batch(stream, results, {"edge": step.state.to_json()})

    # -- @-mentions announced by the `mentions` webhook --

    def _poll_mentions(self, stream: str, account: str, state: dict[str, Any]) -> Iterator[Batch]:
        """Fetch the queued notices above the bookmark, a batch at a time; each batch's bookmark is the
        highest queue id it covers (notices that no longer resolve are set aside, so they count as done)."""
        assert self._pending_mentions is not None
        after = state.get("after")
        after = after if isinstance(after, int) and after >= 0 else 0
        user_id = self.user_id(account)
        while True:
            notices = list(self._pending_mentions(user_id, after, MENTIONS_PER_BATCH))
            if not notices:
                return
            posts, rejected = self.fetch_mentions(
                account, media_ids=[n.media_id for n in notices if not n.comment_id],
                comment_ids=[n.comment_id for n in notices if n.comment_id], stream=stream)
            after = max(after, *(n.id for n in notices))
            yield make_batch(stream, [*posts, *rejected], {"after": after})
            if len(notices) < MENTIONS_PER_BATCH:
                return

    def fetch_mentions(self, account: str, *, media_ids: Iterable[str] = (), comment_ids: Iterable[str] = (),
                       stream: str | None = None) -> tuple[list[Post], list[Rejected]]:
        """Posts for media captions and comments that @-mention the account (ids from the webhook).

        An id Meta refuses (error 100: deleted, made private, not a mention of this account) is set aside;
        token, permission, rate-limit and transient errors propagate, so the caller retries later instead
        of losing the mention.
        """
        user_id = self.user_id(account)
        stream = stream or f"instagram:mentions:{account}"
        posts: list[Post] = []
        rejected: list[Rejected] = []
        lookups = [("mentioned_media", "media_id", i, f"{{{TAGS_FIELDS}}}") for i in media_ids]
        comment_sub = "{id,text,timestamp,username,like_count,media{id,permalink}}"
        lookups += [("mentioned_comment", "comment_id", i, comment_sub) for i in comment_ids]
        for field, arg, object_id, sub in lookups:
            try:
                body = self._client.get(user_id, fields=f"{field}.{arg}({object_id}){sub}")
            except InvalidParameter as exc:
                rejected.append(Rejected(stream, f"{field} {object_id}: {exc.describe()}", {"id": object_id}))
                continue
            item = body.get(field) if isinstance(body, Mapping) else None
            try:
                if field == "mentioned_media":
                    posts.append(tagged_media_to_post(item, account=account))
                else:
                    media = item.get("media") if isinstance(item, Mapping) else None
                    media = media if isinstance(media, Mapping) else {}
                    posts.append(ig_comment_to_post(item, account=account, user_id=user_id,
                                                    media_id=_str(media.get("id")) or "",
                                                    media_url=_str(media.get("permalink")), kind=PostKind.MENTION))
            except (ValueError, TypeError) as exc:
                rejected.append(Rejected(stream, f"{field}: carga no reconocida: {exc}", body))
        return posts, rejected


def _count_delta(old: Any, new: Any) -> int | None:
    """How many comments appeared since the last poll, by the media's own counter (None when unknown)."""
    if isinstance(old, int) and isinstance(new, int):
        return new - old
    return None


def build_instagram_connector(settings: Any, users: list[str], access_token: str, app_secret: str | None,
                              clock: Callable[[], datetime], *, transport: httpx.BaseTransport | None = None,
                              sleep: Callable[[float], None] = time.sleep,
                              pending_mentions: PendingMentions | None = None) -> InstagramConnector:
    """The composition root's entry point (bot/bootstrap.py); `settings` may be `bot.config.MetaConnector`;
    `pending_mentions` reads the webhook's queue and turns on the `mentions` stream."""
    s = MetaSettings.coerce(settings)
    client = GraphClient(access_token, base_url=s.api_base_url, version=s.api_version, app_secret=app_secret,
                         timeout=s.timeout_seconds, max_retries=s.max_retries,
                         default_rate_limit_pause=s.rate_limit_pause_seconds, sleep=sleep, transport=transport)
    return InstagramConnector(client, s, users, clock, access_token, pending_mentions=pending_mentions)

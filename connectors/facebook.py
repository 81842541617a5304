"""The Facebook Page connector: the ministry's posts, the comments under them, and posts that tag the page.

Streams (one set per watched page):
- `facebook:posts:<page>`: the page's posts of the last `metrics_refresh_days`, re-read every poll so the
  reaction, comment and share counts (and views/reach with `insights`) stay current (kind own_post); once
  per Bogotá day it also records the page's `followers_count` (an `AccountSnapshot`);
- `facebook:comments:<page>`: comments and replies under the page's recent posts (`filter=stream`, newest
  first, down to each post's bookmark); the page's own replies are kind reply with is_own, so response
  times can be measured;
- `facebook:tagged:<page>`: posts by others that tag the page, and visitor posts (kind mention);
- `facebook:token`: the daily `/debug_token` check (see `meta_token`).

Every batch also carries the authors of its posts as `from{id,name}` described them (`meta_profiles`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from connectors.base import Batch, Rejected
from connectors.graph_client import GraphClient, PermissionDenied, UnexpectedPayload
from connectors.meta_base import (
    CommentsPlan,
    Handler,
    MetaConnectorBase,
    make_batch,
    translate,
)
from connectors.meta_nodes import NodeCache
from connectors.meta_paging import EdgeState, Mark, Walk, item_key, parse_time, walk_newest_first
from connectors.meta_payload import (
    author_of,
    count_of,
    geo_of,
    id_of,
    insight_values,
    require_id,
    require_object,
    shares_of,
    summary_total,
    text_of,
)
from connectors.meta_profiles import PAGE_SNAPSHOT_FIELDS, facebook_author
from connectors.meta_settings import MetaSettings
from domain import Author, Metrics, Platform, Post, PostKind

_COUNTS = ("reactions.summary(true).limit(0)", "comments.filter(stream).summary(true).limit(0)", "shares")
# The place the author tagged (a Page post's check-in; absent when none): the same request, no extra call.
# Comments have no place on the Graph API; Instagram media have no location field (docs/meta-graph-api.md).
PLACE_FIELD = "place{name,location{city,state,country,latitude,longitude}}"
POST_FIELDS = ",".join(("id", "message", "created_time", "updated_time", "permalink_url", "from{id,name}",
                        "status_type", *_COUNTS, PLACE_FIELD))
# Post insights (with `insights: true`). Meta retired `post_impressions*` for every API version on 2025-11-15,
# replaced by "views" (`post_media_view`: times the post was on screen, repeats counted), and by 2026-06-15
# `post_impressions_unique`, replaced by `post_total_media_view_unique` (people who saw it at least once); a
# retired name fails the whole request (error 100). Sources: developers.facebook.com/blog/post/2025/08/15/
# page-insights-api-updates/ and developers.facebook.com/documentation/pages-api/platforminsights/page/
# deprecated-metrics (docs/meta-graph-api.md, "What each platform measures").
VIEWS_METRIC, REACH_METRIC = "post_media_view", "post_total_media_view_unique"
INSIGHTS_FIELD = f"insights.metric({VIEWS_METRIC},{REACH_METRIC})"
LISTING_FIELDS = "id,created_time,updated_time,comments.filter(stream).summary(true).limit(0)"
COMMENT_FIELDS = ("id,message,created_time,from{id,name},parent{id},permalink_url,like_count,comment_count,"
                  "is_hidden,attachment")
TAGGED_FIELDS = ",".join(("id", "message", "created_time", "updated_time", "permalink_url", "from{id,name}",
                          *_COUNTS, PLACE_FIELD))


# --- payload -> Post -------------------------------------------------------------------------------


def page_post_to_post(item: Any, *, account: str, page_id: str, insights: bool = False) -> Post:
    """One of the page's own posts, with its interaction counts."""
    item = require_object(item)
    post_id = require_id(item)
    author_id, _ = author_of(item)
    values = insight_values(item) if insights else {}
    return Post(
        platform=Platform.FACEBOOK, external_id=post_id, kind=PostKind.OWN_POST, account=account,
        author_id=page_id if author_id == "unknown" else author_id, author_handle=account,
        text=text_of(item, "message"), created_at=parse_time(item.get("created_time")),
        url=item.get("permalink_url") if isinstance(item.get("permalink_url"), str) else None,
        conversation_id=post_id, is_own=True,
        metrics=Metrics(reactions=summary_total(item.get("reactions")), comments=summary_total(item.get("comments")),
                        shares=shares_of(item), views=values.get(VIEWS_METRIC), reach=values.get(REACH_METRIC)),
        raw=dict(item), geo=geo_of(item, f"facebook:posts:{account}"),
    )


def visitor_post_to_post(item: Any, *, account: str, page_id: str) -> Post | None:
    """A post by someone else that tags the page or was posted on it; None for the page's own posts."""
    item = require_object(item)
    post_id = require_id(item)
    author_id, author_name = author_of(item)
    if author_id == page_id:
        return None  # the page's own post (the feed edge lists them too): the posts stream has it
    return Post(
        platform=Platform.FACEBOOK, external_id=post_id, kind=PostKind.MENTION, account=account,
        author_id=author_id, author_handle=author_name, text=text_of(item, "message"),
        created_at=parse_time(item.get("created_time")),
        url=item.get("permalink_url") if isinstance(item.get("permalink_url"), str) else None,
        conversation_id=post_id, is_own=False,
        metrics=Metrics(reactions=summary_total(item.get("reactions")), comments=summary_total(item.get("comments")),
                        shares=shares_of(item)),
        raw=dict(item), geo=geo_of(item, f"facebook:tagged:{account}"),
    )


def comment_to_post(item: Any, *, account: str, page_id: str, post_id: str) -> Post:
    """A comment or reply under a page post; the page's own comments are replies by the ministry."""
    item = require_object(item)
    comment_id = require_id(item)
    author_id, author_name = author_of(item)
    parent = id_of(item.get("parent"))
    own = author_id == page_id
    kind = PostKind.REPLY if own or parent else PostKind.COMMENT
    return Post(
        platform=Platform.FACEBOOK, external_id=comment_id, kind=kind, account=account,
        author_id=author_id, author_handle=account if own else author_name, text=text_of(item, "message"),
        created_at=parse_time(item.get("created_time")),
        url=item.get("permalink_url") if isinstance(item.get("permalink_url"), str) else None,
        in_reply_to_id=parent or post_id, conversation_id=post_id, is_own=own,
        metrics=Metrics(likes=count_of(item, "like_count"), replies=count_of(item, "comment_count")),
        raw=dict(item),
    )


# --- the connector ---------------------------------------------------------------------------------


class FacebookConnector(MetaConnectorBase):
    """Facebook Page streams over one Graph API client (one Page token)."""

    name = "facebook"
    label = "Facebook"

    def __init__(self, client: GraphClient, settings: MetaSettings, pages: Sequence[str],
                 clock: Callable[[], datetime], access_token: str):
        super().__init__(client, settings, pages, clock, access_token)
        self._pages = NodeCache(settings.page_ids, self._look_up_page, self._now)

    def _handlers(self) -> dict[str, Handler]:
        return {"posts": self._poll_posts, "comments": self._poll_comments, "tagged": self._poll_tagged}

    def page_id(self, account: str) -> str:
        """The page's numeric id: configured, given as the name, or looked up once by username."""
        return self._pages.id(account)

    def _look_up_page(self, account: str) -> tuple[str, Any]:
        # the follower counts ride along: the day's snapshot costs no request then
        body = self._client.get(account, fields=f"id,name,{PAGE_SNAPSHOT_FIELDS}")
        known = body.get("id") if isinstance(body, Mapping) else None
        if not isinstance(known, str) or not known:
            raise UnexpectedPayload(f"no se encontró el id de la página {account}", path=account, payload=body)
        return known, body

    def _account_node(self, account: str) -> Any:
        return self._pages.node(account, lambda page_id: self._client.get(page_id, fields=PAGE_SNAPSHOT_FIELDS))

    def _author_of(self, post: Post, seen_at: datetime) -> Author | None:
        return facebook_author(post, seen_at)

    # -- posts: the page's own, re-read over the metrics window --

    def _poll_posts(self, stream: str, account: str, state: dict[str, Any]) -> Iterator[Batch]:
        page_id = self.page_id(account)
        mark, start = self._refresh_window(state)
        page, notes, insights = self._own_listing(
            stream, f"{page_id}/posts", POST_FIELDS, INSIGHTS_FIELD,
            {"since": int(start.timestamp()), "limit": self._settings.page_size})
        # after the listing answered, so a failed poll costs no snapshot request (it would be lost unsaved)
        daily = self._daily_snapshot(stream, account, state)
        carry, aside, snapshots = dict(daily.state), [*notes, *daily.rejected], daily.snapshots
        newest = mark
        while True:
            items, below = [], False
            for item in page.data:
                key = item_key(item, "created_time")
                if key is not None and key[0] < start:
                    below = True
                    continue
                if key is not None:
                    newest = Mark.newest(newest, key)
                items.append(item)
            results = [*aside, *translate(stream, items, lambda it: page_post_to_post(
                it, account=account, page_id=page_id, insights=insights))]
            if below or page.next_url is None:
                yield make_batch(stream, results, {**carry, "mark": newest.to_json() if newest else None}, snapshots)
                return
            # the mark moves only with the last page: a crash before it re-reads the window, losing nothing
            yield make_batch(stream, results, {**carry, "mark": mark.to_json() if mark else None}, snapshots)
            aside, snapshots = [], ()  # the snapshot travels with the first page only
            next_page = self._client.next_page(page)
            if next_page is None:
                return
            page = next_page

    # -- comments under the page's recent posts --

    def _poll_comments(self, stream: str, account: str, state: dict[str, Any]) -> Iterator[Batch]:
        page_id = self.page_id(account)
        since = self._now() - timedelta(days=self._settings.comments_lookback_days)
        objects: dict[str, tuple[Any, Mapping[str, Any]]] = {}
        params = {"since": int(since.timestamp()), "limit": self._settings.page_size}
        for page in self._client.pages(f"{page_id}/posts", fields=LISTING_FIELDS, params=params):
            for item in page.data:
                key = item_key(item, "created_time")
                if key is None or key[0] < since:
                    continue
                # updated_time moves when someone comments; the count catches what it might not
                updated = item.get("updated_time") if isinstance(item.get("updated_time"), str) else None
                objects[key[1]] = ([summary_total(item.get("comments")), updated], {})
        plan = CommentsPlan(
            objects=objects,
            path=lambda oid: f"{oid}/comments",
            params={"filter": "stream", "order": "reverse_chronological", "fields": COMMENT_FIELDS,
                    "limit": self._settings.comments_page_size},
            time_field="created_time",
            convert=lambda oid, _facts, item: self._comment(stream, account, page_id, oid, item),
        )
        yield from self._poll_object_comments(stream, state, plan)

    def _comment(self, stream: str, account: str, page_id: str, post_id: str, item: Any) -> Post | Rejected:
        hidden = isinstance(item, Mapping) and item.get("is_hidden") is True
        if hidden and self._settings.hidden_comments == "set_aside":
            return Rejected(stream, "comentario oculto en la página (hidden_comments: set_aside)", item)
        return comment_to_post(item, account=account, page_id=page_id, post_id=post_id)

    def _also_proven(self, stream: str, kind: str) -> set[str]:
        """A clean tagged poll read every edge, so each edge's missing-permission problem is over."""
        if kind != "tagged":
            return set()
        return {f"permission:{stream}|{edge}" for edge in self._settings.tagged_edges}

    # -- posts by others: tags and visitor posts --

    def _poll_tagged(self, stream: str, account: str, state: dict[str, Any]) -> Iterator[Batch]:
        page_id = self.page_id(account)
        edges: dict[str, Any] = dict(state.get("edges") or {})
        denied = []
        for edge in self._settings.tagged_edges:
            key = f"{stream}|{edge}"
            gate = self._guard.check(stream, key)
            if not isinstance(gate, bool):
                denied.append(gate)  # still missing a permission: say so again, without calling
            if gate is not True:
                continue
            edge_state = EdgeState.from_json(edges.get(edge))
            fresh = edge_state.mark is None and not edge_state.in_progress
            walk = Walk(key=self._key("created_time"),
                        floor=self._backfill_floor() if fresh else self._catch_up_floor())
            first = self._first_page(f"{page_id}/{edge}", TAGGED_FIELDS, {"limit": self._settings.page_size})
            try:
                for step in walk_newest_first(walk, edge_state, first, self._client.next_page):
                    edges[edge] = step.state.to_json()
                    results = translate(stream, step.items,
                                        lambda it: visitor_post_to_post(it, account=account, page_id=page_id))
                    yield make_batch(stream, results, {"edges": edges})
            except PermissionDenied as exc:  # e.g. visitor posts without pages_read_user_content: the rest go on
                denied.append(self._guard.failure(stream, exc, permission="pages_read_user_content", key=key))
        if denied:
            raise denied[0]


def build_facebook_connector(settings: Any, pages: list[str], access_token: str, app_secret: str | None,
                             clock: Callable[[], datetime], *, transport: httpx.BaseTransport | None = None,
                             sleep: Callable[[float], None] = time.sleep) -> FacebookConnector:
    """The composition root's entry point (bot/bootstrap.py); `settings` may be `bot.config.MetaConnector`."""
    s = MetaSettings.coerce(settings)
    client = GraphClient(access_token, base_url=s.api_base_url, version=s.api_version, app_secret=app_secret,
                         timeout=s.timeout_seconds, max_retries=s.max_retries,
                         default_rate_limit_pause=s.rate_limit_pause_seconds, sleep=sleep, transport=transport)
    return FacebookConnector(client, s, pages, clock, access_token)

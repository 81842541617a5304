"""A local fake of the Meta Graph API (Facebook Pages and Instagram professional accounts), on 127.0.0.1.

It answers the way the real API does, as far as Vigía's connectors can tell:
- versioned paths (`/v24.0/...`), the token in `Authorization: Bearer|OAuth` or `access_token`, and
  `appsecret_proof` checked when the fake is given an app secret;
- field selection (`fields=id,message,reactions.summary(total_count).limit(0),parent{id}`), and an error
  for a field the node does not have, as Meta answers a typo;
- pages, posts (own, visitor and tagged), nested comments (`filter=stream|toplevel`,
  `order=chronological|reverse_chronological`, 25 per page by default), IG users, media, comments with
  `replies` expansion, tags, mentioned media/comments, `/debug_token`, and batch calls;
- paging with `paging.cursors.before/after` and absolute `paging.next` URLs back to this server that embed
  the access token (as Meta's do), or time-based `until`/`__paging_token` for `/posts`, `/feed`, `/tagged`;
- the fields of today's API: Page `followers_count`/`fan_count`, IG user `followers_count`/`follows_count`/
  `media_count`, `from{id,name}` on comments only with `pages_read_user_content` (and never on posts by users
  in `/tagged`), post insights `post_media_view`/`post_total_media_view_unique` and media insights
  `views`/`reach`/`saved`, with error 100 for the metrics Meta retired (`post_impressions*`, IG `impressions`);
- a post's tagged `place{id,name,location{city,state,country,latitude,longitude,...}}` (omitted when the post
  has none; an unknown sub-field is error 100 as for any field);
- error objects in Meta's shape `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`,
  usage headers, permissions per token, tokens that expire in the middle of a poll, and scripted faults;
- a request log (with tokens redacted).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

TOKEN = "EAAGvigiaFAKEpageTOKEN000"
APP_SECRET = "fake-app-secret-0001"
ALL_SCOPES = ("pages_show_list", "pages_read_engagement", "pages_read_user_content", "read_insights",
              "instagram_basic", "instagram_manage_comments", "instagram_manage_insights")
_VERSION = re.compile(r"^v\d{1,2}\.\d$")


# --- error objects, exactly in Meta's shape ---------------------------------------------------------


def graph_error(code: int, message: str, *, subcode: int | None = None, error_type: str = "OAuthException",
                is_transient: bool = False, trace: str = "AbC123fakeTrace") -> dict[str, Any]:
    err: dict[str, Any] = {"message": message, "type": error_type, "code": code, "fbtrace_id": trace}
    if subcode is not None:
        err["error_subcode"] = subcode
    if is_transient:
        err["is_transient"] = True
    return {"error": err}


def token_expired() -> dict[str, Any]:
    return graph_error(190, "Error validating access token: Session has expired on Monday, 16-Nov-26 "
                            "07:00:00 PST. The current time is Monday, 16-Nov-26 07:05:00 PST.", subcode=463)


def password_changed() -> dict[str, Any]:
    return graph_error(190, "Error validating access token: The session has been invalidated because the user "
                            "changed their password or Facebook has changed the session for security reasons.",
                       subcode=460)


RATE_LIMITS = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
}


def rate_limited(code: int = 4) -> dict[str, Any]:
    return graph_error(code, RATE_LIMITS[code], error_type="OAuthException")


def missing_permission(permission: str) -> dict[str, Any]:
    return graph_error(10, f"(#10) This endpoint requires the '{permission}' permission or the 'Page Public "
                           "Content Access' feature. Refer to https://developers.facebook.com/docs/apps/review/"
                           "login-permissions#manage-pages and https://developers.facebook.com/docs/apps/review/"
                           "feature#reference-PAGES_ACCESS for details.")


def ig_missing_permission() -> dict[str, Any]:
    return graph_error(10, "(#10) Application does not have permission for this action")


def unknown_error() -> dict[str, Any]:
    return graph_error(1, "An unknown error has occurred.", is_transient=True)


def graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


# --- field selection --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    name: str
    modifiers: dict[str, str]
    sub: tuple[FieldSpec, ...] | None


def parse_fields(text: str) -> list[FieldSpec]:
    """`a,b{c,d},e.limit(0).summary(total_count)` -> specs (Graph field-expansion syntax)."""
    out: list[FieldSpec] = []
    for part in _split_top(text):
        part = part.strip()
        if not part:
            continue
        sub: tuple[FieldSpec, ...] | None = None
        if part.endswith("}") and "{" in part:
            brace = part.index("{")
            sub = tuple(parse_fields(part[brace + 1 : -1]))
            part = part[:brace]
        name, *mods = _split_dots(part)
        modifiers: dict[str, str] = {}
        for mod in mods:
            m = re.fullmatch(r"([a-z_]+)\((.*)\)", mod)
            if not m:
                raise ValueError(f"bad field modifier {mod!r}")
            modifiers[m.group(1)] = m.group(2)
        out.append(FieldSpec(name, modifiers, sub))
    return out


def _split_top(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _split_dots(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "." and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


class GraphFault(Exception):
    """Raised inside the fake to answer with a Graph error object."""

    def __init__(self, body: dict[str, Any], status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(body["error"]["message"] if "error" in body else "fault")
        self.body = body
        self.status = status
        self.headers = headers or {}


def _no_field(name: str, node: str) -> GraphFault:
    return GraphFault(graph_error(100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node})"))


# --- state ------------------------------------------------------------------------------------------


@dataclass
class TokenInfo:
    page_id: str | None
    scopes: tuple[str, ...] = ALL_SCOPES
    expires_at: int = 0  # unix time; 0 = never
    data_access_expires_at: int = 0
    valid: bool = True
    error: dict[str, Any] | None = None  # what a call answers once the token is invalid
    expire_after_requests: int | None = None  # becomes invalid after this many more requests


@dataclass
class Fault:
    """A scripted answer for requests whose path matches `path` (a regex), `times` times (None = always)."""

    path: str
    body: dict[str, Any] | str
    status: int = 400
    times: int | None = 1
    skip: int = 0  # let this many matching requests through first
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Logged:
    method: str
    path: str
    params: dict[str, str]
    status: int
    in_batch: bool = False
    auth: str = ""


class FakeGraphAPI:
    """The fake's data and behaviour. `start()` serves it on 127.0.0.1 at a random port."""

    def __init__(self, *, app_secret: str | None = None, default_limit: int = 25, max_limit: int = 100,
                 ig_max_limit: int = 50):
        self.lock = threading.RLock()
        self.app_secret = app_secret
        self.default_limit = default_limit
        self.max_limit = max_limit
        self.ig_max_limit = ig_max_limit
        self.tokens: dict[str, TokenInfo] = {}
        self.pages: dict[str, dict[str, Any]] = {}
        self.posts: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self.ig_users: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.ig_comments: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.usage_headers: dict[str, str] = {}
        self.log: list[Logged] = []
        self._seq = 1000
        self._current_token = ""  # the token and version of the request being answered (for paging URLs)
        self._current_version = "v24.0"
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --

    def start(self, port: int = 0) -> FakeGraphAPI:
        """Serve on 127.0.0.1 (only loopback, ever) at `port`, or a free one."""
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-graph-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGraphAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripting --

    def _next_id(self) -> str:
        with self.lock:
            self._seq += 1
            return str(self._seq)

    def add_token(self, token: str = TOKEN, *, page_id: str | None = None, **kw: Any) -> TokenInfo:
        info = TokenInfo(page_id=page_id, **kw)
        self.tokens[token] = info
        return info

    def add_page(self, name: str, username: str, *, page_id: str | None = None, token: str = TOKEN,
                 followers: Any = 125_000, fans: Any = 118_000, **token_kw: Any) -> str:
        """`followers`/`fans` are served as `followers_count`/`fan_count` as given (None: field omitted)."""
        page_id = page_id or f"10{self._next_id()}"
        self.pages[page_id] = {"id": page_id, "name": name, "username": username, "followers_count": followers,
                               "fan_count": fans}
        if token not in self.tokens:
            self.add_token(token, page_id=page_id, **token_kw)
        return page_id

    def add_post(self, page_id: str, created: datetime, message: str | None = "Publicación", *,
                 kind: str = "own", author: tuple[str, str] | None = None, reactions: int = 0, shares: int = 0,
                 views: Any = 0, reach: Any = 0, author_is_page: bool = False,
                 place: dict[str, Any] | None = None) -> str:
        """kind: own (the page's post), visitor (on the page by a user) or tagged (elsewhere, tags the page).
        `place`: the tagged place as Meta describes it (`{"id", "name", "location": {...}}`), served as given."""
        post_id = f"{page_id}_{self._next_id()}"
        from_ = {"id": page_id, "name": self.pages[page_id]["name"]} if kind == "own" else (
            {"id": author[0], "name": author[1]} if author else {"id": f"9{self._next_id()}", "name": "Ciudadano"})
        post = {"id": post_id, "page_id": page_id, "kind": kind, "created": created, "updated": created,
                "message": message, "from": from_, "author_is_page": kind == "own" or author_is_page,
                "reactions": reactions, "shares": shares, "views": views, "reach": reach, "place": place,
                "permalink_url": f"https://www.facebook.com/{page_id}/posts/{post_id.split('_')[1]}"}
        self.posts[post_id] = post
        return post_id

    def edit_post(self, post_id: str, message: str, when: datetime) -> None:
        self.posts[post_id].update(message=message, updated=when)

    def add_comment(self, post_id: str, created: datetime, message: str = "Comentario", *,
                    author: tuple[str, str] | None = None, parent: str | None = None, hidden: bool = False,
                    likes: int = 0, attachment: dict[str, Any] | None = None, from_withheld: bool = False) -> str:
        """`author=None` is a citizen; pass the page's (id, name) for the page's own replies. `from_withheld`:
        Meta leaves `from` out even with `pages_read_user_content` (as it does for some users' comments)."""
        comment_id = f"{post_id.split('_')[1]}_{self._next_id()}"
        author = author or (f"7{self._next_id()}", "Ciudadana Ejemplo")
        page_id = self.posts[post_id]["page_id"]
        self.comments[comment_id] = {
            "id": comment_id, "post_id": post_id, "parent": parent, "created": created, "message": message,
            "from": {"id": author[0], "name": author[1]}, "by_page": author[0] == page_id,
            "hidden": hidden, "like_count": likes, "attachment": attachment, "from_withheld": from_withheld,
        }
        post = self.posts[post_id]
        post["updated"] = max(post["updated"], created)
        return comment_id

    def delete_comment(self, comment_id: str) -> None:
        self.comments.pop(comment_id)

    def add_ig_user(self, username: str, *, page_id: str | None = None, ig_id: str | None = None,
                    followers: Any = 48_000, follows: Any = 310) -> str:
        """`followers`/`follows` are served as `followers_count`/`follows_count` as given (None: omitted);
        `media_count` counts the user's media."""
        ig_id = ig_id or f"1784{self._next_id()}"
        self.ig_users[ig_id] = {"id": ig_id, "username": username, "page_id": page_id, "followers_count": followers,
                                "follows_count": follows}
        if page_id:
            self.pages[page_id]["instagram_business_account"] = ig_id
        return ig_id

    def add_media(self, ig_id: str | None, created: datetime, caption: str | None = "Publicación", *,
                  owner_username: str | None = None, likes: int = 0, tagged: Iterable[str] = (),
                  media_type: str = "IMAGE", saves: int = 0, views: Any = 0, reach: Any = 0,
                  mentions: Iterable[str] = ()) -> str:
        """`ig_id=None` with `owner_username` is someone else's media (that may tag our account)."""
        media_id = f"179{self._next_id()}"
        username = self.ig_users[ig_id]["username"] if ig_id else owner_username
        self.media[media_id] = {
            "id": media_id, "owner": ig_id, "username": username, "created": created, "caption": caption,
            "like_count": likes, "media_type": media_type, "tagged": set(tagged), "saves": saves,
            "views": views, "reach": reach, "mentions": set(mentions), "permalink": f"https://www.instagram.com/p/F{media_id[-6:]}/",
        }
        return media_id

    def add_ig_comment(self, media_id: str, created: datetime, text: str = "Comentario", *,
                       username: str = "ciudadano_ig", user_id: str | None = None, parent: str | None = None,
                       hidden: bool = False, likes: int = 0, restricted: bool = False) -> str:
        """`restricted`: counted in the media's `comments_count` but never listed (as Instagram does for
        comments from restricted accounts), so counts and listings disagree for good."""
        comment_id = f"180{self._next_id()}"
        self.ig_comments[comment_id] = {
            "id": comment_id, "media_id": media_id, "parent": parent, "created": created, "text": text,
            "username": username, "user_id": user_id or f"6{self._next_id()}", "hidden": hidden,
            "like_count": likes, "restricted": restricted,
        }
        return comment_id

    def fail(self, path: str, body: dict[str, Any] | str, *, status: int = 400, times: int | None = 1,
             skip: int = 0, headers: dict[str, str] | None = None) -> Fault:
        fault = Fault(path, body, status, times, skip, headers or {})
        self.faults.append(fault)
        return fault

    def expire_token(self, token: str = TOKEN, *, after_requests: int = 0,
                     error: dict[str, Any] | None = None) -> None:
        info = self.tokens[token]
        info.error = error or token_expired()
        info.expire_after_requests = after_requests
        if after_requests <= 0:
            info.valid = False

    def restore_token(self, token: str = TOKEN) -> None:
        info = self.tokens[token]
        info.valid, info.error, info.expire_after_requests = True, None, None

    def set_usage(self, *, app: dict[str, Any] | None = None, business: dict[str, Any] | None = None,
                  page: dict[str, Any] | None = None) -> None:
        headers = {}
        if app is not None:
            headers["x-app-usage"] = json.dumps(app)
        if business is not None:
            headers["x-business-use-case-usage"] = json.dumps(business)
        if page is not None:
            headers["x-page-usage"] = json.dumps(page)
        self.usage_headers = headers

    def http_requests(self) -> list[Logged]:
        """Requests that crossed the network (batched sub-requests excluded)."""
        return [r for r in self.log if not r.in_batch]

    def clear_log(self) -> None:
        self.log.clear()

    # -- request handling --

    def handle(self, method: str, raw_path: str, params: dict[str, str], headers: dict[str, str],
               *, in_batch: bool = False, batch_token: str | None = None) -> tuple[int, dict[str, str], Any]:
        """Answer one request: (status, headers, JSON body or raw text)."""
        with self.lock:
            path = urlsplit(raw_path).path
            token, auth = batch_token, "batch"
            if token is None:
                token, auth = _token_from(headers, params)
            self._current_token = token or ""
            status, extra, body = self._answer(method, path, params, token, in_batch)
            if not in_batch:
                extra = {**self.usage_headers, **extra}
            self.log.append(Logged(method, path, _redacted(params), status, in_batch, auth))
            return status, extra, body

    def _answer(self, method: str, path: str, params: dict[str, str], token: str | None,
                in_batch: bool) -> tuple[int, dict[str, str], Any]:
        fault = self._fault_for(path)
        if fault is not None:
            return fault.status, dict(fault.headers), fault.body
        try:
            info = self._check_auth(token, params, in_batch)
            segments = [s for s in path.split("/") if s]
            if not segments or not _VERSION.match(segments[0]):
                raise GraphFault(graph_error(2500, "Unknown path components: " + path))
            rest = segments[1:]
            self._current_version = segments[0]
            if method == "POST" and not rest and "batch" in params:
                return 200, {}, self._batch(params, token, segments[0])
            if method != "GET":
                raise GraphFault(graph_error(100, "(#100) Unsupported post request."))
            return 200, {}, self._get(rest, params, info, token or "", path)
        except GraphFault as fault_:
            return fault_.status, fault_.headers, fault_.body

    def _fault_for(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times == 0 or not re.search(fault.path, path):
                continue
            if fault.skip > 0:
                fault.skip -= 1
                continue
            if fault.times is not None:
                fault.times -= 1
            return fault
        return None

    def _check_auth(self, token: str | None, params: dict[str, str], in_batch: bool) -> TokenInfo:
        if not token:
            raise GraphFault(graph_error(2500, "An active access token must be used to query information about "
                                               "the current user."))
        info = self.tokens.get(token)
        if info is None:
            raise GraphFault(graph_error(190, "Invalid OAuth access token - Cannot parse access token"))
        if info.expire_after_requests is not None and info.valid and not in_batch:  # counts HTTP requests
            if info.expire_after_requests <= 0:
                info.valid = False
            else:
                info.expire_after_requests -= 1
        if not info.valid:
            raise GraphFault(info.error or token_expired())
        if self.app_secret and not in_batch:
            proof = params.get("appsecret_proof")
            if not proof:
                raise GraphFault(graph_error(100, "API calls from the server require an appsecret_proof argument",
                                             error_type="GraphMethodException"))
            expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(proof, expected):
                raise GraphFault(graph_error(100, "Invalid appsecret_proof provided in the API argument",
                                             error_type="GraphMethodException"))
        return info

    def _batch(self, params: dict[str, str], token: str | None, version: str) -> list[Any]:
        try:
            spec = json.loads(params["batch"])
        except ValueError:
            raise GraphFault(graph_error(100, "(#100) The parameter batch must be a JSON array")) from None
        if not isinstance(spec, list) or len(spec) > 50:
            raise GraphFault(graph_error(100, "(#100) Too many requests in batch message. Maximum batch size is 50"))
        include_headers = params.get("include_headers", "true") != "false"
        out: list[Any] = []
        for item in spec:
            rel = urlsplit("/" + str(item.get("relative_url", "")).lstrip("/"))
            sub_path = rel.path if _VERSION.match(rel.path.split("/")[1]) else f"/{version}{rel.path}"
            sub_params = dict(parse_qsl(rel.query, keep_blank_values=True))
            status, headers, body = self.handle(str(item.get("method", "GET")).upper(), sub_path, sub_params, {},
                                                in_batch=True, batch_token=token)
            entry: dict[str, Any] = {"code": status,
                                     "body": body if isinstance(body, str) else json.dumps(body)}
            if include_headers:
                entry["headers"] = [{"name": k, "value": v} for k, v in headers.items()]
            out.append(entry)
        return out

    # -- GET routing --

    def _get(self, rest: list[str], params: dict[str, str], info: TokenInfo, token: str, path: str) -> Any:
        if rest == ["debug_token"]:
            return self._debug_token(params)
        node_id = rest[0]
        if node_id == "me":
            if info.page_id is None:
                raise GraphFault(graph_error(100, "(#100) me is not available for this token"))
            node_id = info.page_id
        node_id = self._resolve_username(node_id)
        if len(rest) == 1:
            return self._node(node_id, params, info)
        if len(rest) != 2:
            raise GraphFault(graph_error(2500, "Unknown path components: /" + "/".join(rest[1:])))
        edge = rest[1]
        if node_id in self.pages:
            return self._page_edge(node_id, edge, params, info, token, path)
        if node_id in self.posts and edge == "comments":
            return self._fb_comments(node_id, params, info, token, path)
        if node_id in self.ig_users:
            return self._ig_edge(node_id, edge, params, info, token, path)
        if node_id in self.media and edge == "comments":
            self._require(info, "instagram_manage_comments", ig=True)
            items = sorted((c for c in self.ig_comments.values()
                            if c["media_id"] == node_id and not c["parent"] and not c["restricted"]),
                           key=lambda c: (c["created"], c["id"]), reverse=True)
            return self._paged(items, params, token, path, self._render_ig_comment, info, ig=True,
                               default_fields="id,text,timestamp")
        if node_id in self.ig_comments and edge == "replies":
            self._require(info, "instagram_manage_comments", ig=True)
            return self._paged(self._replies_of(node_id), params, token, path, self._render_ig_comment, info,
                               ig=True, default_fields="id,text,timestamp")
        raise _unsupported(rest[0])

    def _resolve_username(self, node_id: str) -> str:
        for page in self.pages.values():
            if page["username"] == node_id:
                return str(page["id"])
        return node_id

    def _require(self, info: TokenInfo, scope: str, *, ig: bool = False) -> None:
        if scope not in info.scopes:
            raise GraphFault(ig_missing_permission() if ig else missing_permission(scope), status=403)

    def _node(self, node_id: str, params: dict[str, str], info: TokenInfo) -> Any:
        specs = parse_fields(params.get("fields", ""))
        if node_id in self.pages:
            return self._render_page(self.pages[node_id], specs or parse_fields("id,name"), info)
        if node_id in self.ig_users:
            return self._render_ig_user(self.ig_users[node_id], specs or parse_fields("id"), info)
        if node_id in self.posts:
            return self._render_post(self.posts[node_id], specs or parse_fields("id,message,created_time"), info)
        if node_id in self.media:
            return self._render_media(self.media[node_id], specs or parse_fields("id"), info)
        raise _unsupported(node_id)

    def _page_edge(self, page_id: str, edge: str, params: dict[str, str], info: TokenInfo, token: str,
                   path: str) -> Any:
        kinds = {"posts": {"own"}, "published_posts": {"own"}, "feed": {"own", "visitor", "tagged"},
                 "visitor_posts": {"visitor"}, "tagged": {"tagged"}}
        if edge not in kinds:
            raise GraphFault(graph_error(2500, f"Unknown path components: /{edge}"))
        self._require(info, "pages_read_user_content" if edge in ("visitor_posts", "tagged")
                      else "pages_read_engagement")
        items = [p for p in self.posts.values() if p["page_id"] == page_id and p["kind"] in kinds[edge]]
        since = _param_time(params.get("since"))
        until = None if params.get("__paging_token") else _param_time(params.get("until"))  # the token rules
        items = [p for p in items
                 if (since is None or p["created"] >= since) and (until is None or p["created"] <= until)]
        items.sort(key=lambda p: (p["created"], p["id"]), reverse=True)
        return self._paged(items, params, token, path, self._render_post, info, time_based=True,
                           default_fields="id,message,created_time")

    def _fb_comments(self, post_id: str, params: dict[str, str], info: TokenInfo, token: str, path: str) -> Any:
        self._require(info, "pages_read_engagement")
        items = self._fb_comment_list(post_id, params.get("filter", "toplevel"), params.get("order", "chronological"))
        return self._paged(items, params, token, path, self._render_fb_comment, info,
                           default_fields="id,message,created_time,from")

    def _fb_comment_list(self, post_id: str, filter_: str, order: str) -> list[dict[str, Any]]:
        items = [c for c in self.comments.values() if c["post_id"] == post_id
                 and (filter_ == "stream" or c["parent"] is None)]
        items.sort(key=lambda c: (c["created"], c["id"]), reverse=order == "reverse_chronological")
        return items

    def _ig_edge(self, ig_id: str, edge: str, params: dict[str, str], info: TokenInfo, token: str, path: str) -> Any:
        if edge == "media":
            self._require(info, "instagram_basic", ig=True)
            items = [m for m in self.media.values() if m["owner"] == ig_id]
        elif edge == "tags":
            self._require(info, "instagram_manage_comments", ig=True)
            items = [m for m in self.media.values() if ig_id in m["tagged"]]
        else:
            raise GraphFault(graph_error(2500, f"Unknown path components: /{edge}"))
        items.sort(key=lambda m: (m["created"], m["id"]), reverse=True)
        return self._paged(items, params, token, path, self._render_media, info, ig=True, default_fields="id")

    def _replies_of(self, comment_id: str) -> list[dict[str, Any]]:
        return sorted((c for c in self.ig_comments.values() if c["parent"] == comment_id and not c["restricted"]),
                      key=lambda c: (c["created"], c["id"]))

    def _debug_token(self, params: dict[str, str]) -> Any:
        token = params.get("input_token", "")
        info = self.tokens.get(token)
        if info is None:
            return {"data": {"is_valid": False, "error": {"code": 190, "message": "Invalid OAuth access token."},
                             "scopes": []}}
        data: dict[str, Any] = {"app_id": "123456789", "type": "PAGE", "application": "Vigía MinTIC",
                                "is_valid": info.valid, "expires_at": info.expires_at,
                                "data_access_expires_at": info.data_access_expires_at,
                                "scopes": list(info.scopes), "profile_id": info.page_id, "user_id": "5550001"}
        if not info.valid:
            err = (info.error or token_expired())["error"]
            data["error"] = {"code": err["code"], "message": err["message"], "subcode": err.get("error_subcode")}
        return {"data": data}

    # -- paging --

    def _paged(self, items: list[dict[str, Any]], params: dict[str, str], token: str, path: str,
               render: Callable[..., dict[str, Any]], info: TokenInfo, *, ig: bool = False,
               time_based: bool = False, default_fields: str = "id") -> dict[str, Any]:
        cap = self.ig_max_limit if ig else self.max_limit
        limit = min(int(params.get("limit") or self.default_limit), cap)
        start = 0
        for key in ("after", "__paging_token"):
            if params.get(key):
                start = _decode_cursor(params[key])
        if params.get("before"):
            end = _decode_cursor(params["before"])
            start = max(0, end - limit)
        chunk = items[start : start + limit]
        specs = parse_fields(params.get("fields") or default_fields)
        body: dict[str, Any] = {"data": [render(item, specs, info) for item in chunk]}
        paging: dict[str, Any] = {}
        if chunk:
            if not time_based:
                paging["cursors"] = {"before": _encode_cursor(start), "after": _encode_cursor(start + len(chunk))}
            if start + len(chunk) < len(items):
                query = {k: v for k, v in params.items() if k not in ("after", "before", "__paging_token")}
                query["access_token"] = token  # Meta embeds the token in paging URLs
                query["limit"] = str(limit)
                if time_based:
                    query["until"] = str(int(chunk[-1]["created"].timestamp()))
                    query["__paging_token"] = _encode_cursor(start + len(chunk))
                else:
                    query["after"] = paging["cursors"]["after"]
                paging["next"] = f"{self.base_url}{path}?{urlencode(query)}"
        if paging:
            body["paging"] = paging
        if params.get("summary") == "true" and path.endswith("/comments"):
            body["summary"] = {"order": params.get("order", "chronological"), "total_count": len(items)}
        return body

    # -- rendering with field selection --

    def _render_page(self, page: dict[str, Any], specs: list[FieldSpec], info: TokenInfo) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in specs:
            if spec.name in ("id", "name", "username"):
                out[spec.name] = page[spec.name]
            elif spec.name == "instagram_business_account":
                ig_id = page.get("instagram_business_account")
                if ig_id:
                    out[spec.name] = self._render_ig_user(self.ig_users[ig_id], list(spec.sub or parse_fields("id")),
                                                          info)
            elif spec.name in ("fan_count", "followers_count"):
                if page[spec.name] is not None:
                    out[spec.name] = page[spec.name]
            else:
                raise _no_field(spec.name, "Page")
        return out

    def _render_post(self, post: dict[str, Any], specs: list[FieldSpec], info: TokenInfo) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in specs:
            name = spec.name
            if name == "id":
                out["id"] = post["id"]
            elif name == "message":
                if post["message"]:
                    out["message"] = post["message"]
            elif name == "created_time":
                out[name] = graph_time(post["created"])
            elif name == "updated_time":
                out[name] = graph_time(post["updated"])
            elif name == "permalink_url":
                out[name] = post["permalink_url"]
            elif name == "status_type":
                out[name] = "mobile_status_update"
            elif name == "from":
                if post["author_is_page"] or post["kind"] == "own":
                    out["from"] = _subset(post["from"], spec.sub)
            elif name == "shares":
                if post["shares"]:
                    out["shares"] = {"count": post["shares"]}
            elif name == "reactions":
                out["reactions"] = _summary_edge(post["reactions"], spec)
            elif name == "comments":
                items = self._fb_comment_list(post["id"], spec.modifiers.get("filter", "toplevel"), "chronological")
                out["comments"] = _summary_edge(len(items), spec, order="ranked")
            elif name == "place":
                if post.get("place") is not None:
                    out["place"] = _render_place(post["place"], spec.sub)
            elif name == "insights":
                if "read_insights" not in info.scopes:
                    raise GraphFault(missing_permission("read_insights"), status=403)
                values = {"post_media_view": post["views"], "post_total_media_view_unique": post["reach"]}
                data = []
                for metric in filter(None, spec.modifiers.get("metric", "").split(",")):
                    if metric not in values:  # e.g. post_impressions, retired on 2025-11-15 for every version
                        raise GraphFault(graph_error(100, "(#100) The value must be a valid insights metric"))
                    data.append({"name": metric, "period": "lifetime", "values": [{"value": values[metric]}],
                                 "id": f"{post['id']}/insights/{metric}/lifetime"})
                out["insights"] = {"data": data}
            else:
                raise _no_field(name, "Post")
        return out

    def _render_fb_comment(self, c: dict[str, Any], specs: list[FieldSpec], info: TokenInfo) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in specs:
            name = spec.name
            if name == "id":
                out["id"] = c["id"]
            elif name == "message":
                out["message"] = c["message"] or ""
            elif name == "created_time":
                out[name] = graph_time(c["created"])
            elif name == "from":
                if c["by_page"] or ("pages_read_user_content" in info.scopes and not c["from_withheld"]):
                    out["from"] = _subset(c["from"], spec.sub)
            elif name == "parent":
                if c["parent"]:
                    out["parent"] = {"id": c["parent"]}
            elif name == "permalink_url":
                post = self.posts[c["post_id"]]
                out[name] = f"{post['permalink_url']}?comment_id={c['id'].split('_')[1]}"
            elif name == "like_count":
                out[name] = c["like_count"]
            elif name == "comment_count":
                out[name] = sum(1 for x in self.comments.values() if x["parent"] == c["id"])
            elif name == "is_hidden":
                out[name] = c["hidden"]
            elif name == "attachment":
                if c["attachment"]:
                    out[name] = c["attachment"]
            else:
                raise _no_field(name, "Comment")
        return out

    def _render_ig_user(self, user: dict[str, Any], specs: list[FieldSpec], info: TokenInfo) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in specs:
            if spec.name in ("id", "username"):
                out[spec.name] = user[spec.name]
            elif spec.name == "mentioned_media":
                self._require(info, "instagram_manage_comments", ig=True)
                media = self.media.get(spec.modifiers.get("media_id", ""))
                if media is None or user["id"] not in media.get("mentions", set()):
                    raise GraphFault(graph_error(100, "(#100) Invalid media_id"))
                out[spec.name] = self._render_media(media, list(spec.sub or parse_fields("id")), info)
            elif spec.name == "mentioned_comment":
                self._require(info, "instagram_manage_comments", ig=True)
                comment = self.ig_comments.get(spec.modifiers.get("comment_id", ""))
                if comment is None:
                    raise GraphFault(graph_error(100, "(#100) Invalid comment_id"))
                out[spec.name] = self._render_ig_comment(comment, list(spec.sub or parse_fields("id")), info)
            elif spec.name in ("followers_count", "follows_count"):
                if user[spec.name] is not None:
                    out[spec.name] = user[spec.name]
            elif spec.name == "media_count":
                out[spec.name] = sum(1 for m in self.media.values() if m["owner"] == user["id"])
            else:
                raise _no_field(spec.name, "IGUser")
        return out

    def _render_media(self, m: dict[str, Any], specs: list[FieldSpec], info: TokenInfo) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in specs:
            name = spec.name
            if name in ("id", "username", "like_count", "media_type", "permalink"):
                out[name] = m[name]
            elif name == "caption":
                if m["caption"] is not None:
                    out[name] = m["caption"]
            elif name == "timestamp":
                out[name] = graph_time(m["created"])
            elif name == "media_product_type":
                out[name] = "FEED"
            elif name == "comments_count":
                out[name] = sum(1 for c in self.ig_comments.values() if c["media_id"] == m["id"])
            elif name == "owner":
                out[name] = {"id": m["owner"] or f"5{m['id'][-6:]}"}
            elif name == "insights":
                self._require(info, "instagram_manage_insights", ig=True)
                metrics = spec.modifiers.get("metric", "")
                values = {"saved": m["saves"], "views": m["views"], "reach": m["reach"]}
                data = []
                for metric in filter(None, metrics.split(",")):
                    if metric == "impressions":  # refused since v22.0, and in every version since 2025-04-21
                        raise GraphFault(graph_error(100, "(#100) Starting from version 22 and above, the impressions "
                                                          "metric is no longer supported for media."))
                    if metric not in values:
                        raise GraphFault(graph_error(100, f"(#100) metric[0] must be one of the following values: "
                                                          f"{', '.join(values)}"))
                    data.append({"name": metric, "period": "lifetime", "values": [{"value": values[metric]}]})
                out[name] = {"data": data}
            else:
                raise _no_field(name, "IGMedia")
        return out

    def _render_ig_comment(self, c: dict[str, Any], specs: list[FieldSpec], info: TokenInfo) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in specs:
            name = spec.name
            if name in ("id", "text", "username", "like_count"):
                out[name] = c[name]
            elif name == "timestamp":
                out[name] = graph_time(c["created"])
            elif name == "hidden":
                out[name] = c["hidden"]
            elif name == "from":
                out[name] = _subset({"id": c["user_id"], "username": c["username"]}, spec.sub)
            elif name == "parent_id":
                if c["parent"]:
                    out[name] = c["parent"]
            elif name == "media":
                media = self.media[c["media_id"]]
                out[name] = self._render_media(media, list(spec.sub or parse_fields("id")), info)
            elif name == "replies":
                if c["parent"]:
                    continue
                replies = self._replies_of(c["id"])
                limit = min(int(spec.modifiers.get("limit", self.default_limit)), self.ig_max_limit)
                sub = list(spec.sub or parse_fields("id,text,timestamp"))
                edge: dict[str, Any] = {"data": [self._render_ig_comment(r, sub, info) for r in replies[:limit]]}
                if len(replies) > limit:
                    query = {"fields": ",".join(_spec_text(s) for s in sub), "limit": str(limit),
                             "after": _encode_cursor(limit), "access_token": self._current_token}
                    url = f"{self.base_url}/{self._current_version}/{c['id']}/replies?{urlencode(query)}"
                    edge["paging"] = {"cursors": {"before": _encode_cursor(0), "after": _encode_cursor(limit)},
                                      "next": url}
                if replies:
                    out[name] = edge
            else:
                raise _no_field(name, "IGComment")
        return out


def _spec_text(spec: FieldSpec) -> str:
    text = spec.name + "".join(f".{k}({v})" for k, v in spec.modifiers.items())
    if spec.sub:
        text += "{" + ",".join(_spec_text(s) for s in spec.sub) + "}"
    return text


def _summary_edge(total: int, spec: FieldSpec, order: str = "ranked") -> dict[str, Any]:
    edge: dict[str, Any] = {"data": []}
    if "summary" in spec.modifiers:
        edge["summary"] = {"total_count": total}
        if order:
            edge["summary"]["order"] = order
    return edge


def _subset(obj: dict[str, Any], sub: tuple[FieldSpec, ...] | None) -> dict[str, Any]:
    if not sub:
        return dict(obj)
    return {s.name: obj[s.name] for s in sub if s.name in obj}


_PLACE_FIELDS = frozenset({"id", "name", "location", "overall_rating"})
_LOCATION_FIELDS = frozenset({"city", "city_id", "country", "country_code", "latitude", "located_in", "longitude",
                              "name", "region", "region_id", "state", "street", "zip"})


def _render_place(place: Any, sub: tuple[FieldSpec, ...] | None) -> Any:
    """`place{name,location{city,...}}`; without sub-fields Meta gives `id`, `name` and `location`. A place set up
    as something other than an object (a malformed payload on purpose) is served as it is."""
    if not isinstance(place, dict):
        return place
    specs = sub or tuple(parse_fields("id,name,location"))
    out: dict[str, Any] = {}
    for spec in specs:
        if spec.name not in _PLACE_FIELDS:
            raise _no_field(spec.name, "Place")
        if spec.name not in place:
            continue
        value = place[spec.name]
        if spec.name == "location" and isinstance(value, dict):
            fields = [s.name for s in spec.sub] if spec.sub else sorted(value)
            for field_name in fields:
                if field_name not in _LOCATION_FIELDS:
                    raise _no_field(field_name, "Location")
            value = {k: value[k] for k in fields if k in value}
        out[spec.name] = value
    return out


def _unsupported(node_id: str) -> GraphFault:
    return GraphFault(graph_error(100, f"Unsupported get request. Object with ID '{node_id}' does not exist, cannot "
                                       "be loaded due to missing permissions, or does not support this operation.",
                                  subcode=33, error_type="GraphMethodException"))


def _encode_cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{index}".encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        return int(raw.split(":", 1)[1])
    except (ValueError, IndexError):
        raise GraphFault(graph_error(100, "(#100) The after parameter is not a valid cursor")) from None


def _param_time(value: str | None) -> datetime | None:
    if not value:
        return None
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    return datetime.fromisoformat(value).astimezone(UTC)


def _token_from(headers: dict[str, str], params: dict[str, str]) -> tuple[str | None, str]:
    auth = headers.get("authorization", "")
    for scheme in ("Bearer ", "OAuth "):
        if auth.startswith(scheme):
            return auth[len(scheme):].strip(), "header"
    if params.get("access_token"):
        return params["access_token"], "param"
    return None, ""


def _redacted(params: dict[str, str]) -> dict[str, str]:
    return {k: ("<redacted>" if k in ("access_token", "input_token") else v) for k, v in params.items()}


def _handler_for(fake: FakeGraphAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms delayed-ACK stalls

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            if method == "POST":
                length = int(self.headers.get("content-length") or 0)
                form = self.rfile.read(length).decode("utf-8") if length else ""
                params.update(dict(parse_qsl(form, keep_blank_values=True)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = fake.handle(method, parts.path, params, headers)
            payload = (body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)).encode("utf-8")
            self.send_response(status)
            content_type = "text/html" if isinstance(body, str) else "application/json; charset=UTF-8"
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler


# --- helpers for tests and benchmarks -------------------------------------------------------------------


@dataclass
class PollResult:
    """Everything one poll yielded, as the bot would have stored it, and how it ended."""

    posts: list[Any] = field(default_factory=list)
    rejected: list[Any] = field(default_factory=list)
    cursor: str | None = None
    batches: int = 0
    error: Exception | None = None
    proven: frozenset[str] | None = None  # what the poll's requests proved (the generator's return value)

    @property
    def ids(self) -> list[str]:
        return [p.external_id for p in self.posts]


def run_poll(connector: Any, stream: str, cursor: str | None = None, *, max_batches: int | None = None) -> PollResult:
    """Drive `connector.poll` like the bot: keep each batch's cursor; stop after `max_batches` (a crash)."""
    from connectors.base import ConnectorError

    result = PollResult(cursor=cursor)
    gen = connector.poll(stream, cursor)
    try:
        while True:
            try:
                batch = next(gen)
            except StopIteration as done:
                result.proven = done.value
                break
            result.posts.extend(batch.posts)
            result.rejected.extend(batch.rejected)
            result.cursor = batch.cursor
            result.batches += 1
            if max_batches is not None and result.batches >= max_batches:
                break
    except ConnectorError as exc:
        result.error = exc
        result.proven = exc.proven
    finally:
        gen.close()
    return result

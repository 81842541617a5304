"""What the Facebook and Instagram connectors share: stream names, the guarded poll loop, bookmarks as JSON,
the token check stream and resumable first pages.

Each stream's cursor is a JSON object (opaque to the bot). It never holds the token: paging positions are
Meta's `after` cursors, not the `paging.next` URLs that embed the token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import structlog

from connectors.base import Batch, ConnectorError, Hold, Poll, Rejected, snapshot_day
from connectors.graph_client import (
    BatchRequest,
    GraphClient,
    GraphError,
    InvalidParameter,
    ObjectNotFound,
    Page,
    PermissionDenied,
    RateLimited,
    TokenInvalid,
    UnexpectedPayload,
)
from connectors.meta_guard import MetaGuard
from connectors.meta_paging import EdgeState, EdgeWalker, Key, Mark, Walk, item_key
from connectors.meta_profiles import snapshot_from, unique_authors
from connectors.meta_settings import MetaSettings
from connectors.meta_token import (
    INSIGHTS_SCOPES,
    RENEW_ES,
    REQUIRED_SCOPES,
    inspect_token,
    state_after_check,
    token_problems,
)
from domain import AccountSnapshot, Author, Platform, Post

log = structlog.get_logger("vigia.connectors.meta")

CURSOR_VERSION = 1
Handler = Callable[[str, str, dict[str, Any]], Iterator[Batch]]


def load_state(cursor: str | None, stream: str) -> dict[str, Any]:
    """The stream's saved state; an unreadable cursor starts afresh (upserts make that safe), with a warning."""
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        state = None
    if not isinstance(state, dict) or state.get("v") != CURSOR_VERSION:
        log.warning("unreadable bookmark: starting the stream afresh", stream=stream)
        return {}
    return state


def dump_state(state: Mapping[str, Any]) -> str:
    return json.dumps({**state, "v": CURSOR_VERSION}, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def make_batch(stream: str, results: Iterable[Post | Rejected | None], state: Mapping[str, Any],
               snapshots: Sequence[AccountSnapshot] = ()) -> Batch:
    """A page's posts and set-aside payloads with the stream state to save with them (None = skipped), and the
    account snapshots taken with this page (the poll adds the posts' authors)."""
    items = list(results)
    posts = tuple(r for r in items if isinstance(r, Post))
    rejected = tuple(r for r in items if isinstance(r, Rejected))
    return Batch(stream, posts, dump_state(state), rejected, snapshots=tuple(snapshots))


@dataclass(frozen=True)
class DailySnapshot:
    """What a stream's first batch of the poll carries about the account's followers, and the state to keep."""

    snapshots: tuple[AccountSnapshot, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    state: Mapping[str, Any] = field(default_factory=dict)  # {"snapshot_day": "YYYY-MM-DD"} once done today


def translate(stream: str, items: Iterable[Any], convert: Callable[[Any], Post | Rejected | None]
              ) -> list[Post | Rejected | None]:
    """Convert payload items; anything that does not convert is set aside with the reason, never raised."""
    out: list[Post | Rejected | None] = []
    for item in items:
        try:
            out.append(convert(item))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            out.append(Rejected(stream, f"carga no reconocida: {exc}", item))
    return out


@dataclass
class CommentsPlan:
    """How one platform lists its recent objects and reads the comments under them."""

    objects: dict[str, tuple[Any, Mapping[str, Any]]]  # object id -> (change signature, facts for conversion)
    path: Callable[[str], str]  # object id -> comments edge path
    params: Mapping[str, Any]  # query of the comments edge, fields included
    time_field: str
    convert: Callable[[str, Mapping[str, Any], Any], Post | Rejected | None]  # (object id, facts, item)
    flatten: Callable[[Any], Iterable[Any]] = field(default=lambda item: (item,))
    want: Callable[[Any, Any], int | None] = field(default=lambda old, new: None)  # (old sig, new sig)


class MetaConnectorBase:
    """A connector over one Graph API client for several accounts of one platform."""

    name = "meta"
    label = "Meta"

    def __init__(self, client: GraphClient, settings: MetaSettings, accounts: Sequence[str],
                 clock: Callable[[], datetime], access_token: str):
        if not accounts:
            raise ValueError(f"the {self.name} connector needs at least one account to watch")
        self._client = client
        self._settings = settings
        self._accounts = list(dict.fromkeys(accounts))
        self._clock = clock
        self._token = access_token
        self._guard = MetaGuard(self.label, settings, clock)
        self._kinds = settings.streams_for(self.name)  # type: ignore[arg-type]
        self._insights_refused: Any = None  # the Bogotá day Meta refused our insights metrics (read without them)

    # -- the Connector protocol --

    def streams(self) -> list[str]:
        names = [f"{self.name}:{kind}:{account}" for account in self._accounts for kind in self._kinds
                 if kind != "token"]
        if "token" in self._kinds:
            names.append(f"{self.name}:token")
        return names

    def causes(self, stream: str) -> tuple[str, ...]:
        """Problem keys that pause `stream`: the shared token, the app's rate limit, the API's availability,
        and a permission the stream needs."""
        return ("token:meta", "rate_limit:meta_app", "unavailable:meta", f"permission:{stream}")

    def held(self, stream: str) -> Hold | None:
        """The usage slow-down, while it lasts: every stream of this connector waits for it without asking."""
        pause = self._guard.slowing_down()
        return None if pause is None else Hold(f"usage:{self.name}", pause.message, pause.until)

    def poll(self, stream: str, cursor: str | None) -> Poll:
        kind, account = self._parse(stream)
        gate = self._guard.check(stream)
        if not gate:
            log.info("stream waits: the connector slows down on usage", stream=stream)
            return frozenset()  # no request: proves nothing
        state = load_state(cursor, stream)
        handler = self._poll_token if kind == "token" else self._handlers()[kind]
        answered = self._client.answered()
        last_cursor = cursor
        try:
            for batch in handler(stream, account, state):
                last_cursor = batch.cursor
                yield self._with_authors(batch)
                if self._guard.slow_down(self._client.usage) is not None:
                    self._client.reset_usage()
                    return self._proof(stream, kind, answered)
        except GraphError as exc:
            needed = REQUIRED_SCOPES.get((self.name, kind), ())
            error = self._guard.failure(stream, exc, permission=" / ".join(needed) or None)
            if isinstance(exc, UnexpectedPayload):  # kept aside like X's; the bookmark does not move
                yield Batch(stream, (), last_cursor, (Rejected(stream, f"{self.name}: {exc.describe()}",
                                                               _payload_of(exc)),))
            error.proven = self._proof(stream, kind, answered, failed=error.problem or f"connector:{stream}")
            raise error from None
        except ConnectorError as exc:
            exc.proven = self._proof(stream, kind, answered, failed=exc.problem or f"connector:{stream}")
            raise
        return self._proof(stream, kind, answered)

    def _proof(self, stream: str, kind: str, answered_before: int, failed: str | None = None) -> frozenset[str]:
        """What this poll's answered requests proved: nothing without a request; on failure, only the shared
        causes (never the one that failed, nor anything about this stream alone)."""
        if self._client.answered() <= answered_before:
            return frozenset()
        keys = {"token:meta", "rate_limit:meta_app", "unavailable:meta"}
        if failed is None:
            keys |= {f"connector:{stream}", f"permission:{stream}", f"payload:{self.name}"}
            if kind == "token":
                keys.add("token_check:meta")
            keys |= self._also_proven(stream, kind)
        return frozenset(keys - {failed})

    def _also_proven(self, stream: str, kind: str) -> set[str]:
        """Problem keys of this platform that a clean poll of `kind` also proves (e.g. one edge's permission)."""
        return set()

    # -- authors and follower snapshots (meta_profiles) --

    def _author_of(self, post: Post, seen_at: datetime) -> Author | None:
        """The post's author as the platform described it in the same response (None when it did not)."""
        return None

    def _with_authors(self, batch: Batch) -> Batch:
        """The batch with its posts' authors: no request, the fields were in the page already."""
        if not batch.posts:
            return batch
        seen_at = self._now()
        authors = unique_authors([*batch.authors, *(self._author_of(post, seen_at) for post in batch.posts)])
        return replace(batch, authors=authors)

    def _own_listing(self, stream: str, path: str, fields: str, insights_field: str,
                     params: Mapping[str, Any]) -> tuple[Page, list[Rejected], bool]:
        """The first page of the account's own posts/media, with insights when configured: (page, set-aside
        notes, whether insights came). Meta retires insights metrics now and then (error 100, "invalid metric"),
        which would fail the whole listing: then the page is read again without them, the refusal is kept aside
        (a warning, once a day) and the counts still come; the metrics are tried again the next day."""
        today = snapshot_day(self._now())
        if not self._settings.insights or self._insights_refused == today:
            return self._client.get_page(path, fields=fields, params=params), [], False
        try:
            return self._client.get_page(path, fields=f"{fields},{insights_field}", params=params), [], True
        except InvalidParameter as exc:
            if isinstance(exc, ObjectNotFound) or "metric" not in exc.message.lower():
                raise
            self._insights_refused = today
            log.warning("insights metrics refused: reading without them today", stream=stream, error=exc.describe())
            note = Rejected(stream, f"{self.name}: Meta rechazó las métricas de insights ({insights_field}); se leen "
                                    f"las publicaciones sin visualizaciones ni alcance hasta mañana: {exc.describe()}",
                            {"path": path, "fields": insights_field})
            return self._client.get_page(path, fields=fields, params=params), [note], False

    def _account_node(self, account: str) -> Any:
        """The account node with its follower counts (a light GET, unless the id lookup already carried it)."""
        raise NotImplementedError

    def _daily_snapshot(self, stream: str, account: str, state: Mapping[str, Any]) -> DailySnapshot:
        """Today's follower count of `account`, once per Bogotá day (the day is kept in the stream's state).

        A token or rate-limit error propagates (it stops every stream); another failure leaves the posts alone:
        a transient one is retried next poll, a refused or malformed answer is kept aside and retried tomorrow.
        """
        now = self._now()
        today = snapshot_day(now).isoformat()
        if state.get("snapshot_day") == today:
            return DailySnapshot(state={"snapshot_day": today})
        try:
            body = self._account_node(account)
        except (TokenInvalid, RateLimited):
            raise
        except GraphError as exc:
            if exc.is_transient:
                log.warning("follower snapshot failed: retried next poll", stream=stream, error=exc.describe())
                return DailySnapshot(state={})
            reason = f"{self.name}: seguidores de {account}: {exc.describe()}"
            return DailySnapshot(rejected=(Rejected(stream, reason, _payload_of(exc) if isinstance(
                exc, UnexpectedPayload) else {"account": account}),), state={"snapshot_day": today})
        platform = Platform(self.name)
        try:
            snapshot = snapshot_from(body, platform=platform, account=account, taken_at=now)
        except ValueError as exc:
            return DailySnapshot(rejected=(Rejected(stream, f"{self.name}: seguidores de {account}: {exc}", body),),
                                 state={"snapshot_day": today})
        return DailySnapshot(snapshots=(snapshot,), state={"snapshot_day": today})

    def close(self) -> None:
        self._client.close()

    # -- for subclasses --

    def _handlers(self) -> dict[str, Handler]:
        raise NotImplementedError

    def _parse(self, stream: str) -> tuple[str, str]:
        parts = stream.split(":", 2)
        if parts[0] == self.name and len(parts) == 2 and parts[1] == "token" and "token" in self._kinds:
            return "token", ""
        if (len(parts) != 3 or parts[0] != self.name or parts[1] not in self._kinds
                or parts[2] not in self._accounts):
            raise ConnectorError(f"flujo desconocido {stream!r}; conocidos: {', '.join(self.streams())}",
                                 stream=stream, fatal=True)
        return parts[1], parts[2]

    def _now(self) -> datetime:
        return self._clock()

    def _backfill_floor(self) -> datetime:
        return self._now() - timedelta(hours=self._settings.backfill_hours)

    def _catch_up_floor(self) -> datetime:
        return self._now() - timedelta(days=self._settings.max_catch_up_days)

    def _refresh_window(self, state: Mapping[str, Any]) -> tuple[Mark | None, datetime]:
        """Where an own-posts/media re-read starts: the metrics window, the backfill on a first run, and after an
        outage back to the newest stored item (within `max_catch_up_days`) so nothing is skipped."""
        try:
            mark = Mark.from_json(state.get("mark"))
        except ValueError:
            mark = None
        window = self._now() - timedelta(days=self._settings.metrics_refresh_days)
        if mark is None:
            return None, min(window, self._backfill_floor())
        return mark, max(self._catch_up_floor(), min(window, mark.t))

    def _first_page(self, path: str, fields: str, params: Mapping[str, Any]) -> Callable[[str | None], Page]:
        """Fetch the first page, or resume after a saved cursor (falling back to the top if Meta refuses it)."""

        def first(after: str | None) -> Page:
            if after:
                try:
                    return self._client.get_page(path, fields=fields, params=params, after=after)
                except ObjectNotFound:
                    raise
                except InvalidParameter as exc:
                    log.warning("saved paging cursor refused: restarting from the newest", path=path,
                                error=exc.describe())
            return self._client.get_page(path, fields=fields, params=params)

        return first

    def _required_scopes(self) -> list[str]:
        scopes = [s for kind in self._kinds for s in REQUIRED_SCOPES.get((self.name, kind), ())]
        if self._settings.insights:
            scopes.append(INSIGHTS_SCOPES[self.name])
        return list(dict.fromkeys(scopes))

    # -- the token check stream --

    def _poll_token(self, stream: str, _account: str, state: dict[str, Any]) -> Iterator[Batch]:
        """Check the token once per `token_check_hours`. Between checks nothing is asked and nothing is said:
        a warning the last check found stays open in the bot (`token_check:meta`) until a check finds the
        token healthy, and a request-less poll neither repeats nor clears it."""
        now = self._now()
        checked = state.get("checked_at")
        try:
            last = datetime.fromisoformat(checked) if isinstance(checked, str) else None
        except ValueError:
            last = None
        every = timedelta(hours=self._settings.token_check_hours)
        if last is not None and now - last < every:
            return
        report = inspect_token(self._client, self._token)
        problems = token_problems(report, now, self._settings.token_warn_days, self._required_scopes())
        yield make_batch(stream, [], {**state_after_check(report, now), "problems": problems})
        if problems:
            raise ConnectorError(f"{self.label}: {' '.join(problems)} {RENEW_ES}", stream=stream, fatal=True,
                                 retry_after=every.total_seconds(), problem="token_check:meta")

    # -- comments under recent objects (posts or media), shared by both platforms --

    def _poll_object_comments(self, stream: str, state: dict[str, Any], plan: CommentsPlan) -> Iterator[Batch]:
        """Read new comments under every recent object whose signature changed since the last poll.

        Objects are listed once (one request when nothing changed). Then pages travel in rounds: round 1
        holds the first page of every changed object (and the saved position of any walk a crash
        interrupted), round r+1 the next page of every object still above its bookmark; each round is one
        batch call per 50 objects. After each call, its items are saved with every object's walk state.
        """
        first_run = not state
        before: dict[str, Any] = dict(state.get("objects") or {})
        objects = {oid: entry for oid, entry in before.items() if oid in plan.objects and isinstance(entry, dict)}
        floor = self._backfill_floor() if first_run else self._catch_up_floor()
        yielded = False
        errors: list[GraphError] = []
        walkers: dict[str, EdgeWalker] = {}
        requests: dict[str, BatchRequest] = {}
        for oid in plan.objects:
            entry = objects.get(oid, {})
            edge = EdgeState.from_json(entry.get("edge"))
            if not edge.in_progress and oid in objects and entry.get("sig") == plan.objects[oid][0]:
                continue  # unchanged since the last poll
            want = plan.want(entry.get("sig"), plan.objects[oid][0]) if edge.mark is not None else None
            walkers[oid] = EdgeWalker(Walk(key=self._key(plan.time_field), flatten=plan.flatten, floor=floor,
                                           want=want, extra_pages=self._settings.reconcile_max_pages), edge)
            params = {**plan.params, "after": edge.after} if edge.after else plan.params
            requests[oid] = BatchRequest(plan.path(oid), params)
        while requests:
            following: dict[str, BatchRequest] = {}
            order = list(requests)
            for start in range(0, len(order), 50):
                chunk = order[start : start + 50]
                results = self._fetch_pages([requests[oid] for oid in chunk])
                found: list[Post | Rejected | None] = []
                for oid, result in zip(chunk, results, strict=True):
                    if isinstance(result, TokenInvalid | RateLimited | PermissionDenied):
                        raise result
                    if isinstance(result, ObjectNotFound):
                        objects.pop(oid, None)  # deleted since it was listed
                        continue
                    if isinstance(result, InvalidParameter) and "after" in requests[oid].params:
                        log.warning("saved paging cursor refused: restarting from the newest", object=oid)
                        following[oid] = BatchRequest(plan.path(oid), plan.params)
                        continue
                    if isinstance(result, GraphError):
                        errors.append(result)
                        continue
                    step = walkers[oid].feed(result)
                    sig = plan.objects[oid][0] if step.done else objects.get(oid, {}).get("sig")
                    objects[oid] = {"edge": step.state.to_json(), "sig": sig}
                    facts = plan.objects[oid][1]
                    found.extend(translate(stream, step.items, lambda item, o=oid, f=facts: plan.convert(o, f, item)))
                    if not step.done:
                        following[oid] = self._client.request_for_next(result)
                yielded = True
                yield make_batch(stream, found, {"objects": objects})
            requests = following
        if not yielded and (first_run or objects != before):
            yield make_batch(stream, [], {"objects": objects})
        if errors:
            log.warning("comments of some objects could not be read", stream=stream, failed=len(errors))
            raise errors[0]

    def _fetch_pages(self, requests: Sequence[BatchRequest]) -> list[Page | GraphError]:
        """One plain GET for a single page, a batch call otherwise; failures are returned in place."""
        if len(requests) == 1:
            try:
                return [self._client.get_page(requests[0].path, params=requests[0].params)]
            except GraphError as exc:
                return [exc]
        return self._client.batch_pages(requests)

    @staticmethod
    def _key(time_field: str) -> Callable[[Any], Key | None]:
        return lambda item: item_key(item, time_field)


def _payload_of(exc: UnexpectedPayload) -> Any:
    """What Meta sent, to keep aside (the client keeps the body, or the first 500 characters of a non-JSON one)."""
    payload = getattr(exc, "payload", None)
    return payload if payload is not None else {"path": exc.path, "message": exc.message}

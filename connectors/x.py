"""The X (Twitter) connector: mentions, own posts, metrics refresh and searches through tweepy and X API v2.

Streams, for each watched handle and each configured search:
- ``x:mentions:<handle>``  `/2/users/:id/mentions` — citizens naming the account (kind mention, or reply when
  they answer a post);
- ``x:own:<handle>``       `/2/users/:id/tweets` (reposts excluded) — the ministry's posts and its replies to
  citizens (`is_own`, kind own_post or reply; in_reply_to_id and conversation_id measure response times);
- ``x:metrics:<handle>``   the same timeline for the last `metrics_refresh_days`, re-read every
  `metrics_refresh_minutes`, so `public_metrics` (and `non_public_metrics` when allowed) stay current;
- ``x:search:<n>``         `/2/tweets/search/recent` for the n-th configured query (1-based). Hits written by
  a watched account, or that @-mention or answer one, are left to the own / mentions streams
  (`x_mapping.search_duplicate`), so a post is never stored as a search hit and later as a mention.

Authors: every page asks `expansions=author_id` with the profile `user.fields` (x_profiles), so each Batch
carries its posts' authors (`Batch.authors`) at no extra request; likewise `expansions=geo.place_id` with
`place.fields` brings the place a post is tagged with (`includes.places`, mapped to `Post.geo`). The watched
account's follower count (`Batch.snapshots`, at most one per Bogotá day per process) comes from its own user
object in the pages of its timeline (x:own, x:metrics) or from the id lookup; only when neither carried it
today (the account posted nothing in the metrics window) does one lookup a day ask for it, after the metrics
refresh (or in x:own when there is no metrics stream).

Efficiency: `max_results=100`, pages followed with `pagination_token`/`next_token` down to the bookmark, so a
poll with nothing new costs one request and N new posts cost ceil(N/100). The bookmark (`x_cursor`) travels
with each page. X serves only the last 800 mentions and 3,200 posts of a timeline: when a run reaches the cap,
the rest is fetched through recent search (`@handle` / `from:handle`) below the oldest post received.

Resilience: a shared `RateBudget` per endpoint keeps requests under X's limits (in memory: a proactive
budget, not a problem). A poll the budget stops (spent, or blocked after a 429) ends quietly, and `held` tells
the bot that the stream waits until the window's reset, so that poll is not counted as a successful one and
`main.py status` shows the stream paused. Failures are raised as `ConnectorError`s naming their cause, and
the bot stores the problem and pauses every stream that shares it (`bot/alerts/problems.py`): `token:x` (401,
or an app outside a Project), `access:x:<endpoint>` (403 for one endpoint: a plan without search must not stop
mentions), `rate_limit:x:<endpoint>` (429, until X's reset), `quota:x` (the monthly post cap), `unavailable:x` (5xx
and timeouts that outlast `XApi`'s retries), `payload:x` (a malformed page, kept aside as `Rejected`).
A clean poll returns the causes its successful requests proved fine; a poll that asked nothing proves
nothing. `errors` in a 200 are logged and the good data kept.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests
import structlog
import tweepy

from connectors.base import Backoff, Batch, ConnectorError, Hold, Poll, Rejected, snapshot_day
from connectors.x_api import (
    MENTIONS,
    SEARCH,
    USER_TWEETS,
    USERS,
    AuthFailed,
    BadRequest,
    Page,
    RateLimited,
    Unavailable,
    XApi,
    XApiError,
    rate_limit_wait,
)
from connectors.x_cursor import Pending, StreamState, format_cursor, newest, oldest, parse_cursor
from connectors.x_limits import RateBudget
from connectors.x_mapping import (
    EXPANSIONS,
    NON_PUBLIC_FIELD,
    PLACE_FIELDS,
    TWEET_FIELDS,
    USER_FIELDS,
    MalformedPage,
    MapContext,
    PageContent,
    field_denied,
    map_page,
    problem_summary,
    read_page,
)
from connectors.x_profiles import account_snapshot, page_authors
from connectors.x_session import BaseUrlSession
from connectors.x_settings import XSettings
from domain import AccountSnapshot, Author, Post

log = structlog.get_logger("vigia.connectors.x")

PAGE_SIZE = 100
MENTIONS_CAP = 800  # X serves only the most recent 800 mentions of an account
TIMELINE_CAP = 3200  # ... and the most recent 3,200 posts of its timeline
SEARCH_WINDOW = timedelta(days=7) - timedelta(minutes=5)  # recent search: last 7 days, with a margin
USAGE_CAP_PAUSE = timedelta(hours=1)
LOOKUP_FIELDS = ("username", "public_metrics")  # the account lookup also gives its follower count


@dataclass(frozen=True)
class StreamSpec:
    name: str
    role: str  # "mention" | "own" | "metrics" | "search"
    handle: str  # the watched handle (search: the default account)
    query: str | None = None

    @property
    def endpoint(self) -> str:
        return {"mention": MENTIONS, "own": USER_TWEETS, "metrics": USER_TWEETS, "search": SEARCH}[self.role]


class _Deferred(Exception):
    """No request now (the rate budget is spent or a 429 blocks the endpoint): stop this poll quietly and
    resume later. Nothing failed and nothing was proved."""

    def __init__(self, endpoint: str, until: datetime | None, why: str):
        super().__init__(why)
        self.endpoint = endpoint
        self.until = until
        self.why = why


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stream_specs(accounts: Sequence[str], settings: XSettings) -> list[StreamSpec]:
    specs: list[StreamSpec] = []
    for handle in accounts:
        specs.append(StreamSpec(f"x:mentions:{handle}", "mention", handle))
        specs.append(StreamSpec(f"x:own:{handle}", "own", handle))
        if settings.metrics_refresh_days > 0:
            specs.append(StreamSpec(f"x:metrics:{handle}", "metrics", handle))
    default = accounts[0] if accounts else ""
    for n, query in enumerate(settings.searches, start=1):
        specs.append(StreamSpec(f"x:search:{n}", "search", default, query))
    return specs


class XConnector:
    """Polls X streams page by page; one instance per process keeps the rate budget and pauses."""

    name = "x"

    def __init__(self, api: XApi, settings: XSettings, accounts: Sequence[str],
                 clock: Callable[[], datetime]):
        self.api = api
        self.settings = settings
        self.accounts = [a.lstrip("@") for a in accounts]
        self.clock = clock
        self._specs = {s.name: s for s in stream_specs(self.accounts, settings)}
        self._watched = {a.lower(): a for a in self.accounts}
        self._ids: dict[str, str] = {}  # lower-case handle -> user id (cached for the process)
        self._proven: dict[str, set[str]] = {}  # stream -> causes its current poll's requests proved fine
        self._no_private_metrics: set[str] = set()  # handles whose token may not read non_public_metrics
        self._snapshot_day: dict[str, date] = {}  # lower-case handle -> Bogotá day of its last snapshot
        self._looked_up: dict[str, Mapping[str, Any]] = {}  # lower-case handle -> user object of the id lookup
        self._lookup_day: dict[str, date] = {}  # lower-case handle -> Bogotá day of its last follower lookup
        self._deferred: dict[str, str] = {}  # stream -> endpoint whose budget stopped its last poll
        for spec in self._specs.values():  # every stream on an endpoint gets a fair share of its budget
            api.budget.join(spec.endpoint, spec.name)
            if spec.role in ("mention", "own") and settings.fill_timeline_gaps:
                api.budget.join(SEARCH, spec.name)

    # --- Connector protocol ---------------------------------------------------------------------------

    def streams(self) -> list[str]:
        return list(self._specs)

    def causes(self, stream: str) -> tuple[str, ...]:
        """Problem keys that pause `stream`: the app's token and quota, X's availability, its endpoint's
        limit and access."""
        spec = self._specs.get(stream)
        endpoint = spec.endpoint if spec is not None else ""
        return ("token:x", "quota:x", "unavailable:x", f"rate_limit:x:{endpoint}", f"access:x:{endpoint}")

    def held(self, stream: str) -> Hold | None:
        """The request budget that stopped `stream`'s last poll, while it still says no: X's window is spent
        (or the stream's fair share of it), or a 429 blocks the endpoint until X's reset."""
        endpoint = self._deferred.get(stream)
        if endpoint is None:
            return None
        now = self.clock()
        until = self.api.budget.held_until(endpoint, stream, now)
        return None if until is None else Hold(f"budget:x:{endpoint}", self._held_reason(endpoint, now), until)

    def _held_reason(self, endpoint: str, now: datetime) -> str:
        """Why, in Spanish, after 'en pausa por' (`bot.health.held_es`)."""
        window = self.api.budget.status(endpoint)
        if window.blocked_until is not None and now < window.blocked_until:
            return f"límite de X (HTTP 429) en {endpoint}"
        spent = f"presupuesto de solicitudes de X agotado en {endpoint}"
        if window.limit is None:
            return spent
        if window.remaining:
            return (f"{spent} (su parte de las {window.limit} por ventana de 15 min ya se usó; lo que queda, "
                    f"{window.remaining}, es de otros flujos)")
        return f"{spent} ({window.limit} por ventana de 15 min)"

    def poll(self, stream: str, cursor: str | None) -> Poll:
        spec = self._specs.get(stream)
        if spec is None:
            raise ConnectorError(f"flujo desconocido {stream!r} para el conector de X", stream=stream, fatal=True)
        state = parse_cursor(cursor)
        proven = self._proven[stream] = set()
        self._deferred.pop(stream, None)
        try:
            if spec.role == "metrics":
                yield from self._poll_metrics(spec, state, cursor)
            else:
                yield from self._poll_timeline(spec, state, cursor)
        except _Deferred as deferred:
            self._deferred[stream] = deferred.endpoint
            log.info("x poll deferred", stream=stream, endpoint=deferred.endpoint, why=deferred.why,
                     until=deferred.until.isoformat() if deferred.until else None)
        except XApiError as exc:
            raise self._failure(spec, exc) from None
        except ConnectorError as exc:
            exc.proven = frozenset(proven - {f"connector:{stream}"})
            raise
        return frozenset(proven)

    # --- requests -------------------------------------------------------------------------------------

    def _fetch(self, spec: StreamSpec, endpoint: str, params: Mapping[str, Any]) -> Page:
        now = self.clock()
        if not self.api.budget.allow(endpoint, spec.name, now):
            raise _Deferred(endpoint, self.api.budget.retry_at(endpoint, now), "rate budget")
        page = self.api.call(endpoint, spec.name, params)
        self._proven.setdefault(spec.name, set()).update(
            ("token:x", "quota:x", "unavailable:x", f"rate_limit:x:{endpoint}", f"access:x:{endpoint}",
             f"connector:{spec.name}"))
        return page

    def _failure(self, spec: StreamSpec, exc: XApiError) -> ConnectorError:
        """The error to raise, with what requests before it proved (never the cause that just failed)."""
        error = self._describe(spec, exc)
        error.proven = frozenset(self._proven.get(spec.name, set())
                                 - {f"connector:{spec.name}", error.problem or f"connector:{spec.name}"})
        return error

    def _describe(self, spec: StreamSpec, exc: XApiError) -> ConnectorError:
        """Name the cause of an error, say how long to stay away, and describe it for operators."""
        now = self.clock()
        endpoint = exc.endpoint or spec.endpoint
        every = float(self.settings.poll_interval_seconds)
        if isinstance(exc, RateLimited):
            if exc.usage_cap:
                until = max(now + USAGE_CAP_PAUSE, exc.reset_at or now)
                hour = USAGE_CAP_PAUSE.total_seconds()
                return ConnectorError(
                    f"X: se agotó el cupo mensual de publicaciones del plan (HTTP 429 UsageCapExceeded en "
                    f"{endpoint}). Vigía pausa la lectura de X y reintenta cada hora. Solución: amplíe el plan "
                    f"en developer.x.com o reduzca búsquedas/cuentas. Detalle de X: {exc.detail or 'sin detalle'}",
                    stream=spec.name, retry_after=(until - now).total_seconds(), fatal=True, problem="quota:x",
                    backoff=Backoff(hour, hour))
            window = self.api.budget.status(endpoint)  # without a reset header: the reset X announced last
            known = window.reset_at if window.reset_from_header else None
            reset_at = exc.reset_at or (known if known is not None and known > now else None)
            until = rate_limit_wait(reset_at, now, self.settings.rate_limit_min_wait_seconds)
            self.api.budget.block(endpoint, until)
            return ConnectorError(
                f"X limitó las solicitudes a {endpoint} (HTTP 429); los flujos de ese endpoint esperan hasta "
                f"{until:%H:%M:%S} UTC y retoman desde donde quedaron (los demás siguen)",
                stream=spec.name, retry_after=(until - now).total_seconds(), problem=f"rate_limit:x:{endpoint}",
                backoff=Backoff(self.settings.rate_limit_min_wait_seconds, 16 * 60))
        if isinstance(exc, AuthFailed):
            # 401: the bearer token, shared by every stream. 403: what the plan or project allows on this
            # endpoint (X answers the Free plan's search with 403 client-not-enrolled while mentions work).
            return ConnectorError(str(exc), stream=spec.name, fatal=True,
                                  problem="token:x" if exc.status == 401 else f"access:x:{endpoint}",
                                  backoff=Backoff(self.settings.auth_pause_seconds,
                                                  self.settings.auth_pause_max_seconds))
        if isinstance(exc, Unavailable):
            return ConnectorError(str(exc), stream=spec.name, problem="unavailable:x",
                                  backoff=Backoff(every, 3600))
        return ConnectorError(f"{exc} — si persiste, puede haber cambiado la API de X; revise el registro",
                              stream=spec.name, backoff=Backoff(every, 3600))

    def _malformed(self, spec: StreamSpec, endpoint: str, bad: Exception) -> ConnectorError:
        """A page kept aside: a warning under `payload:x` (the bot escalates it when it repeats)."""
        return ConnectorError(f"X devolvió una respuesta con formato inesperado en {endpoint} ({bad}); se guardó "
                              "en rejected_payloads para inspección. Si se repite, la API pudo cambiar.",
                              stream=spec.name, retry_after=self.settings.poll_interval_seconds,
                              problem="payload:x")

    def _user_id(self, spec: StreamSpec, state: StreamState) -> str:
        key = spec.handle.lower()
        if state.user_id:
            self._ids.setdefault(key, state.user_id)
            return state.user_id
        if key in self._ids:
            return self._ids[key]
        try:
            page = self._fetch(spec, USERS, {"username": spec.handle, "user_fields": list(LOOKUP_FIELDS)})
        except BadRequest as exc:
            raise ConnectorError(f"X no acepta @{spec.handle} como nombre de cuenta ({exc.detail}). Solución: "
                                 "corrija accounts.x en config.yaml (letras, números y _, hasta 15).",
                                 stream=spec.name, fatal=True) from None
        body = page.body if isinstance(page.body, dict) else {}
        data = body.get("data")
        user_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(user_id, str) or not user_id.isdigit():
            problems = ", ".join(problem_summary(body.get("errors", []) or [])) or "sin datos"
            raise ConnectorError(
                f"X no encontró la cuenta @{spec.handle} ({problems}): puede estar mal escrita, suspendida o "
                "haber cambiado de nombre. Solución: corrija accounts.x en config.yaml.",
                stream=spec.name, fatal=True)
        self._ids[key] = user_id
        self._looked_up[key] = data  # its follower count goes out with the stream's next page
        return user_id

    # --- authors and the watched accounts' audience ----------------------------------------------------

    def _snapshot(self, handle: str, user: Mapping[str, Any], now: datetime) -> AccountSnapshot | None:
        """The account's follower count, at most once per Bogotá day (storage keeps one a day)."""
        key = handle.lower()
        day = snapshot_day(now)
        if self._snapshot_day.get(key) == day:
            return None
        snapshot = account_snapshot(user, self._watched.get(key, handle), now)
        if snapshot is not None:
            self._snapshot_day[key] = day
        return snapshot

    def _profiles(self, spec: StreamSpec, content: PageContent,
                  posts: Sequence[Post]) -> tuple[tuple[Author, ...], tuple[AccountSnapshot, ...]]:
        """The page's authors, and a snapshot of any watched account whose own user object the page carries
        (its timeline's pages do: the account is their author). No request is made here."""
        now = self.clock()
        authors = page_authors(posts, content.users, now, spec.name)
        snapshots: list[AccountSnapshot] = []
        looked_up = self._looked_up.pop(spec.handle.lower(), None)
        if looked_up is not None and (snapshot := self._snapshot(spec.handle, looked_up, now)):
            snapshots.append(snapshot)
        watched_ids = {uid: self._watched[h] for h, uid in self._ids.items() if h in self._watched}
        for user_id, user in content.users.items():
            name = user.get("username")
            handle = watched_ids.get(user_id) or (self._watched.get(name.lower()) if isinstance(name, str) else None)
            if handle and (snapshot := self._snapshot(handle, user, now)):
                snapshots.append(snapshot)
        return authors, tuple(snapshots)

    def _daily_lookup(self, spec: StreamSpec) -> tuple[AccountSnapshot, ...]:
        """No page today carried the account's own profile (it has not posted lately): ask X for it, at most
        once per account per Bogotá day, whatever the answer."""
        key = spec.handle.lower()
        now = self.clock()
        day = snapshot_day(now)
        if self._snapshot_day.get(key) == day or self._lookup_day.get(key) == day:
            return ()
        try:
            page = self._fetch(spec, USERS, {"username": spec.handle, "user_fields": list(LOOKUP_FIELDS)})
        except _Deferred:
            return ()
        except XApiError as exc:
            self._lookup_day[key] = day
            log.info("x follower count lookup failed; tried again tomorrow", stream=spec.name, error=str(exc))
            return ()
        self._lookup_day[key] = day
        body = page.body if isinstance(page.body, dict) else {}
        data = body.get("data")
        snapshot = self._snapshot(spec.handle, data, now) if isinstance(data, dict) else None
        if snapshot is None:
            log.warning("x account lookup carried no follower count", stream=spec.name)
        return (snapshot,) if snapshot else ()

    def _context(self, spec: StreamSpec, user_id: str | None, role: str) -> MapContext:
        watched_ids = {uid: self._watched[h] for h, uid in self._ids.items() if h in self._watched}
        return MapContext(stream=spec.name, role=role, account=spec.handle,  # type: ignore[arg-type]
                          account_id=user_id, watched=self._watched, watched_ids=watched_ids)

    def _fields(self, spec: StreamSpec) -> dict[str, Any]:
        tweet_fields = list(TWEET_FIELDS)
        if (spec.role == "metrics" and self.settings.non_public_metrics
                and spec.handle.lower() not in self._no_private_metrics):
            tweet_fields.append(NON_PUBLIC_FIELD)
        return {"max_results": PAGE_SIZE, "tweet_fields": tweet_fields, "expansions": list(EXPANSIONS),
                "user_fields": list(USER_FIELDS), "place_fields": list(PLACE_FIELDS)}

    def _gap_query(self, spec: StreamSpec) -> str:
        if spec.role == "mention":
            return f"@{spec.handle} -from:{spec.handle}"
        return f"from:{spec.handle} -is:retweet"

    def _request(self, spec: StreamSpec, state: StreamState, run: Pending, token: str | None,
                 until_id: str | None, user_id: str | None) -> tuple[str, dict[str, Any]]:
        params = self._fields(spec)
        params["since_id"] = state.since_id
        params["start_time"] = None if state.since_id else run.start_time
        params["until_id"] = until_id
        now = self.clock()
        if run.phase == "gap" or spec.role == "search":
            floor = _iso(now - SEARCH_WINDOW)
            if params["start_time"] is not None and params["start_time"] < floor:
                params["start_time"] = floor
            params["query"] = spec.query if run.phase != "gap" else self._gap_query(spec)
            params["next_token"] = token
            return SEARCH, params
        params["id"] = user_id
        params["pagination_token"] = token
        params["exclude"] = ["retweets"] if spec.role == "own" else None
        return (MENTIONS if spec.role == "mention" else USER_TWEETS), params

    # --- timelines and searches -----------------------------------------------------------------------

    def _backfill_start(self, spec: StreamSpec, now: datetime) -> str:
        start = now - timedelta(hours=self.settings.backfill_hours)
        if spec.role == "search":
            start = max(start, now - SEARCH_WINDOW)
        return _iso(start)

    def _read(self, spec: StreamSpec, page: Page, last_cursor: str | None) -> PageContent:
        """The page's content; a page with the wrong shape is kept aside and stops the poll."""
        try:
            content = read_page(page.body)
        except MalformedPage as exc:
            payload = page.body if page.body is not None else page.text[:20_000]
            raise _Malformed(Batch(spec.name, (), last_cursor,
                                   (Rejected(spec.name, f"x: malformed response: {exc}", payload),)),
                             str(exc)) from None
        self._proven.setdefault(spec.name, set()).add("payload:x")
        if content.errors:
            problems = problem_summary(content.errors)
            log.warning("x answered with partial errors; the good data is kept", stream=spec.name,
                        count=len(problems), errors=problems[:20])
        return content

    def _poll_timeline(self, spec: StreamSpec, state: StreamState, cursor: str | None) -> Iterator[Batch]:
        now = self.clock()
        if spec.role == "search" and state.query != spec.query:
            if state.query is not None:
                log.warning("x search query changed: its bookmark starts afresh", stream=spec.name)
            state = StreamState(query=spec.query)
        user_id = None
        if spec.role != "search":
            user_id = self._user_id(spec, state)
            state = replace(state, user_id=user_id)
        run = state.pending or Pending(start_time=None if state.since_id else self._backfill_start(spec, now))
        ctx = self._context(spec, user_id, "search" if spec.role == "search" else spec.role)
        token: str | None = None
        session_until = run.until_id  # the until_id of the first request; pages keep the same parameters
        last_cursor = cursor
        cap = {"mention": MENTIONS_CAP, "own": TIMELINE_CAP}.get(spec.role)
        while True:
            endpoint, params = self._request(spec, state, run, token, session_until, user_id)
            try:
                page = self._fetch(spec, endpoint, params)
            except (BadRequest, AuthFailed) as exc:
                if run.phase == "gap":
                    self._give_up_gap(spec, run, str(exc))
                    break
                if (spec.role == "search" and state.since_id and isinstance(exc, BadRequest)
                        and ("since_id" in exc.parameters or "since_id" in exc.detail)):
                    # After more than 7 days away the bookmark is older than recent search reaches.
                    log.warning("x search bookmark is older than 7 days: posts in between are out of reach",
                                stream=spec.name, since_id=state.since_id)
                    state = replace(state, since_id=None)
                    run = replace(run, start_time=_iso(self.clock() - SEARCH_WINDOW))
                    token, session_until = None, run.until_id
                    continue
                raise
            try:
                content = self._read(spec, page, last_cursor)
            except _Malformed as bad:
                yield bad.batch
                raise self._malformed(spec, endpoint, bad) from None
            mapped = map_page(content, ctx)
            authors, snapshots = self._profiles(spec, content, mapped.posts)
            if mapped.skipped:
                log.debug("x search hits left to other streams", stream=spec.name, skipped=mapped.skipped)
            run = replace(run, newest_id=newest(run.newest_id, content.newest_id),
                          fetched=run.fetched + len(content.tweets))
            if content.next_token:
                run = replace(run, until_id=oldest(run.until_id, content.oldest_id))
                last_cursor = format_cursor(state.with_pending(run))
                yield Batch(spec.name, mapped.posts, last_cursor, mapped.rejected, authors, snapshots)
                token = content.next_token
                continue
            if run.phase == "timeline" and cap is not None and run.fetched >= cap:
                if self.settings.fill_timeline_gaps:
                    run = replace(run, phase="gap", until_id=oldest(run.until_id, content.oldest_id))
                    log.warning("x timeline cap reached: fetching the rest through recent search",
                                stream=spec.name, fetched=run.fetched, cap=cap)
                    last_cursor = format_cursor(state.with_pending(run))
                    yield Batch(spec.name, mapped.posts, last_cursor, mapped.rejected, authors, snapshots)
                    token, session_until = None, run.until_id
                    continue
                log.warning("x timeline cap reached: older posts may be missing", stream=spec.name, cap=cap)
            final = format_cursor(replace(state, since_id=newest(state.since_id, run.newest_id), pending=None))
            if spec.role == "own" and self.settings.metrics_refresh_days == 0:  # no x:metrics stream to rely on
                snapshots += self._daily_lookup(spec)
            if mapped.posts or mapped.rejected or snapshots or final != cursor:
                yield Batch(spec.name, mapped.posts, final, mapped.rejected, authors, snapshots)
            return
        final = format_cursor(replace(state, since_id=newest(state.since_id, run.newest_id), pending=None))
        yield Batch(spec.name, (), final)

    @staticmethod
    def _give_up_gap(spec: StreamSpec, run: Pending, why: str) -> None:
        log.warning("x timeline gap cannot be filled: some older posts are missing", stream=spec.name, why=why,
                    below_id=run.until_id)

    # --- metrics refresh ------------------------------------------------------------------------------

    def _poll_metrics(self, spec: StreamSpec, state: StreamState, cursor: str | None) -> Iterator[Batch]:
        now = self.clock()
        user_id = self._user_id(spec, state)
        state = replace(state, user_id=user_id)
        run = state.pending
        if run is None:
            last = _parse_iso(state.refreshed_at)
            if last is not None and now - last < timedelta(minutes=self.settings.metrics_refresh_minutes):
                return
            run = Pending(start_time=_iso(now - timedelta(days=self.settings.metrics_refresh_days)),
                          started_at=now.isoformat())
        ctx = self._context(spec, user_id, "own")
        token: str | None = None
        session_until = run.until_id
        last_cursor = cursor
        while True:
            params = self._fields(spec)
            params.update(id=user_id, start_time=run.start_time, until_id=session_until, pagination_token=token,
                          exclude=["retweets"])
            page = self._fetch(spec, USER_TWEETS, params)
            try:
                content = self._read(spec, page, last_cursor)
            except _Malformed as bad:
                yield bad.batch
                raise self._malformed(spec, USER_TWEETS, bad) from None
            if NON_PUBLIC_FIELD in params["tweet_fields"] and field_denied(content.errors, NON_PUBLIC_FIELD):
                self._no_private_metrics.add(spec.handle.lower())
                log.warning("x token may not read non_public_metrics; using public_metrics only",
                            stream=spec.name)
            mapped = map_page(content, ctx)
            authors, snapshots = self._profiles(spec, content, mapped.posts)
            if content.next_token:
                run = replace(run, until_id=oldest(run.until_id, content.oldest_id))
                last_cursor = format_cursor(state.with_pending(run))
                yield Batch(spec.name, mapped.posts, last_cursor, mapped.rejected, authors, snapshots)
                token = content.next_token
                continue
            # The refreshed timeline carries the account's own profile unless it posted nothing in the window.
            snapshots += self._daily_lookup(spec)
            yield Batch(spec.name, mapped.posts,
                        format_cursor(replace(state, refreshed_at=run.started_at, pending=None)), mapped.rejected,
                        authors, snapshots)
            return


class _Malformed(Exception):
    def __init__(self, batch: Batch, why: str):
        super().__init__(why)
        self.batch = batch


def build_x_connector(settings: Any, accounts: Sequence[str], bearer_token: str,
                      clock: Callable[[], datetime], *, sleep: Callable[[float], None] = time.sleep,
                      rng: random.Random | None = None) -> XConnector:
    """The X connector as the bot uses it: tweepy's Client on a session pointed at `x.api_base_url`.

    `settings` is `bot.config.XConnector` (or an `XSettings`); `sleep` and `rng` are injected so tests never
    wait for the retry back-off.
    """
    config = XSettings.from_config(settings)
    if not bearer_token:
        raise ValueError("connectors.x.enabled es true pero falta X_BEARER_TOKEN en el entorno: cree un Bearer "
                         "Token en developer.x.com (Projects & Apps → Keys and tokens) y expórtelo")
    if not accounts:
        raise ValueError("connectors.x.enabled es true pero accounts.x está vacío en config.yaml")
    client = tweepy.Client(bearer_token=bearer_token, return_type=requests.Response, wait_on_rate_limit=False)
    client.session = BaseUrlSession(config.api_base_url, config.request_timeout_seconds)
    api = XApi(client, RateBudget(), clock, max_retries=config.max_retries,
               retry_base_seconds=config.retry_base_seconds, retry_max_seconds=config.retry_max_seconds,
               sleep=sleep, rng=rng or random.Random())
    return XConnector(api, config, accounts, clock)

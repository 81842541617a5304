"""A local fake of the X API v2 read endpoints Vigía uses, on 127.0.0.1, for tests, benchmarks and demos.

It follows `../shared/specs/x-api-v2-openapi.json` and X's documented behaviour for:
`GET /2/users/by/username/:username`, `GET /2/users/:id/mentions`, `GET /2/users/:id/tweets` and
`GET /2/tweets/search/recent`:
- the bearer token, query parameter names and field/expansion values the spec allows (400 otherwise),
  `max_results` 5–100 (search: 10–100), id patterns, ISO times;
- newest-first pages with `since_id`, `until_id`, `start_time`, `end_time`, `pagination_token` /
  `next_token` (a token only when more results exist), `meta.newest_id/oldest_id/result_count`;
- X's reach limits: the last 800 mentions, the last 3,200 posts of a timeline, 7 days of recent search (older
  `start_time` or `since_id` answer 400);
- `x-rate-limit-limit/remaining/reset` per endpoint and 15-minute window, 429 when it is spent;
- scripted faults: 429 (with or without a reset header, or the monthly usage cap), 401, 403, 5xx, slow
  answers (timeouts), malformed bodies; 200s with `errors` for deleted or suspended referenced posts; tweets
  whose JSON is broken on purpose; and a log of every request;
- tagged places: a tweet's `geo` (`place_id`, and `coordinates` for an exact point) with `tweet.fields=geo` or
  `expansions=geo.place_id`, and its place in `includes.places` only with that expansion, with the
  `place.fields` asked (X's defaults, `id` and `full_name`, otherwise); places can be corrupted on purpose.
Ids are snowflakes (time-ordered, like X's). Success bodies are checked against the spec's schemas
(`schema_errors`). `naming="spec"` answers with the spec's wire names (`referenced_posts`, `repost_count`,
`includes.posts`); `naming="tweet"` with the names of X's guides and tweepy (`referenced_tweets`,
`retweet_count`, `includes.tweets`).
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse


def _shared_spec(name: str) -> Path:
    """`../shared/specs/<name>` next to the checkout, or next to a directory above it (a git worktree)."""
    for parent in Path(__file__).resolve().parents[3:]:
        candidate = parent / "shared" / "specs" / name
        if candidate.exists():
            return candidate
    return Path(__file__).resolve().parents[3] / "shared" / "specs" / name


SPEC_PATH = _shared_spec("x-api-v2-openapi.json")
TOKEN = "test-x-bearer-token"
WINDOW = timedelta(minutes=15)
TWITTER_EPOCH_MS = 1288834974657
SEARCH_DAYS = 7
DEFAULT_LIMITS = {"users_by_username": 300, "mentions": 450, "user_tweets": 1500, "search_recent": 450}
PROBLEM = "https://api.x.com/2/problems/"
_DROP = object()

ROUTES = [
    (re.compile(r"^/2/users/by/username/([^/]+)$"), "users_by_username", "/2/users/by/username/{username}"),
    (re.compile(r"^/2/users/([0-9]{1,19})/mentions$"), "mentions", "/2/users/{id}/mentions"),
    (re.compile(r"^/2/users/([0-9]{1,19})/tweets$"), "user_tweets", "/2/users/{id}/tweets"),
    (re.compile(r"^/2/tweets/search/recent$"), "search_recent", "/2/tweets/search/recent"),
]


@cache
def load_spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


@cache
def _enums() -> dict[str, frozenset[str]]:
    """Allowed values per field parameter: the spec's current names plus the older ones it still documents."""
    spec = load_spec()
    params = spec["components"]["parameters"]
    legacy = {p["name"]: p["schema"]["items"]["enum"]
              for p in spec["paths"]["/2/tweets/search/stream"]["get"]["parameters"]
              if p.get("name") in ("tweet.fields", "expansions")}
    return {
        "post.fields": frozenset(params["PostFieldsParameter"]["schema"]["items"]["enum"]),
        "tweet.fields": frozenset(legacy["tweet.fields"]),
        "expansions": frozenset(params["PostExpansionsParameter"]["schema"]["items"]["enum"])
        | frozenset(legacy["expansions"]),
        "user.fields": frozenset(params["UserFieldsParameter"]["schema"]["items"]["enum"]),
        "place.fields": frozenset(params["PlaceFieldsParameter"]["schema"]["items"]["enum"]),
        "user_expansions": frozenset(params["UserExpansionsParameter"]["schema"]["items"]["enum"]),
    }


def _spec_params(route: str) -> set[str]:
    op = load_spec()["paths"][route]["get"]
    names: set[str] = set()
    for p in op.get("parameters", []):
        if "$ref" in p:
            p = load_spec()["components"]["parameters"][p["$ref"].rsplit("/", 1)[-1]]
        if p.get("in") == "query":
            names.add(p["name"])
    return names


class SpecValidator:
    """Validates bodies against the spec's component schemas (`$ref`s resolved inside the spec document)."""

    def __init__(self) -> None:
        import jsonschema

        self._jsonschema = jsonschema
        self._validators: dict[str, Any] = {}

    def response_schema(self, route: str) -> str:
        ref = load_spec()["paths"][route]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        return str(ref["$ref"]).rsplit("/", 1)[-1]

    def errors(self, schema_name: str, body: Any) -> list[str]:
        validator = self._validators.get(schema_name)
        if validator is None:
            schema = {"$ref": f"#/components/schemas/{schema_name}", "components": load_spec()["components"]}
            validator = self._jsonschema.Draft4Validator(schema)
            self._validators[schema_name] = validator
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


def snowflake(moment: datetime, seq: int) -> int:
    ms = int(moment.timestamp() * 1000) - TWITTER_EPOCH_MS
    return (ms << 22) | (seq & 0x3FFFFF)


def snowflake_time(tweet_id: int) -> datetime:
    return datetime.fromtimestamp(((tweet_id >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class FakeUser:
    """A user with the public profile X gives (`user.fields`). `url` is the link the author typed; X serves it
    shortened (t.co) in `url` and expanded in `entities.url.urls[]`."""

    id: str
    username: str
    name: str
    suspended: bool = False
    description: str = ""
    location: str | None = None  # X leaves the field out when the profile has none
    url: str | None = None
    verified_type: str = "none"  # "blue" | "business" | "government" | "none"
    followers: int = 0
    following: int = 0
    posts: int = 0
    listed: int = 0
    created_at: datetime = datetime(2012, 3, 1, 12, 0, tzinfo=UTC)
    patch: dict[str, Any] = field(default_factory=dict)  # breaks the user object's JSON on purpose


# Invented people and organisations (no real person; the ministry's own account is the one Vigía watches),
# with the variety the segments need: press, officials, government entities, operators, academia, influencers,
# and citizens with an empty profile.
PROFILES: dict[str, dict[str, Any]] = {
    "ministerio_tic": dict(name="Ministerio TIC Colombia", verified_type="government", followers=1_184_210,
                           following=1_302, posts=98_450, listed=2_870, location="Bogotá, Colombia",
                           url="https://www.mintic.gov.co",
                           description="Ministerio de Tecnologías de la Información y las Comunicaciones de "
                                       "Colombia. Cuenta oficial."),
    "periodista_ana": dict(name="Ana Ficticia", verified_type="blue", followers=412_300, following=2_150,
                           posts=58_900, listed=1_940, location="Bogotá D.C.",
                           url="https://noticiasficticias.example/ana",
                           description="Periodista de tecnología y política. Directora de @NoticiasFict. "
                                       "Opiniones propias."),
    "alcaldia_ficticia": dict(name="Alcaldía de Villa Ficticia", verified_type="government", followers=85_400,
                              following=310, posts=12_780, listed=240, location="Villa Ficticia, Nariño",
                              url="https://www.villaficticia-syn.gov.co",
                              description="Cuenta oficial de la Alcaldía Municipal de Villa Ficticia."),
    "concejal_beto": dict(name="Beto Ejemplar", verified_type="blue", followers=18_900, following=1_022,
                          posts=9_310, listed=45, location="Pasto, Nariño",
                          description="Concejal de Pasto 2024-2027. Conectividad para las veredas."),
    "telco_ficticia": dict(name="TelcoFicticia Colombia", verified_type="business", followers=640_000,
                           following=95, posts=310_200, listed=1_120,
                           url="https://www.telcoficticia.example/co",
                           description="Operador de telefonía móvil e internet. Soporte 24/7 por DM."),
    "ciudadano_sinperfil": dict(name="ciudadano", followers=12, following=80, posts=140),
}


def _tco(url: str) -> str:
    """X's shortened form of a profile link (deterministic here)."""
    return "https://t.co/" + hashlib.sha1(url.encode()).hexdigest()[:10]


@dataclass
class FakeTweet:
    id: int
    author_id: str
    text: str
    created_at: datetime
    lang: str = "es"
    conversation_id: int | None = None
    in_reply_to_user_id: str | None = None
    refs: list[tuple[str, int]] = field(default_factory=list)
    metrics: dict[str, int] = field(default_factory=dict)
    deleted: bool = False
    withheld_in: list[str] = field(default_factory=list)
    place_id: str | None = None  # the place the author tagged (`geo.place_id`)
    point: tuple[float, float] | None = None  # an exact point (lon, lat): `geo.coordinates`
    patch: dict[str, Any] = field(default_factory=dict)  # breaks the tweet's JSON on purpose


@dataclass
class FakePlace:
    """A place as X describes it (`place.fields`); `bbox` is [west lon, south lat, east lon, north lat]."""

    id: str
    full_name: str
    name: str
    country_code: str
    country: str
    place_type: str = "city"  # "city" | "admin" | "country" | "neighborhood" | "poi"
    bbox: tuple[float, float, float, float] | None = None
    contained_within: tuple[str, ...] = ()
    patch: dict[str, Any] = field(default_factory=dict)  # breaks the place object's JSON on purpose


def place_id_for(full_name: str) -> str:
    """X's place ids are 16 hex digits; here they follow from the name (stable across runs)."""
    return hashlib.sha1(full_name.encode()).hexdigest()[:16]


# A few real places with approximate boxes, for tests and the demo server (`FakeXApi.post(place=...)`).
PLACES: dict[str, dict[str, Any]] = {
    "quibdo": dict(full_name="Quibdó, Colombia", name="Quibdó", country_code="CO", country="Colombia",
                   bbox=(-76.70, 5.62, -76.60, 5.74)),
    "medellin": dict(full_name="Medellín, Colombia", name="Medellín", country_code="CO", country="Colombia",
                     bbox=(-75.72, 6.16, -75.52, 6.37)),
    "cali": dict(full_name="Cali, Colombia", name="Cali", country_code="CO", country="Colombia",
                 bbox=(-76.59, 3.33, -76.46, 3.51)),
    "bogota": dict(full_name="Bogotá, D.C., Colombia", name="Bogotá, D.C.", country_code="CO", country="Colombia",
                   bbox=(-74.23, 4.47, -73.99, 4.84)),
    "barranquilla": dict(full_name="Barranquilla, Colombia", name="Barranquilla", country_code="CO",
                         country="Colombia", bbox=(-74.88, 10.90, -74.76, 11.05)),
    "choco": dict(full_name="Chocó, Colombia", name="Chocó", country_code="CO", country="Colombia",
                  place_type="admin", bbox=(-77.90, 3.90, -76.00, 8.70)),
    "colombia": dict(full_name="Colombia", name="Colombia", country_code="CO", country="Colombia",
                     place_type="country", bbox=(-79.00, -4.23, -66.85, 12.46)),
    "madrid": dict(full_name="Madrid, España", name="Madrid", country_code="ES", country="España",
                   bbox=(-3.89, 40.31, -3.52, 40.56)),
}


@dataclass
class Fault:
    """A scripted failure: `kind` is an HTTP status, "timeout" (answer late), "malformed" or "not_json"."""

    kind: int | str
    endpoint: str | None = None  # only requests to this endpoint (None: any)
    at: int | None = None  # the N-th request to that endpoint (1-based, counting from now); None: the next one
    times: int = 1
    reset_in: float | None = 900.0  # 429: seconds to the reset header; None leaves the header out
    usage_cap: bool = False  # 429 for the plan's monthly post cap
    delay: float = 0.0  # "timeout": seconds before answering


@dataclass
class Recorded:
    endpoint: str
    path: str
    params: dict[str, str]
    status: int
    body: Any = None
    size: int = 0  # bytes of the answer's body


class FakeXApi:
    """The fake's state: users, tweets, faults, the request log. Thread-safe."""

    def __init__(self, *, clock: Callable[[], datetime] | None = None, naming: str = "spec", token: str = TOKEN,
                 limits: dict[str, int] | None = None, mentions_cap: int = 800, timeline_cap: int = 3200,
                 validate: bool = True, record_bodies: bool = True, allow_non_public_metrics: bool = False,
                 accept_any_token: bool = False):
        if naming not in ("spec", "tweet"):
            raise ValueError("naming is 'spec' or 'tweet'")
        self.clock = clock or (lambda: datetime.now(UTC))
        self.naming = naming
        self.token = token
        self.accept_any_token = accept_any_token
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.mentions_cap = mentions_cap
        self.timeline_cap = timeline_cap
        self.allow_non_public_metrics = allow_non_public_metrics
        self.validator = SpecValidator() if validate else None
        self.record_bodies = record_bodies
        self.users: dict[str, FakeUser] = {}
        self.tweets: dict[int, FakeTweet] = {}
        self.places: dict[str, FakePlace] = {}
        self._sorted: list[int] | None = []
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.schema_errors: list[str] = []
        self.internal_errors: list[str] = []  # exceptions inside the fake itself (tests assert none)
        self.windows: dict[str, tuple[datetime, int]] = {}  # endpoint -> (reset, used)
        self.lock = threading.RLock()
        self._seq = 0

    # --- state -----------------------------------------------------------------------------------------

    def add_user(self, username: str, name: str | None = None, **profile: Any) -> str:
        """A user: the profile of `PROFILES` when the username is one of them, else a plain one (a citizen
        with no bio, link or location and a few followers); `profile` overrides `FakeUser` fields."""
        with self.lock:
            existing = self.user_by_name(username)
            if existing:
                return existing.id
            user_id = str(10_000 + len(self.users) * 7919)
            seed = int(hashlib.sha1(username.lower().encode()).hexdigest()[:6], 16)
            values: dict[str, Any] = {"followers": seed % 900, "following": seed % 400, "posts": seed % 5000}
            values.update(PROFILES.get(username.lower(), {}))
            values.update(profile)
            values["name"] = name or values.get("name") or username.replace("_", " ")
            self.users[user_id] = FakeUser(user_id, username, **values)
            return user_id

    def set_profile(self, username: str, **profile: Any) -> None:
        """Change a user's profile (e.g. its follower count from one day to the next)."""
        with self.lock:
            user = self.user_by_name(username)
            assert user is not None, username
            for name, value in profile.items():
                setattr(user, name, value)

    def corrupt_user(self, username: str, *, drop: Iterable[str] = (), **values: Any) -> None:
        """Serve this user object with fields removed or replaced (a payload that breaks the schema)."""
        with self.lock:
            user = self.user_by_name(username)
            assert user is not None, username
            user.patch.update({name: _DROP for name in drop})
            user.patch.update(values)

    def user_by_name(self, username: str) -> FakeUser | None:
        return next((u for u in self.users.values() if u.username.lower() == username.lower()), None)

    def _user_id(self, who: str) -> str:
        if who in self.users:
            return who
        user = self.user_by_name(who.lstrip("@"))
        return user.id if user else self.add_user(who.lstrip("@"))

    def add_place(self, key: str | None = None, **values: Any) -> str:
        """A place: one of `PLACES` by key (`values` override its fields), or one made of `values` alone
        (`full_name`, `name`, `country_code`, `country`, ...). Returns its id."""
        with self.lock:
            fields = {**(PLACES[key] if key else {}), **values}
            place_id = fields.pop("id", None) or place_id_for(fields["full_name"])
            if place_id not in self.places:
                self.places[place_id] = FakePlace(place_id, **fields)
            return place_id

    def corrupt_place(self, place_id: str, *, drop: Iterable[str] = (), **values: Any) -> None:
        """Serve this place with fields removed or replaced (a payload that breaks the schema)."""
        with self.lock:
            patch = self.places[place_id].patch
            patch.update({name: _DROP for name in drop})
            patch.update(values)

    def post(self, author: str, text: str, *, at: datetime | None = None, lang: str = "es",
             reply_to: str | int | None = None, quote: str | int | None = None, retweet: str | int | None = None,
             metrics: dict[str, int] | None = None, place: str | None = None,
             point: tuple[float, float] | None = None) -> str:
        """Publish a tweet (author by username or id); returns its id. `place` tags it with a place (an id from
        `add_place` or a key of `PLACES`); `point` with an exact (lon, lat)."""
        with self.lock:
            if place is not None and place not in self.places:
                place = self.add_place(place)
            author_id = self._user_id(author)
            moment = at or self.clock()
            self._seq += 1
            tweet_id = snowflake(moment, self._seq)
            refs: list[tuple[str, int]] = []
            conversation = tweet_id
            in_reply_to_user = None
            if reply_to is not None:
                parent = self.tweets[int(reply_to)]
                refs.append(("replied_to", parent.id))
                conversation = parent.conversation_id or parent.id
                in_reply_to_user = parent.author_id
            if quote is not None:
                refs.append(("quoted", int(quote)))
            if retweet is not None:
                refs.append(("retweeted", int(retweet)))
            self.tweets[tweet_id] = FakeTweet(
                id=tweet_id, author_id=author_id, text=text, created_at=moment, lang=lang,
                conversation_id=conversation, in_reply_to_user_id=in_reply_to_user, refs=refs,
                place_id=place, point=point,
                metrics={"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0,
                         "bookmark_count": 0, "impression_count": 0, **(metrics or {})})
            self._sorted = None
            return str(tweet_id)

    def post_many(self, author: str, texts: Iterable[str], *, start: datetime, step: timedelta,
                  lang: str = "es") -> list[str]:
        return [self.post(author, text, at=start + i * step, lang=lang) for i, text in enumerate(texts)]

    def delete(self, tweet_id: str | int) -> None:
        with self.lock:
            self.tweets[int(tweet_id)].deleted = True

    def suspend(self, username: str) -> None:
        with self.lock:
            user = self.user_by_name(username)
            assert user is not None, username
            user.suspended = True

    def withhold(self, tweet_id: str | int, countries: list[str]) -> None:
        with self.lock:
            self.tweets[int(tweet_id)].withheld_in = countries

    def set_metrics(self, tweet_id: str | int, **counts: int) -> None:
        with self.lock:
            self.tweets[int(tweet_id)].metrics.update(counts)

    def corrupt(self, tweet_id: str | int, *, drop: Iterable[str] = (), **values: Any) -> None:
        """Serve this tweet with fields removed or replaced (a payload that breaks the schema)."""
        with self.lock:
            patch = self.tweets[int(tweet_id)].patch
            patch.update({name: _DROP for name in drop})
            patch.update(values)

    def fail(self, kind: int | str, **options: Any) -> Fault:
        """Script a fault (see `Fault`). `at` counts requests to the endpoint from now on."""
        fault = Fault(kind, **options)
        with self.lock:
            if fault.at is not None:
                done = sum(1 for r in self.requests if fault.endpoint in (None, r.endpoint))
                fault.at += done
            self.faults.append(fault)
        return fault

    def requests_to(self, endpoint: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if endpoint in (None, r.endpoint)]

    def ids(self) -> list[int]:
        """Tweet ids, oldest first."""
        with self.lock:
            if self._sorted is None:
                self._sorted = sorted(self.tweets)
            return self._sorted

    def newest_first(self, below: int | None = None) -> Iterable[FakeTweet]:
        """Tweets newest first, starting below id `below` (exclusive) when given."""
        ids = self.ids()
        start = len(ids) if below is None else bisect.bisect_left(ids, below)
        return (self.tweets[ids[i]] for i in range(start - 1, -1, -1))

    # --- the API's logic ------------------------------------------------------------------------------

    def take_fault(self, endpoint: str) -> Fault | None:
        with self.lock:
            count = sum(1 for r in self.requests if r.endpoint == endpoint)
            total = len(self.requests)
            for fault in list(self.faults):
                if fault.endpoint not in (None, endpoint):
                    continue
                position = (count if fault.endpoint else total) + 1  # this request, 1-based
                if fault.at is not None and position < fault.at:
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
            return None

    def rate_headers(self, endpoint: str, count: bool = True) -> tuple[dict[str, str], bool]:
        """Headers for this request, and whether the window was already spent."""
        now = self.clock()
        with self.lock:
            reset, used = self.windows.get(endpoint, (now + WINDOW, 0))
            if now >= reset:
                reset, used = now + WINDOW, 0
            limit = self.limits[endpoint]
            spent = used >= limit
            if count and not spent:
                used += 1
            self.windows[endpoint] = (reset, used)
            headers = {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(max(0, limit - used)),
                       "x-rate-limit-reset": str(int(reset.timestamp()) + (1 if reset.microsecond else 0))}
            return headers, spent


def invalid(message: str, parameters: dict[str, list[str]]) -> dict[str, Any]:
    """X's 400 body (the 'Invalid Request' problem with the offending parameters)."""
    return {"errors": [{"parameters": parameters, "message": message}], "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request"}


class _BadRequest(Exception):
    def __init__(self, message: str, parameter: str, value: str):
        super().__init__(message)
        self.body = invalid(message, {parameter: [value]})


def _parse_time(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _BadRequest(f"The `{name}` query parameter value [{value}] is not a valid RFC 3339 time",
                          name, value) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_id(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{1,19}", value):
        raise _BadRequest(f"The `{name}` query parameter value [{value}] does not match ^[0-9]{{1,19}}$",
                          name, value)
    return int(value)


# --- search query language (the subset Vigía uses; AND binds tighter than OR, as X documents) --------


def _tokens(query: str) -> list[str]:
    return re.findall(r'"[^"]*"|\(|\)|[^\s()]+', query)


def compile_query(query: str) -> Callable[[FakeTweet, FakeApiView], bool]:
    tokens = _tokens(query)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def parse_or() -> Callable[..., bool]:
        nonlocal pos
        terms = [parse_and()]
        while peek() == "OR":
            pos += 1
            terms.append(parse_and())
        return lambda t, v: any(term(t, v) for term in terms)

    def parse_and() -> Callable[..., bool]:
        terms = []
        while peek() not in (None, ")", "OR"):
            terms.append(parse_unary())
        if not terms:
            raise ValueError(f"empty clause in query {query!r}")
        return lambda t, v: all(term(t, v) for term in terms)

    def parse_unary() -> Callable[..., bool]:
        nonlocal pos
        token = tokens[pos]
        if token.startswith("-") and len(token) > 1:
            tokens[pos] = token[1:]
            inner = parse_unary()
            return lambda t, v: not inner(t, v)
        if token == "(":
            pos += 1
            inner = parse_or()
            if peek() != ")":
                raise ValueError(f"unbalanced parentheses in {query!r}")
            pos += 1
            return inner
        pos += 1
        return _atom(token)

    matcher = parse_or()
    if pos != len(tokens):
        raise ValueError(f"cannot parse query {query!r}")
    return matcher


def _word(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text, re.IGNORECASE) is not None


def _atom(token: str) -> Callable[[FakeTweet, FakeApiView], bool]:
    lower = token.lower()
    if lower.startswith("from:"):
        return lambda t, v: v.username(t.author_id).lower() == lower[5:].lstrip("@")
    if lower.startswith("is:"):
        kind = {"retweet": "retweeted", "quote": "quoted", "reply": "replied_to"}.get(lower[3:])
        return lambda t, v: any(r[0] == kind for r in t.refs)
    if lower.startswith("lang:"):
        return lambda t, v: t.lang == lower[5:]
    if token.startswith('"'):
        phrase = token.strip('"')
        return lambda t, v: phrase.lower() in t.text.lower()
    return lambda t, v: _word(t.text, token)


class FakeApiView:
    """Read helpers used while building one answer (under the fake's lock)."""

    def __init__(self, fake: FakeXApi):
        self.fake = fake

    def username(self, user_id: str) -> str:
        user = self.fake.users.get(user_id)
        return user.username if user else ""


# --- answers ------------------------------------------------------------------------------------------


def _token_for(next_until: int, signature: str) -> str:
    raw = json.dumps({"u": next_until, "s": signature}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _peek_token(token: str | None) -> int | None:
    """Where a token's page starts, without checking it (the check happens when the page is built)."""
    if not token:
        return None
    try:
        return int(json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["u"])
    except (ValueError, KeyError, TypeError):
        return None


def _read_token(token: str, signature: str, name: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        until = int(data["u"])
    except (ValueError, KeyError, TypeError):
        raise _BadRequest(f"The `{name}` query parameter value [{token}] is not valid", name, token) from None
    if data.get("s") != signature:
        raise _BadRequest(f"The `{name}` query parameter value [{token}] belongs to a request with other "
                          "parameters", name, token)
    return until


class Answer:
    """Builds the JSON of one successful answer, honouring the requested fields and the naming."""

    def __init__(self, fake: FakeXApi, params: dict[str, str]):
        self.fake = fake
        self.view = FakeApiView(fake)
        self.fields = set(filter(None, (params.get("tweet.fields") or params.get("post.fields") or "").split(",")))
        self.expansions = set(filter(None, params.get("expansions", "").split(",")))
        self.user_fields = set(filter(None, params.get("user.fields", "").split(",")))
        self.place_fields = set(filter(None, params.get("place.fields", "").split(",")))
        self.errors: list[dict[str, Any]] = []

    def _name(self, tweet_name: str, spec_name: str) -> str:
        return spec_name if self.fake.naming == "spec" else tweet_name

    def user(self, user_id: str) -> dict[str, Any]:
        """The user object as X sends it: only the fields asked; `description` and `url` are "" when the
        profile has none, `location` and `entities` are left out; `public_metrics` names posts `post_count`
        in the spec's naming and `tweet_count` in the older one."""
        user = self.fake.users[user_id]
        f = self.user_fields
        out: dict[str, Any] = {"id": user.id, "name": user.name, "username": user.username}
        if "verified" in f:
            out["verified"] = user.verified_type != "none"
        if "verified_type" in f:
            out["verified_type"] = user.verified_type
        if "created_at" in f:
            out["created_at"] = _iso(user.created_at)
        if "description" in f:
            out["description"] = user.description
        if "location" in f and user.location:
            out["location"] = user.location
        if "url" in f:
            out["url"] = _tco(user.url) if user.url else ""
        if "entities" in f:
            entities: dict[str, Any] = {}
            if user.url:
                short = _tco(user.url)
                display = re.sub(r"^https?://(www\.)?", "", user.url)
                entities["url"] = {"urls": [{"start": 0, "end": len(short), "url": short, "expanded_url": user.url,
                                             "display_url": display}]}
            mentions = [{"start": m.start(), "end": m.end(), "username": m.group(1)}
                        for m in re.finditer(r"@([A-Za-z0-9_]{1,15})", user.description)]
            if mentions:
                entities["description"] = {"mentions": mentions}
            if entities:
                out["entities"] = entities
        if "public_metrics" in f:
            out["public_metrics"] = {"followers_count": user.followers, "following_count": user.following,
                                     self._name("tweet_count", "post_count"): user.posts,
                                     "listed_count": user.listed, "like_count": user.posts // 3,
                                     "media_count": user.posts // 20}
        for name, value in user.patch.items():
            if value is _DROP:
                out.pop(name, None)
            else:
                out[name] = value
        return out

    def tweet(self, t: FakeTweet) -> dict[str, Any]:
        f, e = self.fields, self.expansions
        refs = [{"type": kind, "id": str(ref)} for kind, ref in t.refs]
        text = t.text
        out: dict[str, Any] = {"id": str(t.id), "text": text[:280] if len(text) > 280 else text,
                               self._name("edit_history_tweet_ids", "edit_history_post_ids"): [str(t.id)]}
        if "created_at" in f:
            out["created_at"] = _iso(t.created_at)
        if "author_id" in f or "author_id" in e:
            out["author_id"] = t.author_id
        if "lang" in f:
            out["lang"] = t.lang
        if "conversation_id" in f:
            out["conversation_id"] = str(t.conversation_id or t.id)
        if t.in_reply_to_user_id and ("in_reply_to_user_id" in f or "in_reply_to_user_id" in e):
            out["in_reply_to_user_id"] = t.in_reply_to_user_id
        if refs and (f & {"referenced_tweets", "referenced_posts"} or e & {"referenced_tweets.id", "referenced_posts"}):
            out[self._name("referenced_tweets", "referenced_posts")] = refs
        if "public_metrics" in f:
            m = dict(t.metrics)
            reposts = m.pop("retweet_count", 0)
            m[self._name("retweet_count", "repost_count")] = reposts
            out["public_metrics"] = m
        if "non_public_metrics" in f:
            if self.fake.allow_non_public_metrics:
                out["non_public_metrics"] = {"impression_count": t.metrics.get("impression_count", 0),
                                             "url_link_clicks": 0, "user_profile_clicks": 0}
            else:
                self.errors.append({"type": PROBLEM + "not-authorized-for-field", "title": "Field Authorization Error",
                                    "detail": "Sorry, you are not authorized to access 'non_public_metrics' on a "
                                              "Tweet.", "field": "non_public_metrics", "resource_type": "tweet",
                                    "resource_id": str(t.id), "section": "data"})
        if len(text) > 280 and f & {"note_tweet", "note_post"}:
            out[self._name("note_tweet", "note_post")] = {"text": text}
        if (t.place_id or t.point) and ("geo" in f or "geo.place_id" in e):
            geo: dict[str, Any] = {}
            if t.place_id:
                geo["place_id"] = t.place_id
            if t.point and "geo" in f:
                geo["coordinates"] = {"type": "Point", "coordinates": list(t.point)}
            out["geo"] = geo
        if t.withheld_in and "withheld" in f:
            out["withheld"] = {"copyright": False, "country_codes": list(t.withheld_in)}
        for name, value in t.patch.items():
            if value is _DROP:
                out.pop(name, None)
            else:
                out[name] = value
        return out

    def place(self, p: FakePlace) -> dict[str, Any]:
        """The place as X sends it: `id` and `full_name` always (X's defaults), the rest only when asked."""
        f = self.place_fields
        out: dict[str, Any] = {"id": p.id, "full_name": p.full_name}
        for name in ("name", "country_code", "country", "place_type"):
            if name in f:
                out[name] = getattr(p, name)
        if "contained_within" in f and p.contained_within:
            out["contained_within"] = list(p.contained_within)
        if "geo" in f and p.bbox is not None:
            out["geo"] = {"type": "Feature", "bbox": list(p.bbox), "properties": {}}
        for name, value in p.patch.items():
            if value is _DROP:
                out.pop(name, None)
            else:
                out[name] = value
        return out

    def page(self, tweets: list[FakeTweet], next_token: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if tweets:
            body["data"] = [self.tweet(t) for t in tweets]
            includes: dict[str, Any] = {}
            if "author_id" in self.expansions:
                authors = dict.fromkeys(t.author_id for t in tweets)
                includes["users"] = [self.user(a) for a in authors]
            if self.expansions & {"referenced_tweets.id", "referenced_posts"}:
                ref_name = self._name("referenced_tweets", "referenced_posts")
                seen: dict[int, dict[str, Any]] = {}
                for t in tweets:
                    for _kind, ref in t.refs:
                        parent = self.fake.tweets.get(ref)
                        if parent is None or parent.deleted:
                            self.errors.append({
                                "type": PROBLEM + "resource-not-found", "title": "Not Found Error",
                                "detail": f"Could not find tweet with {ref_name}.id: [{ref}].",
                                "resource_type": "tweet", "resource_id": str(ref), "value": str(ref),
                                "parameter": self._name("referenced_tweets.id", "referenced_posts")})
                        elif self.fake.users[parent.author_id].suspended:
                            self.errors.append({
                                "type": PROBLEM + "resource-unavailable", "title": "Forbidden",
                                "detail": f"Sorry, you are not authorized to see the Tweet with id: [{ref}].",
                                "resource_type": "tweet", "resource_id": str(ref)})
                        elif ref not in seen:
                            seen[ref] = self.tweet(parent)
                if seen:
                    includes[self._name("tweets", "posts")] = list(seen.values())
            if "geo.place_id" in self.expansions:
                place_ids = dict.fromkeys(t.place_id for t in tweets if t.place_id and t.place_id in self.fake.places)
                if place_ids:
                    includes["places"] = [self.place(self.fake.places[p]) for p in place_ids]
            if includes:
                body["includes"] = includes
        if self.errors:
            body["errors"] = self.errors
        meta: dict[str, Any] = {"result_count": len(tweets)}
        if tweets:
            meta["newest_id"] = str(tweets[0].id)
            meta["oldest_id"] = str(tweets[-1].id)
        if next_token:
            meta["next_token"] = next_token
        body["meta"] = meta
        return body


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as tweepy's session uses it
    disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed-ACK stall per answer)

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None,
              ctype: str = "application/json; charset=utf-8") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            self.wfile.write(data)

    def do_GET(self) -> None:
        fake = self.server.fake
        parsed = urlparse(self.path)
        path = unquote(parsed.path)
        params = {k: v[0] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
        route = next(((m, name, spec_route) for rx, name, spec_route in ROUTES if (m := rx.match(path))), None)
        if route is None:
            return self._finish("unknown", path, params, 404,
                                {"title": "Not Found", "type": "about:blank", "status": 404, "detail": "Not Found"})
        match, endpoint, spec_route = route
        auth = self.headers.get("Authorization", "")
        good = auth.startswith("Bearer ") and len(auth) > 7 and (
            fake.accept_any_token or auth == f"Bearer {fake.token}")
        fault = fake.take_fault(endpoint)
        headers, spent = fake.rate_headers(endpoint)
        if not good:
            return self._finish(endpoint, path, params, 401, {"title": "Unauthorized", "type": "about:blank",
                                                              "status": 401, "detail": "Unauthorized"})
        if fault is not None:
            return self._fault(fault, endpoint, path, params, headers)
        if spent:
            return self._finish(endpoint, path, params, 429, {"title": "Too Many Requests", "status": 429,
                                                              "detail": "Too Many Requests", "type": "about:blank"},
                                headers)
        try:
            with fake.lock:
                body = self._answer(endpoint, spec_route, match.group(1) if match.groups() else "", params)
        except _BadRequest as exc:
            return self._finish(endpoint, path, params, 400, exc.body, headers)
        except Exception as exc:  # a bug in the fake: answer 500 and let the test see it
            with fake.lock:
                fake.internal_errors.append(f"{type(exc).__name__}: {exc}")
            return self._finish(endpoint, path, params, 500, {"title": "fake bug", "detail": str(exc)}, headers)
        if body is None:
            return self._finish(endpoint, path, params, 404, {"title": "Not Found", "status": 404,
                                                              "type": "about:blank", "detail": "Not Found"}, headers)
        if fake.validator is not None:
            problems = fake.validator.errors(fake.validator.response_schema(spec_route), body)
            with fake.lock:
                fake.schema_errors.extend(f"{endpoint}: {p}" for p in problems[:5])
        self._finish(endpoint, path, params, 200, body, headers)

    def _finish(self, endpoint: str, path: str, params: dict[str, str], status: int, body: Any,
                headers: dict[str, str] | None = None, ctype: str = "application/json; charset=utf-8") -> None:
        fake = self.server.fake
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        with fake.lock:
            fake.requests.append(Recorded(endpoint, path, params, status,
                                          body if fake.record_bodies else None, len(data)))
        self._send(status, data, headers, ctype)

    def _fault(self, fault: Fault, endpoint: str, path: str, params: dict[str, str],
               headers: dict[str, str]) -> None:
        if fault.kind == "timeout":
            time.sleep(fault.delay)
            return self._finish(endpoint, path, params, 503, {"title": "Service Unavailable", "type": "about:blank",
                                                              "status": 503, "detail": "late answer"}, headers)
        if fault.kind == "malformed":
            return self._finish(endpoint, path, params, 200, {"data": {"unexpected": "object"}, "meta": []}, headers)
        if fault.kind == "not_json":
            return self._finish(endpoint, path, params, 200, b"<html>upstream proxy error</html>", headers,
                                "text/html")
        status = int(fault.kind)
        if status == 429:
            headers = dict(headers, **{"x-rate-limit-remaining": "0"})
            if fault.reset_in is None:
                headers.pop("x-rate-limit-reset")
            else:
                reset = self.server.fake.clock() + timedelta(seconds=fault.reset_in)
                headers["x-rate-limit-reset"] = str(int(reset.timestamp()))
            body: Any = ({"title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap",
                          "type": "https://api.twitter.com/2/problems/usage-capped", "period": "Monthly",
                          "scope": "Product"} if fault.usage_cap else
                         {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                          "status": 429})
        elif status == 401:
            body = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
        elif status == 403:
            body = {"client_id": "29871234", "detail": "When authenticating requests to the Twitter API v2 "
                    "endpoints, you must use keys and tokens from a Twitter developer App that is attached to a "
                    "Project. You can create a project via the developer portal.",
                    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
                    "title": "Client Forbidden", "required_enrollment": "Appropriate Level of API Access",
                    "reason": "client-not-enrolled", "type": "https://api.twitter.com/2/problems/client-forbidden"}
        else:
            body = {"title": "Service Unavailable" if status == 503 else "Internal Server Error",
                    "type": "about:blank", "status": status, "detail": "Something went wrong"}
        self._finish(endpoint, path, params, status, body, headers)

    # --- endpoints ------------------------------------------------------------------------------------

    def _check_params(self, spec_route: str, params: dict[str, str]) -> None:
        allowed = _spec_params(spec_route) | {"tweet.fields"}  # the older name X still accepts
        for name in params:
            if name not in allowed:
                raise _BadRequest(f"The query parameter [{name}] is not one of [{', '.join(sorted(allowed))}]",
                                  name, params[name])
        enums = _enums()
        for name, enum_key in (("tweet.fields", "tweet.fields"), ("post.fields", "post.fields"),
                               ("user.fields", "user.fields"), ("place.fields", "place.fields")):
            for value in filter(None, params.get(name, "").split(",")):
                if value not in enums[enum_key]:
                    raise _BadRequest(f"The `{name}` query parameter value [{value}] is not one of "
                                      f"[{', '.join(sorted(enums[enum_key]))}]", name, value)
        expansion_key = "user_expansions" if "username" in spec_route else "expansions"
        for value in filter(None, params.get("expansions", "").split(",")):
            if value not in enums[expansion_key]:
                raise _BadRequest(f"The `expansions` query parameter value [{value}] is not one of "
                                  f"[{', '.join(sorted(enums[expansion_key]))}]", "expansions", value)

    def _answer(self, endpoint: str, spec_route: str, arg: str, params: dict[str, str]) -> dict[str, Any] | None:
        fake = self.server.fake
        self._check_params(spec_route, params)
        answer = Answer(fake, params)
        if endpoint == "users_by_username":
            if not re.fullmatch(r"[A-Za-z0-9_]{1,15}", arg):
                raise _BadRequest(f"The `username` query parameter value [{arg}] does not match "
                                  "^[A-Za-z0-9_]{1,15}$", "username", arg)
            user = fake.user_by_name(arg)
            if user is None or user.suspended:
                kind = "resource-not-found" if user is None else "resource-unavailable"
                return {"errors": [{"type": PROBLEM + kind, "title": "Not Found Error",
                                    "detail": f"Could not find user with username: [{arg}].",
                                    "resource_type": "user", "resource_id": arg, "value": arg,
                                    "parameter": "username"}]}
            return {"data": answer.user(user.id)}
        lo, hi = (10, 100) if endpoint == "search_recent" else (5, 100)
        raw_max = params.get("max_results", "10")
        if not raw_max.isdigit() or not lo <= int(raw_max) <= hi:
            raise _BadRequest(f"The `max_results` query parameter value [{raw_max}] is not between {lo} and {hi}",
                              "max_results", raw_max)
        max_results = int(raw_max)
        since_id = _parse_id("since_id", params.get("since_id"))
        until_id = _parse_id("until_id", params.get("until_id"))
        start = _parse_time("start_time", params.get("start_time"))
        end = _parse_time("end_time", params.get("end_time"))
        now = fake.clock()
        if endpoint == "search_recent":
            floor = now - timedelta(days=SEARCH_DAYS)
            if start is not None and start < floor:
                raise _BadRequest(f"Invalid 'start_time':'{params['start_time']}'. 'start_time' must be on or "
                                  f"after {_iso(floor)}", "start_time", params["start_time"])
            if since_id is not None and snowflake_time(since_id) < floor:
                raise _BadRequest(f"Invalid 'since_id':'{since_id}'. 'since_id' must be a tweet id created after "
                                  f"{_iso(floor)}", "since_id", str(since_id))
            token_name = "next_token" if "next_token" in params else "pagination_token"
            query = params.get("query", "")
            if not query:
                raise _BadRequest("The `query` query parameter can not be empty", "query", "")
            try:
                matcher = compile_query(query)
            except ValueError as exc:
                raise _BadRequest(f"There were errors processing your request: {exc}", "query", query) from None
            view = answer.view
            token = params.get(token_name)
            bounds = [b for b in (until_id, _peek_token(token)) if b is not None]
            candidates = (t for t in fake.newest_first(min(bounds) if bounds else None)
                          if t.created_at >= floor and matcher(t, view))
        else:
            if arg not in fake.users:
                return {"errors": [{"type": PROBLEM + "resource-not-found", "title": "Not Found Error",
                                    "detail": f"Could not find user with id: [{arg}].", "resource_type": "user",
                                    "resource_id": arg, "value": arg, "parameter": "id"}]}
            token_name = "pagination_token"
            if endpoint == "mentions":
                cap = fake.mentions_cap
                at_handle = re.compile(rf"(?<![\w])@{re.escape(fake.users[arg].username)}(?![\w])", re.IGNORECASE)
                candidates = (t for t in fake.newest_first()
                              if t.author_id != arg and (t.in_reply_to_user_id == arg or at_handle.search(t.text)))
            else:
                cap = fake.timeline_cap
                excluded = set(filter(None, params.get("exclude", "").split(",")))
                candidates = (t for t in fake.newest_first()
                              if t.author_id == arg
                              and not ("retweets" in excluded and any(r[0] == "retweeted" for r in t.refs))
                              and not ("replies" in excluded and t.in_reply_to_user_id not in (None, arg)))
            reachable = []
            for t in candidates:  # X serves only the most recent `cap` of them
                if t.deleted or fake.users[t.author_id].suspended:
                    continue
                reachable.append(t)
                if len(reachable) >= cap:
                    break
            candidates = iter(reachable)
        signature = hashlib.sha1(json.dumps(
            [endpoint, arg, params.get("query"), params.get("since_id"), params.get("until_id"),
             params.get("start_time"), params.get("end_time"), params.get("exclude")]).encode()).hexdigest()[:12]
        token = params.get(token_name)
        page_until = _read_token(token, signature, token_name) if token else None
        selected: list[FakeTweet] = []
        more = False
        for t in candidates:
            if t.deleted or fake.users[t.author_id].suspended:
                continue
            if since_id is not None and t.id <= since_id:
                break  # newest first: everything after is older
            if start is not None and t.created_at < start:
                break
            if until_id is not None and t.id >= until_id:
                continue
            if page_until is not None and t.id >= page_until:
                continue
            if end is not None and t.created_at >= end:
                continue
            if len(selected) == max_results:
                more = True
                break
            selected.append(t)
        next_token = _token_for(selected[-1].id, signature) if more else None
        return answer.page(selected, next_token)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeXApi, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.fake = fake
        _enums()  # read the spec before the first request, not during it


class XApiServer:
    """Context manager: `with XApiServer(fake) as server: server.base_url`."""

    def __init__(self, fake: FakeXApi | None = None, port: int = 0):
        self.fake = fake or FakeXApi()
        self._server = _Server(self.fake, port)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> XApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> XApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

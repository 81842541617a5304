"""A small, synchronous client for the Meta Graph API (Facebook Pages and Instagram professional accounts).

Why not facebook-sdk: its last release (3.1.0, 2018) rejects current API versions ("21.0" fails its
regex), has a paging bug and does nothing about rate limits. This client does only what Vigía needs:

- the API version in every URL (`/v24.0/...`), field selection, timeouts;
- the token in the `Authorization` header (never in a URL we build, so it cannot leak into access logs; the
  one exception is `/debug_token`'s `input_token`, which Meta takes only as a parameter) and
  `appsecret_proof` (HMAC-SHA256 of the token keyed with the app secret, hex) when an app secret is set;
- cursor paging through `paging.next`: the URL Meta gives is re-based on the configured host and stripped of
  its embedded `access_token`, so the token is never sent anywhere else and never stored in a bookmark;
- batch requests (`POST /vXX.X` with `batch=[...]`, at most 50 per call) to fetch pages of many edges at once;
- retries with exponential back-off and jitter for 5xx, timeouts and transient Graph errors (injectable
  sleep, so tests never wait);
- Graph error objects mapped to exceptions (`TokenInvalid`, `RateLimited`, `PermissionDenied`, ...);
- the usage headers (`x-app-usage`, `x-business-use-case-usage`, `x-page-usage`) read after every call, so
  callers can slow down before Meta blocks them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

VERSION_PATTERN = re.compile(r"^v\d{1,2}\.\d$")
MAX_BATCH = 50  # Graph API limit of requests per batch call
_STRIP_FROM_NEXT = frozenset({"access_token", "appsecret_proof"})
_PERMISSION_NAME = re.compile(r"\b((?:pages|instagram|read|business|public)_[a-z_]+)\b")


# --- errors ----------------------------------------------------------------------------------------


class GraphError(Exception):
    """A Graph API error object (or a failure that stands in for one). Never holds the token."""

    def __init__(self, message: str, *, code: int | None = None, subcode: int | None = None,
                 error_type: str | None = None, status: int | None = None, fbtrace_id: str | None = None,
                 path: str = "", is_transient: bool = False):
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.error_type = error_type
        self.status = status
        self.fbtrace_id = fbtrace_id
        self.path = path
        self.is_transient = is_transient

    def describe(self) -> str:
        """One line for logs and operational alerts: code, subcode, message, request path, trace id."""
        parts = [f"código {self.code}" if self.code is not None else
                 f"HTTP {self.status}" if self.status is not None else ""]
        if self.subcode:
            parts.append(f"subcódigo {self.subcode}")
        if self.path:
            parts.append(self.path)
        if self.fbtrace_id:
            parts.append(f"fbtrace_id {self.fbtrace_id}")
        return f"{self.message} ({', '.join(p for p in parts if p)})"


class TokenInvalid(GraphError):
    """Code 190 (or 102): the access token expired, was revoked or invalidated (e.g. a password change)."""


class RateLimited(GraphError):
    """Codes 4 (app), 17 (user), 32 (page), 613 (call rate), 80000-80014 (business use case), HTTP 429."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class PermissionDenied(GraphError):
    """Codes 3, 10 and 200-299: the token lacks a permission (or the app a feature) for this edge."""

    @property
    def permission(self) -> str | None:
        """The permission Meta names in the message, e.g. `pages_read_user_content`, if it names one."""
        match = _PERMISSION_NAME.search(self.message)
        return match.group(1) if match else None


class InvalidParameter(GraphError):
    """Code 100: a parameter, field or cursor the API does not accept (often an API change)."""


class ObjectNotFound(InvalidParameter):
    """Code 100 subcode 33 (or 803): the object was deleted or is not visible to this token."""


class TransientError(GraphError):
    """A 5xx, a timeout, a transport failure or a Graph error marked transient, still failing after retries."""


class UnexpectedPayload(GraphError):
    """The response is not the JSON shape the Graph API documents (kept aside by callers, never a crash)."""

    def __init__(self, message: str, *, payload: Any = None, **kw: Any):
        super().__init__(message, **kw)
        self.payload = payload


_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
_PERMISSION_CODES = frozenset({3, 10, *range(200, 300)})
_TRANSIENT_CODES = frozenset({1, 2})


def error_from_body(body: Any, *, status: int | None, path: str, headers: Mapping[str, str] | None = None,
                    default_rate_limit_pause: float = 900.0) -> GraphError:
    """Map a Graph error response to the matching exception class."""
    err = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(err, Mapping):
        transient = status is not None and status >= 500
        cls = TransientError if transient else UnexpectedPayload
        return cls(f"respuesta HTTP {status} sin objeto de error de la Graph API", status=status, path=path,
                   is_transient=transient)
    code = _as_int(err.get("code"))
    subcode = _as_int(err.get("error_subcode"))
    kw: dict[str, Any] = {
        "code": code, "subcode": subcode, "error_type": _as_str(err.get("type")), "status": status,
        "fbtrace_id": _as_str(err.get("fbtrace_id")), "path": path,
        "is_transient": bool(err.get("is_transient")),
    }
    message = _as_str(err.get("error_user_msg")) or _as_str(err.get("message")) or "error sin mensaje"
    if code in (190, 102):
        return TokenInvalid(message, **kw)
    if code in _RATE_LIMIT_CODES or status == 429 or code == 368:
        return RateLimited(message, retry_after=_rate_limit_pause(code, headers, default_rate_limit_pause),
                           **kw)
    if code in _PERMISSION_CODES:
        return PermissionDenied(message, **kw)
    if code == 100 and subcode in (33, 803):
        return ObjectNotFound(message, **kw)
    if code == 100:
        return InvalidParameter(message, **kw)
    if code in _TRANSIENT_CODES or kw["is_transient"] or (status is not None and status >= 500):
        kw["is_transient"] = True
        return TransientError(message, **kw)
    return GraphError(message, **kw)


def _rate_limit_pause(code: int | None, headers: Mapping[str, str] | None, default: float) -> float:
    """How long to stay away: Meta's own estimate when a header gives one, else a conservative default."""
    if headers:
        usage = parse_usage(headers)
        if usage.regain_seconds:
            return usage.regain_seconds
        retry_after = _as_float(headers.get("retry-after"))
        if retry_after:
            return retry_after
    return default / 3 if code == 613 else default


# --- usage headers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """The highest share (0-100 %) of any rate-limit budget the last response reported, and which one."""

    percent: float = 0.0
    source: str = ""
    regain_seconds: float | None = None  # Meta's `estimated_time_to_regain_access`, when it gave one


def parse_usage(headers: Mapping[str, str]) -> Usage:
    """Read `x-app-usage`, `x-page-usage` and `x-business-use-case-usage`; malformed headers are ignored."""
    best = Usage()
    regain: float | None = None
    for header in ("x-app-usage", "x-page-usage", "x-business-use-case-usage"):
        raw = headers.get(header)
        if not raw:
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        entries: list[tuple[str, Mapping[str, Any]]] = []
        if header == "x-business-use-case-usage" and isinstance(value, Mapping):
            for business_id, items in value.items():
                for item in items if isinstance(items, list) else []:
                    if isinstance(item, Mapping):
                        entries.append((f"{header}[{business_id}:{item.get('type', '?')}]", item))
        elif isinstance(value, Mapping):
            entries.append((header, value))
        for source, counters in entries:
            for key in ("call_count", "total_cputime", "total_time", "acc_id_util_pct"):
                pct = _as_float(counters.get(key))
                if pct is not None and pct > best.percent:
                    best = Usage(pct, f"{source}.{key}")
            minutes = _as_float(counters.get("estimated_time_to_regain_access"))
            if minutes:
                regain = max(regain or 0.0, minutes * 60)
    return Usage(best.percent, best.source, regain)


# --- pages -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of an edge: its items, where the next page is, and the edge's summary if requested."""

    data: list[Any]
    path: str
    next_url: str | None = None
    after: str | None = None
    summary: Mapping[str, Any] | None = None


def page_from_body(body: Any, path: str) -> Page:
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        raise UnexpectedPayload(f"se esperaba {{'data': [...]}} en {path}", path=path, payload=body)
    paging = body.get("paging") if isinstance(body.get("paging"), Mapping) else {}
    cursors = paging.get("cursors") if isinstance(paging.get("cursors"), Mapping) else {}
    summary = body.get("summary") if isinstance(body.get("summary"), Mapping) else None
    return Page(data=list(body["data"]), path=path, next_url=_as_str(paging.get("next")),
                after=_as_str(cursors.get("after")), summary=summary)


@dataclass(frozen=True)
class BatchRequest:
    """One GET inside a batch call: path relative to the version (e.g. `123_456/comments`) and params."""

    path: str
    params: Mapping[str, Any] = field(default_factory=dict)


# --- the client -----------------------------------------------------------------------------------


class GraphClient:
    """Graph API calls with auth, version, retries and usage tracking. One instance per connector."""

    def __init__(
        self,
        access_token: str,
        *,
        base_url: str = "https://graph.facebook.com",
        version: str = "v24.0",
        app_secret: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        default_rate_limit_pause: float = 900.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        transport: httpx.BaseTransport | None = None,
    ):
        if not VERSION_PATTERN.match(version):
            raise ValueError(f"Graph API version {version!r} must look like 'v24.0'")
        if not access_token:
            raise ValueError("a Graph API access token is required")
        self.version = version
        self._base = urlsplit(base_url.rstrip("/"))
        if self._base.scheme not in ("http", "https") or not self._base.netloc:
            raise ValueError(f"Graph API base URL {base_url!r} must be an absolute http(s) URL")
        self._token = access_token
        self._proof = appsecret_proof(access_token, app_secret) if app_secret else None
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._rate_limit_pause = default_rate_limit_pause
        self._sleep = sleep
        self._rng = rng
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False,
                                  headers={"Authorization": f"Bearer {access_token}",
                                           "User-Agent": "vigia-mintic/0.1"})
        self.usage = Usage()
        self.requests = 0  # HTTP requests sent, retries included (for tests and benchmarks)
        self._answered: Counter[int] = Counter()  # requests the API answered without an error, per thread

    # -- public API --

    def get(self, path: str, *, fields: str | Sequence[str] | None = None,
            params: Mapping[str, Any] | None = None) -> Any:
        """GET a node or edge; returns the decoded JSON body."""
        return self._request("GET", self._url(path), _with_fields(params, fields), label=path)

    def get_page(self, path: str, *, fields: str | Sequence[str] | None = None,
                 params: Mapping[str, Any] | None = None, after: str | None = None) -> Page:
        """The first page of an edge (or the page after `after`, to resume a saved position)."""
        query = _with_fields(params, fields)
        if after:
            query["after"] = after
        return page_from_body(self.get(path, params=query), path)

    def next_page(self, page: Page) -> Page | None:
        """Follow `paging.next`, re-based on our host and without the token Meta embeds in it."""
        if not page.next_url:
            return None
        url, params = self._rebase(page.next_url)
        return page_from_body(self._request("GET", url, params, label=page.path), page.path)

    def request_for_next(self, page: Page) -> BatchRequest:
        """`paging.next` as a batch request (path relative to the version, token parameters dropped)."""
        if not page.next_url:
            raise ValueError(f"{page.path}: no next page")
        parts = urlsplit(page.next_url)
        path = parts.path
        if self._base.path and path.startswith(self._base.path + "/"):
            path = path[len(self._base.path):]
        segments = [s for s in path.split("/") if s]
        if segments and VERSION_PATTERN.match(segments[0]):
            segments = segments[1:]
        params = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _STRIP_FROM_NEXT}
        return BatchRequest("/".join(segments), params)

    def pages(self, path: str, **kw: Any) -> Iterator[Page]:
        page: Page | None = self.get_page(path, **kw)
        while page is not None:
            yield page
            page = self.next_page(page)

    def batch_pages(self, requests: Sequence[BatchRequest]) -> list[Page | GraphError]:
        """First pages of many edges in as few HTTP calls as possible; failures are returned, not raised."""
        out: list[Page | GraphError] = []
        for item, result in zip(requests, self.batch(requests), strict=True):
            if isinstance(result, GraphError):
                out.append(result)
                continue
            try:
                out.append(page_from_body(result, item.path))
            except UnexpectedPayload as exc:
                out.append(exc)
        return out

    def batch(self, requests: Sequence[BatchRequest]) -> list[Any]:
        """Run GETs in batch calls of at most 50; each result is a decoded body or a `GraphError`."""
        results: list[Any] = []
        for start in range(0, len(requests), MAX_BATCH):
            chunk = requests[start : start + MAX_BATCH]
            spec = [{"method": "GET", "relative_url": _relative(r.path, r.params)} for r in chunk]
            body = self._request("POST", self._url(""), {}, label="batch",
                                 form={"batch": json.dumps(spec, separators=(",", ":")),
                                       "include_headers": "false"})
            if not isinstance(body, list) or len(body) != len(chunk):
                raise UnexpectedPayload("la respuesta del lote no es una lista del mismo tamaño",
                                        path="batch", payload=body)
            results.extend(self._batch_item(item, r.path) for item, r in zip(body, chunk, strict=True))
        return results

    def answered(self) -> int:
        """Requests of the calling thread the API answered without an error object: what a poll (one thread)
        compares before and after to know whether it really reached the API."""
        return self._answered[threading.get_ident()]

    def reset_usage(self) -> None:
        """Forget the last usage reading (after pausing, the next response tells the current one)."""
        self.usage = Usage()

    def close(self) -> None:
        self._http.close()

    # -- internals --

    def _url(self, path: str) -> str:
        clean = path.strip("/")
        suffix = f"/{self.version}/{clean}" if clean else f"/{self.version}"
        return urlunsplit((self._base.scheme, self._base.netloc, self._base.path + suffix, "", ""))

    def _rebase(self, next_url: str) -> tuple[str, dict[str, str]]:
        parts = urlsplit(next_url)
        params = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _STRIP_FROM_NEXT}
        path = parts.path
        if self._base.path and not path.startswith(self._base.path):
            path = self._base.path + path
        return urlunsplit((self._base.scheme, self._base.netloc, path, "", "")), params

    def _auth(self, params: Mapping[str, Any]) -> dict[str, Any]:
        query = {k: v for k, v in params.items() if v is not None}
        if self._proof:
            query["appsecret_proof"] = self._proof
        return query

    def _request(self, method: str, url: str, params: Mapping[str, Any], *, label: str,
                 form: Mapping[str, str] | None = None) -> Any:
        attempt = 0
        while True:
            try:
                body, response = self._send(method, url, params, form, label)
            except TransientError as exc:
                if attempt >= self._max_retries:
                    raise
                self._sleep(self._backoff(attempt, exc))
                attempt += 1
                continue
            if (isinstance(body, Mapping) and "error" in body) or response.status_code >= 400:
                error = error_from_body(body, status=response.status_code, path=label,
                                        headers=response.headers, default_rate_limit_pause=self._rate_limit_pause)
                if isinstance(error, TransientError) and attempt < self._max_retries:
                    self._sleep(self._backoff(attempt, error))
                    attempt += 1
                    continue
                raise error
            self._answered[threading.get_ident()] += 1
            return body

    def _send(self, method: str, url: str, params: Mapping[str, Any], form: Mapping[str, str] | None,
              label: str) -> tuple[Any, httpx.Response]:
        self.requests += 1
        query = self._auth(params)
        try:
            if method == "POST":
                response = self._http.post(url, data={**query, **(form or {})})
            else:
                response = self._http.get(url, params=query)
        except httpx.TimeoutException as exc:
            raise TransientError(f"tiempo de espera agotado ({type(exc).__name__})", path=label,
                                 is_transient=True) from None
        except httpx.TransportError as exc:
            raise TransientError(f"fallo de red ({type(exc).__name__})", path=label, is_transient=True) from None
        usage = parse_usage(response.headers)
        if usage.source:
            self.usage = usage
        try:
            body = response.json()
        except ValueError:
            if response.status_code >= 500:
                raise TransientError(f"HTTP {response.status_code} sin cuerpo JSON", status=response.status_code,
                                     path=label, is_transient=True) from None
            raise UnexpectedPayload(f"HTTP {response.status_code}: el cuerpo no es JSON", status=response.status_code,
                                    path=label, payload=response.text[:500]) from None
        return body, response

    def _backoff(self, attempt: int, error: GraphError) -> float:
        """Exponential back-off with 'equal jitter': half fixed, half random, capped."""
        delay = min(self._backoff_cap, self._backoff_base * (2 ** attempt))
        return delay / 2 + self._rng() * delay / 2

    def _batch_item(self, item: Any, path: str) -> Any:
        if item is None:  # Meta returns null for a request that timed out inside the batch
            return TransientError("la solicitud no se completó dentro del lote", path=path, is_transient=True)
        if not isinstance(item, Mapping):
            return UnexpectedPayload("elemento de lote inesperado", path=path, payload=item)
        status = _as_int(item.get("code")) or 0
        raw = item.get("body")
        try:
            body = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            return UnexpectedPayload("cuerpo de lote que no es JSON", path=path, payload=raw, status=status)
        headers = {h.get("name", "").lower(): h.get("value", "") for h in item.get("headers") or []
                   if isinstance(h, Mapping)}
        if status >= 400 or (isinstance(body, Mapping) and "error" in body):
            return error_from_body(body, status=status, path=path, headers=headers,
                                   default_rate_limit_pause=self._rate_limit_pause)
        return body


def _with_fields(params: Mapping[str, Any] | None, fields: str | Sequence[str] | None) -> dict[str, Any]:
    query = dict(params or {})
    if fields:
        query["fields"] = fields if isinstance(fields, str) else ",".join(fields)
    return query


def _relative(path: str, params: Mapping[str, Any]) -> str:
    clean = path.strip("/")
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{clean}?{query}" if query else clean


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _as_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def appsecret_proof(access_token: str, app_secret: str) -> str:
    """HMAC-SHA256 of the token keyed with the app secret, hex (what Meta checks when 'Require app secret' is on)."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()

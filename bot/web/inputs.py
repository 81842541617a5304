"""Checks at the edge for values typed into URLs and forms: ids, counts, dates, weeks, the page bookmark, text.

Whatever reaches the database or date arithmetic has been checked here first, so a hand-made URL gets a
400 page in Spanish naming the parameter, never a 500: ids are ASCII decimal numbers within PostgreSQL's
BIGINT (`"²".isdigit()` is True but `int("²")` fails; 2**63 overflows the column), dates and weeks stay
inside years that date arithmetic cannot overflow, NUL characters (PostgreSQL refuses them in text) are
removed, and a `cursor` must be one the app itself wrote.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date, datetime
from typing import Annotated

from fastapi import Path
from pydantic import Field

from storage.inbox_filters import decode_cursor

MAX_ID = 2**63 - 1  # PostgreSQL BIGINT (and SQLite INTEGER)
MIN_DAY = date(1970, 1, 1)
MAX_DAY = date(9998, 12, 31)  # a year of room: "the day after" and "the week after" never overflow
MAX_CURSOR_CHARS = 512  # the app's own bookmarks are under 120 characters
MAX_TIER = 32767  # a SMALLINT column
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]  # out of range: FastAPI's validation error, a 404 page
FormId = Annotated[int, Field(ge=1, le=MAX_ID)]  # out of range: FastAPI's validation error, a 400 page
_DIGITS = re.compile(r"[0-9]{1,19}")
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


class InvalidParameter(ValueError):
    """A value that can never be valid for its parameter; `message` is the Spanish text for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_int(value: str, low: int = 0, high: int = MAX_ID) -> int | None:
    """The integer written in ASCII digits (no sign, no spaces) when it lies in [low, high], else None."""
    if not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if low <= number <= high else None


def parse_id(value: str) -> int | None:
    """A database id (1 … 2**63-1) in ASCII digits, else None."""
    return parse_int(value, low=1)


def id_param(name: str, value: str) -> str:
    """`value` when empty or a valid id; else InvalidParameter naming `name`."""
    if value and parse_id(value) is None:
        raise InvalidParameter(f"El parámetro «{name}» debe ser un número de identificación válido.")
    return value


def without_nul(value: str) -> str:
    """The text without NUL characters (PostgreSQL cannot store them in text columns or compare with them)."""
    return value.replace("\x00", "")


def day_param(name: str, value: str) -> str:
    """An ISO date (AAAA-MM-DD) between MIN_DAY and MAX_DAY, normalised; "" when empty."""
    if not value:
        return ""
    try:
        day = date.fromisoformat(value) if _DAY.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None or not MIN_DAY <= day <= MAX_DAY:
        raise InvalidParameter(f"La fecha «{name}» no es válida: use AAAA-MM-DD, entre {MIN_DAY.year} y "
                               f"{MAX_DAY.year}.")
    return day.isoformat()


def week_param(value: str) -> date | None:
    """The Monday of an ISO week written AAAA-Wss (None when empty), within MIN_DAY … MAX_DAY."""
    if not value:
        return None
    found = _WEEK.fullmatch(value)
    try:
        monday = date.fromisocalendar(int(found[1]), int(found[2]), 1) if found else None
    except ValueError:
        monday = None
    if monday is None or not MIN_DAY <= monday <= MAX_DAY:
        raise InvalidParameter(f"La semana no es válida: use AAAA-Wss (por ejemplo 2026-W46), entre "
                               f"{MIN_DAY.year} y {MAX_DAY.year}.")
    return monday


def json_depth(raw: bytes, stop_above: int | None = None) -> int:
    """How deeply the arrays and objects of a JSON text nest (brackets inside strings do not count); the
    count stops as soon as it passes `stop_above`.

    Python's parser recurses once per level, so an attacker's `[[[[…` of a few thousand levels would end in
    RecursionError: measure first, parse only shallow documents."""
    depth = deepest = 0
    for found in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        depth += 1 if found[0] in (b"[", b"{") else -1
        deepest = max(deepest, depth)
        if stop_above is not None and deepest > stop_above:
            break
    return deepest


BAD_CURSOR = "El enlace de página no es válido: vuelva a la primera página de la bandeja."


def cursor_param(token: str | None, sort: str) -> str | None:
    """The page bookmark when it is one the app wrote for this order, with values the database can hold;
    None when absent; InvalidParameter otherwise."""
    if not token:
        return None
    if len(token) > MAX_CURSOR_CHARS or not _BASE64URL.fullmatch(token):
        raise InvalidParameter(BAD_CURSOR)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidParameter(BAD_CURSOR) from None
    if json_depth(raw, stop_above=2) > 2:
        raise InvalidParameter(BAD_CURSOR)
    values = decode_cursor(token, sort)
    if values is None or not _cursor_values_ok(values):
        raise InvalidParameter(BAD_CURSOR)
    return token


def _cursor_values_ok(values: list[object]) -> bool:
    ids = [v for v in values[1:] if isinstance(v, int)]
    moments = [v for v in values[1:] if isinstance(v, datetime)]
    tier_ok = values[0] != "urgency" or all(0 <= v <= MAX_TIER for v in ids[:2])  # tier, reach rank
    return (tier_ok and 1 <= ids[-1] <= MAX_ID and len(moments) == 1 and moments[0].tzinfo is not None
            and MIN_DAY <= moments[0].date() <= MAX_DAY)


def safe_json(raw: bytes, max_depth: int) -> object:
    """`json.loads` for untrusted bytes: ValueError when not JSON or nested deeper than `max_depth`."""
    if json_depth(raw, stop_above=max_depth) > max_depth:
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(raw)
    except RecursionError:  # a second guard: never let the parser exhaust the stack
        raise ValueError("JSON nested too deeply") from None

"""Reading Graph API payload items defensively: every helper says exactly what is wrong (ValueError), so a
malformed item is set aside with a clear reason instead of crashing the poll or storing nonsense."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from typing import Any

import structlog

from domain import GeoTag

log = structlog.get_logger("vigia.connectors.meta")

UNKNOWN_AUTHOR = "unknown"  # Meta omits `from` on users' content unless the token may read it


def require_object(item: Any) -> Mapping[str, Any]:
    if not isinstance(item, Mapping):
        raise ValueError(f"se esperaba un objeto JSON, llegó {type(item).__name__}")
    return item


def require_id(item: Mapping[str, Any]) -> str:
    value = item.get("id")
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"falta el campo 'id' o no es texto: {value!r}")
    return value


def text_of(item: Mapping[str, Any], field: str) -> str:
    """The text field, or '' when absent (media without caption, sticker-only comment)."""
    value = item.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"el campo {field!r} no es texto: {type(value).__name__}")
    return value


def count_of(item: Mapping[str, Any], field: str) -> int | None:
    return as_count(item.get(field))


def as_count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def summary_total(edge: Any) -> int | None:
    """`{"data": [], "summary": {"total_count": 12}}` -> 12 (None when the summary is missing)."""
    if isinstance(edge, Mapping) and isinstance(edge.get("summary"), Mapping):
        return as_count(edge["summary"].get("total_count"))
    return None


def shares_of(item: Mapping[str, Any]) -> int | None:
    """Meta omits `shares` when a post has none (it was requested, so absent means 0)."""
    shares = item.get("shares")
    if shares is None:
        return 0
    return as_count(shares.get("count")) if isinstance(shares, Mapping) else None


def insight_values(item: Mapping[str, Any]) -> dict[str, int]:
    """`insights{data:[{name, values:[{value}]}]}` -> {name: value} (lifetime metrics; others ignored)."""
    out: dict[str, int] = {}
    insights = item.get("insights")
    data = insights.get("data") if isinstance(insights, Mapping) else None
    for entry in data if isinstance(data, list) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            continue
        values = entry.get("values")
        if isinstance(values, list) and values and isinstance(values[-1], Mapping):
            value = as_count(values[-1].get("value"))
            if value is not None:
                out[entry["name"]] = value
    return out


def author_of(item: Mapping[str, Any], name_key: str = "name") -> tuple[str, str]:
    """(author id, display name or handle) from `from`; unknown when Meta did not disclose it."""
    author = item.get("from")
    if isinstance(author, Mapping) and isinstance(author.get("id"), str) and author["id"]:
        name = author.get(name_key)
        return author["id"], name if isinstance(name, str) else ""
    return UNKNOWN_AUTHOR, ""


def id_of(value: Any) -> str | None:
    """`{"id": "..."}` or a bare id string -> the id."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


# Facebook's `place.location.country` is a country's name (in the token's locale), not a code; the codes of the
# countries a Colombian audience writes from most, by their English and Spanish names. Others get no code.
_COUNTRY_CODES = {
    "colombia": "CO", "venezuela": "VE", "ecuador": "EC", "peru": "PE", "panama": "PA", "mexico": "MX",
    "spain": "ES", "espana": "ES", "united states": "US", "estados unidos": "US", "chile": "CL",
    "argentina": "AR", "brazil": "BR", "brasil": "BR", "costa rica": "CR", "canada": "CA",
    "germany": "DE", "alemania": "DE", "france": "FR", "francia": "FR", "italy": "IT", "italia": "IT",
    "united kingdom": "GB", "reino unido": "GB",
}


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip().lower()


def _place_text(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"'{key}' no es texto: {type(value).__name__}")
    return value.strip() or None


def _coordinate(obj: Mapping[str, Any], key: str, limit: float) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or abs(value) > limit:
        raise ValueError(f"'{key}' {value!r} no es una coordenada válida")
    return float(value)


def place_to_geo(place: Any) -> GeoTag:
    """A Facebook post's `place{name,location{city,state,country,latitude,longitude}}` as a GeoTag.

    Raises ValueError naming what is wrong. `full_name` is the place's name (a business, a park, a town), `city`
    and `region` (the `state`, a department in Colombia) come from its location.
    """
    if not isinstance(place, Mapping):
        raise ValueError(f"'place' no es un objeto: {type(place).__name__}")
    name = _place_text(place, "name")
    location = place.get("location")
    if location is None:
        location = {}
    if not isinstance(location, Mapping):
        raise ValueError(f"'place.location' no es un objeto: {type(location).__name__}")
    city = _place_text(location, "city")
    region = _place_text(location, "state") or _place_text(location, "region")
    country = _place_text(location, "country")
    lat = _coordinate(location, "latitude", 90)
    lon = _coordinate(location, "longitude", 180)
    if (lat is None) != (lon is None):
        raise ValueError("'place.location' trae solo una de latitude/longitude")
    if name is None and city is None and region is None and lat is None:
        raise ValueError("'place' no trae nombre, ciudad, región ni coordenadas")
    code = _COUNTRY_CODES.get(_plain(country)) if country else None
    return GeoTag(name=name, full_name=name, country_code=code, city=city, region=region, lat=lat, lon=lon)


def geo_of(item: Mapping[str, Any], stream: str = "") -> GeoTag | None:
    """The post's place, or None (none tagged, or a malformed one: logged, and the post kept without it)."""
    place = item.get("place")
    if place is None:
        return None
    try:
        return place_to_geo(place)
    except ValueError as exc:
        log.warning("meta malformed place ignored; the post is kept without it", stream=stream,
                    post_id=item.get("id"), problem=str(exc))
        return None

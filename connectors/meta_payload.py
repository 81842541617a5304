"""Reading Graph API payload items defensively: every helper says exactly what is wrong (ValueError), so a
malformed item is set aside with a clear reason instead of crashing the poll or storing nonsense."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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

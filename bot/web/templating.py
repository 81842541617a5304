"""The Jinja2 environment: autoescaping always on, Spanish formatting filters, no URL left unchecked.

Post texts, author handles and links come from the internet: they are escaped on output, and a link is only
rendered when it is http(s) (`javascript:` URLs survive HTML escaping, so they must be refused outright).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from analyzers.settings import topic_name
from bot import labels
from bot.alerts.spike_keys import describe_key
from bot.web import place_names
from bot.web.highlight import highlight

WEEKDAYS_ES = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
MONTHS_ES = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")


def safe_url(value: str | None) -> str | None:
    """The URL when it is an absolute http(s) link, else None."""
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value.strip()


def number(value: float | int | None, decimals: int = 0) -> str:
    """Spanish number format: 1.234.567,8."""
    return "—" if value is None else labels.es_number(value, decimals)


def followers(value: int | None) -> str:
    """A follower count the Spanish way, short: 850, 12,3 mil, 456 mil, 1,2 M; "—" when unknown."""
    if value is None:
        return "—"
    if value < 1000:
        return number(value)
    if value < 1_000_000:
        short, unit = value / 1000, "mil"
    else:
        short, unit = value / 1_000_000, "M"
    text = number(short, 1) if short < 100 else number(int(short))
    return f"{text.removesuffix(',0')} {unit}"


def percent(value: float | None, decimals: int = 0) -> str:
    return "—" if value is None else f"{number(100 * value, decimals)} %"


def environment(templates_dir: Path, tz: ZoneInfo) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=True,  # every template, whatever its extension
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def local(value: datetime | None, fmt: str = "short") -> str:
        if value is None:
            return "—"
        t = value.astimezone(tz)
        if fmt == "date":
            return f"{WEEKDAYS_ES[t.weekday()]} {t.day} {MONTHS_ES[t.month - 1]}"
        if fmt == "iso":
            return t.isoformat(timespec="seconds")
        if fmt == "time":
            return t.strftime("%H:%M")
        return f"{WEEKDAYS_ES[t.weekday()]} {t:%d/%m %H:%M}"

    def ago(value: datetime | None, now: datetime) -> str:
        if value is None:
            return ""
        seconds = int((now - value).total_seconds())
        if seconds < 60:
            return "hace instantes"
        for size, one, many in ((86400, "día", "días"), (3600, "hora", "horas"), (60, "minuto", "minutos")):
            if seconds >= size:
                n = seconds // size
                return f"hace {n} {one if n == 1 else many}"
        return ""

    env.filters.update(local=local, ago=ago, safe_url=safe_url, number=number, percent=percent, key_es=describe_key,
                       followers=followers,
                       highlight=highlight,
                       topic_es=topic_name,
                       tojson_attr=lambda v: json.dumps(v, ensure_ascii=True))
    env.globals.update(
        CATEGORY_ES=labels.CATEGORY_ES, SENTIMENT_ES=labels.SENTIMENT_ES, STATE_ES=labels.STATE_ES,
        STATE_FILTER_ES=labels.STATE_FILTER_ES, FLAG_ES=labels.FLAG_ES, PLATFORM_ES=labels.PLATFORM_ES,
        KIND_ES=labels.KIND_ES, ROLE_ES=labels.ROLE_ES, ACTION_ES=labels.ACTION_ES, LEVEL_ES=labels.LEVEL_ES,
        SORT_ES=labels.SORT_ES, METRIC_ES=labels.METRIC_ES, CATEGORY_KEYS=labels.CATEGORY_KEYS,
        SENTIMENT_KEYS=labels.SENTIMENT_KEYS,
        label=labels.label,
        place_label=place_names.place_label, evidence_label=place_names.evidence_label,
    )
    return env

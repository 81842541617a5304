"""Which detector keys a citizen post counts towards, and the time bucket it falls in.

A key names one stream of volume the spike detector watches: all mentions, negative mentions, each PQRSD
category that signals trouble, each topic, each crisis flag, each watched account.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from analyzers.settings import topic_name
from domain import CRISIS_FLAGS, Post, TextAnalysis

TROUBLE_CATEGORIES = ("queja", "reclamo", "denuncia")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def bucket_start(moment: datetime, bucket: timedelta) -> datetime:
    """Floor `moment` to its bucket (buckets are aligned to the Unix epoch, in UTC)."""
    steps = (moment.astimezone(UTC) - _EPOCH) // bucket
    return _EPOCH + steps * bucket


def keys_for(post: Post, analysis: TextAnalysis) -> list[str]:
    if post.is_own:
        return []
    keys = ["all", f"account:{post.platform}:{post.account}"]
    if analysis.sentiment == "negative":
        keys.append("sentiment:negative")
    if analysis.category in TROUBLE_CATEGORIES:
        keys.append(f"category:{analysis.category}")
    keys.extend(f"topic:{t}" for t in dict.fromkeys(analysis.topics))
    keys.extend(f"flag:{f}" for f in dict.fromkeys(analysis.flags))
    return keys


def configured_keys(accounts: Iterable[tuple[str, str]], topics: Iterable[str]) -> list[str]:
    """Every key the detector watches from the start, so quiet periods are learnt too."""
    keys = ["all", "sentiment:negative"]
    keys += [f"category:{c}" for c in TROUBLE_CATEGORIES]
    keys += [f"topic:{t}" for t in topics]
    keys += [f"flag:{f}" for f in CRISIS_FLAGS]
    keys += [f"account:{platform}:{handle}" for platform, handle in accounts]
    return list(dict.fromkeys(keys))


KEY_LABELS_ES = {
    "all": "todas las menciones",
    "sentiment:negative": "menciones negativas",
    "category:queja": "quejas",
    "category:reclamo": "reclamos",
    "category:denuncia": "denuncias",
    "flag:outage": "caída de servicio",
    "flag:fraud": "fraude o estafa",
    "flag:data_leak": "fuga de datos o cuenta hackeada",
    "flag:threat": "amenazas",
    "flag:misinformation": "desinformación",
}


def describe_key(key: str) -> str:
    """Spanish label of a key for alerts and reports."""
    if key in KEY_LABELS_ES:
        return KEY_LABELS_ES[key]
    kind, _, rest = key.partition(":")
    if kind == "topic":
        return f"tema «{topic_name(rest)}»"
    if kind == "account":
        platform, _, handle = rest.partition(":")
        return f"cuenta {handle} ({platform})"
    return key

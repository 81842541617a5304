"""The alert policy: detector verdicts → incidents → the few alerts people should see.

Related keys spiking at the same time belong to one incident (the negative-mentions spike and the reclamo
spike of one outage are one incident, not separate alerts). People are told when an incident opens, when it
grows a severity level, and when every key has recovered; a key that joins an open incident without raising
its level is recorded but not announced. All of it happens inside the caller's transaction, together with
the detector state, so a crash can neither lose nor repeat an alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from analyzers.segments import Segmenter
from bot.alerts.context import SpikeContext, key_post_ids, spike_context
from bot.alerts.spike_keys import describe_key
from bot.labels import es_number
from domain import Alert
from storage.models import IncidentRow
from storage.unit_of_work import UnitOfWork

LEVELS = {"none": 0, "aviso": 1, "critico": 2}
LEVEL_ES = {"aviso": "AVISO", "critico": "CRÍTICO", "none": "normal"}


@dataclass(frozen=True)
class Transition:
    key: str
    bucket_start: datetime
    bucket: timedelta
    previous: str
    level: str
    in_spike: bool
    value: int
    expected: float


def _ratio(value: float, expected: float) -> str:
    return f"x{value / expected:.1f}" if expected > 0.05 else "sin precedente"


DAYS_ES = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")


def interactions_es(count: int) -> str:
    """ "1 interacción", "18 interacciones" """
    return f"{count} interacción" if count == 1 else f"{count} interacciones"


def count_es(n: int) -> str:
    """1234567 -> '1.234.567' (Colombian thousands separator), whatever the process locale."""
    return es_number(n)


def followers_es(n: int) -> str:
    return f"{count_es(n)} seguidor" if n == 1 else f"{count_es(n)} seguidores"


def voices_es(voices: dict[str, int]) -> str | None:
    """'25% de las voces son medios o cuentas oficiales (3 de 12 autores; 2 sin perfil).' None without authors.

    The share is over every distinct author, those without a stored profile included (they are not known to
    be press or officials, nor citizens), so it never overstates; how many lack a profile is said beside it.
    """
    authors, high, unknown = voices.get("authors", 0), voices.get("high_priority", 0), voices.get("no_profile", 0)
    if authors <= 0:
        return None
    noun = "autor" if authors == 1 else "autores"
    if unknown >= authors:
        return f"Voces: {authors} {noun}, aún sin perfil conocido (no se sabe si hay medios o cuentas oficiales)."
    missing = f"; {unknown} sin perfil" if unknown else ""
    return (f"{100 * high / authors:.0f}% de las voces son medios o cuentas oficiales "
            f"({high} de {authors} {noun}{missing}).")


PLACED_MIN = 5  # fewer placed posts than this say nothing about where a spike comes from
PLACED_MAJORITY = 0.5  # one department holds more than this share of the placed posts: "concentrated"


def places_es(places: dict[str, Any]) -> str | None:
    """Where a spike's posts come from, or None when too few are placed to say.

    Concentrated (one department holds a strict majority of at least `PLACED_MIN` placed posts):
    '63% de las menciones ubicadas vienen de Chocó (12 de 19; 21 sin ubicación).' Otherwise the top departments:
    'Menciones ubicadas repartidas en 5 departamentos: Chocó 7, Antioquia 5, Cauca 3 y 2 más (19 ubicadas).'
    Shares are over the placed posts only, and the unplaced ones are always said, so nobody reads 63 % of
    the placed posts as 63 % of the spike.
    """
    placed, total = int(places.get("placed") or 0), int(places.get("posts") or 0)
    top = places.get("top") or []
    if placed < PLACED_MIN or not top:
        return None
    unplaced = f"; {count_es(total - placed)} sin ubicación" if total > placed else ""
    first = top[0]
    if int(first["posts"]) > PLACED_MAJORITY * placed:
        return (f"{100 * int(first['posts']) / placed:.0f}% de las menciones ubicadas vienen de {first['name']} "
                f"({count_es(int(first['posts']))} de {count_es(placed)}{unplaced}).")
    named = [f"{d['name']} {count_es(int(d['posts']))}" for d in top]
    more = int(places.get("departments") or len(top)) - len(top)
    listed = ", ".join(named[:-1]) + f" y {named[-1]}" if not more else ", ".join(named) + f" y {more} más"
    return (f"Menciones ubicadas repartidas en {count_es(len(top) + more)} departamentos: {listed} "
            f"({count_es(placed)} ubicadas{unplaced}).")


def author_es(author: dict[str, Any]) -> str:
    """'@ELTIEMPO (Medios y periodistas, 1.234.567 seguidores, 2 publicaciones)'"""
    posts = int(author.get("posts") or 0)
    in_spike = f"{posts} publicación" if posts == 1 else f"{posts} publicaciones"
    return (f"@{author.get('handle')} ({author.get('segment_label')}, "
            f"{followers_es(int(author.get('followers') or 0))}, {in_spike})")


def local_es(moment: datetime, tz: ZoneInfo) -> str:
    """'mié 18/11 10:30' in local time, whatever the process locale."""
    local = moment.astimezone(tz)
    return f"{DAYS_ES[local.weekday()]} {local:%d/%m %H:%M}"



RELATED_SHARE = 0.3  # a spiking key joins an incident when this share of its posts are already in it


def _is_general(key: str) -> bool:
    """Keys that count (nearly) every post of a crisis, so they relate to any incident."""
    return key in ("all", "sentiment:negative") or key.startswith("account:")


def _related_share(uow: UnitOfWork, t: Transition, keys: list[str]) -> float:
    """How many of this key's recent posts the incident's keys also count (1.0 when there is nothing to compare).

    A specific key (a category, topic or flag) is compared with the incident's specific keys only: "all"
    counts every post, so comparing with it would put any two crises together.
    """
    assert uow.session is not None
    if _is_general(t.key):
        return 1.0
    specific = [k for k in keys if not _is_general(k)]
    keys = specific or keys
    start, end = t.bucket_start - t.bucket, t.bucket_start + t.bucket
    mine = key_post_ids(uow.session, t.key, start, end)
    if not mine:
        return 1.0
    theirs: set[int] = set()
    for key in keys:
        theirs |= key_post_ids(uow.session, key, start, end)
    return len(mine & theirs) / len(mine)


def _incident_for(uow: UnitOfWork, t: Transition, cooldown: timedelta) -> tuple[IncidentRow | None, bool]:
    """The incident a key belongs to: the open one that holds it, else the most related open one, else a
    related incident that ended within the cooldown (reopened). Returns (incident, reopened)."""
    open_incidents = uow.incidents.open_incidents()
    for incident in open_incidents:
        if t.key in incident.active_keys:
            return incident, False
    if t.previous != "none" or t.level == "none":
        return None, False
    scored = [(_related_share(uow, t, incident.active_keys), incident) for incident in open_incidents]
    best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
    if best[1] is not None and best[0] >= RELATED_SHARE:
        return best[1], False
    last = uow.incidents.last_closed()
    if (last is not None and last.closed_at is not None and t.bucket_start - last.closed_at <= cooldown
            and _related_share(uow, t, last.keys) >= RELATED_SHARE):
        last.closed_at = None
        last.keys = last.keys if t.key in last.keys else [*last.keys, t.key]
        last.active_keys = [t.key]
        return last, True
    return None, False


def apply_transition(uow: UnitOfWork, t: Transition, tz: ZoneInfo, inbox_url: str,
                     cooldown: timedelta = timedelta(minutes=60), *, segments: Segmenter | None = None) -> list[Alert]:
    """Update the incident of one key's verdict; return the alerts to queue.

    Related keys (sharing at least `RELATED_SHARE` of their posts in the current buckets) form one
    incident; unrelated simultaneous spikes are separate incidents. Cooldown: a spike that starts within
    `cooldown` of the end of a related incident reopens it instead of announcing a new one; people hear of
    it again only if it reaches a higher level. With `segments`, alerts also say who is talking (the authors
    with most followers, the share of press and official voices).
    """
    incident, reopened = _incident_for(uow, t, cooldown)
    entering = t.previous == "none" and t.level != "none"
    rising = LEVELS[t.level] > LEVELS[t.previous] and t.previous != "none"
    leaving = t.previous != "none" and not t.in_spike
    alerts: list[Alert] = []

    def context() -> SpikeContext:
        assert uow.session is not None
        since = incident.opened_at if incident is not None else t.bucket_start
        return spike_context(uow.session, t.key, min(since, t.bucket_start), t.bucket_start + t.bucket,
                             segments=segments)

    if reopened:
        if LEVELS[t.level] > LEVELS[incident.level]:
            incident.level = t.level
            alerts.append(_escalation_alert(incident, t, tz, inbox_url, context()))
    elif entering:
        if incident is None:
            incident = uow.incidents.create(t.bucket_start, t.level, t.key, t.value, t.expected)
            alerts.append(_open_alert(incident, t, tz, inbox_url, context()))
        else:
            incident.keys = [*incident.keys, t.key] if t.key not in incident.keys else incident.keys
            incident.active_keys = [*incident.active_keys, t.key]
            if LEVELS[t.level] > LEVELS[incident.level]:
                incident.level = t.level
                alerts.append(_escalation_alert(incident, t, tz, inbox_url, context()))
    elif rising and incident is not None:
        if LEVELS[t.level] > LEVELS[incident.level]:
            incident.level = t.level
            alerts.append(_escalation_alert(incident, t, tz, inbox_url, context()))
    elif leaving and incident is not None and t.key in incident.active_keys:
        incident.active_keys = [k for k in incident.active_keys if k != t.key]
        if not incident.active_keys:
            incident.closed_at = t.bucket_start
            alerts.append(_recovery_alert(incident, t, tz, inbox_url))

    if incident is not None:
        _note_peak(incident, t.key, t.value, t.expected)
    return alerts


def _note_peak(incident: IncidentRow, key: str, value: int, expected: float) -> None:
    """The incident's peak is that of all mentions once they are part of it, else that of the signal that
    opened it; the key is kept with the numbers so a message never quotes one signal's count as another's."""
    current = incident.peak_signal
    if key == "all" and current != "all":
        incident.peak_key, incident.peak_value, incident.peak_expected = "all", value, expected
    elif key == current and value > incident.peak_value:
        incident.peak_key, incident.peak_value, incident.peak_expected = key, value, expected


def note_spike_bucket(uow: UnitOfWork, key: str, value: int, expected: float) -> None:
    """A bucket of a key that stays in its spike (no transition): it may be the incident's new peak."""
    for incident in uow.incidents.open_incidents():
        if key in incident.active_keys:
            _note_peak(incident, key, value, expected)
            return


def _keys_es(incident: IncidentRow) -> str:
    return ", ".join(describe_key(k) for k in incident.keys)


SENTIMENT_ES = {"negative": "negativo", "neutral": "neutral", "positive": "positivo"}


def _context_text(ctx: SpikeContext) -> str:
    lines = []
    if ctx.posts:
        mix = ", ".join(f"{SENTIMENT_ES.get(k, k)} {100 * v / ctx.posts:.0f}%" for k, v in ctx.sentiment.items())
        lines.append(f"Tono: {mix} ({ctx.posts} publicaciones).")
    if ctx.top_terms:
        lines.append(f"Términos: {', '.join(ctx.top_terms)}.")
    if ctx.top_hashtags:
        lines.append(f"Hashtags: {' '.join(ctx.top_hashtags)}.")
    voices = voices_es(ctx.voices)
    if voices:
        lines.append(voices)
    where = places_es(ctx.places)
    if where:
        lines.append(where)
    if ctx.top_authors:
        lines.append("Autores con más seguidores: " + "; ".join(
            f"{author_es(a)} {a['url'] or ''}".rstrip() for a in ctx.top_authors) + ".")
    for n, post in enumerate(ctx.top_posts, 1):
        text = " ".join(str(post["text"]).split())[:140]
        link = post["url"] or ""
        lines.append(f"{n}. @{post['author']} ({interactions_es(post['engagement'])}): «{text}» {link}".rstrip())
    return "\n".join(lines)


def _open_alert(incident: IncidentRow, t: Transition, tz: ZoneInfo, inbox_url: str, ctx: SpikeContext) -> Alert:
    minutes = int(t.bucket.total_seconds() // 60)
    body = (
        f"Volumen de {describe_key(t.key)}: {t.value:.0f} en {minutes} min frente a {t.expected:.1f} esperados "
        f"({_ratio(t.value, t.expected)}), desde {local_es(t.bucket_start, tz)} (hora Colombia).\n"
        f"{_context_text(ctx)}\n"
        f"Revisar en la bandeja: {inbox_url}?incidente={incident.id}"
    )
    return Alert(
        key=f"incident:{incident.id}:open",
        kind="spike",
        severity=t.level,
        title=f"Posible crisis ({LEVEL_ES[t.level]}): pico de {describe_key(t.key)}",
        body=body,
        created_at=t.bucket_start + t.bucket,
        details={"incident": incident.id, "key": t.key, "label": describe_key(t.key), "value": t.value,
                 "expected": round(t.expected, 2), "since": t.bucket_start.isoformat(),
                 "inbox_url": f"{inbox_url}?incidente={incident.id}", **ctx.as_dict()},
    )


def _escalation_alert(incident: IncidentRow, t: Transition, tz: ZoneInfo, inbox_url: str,
                      ctx: SpikeContext) -> Alert:
    body = (
        f"El incidente #{incident.id} sube a {LEVEL_ES[t.level]}: {describe_key(t.key)} con {t.value:.0f} "
        f"frente a {t.expected:.1f} esperados ({_ratio(t.value, t.expected)}) a las "
        f"{local_es(t.bucket_start, tz)}.\nSeñales del incidente: {_keys_es(incident)}.\n"
        f"{_context_text(ctx)}\n"
        f"Revisar en la bandeja: {inbox_url}?incidente={incident.id}"
    )
    return Alert(
        key=f"incident:{incident.id}:escalate:{t.level}",
        kind="escalation",
        severity=t.level,
        title=f"Escala el incidente #{incident.id} a {LEVEL_ES[t.level]}",
        body=body,
        created_at=t.bucket_start + t.bucket,
        details={"incident": incident.id, "key": t.key, "label": describe_key(t.key), "value": t.value,
                 "expected": round(t.expected, 2), "since": incident.opened_at.isoformat(),
                 "inbox_url": f"{inbox_url}?incidente={incident.id}", "thread_of": f"incident:{incident.id}:open",
                 **ctx.as_dict()},
    )


def _recovery_alert(incident: IncidentRow, t: Transition, tz: ZoneInfo, inbox_url: str) -> Alert:
    duration = t.bucket_start - incident.opened_at
    hours, minutes = divmod(int(duration.total_seconds() // 60), 60)
    body = (
        f"El volumen volvió a lo esperado a las {local_es(t.bucket_start, tz)}. Duración: {hours} h {minutes} min; "
        f"nivel máximo {LEVEL_ES[incident.level]}; pico: {describe_key(incident.peak_signal)} con "
        f"{incident.peak_value} en {int(t.bucket.total_seconds() // 60)} min frente a {incident.peak_expected:.1f} "
        f"esperados.\nSeñales: {_keys_es(incident)}."
    )
    return Alert(
        key=f"incident:{incident.id}:recovery:{t.bucket_start.isoformat()}",  # an incident may reopen and end again
        kind="recovery",
        severity="info",
        title=f"Fin del incidente #{incident.id}",
        body=body,
        created_at=t.bucket_start,
        details={"incident": incident.id, "duration_minutes": int(duration.total_seconds() // 60),
                 "peak_key": incident.peak_signal, "peak_value": incident.peak_value,
                 "peak_expected": round(incident.peak_expected, 2), "thread_of": f"incident:{incident.id}:open"},
    )

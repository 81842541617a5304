"""Which communications campaigns a post belongs to (`domain.Campaign`: `campaigns:` in config.yaml or the web
app's admin page).

A post matches a campaign when it was published within the campaign's dates (Bogotá calendar days, both ends
included; no end = still running; a text without a date, as in `classify` of plain text, is matched on content
only) and any of these holds:

- it uses one of the campaign's hashtags, as a whole hashtag, case- and accent-insensitively: #TalentoTI,
  #talentoti and #TalentoTí are the same hashtag; #TalentoTIC is another one;
- one of its keywords appears as whole words ("talento ti" matches "el programa Talento TI abre..." and not
  "talentos tic"), folded like every other rule (analyzers.text.fold); URLs and @mentions are not words;
- one of its links: a URL in the text or in `urls` (X shortens links in the text to t.co; the expanded URLs are
  in the tweet's entities, which the caller passes) starts with a configured prefix, ignoring the scheme and
  "www." ("mintic.gov.co/talentoti" matches "https://www.mintic.gov.co/talentoti/convocatoria?x=1" but not
  ".../talentotic"), or carries `utm_campaign=<value>` for a configured value ("utm_campaign=talentoti2026", or
  the bare value "talentoti2026": a link without "." or "/" is a utm_campaign value).

Why the shared `Doc` and set lookups instead of a regex per campaign: this runs in `classify` and in every
analysis batch, and must cost a few microseconds per post whatever the number of campaigns. The pipeline has
already folded and tokenised the post (analyzers.text: `Doc.hashtags`, `Doc.norm`); keywords are prepared by the
same `TextProcessor`, so both sides are spelt alike ("Wi-Fi" = "wi fi", "Misión" = "mision", hashtags split into
words: the keyword "talento ti" also matches "#TalentoTI"). Hashtags and the first words of keywords are looked
up in dicts; only the rare hit is checked further.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from analyzers.text import Doc, TextProcessor, clean, fold
from domain import Campaign

CAMPAIGNS_VERSION = "campaigns-1"
BOGOTA = ZoneInfo("America/Bogota")

# A campaign id: the slug stored on each matched post and shown in URLs ("talento-ti", "becas-tic-2026").
CAMPAIGN_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
CAMPAIGN_ID_MAX = 64
HASHTAG = re.compile(r"^#?\w+$")  # one hashtag, with or without "#": what the tokenizer reads as one

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_URL_TRAILING = ".,;:!?)]}»\"'…"


def plain_processor() -> TextProcessor:
    """A processor without vocabulary or aliases, for matching outside the pipeline (tests, tools)."""
    return TextProcessor((), {}, lambda _char: False)


def normalize_hashtag(value: str) -> str:
    """ "#TalentoTí" -> "talentoti": the key a hashtag is matched on."""
    return fold(clean(value).strip().lstrip("#"))


def normalize_link(value: str) -> str:
    """A URL or URL prefix without scheme, "www." and a trailing "/": "mintic.gov.co/talentoti". Lowercased:
    press-office links are typed by hand and their case varies."""
    link = clean(value).strip().lower()
    link = _SCHEME.sub("", link)
    if link.startswith("www."):
        link = link[4:]
    return link.rstrip("/")


def is_utm_value(link: str) -> bool:
    """A configured link that is a utm_campaign value rather than a URL prefix."""
    text = link.strip().lower()
    return text.startswith("utm_campaign=") or ("." not in text and "/" not in text)


def utm_value(link: str) -> str:
    text = clean(link).strip().lower()
    return text.removeprefix("utm_campaign=")


def bogota_date(moment: datetime) -> date:
    """The calendar day in Colombia of an aware datetime (naive values are taken to be UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BOGOTA).date()


def campaigns_fingerprint(campaigns: Iterable[Campaign]) -> str:
    """8 hex digits that change with any definition (what stored analyses were matched against)."""
    spec = [[c.id, list(c.hashtags), list(c.keywords), list(c.links), c.starts_on.isoformat(),
             c.ends_on.isoformat() if c.ends_on else None] for c in sorted(campaigns, key=lambda c: c.id)]
    return hashlib.sha256(json.dumps(spec, ensure_ascii=False).encode()).hexdigest()[:8]


class CampaignMatcher:
    """Matches posts against a fixed set of campaigns; build a new one when the definitions change.

    `processor` must be the one that prepares the posts (the pipeline's): keywords are normalised by it.
    """

    def __init__(self, campaigns: Sequence[Campaign], processor: TextProcessor | None = None) -> None:
        self.processor = processor or plain_processor()
        ordered = sorted(campaigns, key=lambda c: c.id)
        self.campaigns: tuple[Campaign, ...] = tuple(ordered)
        self._order = {c.id: i for i, c in enumerate(ordered)}
        self._ranges = {c.id: (c.starts_on, c.ends_on) for c in ordered}
        self._hashtags: dict[str, list[str]] = {}
        self._phrases: dict[str, list[tuple[str, str]]] = {}  # first word -> [(" w1 w2 ", id)]
        self._hosts: dict[str, list[tuple[str, str]]] = {}  # host -> [(normalized prefix, id)]
        self._utm: dict[str, list[str]] = {}
        for c in ordered:
            for tag in c.hashtags:
                key = normalize_hashtag(tag)
                if key:
                    self._hashtags.setdefault(key, []).append(c.id)
            for keyword in c.keywords:
                norm = self.processor.prepare(keyword).norm.strip()
                if norm:
                    self._phrases.setdefault(norm.split()[0], []).append((f" {norm} ", c.id))
            for link in c.links:
                if is_utm_value(link):
                    value = utm_value(link)
                    if value:
                        self._utm.setdefault(value, []).append(c.id)
                else:
                    prefix = normalize_link(link)
                    if prefix:
                        self._hosts.setdefault(prefix.split("/", 1)[0], []).append((prefix, c.id))
        self._first_words = frozenset(self._phrases)
        self._links = bool(self._hosts or self._utm)
        self.version = f"{CAMPAIGNS_VERSION}-{campaigns_fingerprint(ordered)}"

    def __bool__(self) -> bool:
        return bool(self.campaigns)

    def match(self, text: str, *, created_at: datetime | None = None, urls: Sequence[str] = ()) -> tuple[str, ...]:
        """Ids of the campaigns `text` belongs to, in id order (stable); () when none."""
        if not self.campaigns:
            return ()
        return self.match_doc(self.processor.prepare(text), created_at=created_at, urls=urls)

    def match_doc(self, doc: Doc, *, created_at: datetime | None = None,
                  urls: Sequence[str] = ()) -> tuple[str, ...]:
        """`match` of a post the pipeline has already prepared (with this matcher's processor)."""
        if not self.campaigns:
            return ()
        found: set[str] = set()
        for tag in doc.hashtags:
            ids = self._hashtags.get(tag)
            if ids:
                found.update(ids)
        if self._first_words:
            norm = doc.norm
            hits = self._first_words.intersection(norm.split())
            for first in hits:
                for phrase, campaign_id in self._phrases[first]:
                    if phrase in norm:
                        found.add(campaign_id)
        if self._links and (urls or doc.n_urls):
            links = list(urls)
            if doc.n_urls:
                links.extend(_URL.findall(doc.text))
            for url in links:
                self._match_link(url, found)
        if not found:
            return ()
        if created_at is not None:
            day = bogota_date(created_at)
            found = {cid for cid in found
                     if self._ranges[cid][0] <= day and (self._ranges[cid][1] is None or day <= self._ranges[cid][1])}
        return tuple(sorted(found, key=self._order.__getitem__))

    def _match_link(self, url: str, found: set[str]) -> None:
        link = normalize_link(url.rstrip(_URL_TRAILING))
        base, _, query = link.partition("?")
        base = base.partition("#")[0].rstrip("/")
        if self._utm and query:
            for key, value in parse_qsl(query.partition("#")[0], keep_blank_values=False):
                if key == "utm_campaign":
                    found.update(self._utm.get(value.strip(), ()))
        for prefix, campaign_id in self._hosts.get(base.split("/", 1)[0], ()):
            # a prefix ends at a path boundary: ".../talentoti" matches ".../talentoti/x", not ".../talentotic"
            if base == prefix or base.startswith(prefix + "/"):
                found.add(campaign_id)

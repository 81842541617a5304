"""Audience segments: which of the ministry's audiences an author belongs to, and the rule that says so.

The rules come from `config.yaml` (`segments:`; defaults in `analyzers/segment_defaults.py`) and are meant to
be read and edited by the communications team, so every placement names exactly what matched
("handle:eltiempo", "bio:periodista", "domain:.gov.co", "verified:government", "followers>=50000", or
several joined by "+" when a rule needs them all). Evaluation order, first match wins:

1. the explicit handle lists of every segment (a named account is certain, whatever its bio says);
2. the ordered `rules`, top to bottom; within a rule every condition given must hold (AND), and within a
   condition any listed value may match (OR);
3. the default segment (`ciudadania`), rule "default".

Matching: handles ignore case and a leading '@' ("x:handle" limits an entry to one platform); bio words are
whole words or phrases, case- and accent-insensitive, looked for in the description and the display name
(a word's final `*` allows any ending: "senador*" also finds "senadora"); an occurrence after a negation in the
same clause ("no soy periodista", "ni periodista ni político") does not count, while former roles ("ex
concejal") do: a former official is still a political voice. Domains match the host of the profile's website
or profile URL by suffix at a dot boundary (".gov.co" matches "mintic.gov.co", never "gov.co.example.com").
A profile field the platform did not give (None) never matches.

Pure: the standard library and `domain` only.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain import NO_PROFILE, Author, Platform

MATCHER_VERSION = 1  # bump when the matching itself changes, so stored placements are recomputed
DEFAULT_SEGMENT = "ciudadania"
DEFAULT_RULE = "default"
OVERRIDE_RULE = "override"
NO_PROFILE_LABEL = "Sin perfil"
PRIORITIES = (0, 1, 2, 3)
HIGH_PRIORITY = 3  # "alta": press and official voices (alerts' share of "medios o cuentas oficiales")
VERIFIED_TYPES = ("blue", "business", "government")  # X's verified_type values that mean a check mark
MAX_RULE_CHARS = 128  # authors.segment_rule's width
SEGMENT_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
DOMAIN = re.compile(r"^\.?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")
# Words that, shortly before a bio word in the same clause, deny it: "no soy periodista".
NEGATIONS = frozenset({"no", "ni", "sin", "nunca", "jamas", "tampoco", "ningun", "ninguna", "ninguno", "nada"})
NEGATION_WINDOW = 3  # words looked at before an occurrence
_CLAUSE_END = re.compile(r"[.,;:!?|/()\[\]\n\r•·–—]")
_WORDS = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case without accents ("Cámara" -> "camara"): how bios and bio words are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _bare(handle: str) -> str:
    return " ".join(handle.split()).casefold().lstrip("@")


def normalize_handle(handle: str) -> str:
    """'@ELTIEMPO ' -> 'eltiempo'; 'X:@ELTIEMPO' -> 'x:eltiempo' (a platform prefix is kept); spaces collapsed
    (Facebook names them)."""
    text = _bare(handle)
    prefix, sep, rest = text.partition(":")
    if sep and prefix in {str(p) for p in Platform}:
        return f"{prefix}:{rest.strip().lstrip('@')}"
    return text


def bio_pattern(word: str) -> str:
    """The regex of one bio word or phrase: folded, whole words, a word's final `*` allows any ending."""
    parts = fold(word).split()
    if not parts or any(not part.rstrip("*") or "*" in part.rstrip("*") for part in parts):
        raise ValueError(f"bio word {word!r} must be words, each with at most a final * (e.g. 'ingenier* de sistemas')")
    body = r"\s+".join(re.escape(p.rstrip("*")) + (r"\w*" if p.endswith("*") else "") for p in parts)
    return r"(?<!\w)" + body + r"(?!\w)"


@dataclass(frozen=True)
class SegmentSpec:
    """One audience segment: id (snake_case), Spanish label, priority 0–3 and explicit handles."""

    id: str
    label: str
    priority: int = 0
    handles: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    """One rule: every condition given must hold; any value of a condition may match."""

    segment: str
    bio: tuple[str, ...] = ()
    bio_regex: tuple[str, ...] = ()  # Python regexes over the folded (lower-case, accent-free) profile text
    domains: tuple[str, ...] = ()
    verified: tuple[str, ...] = ()
    min_followers: int | None = None

    def canonical(self) -> dict[str, object]:
        return {"segment": self.segment, "bio": [fold(w.strip()) for w in self.bio], "bio_regex": list(self.bio_regex),
                "domains": [d.lower() for d in self.domains], "verified": [v.lower() for v in self.verified],
                "min_followers": self.min_followers}


@dataclass(frozen=True)
class SegmentRules:
    segments: tuple[SegmentSpec, ...]
    rules: tuple[RuleSpec, ...] = ()
    default: str = DEFAULT_SEGMENT


@dataclass(frozen=True)
class Placement:
    """Where an author goes and the rule that put them there. Unpacks as (segment, rule)."""

    segment: str
    rule: str

    def __iter__(self) -> Iterator[str]:
        return iter((self.segment, self.rule))


def url_host(url: str | None) -> str | None:
    """The lower-case host of a URL, with or without a scheme; None when there is none."""
    if not url or not url.strip():
        return None
    text = url.strip()
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def host_in(host: str, domain: str) -> bool:
    """True when `host` is `domain` or ends with it at a dot ('.gov.co' and 'gov.co' mean the same)."""
    bare = domain.lower().lstrip(".")
    return host == bare or host.endswith("." + bare)


def _negated(text: str, start: int) -> bool:
    clause = _CLAUSE_END.split(text[:start])[-1]
    return any(word in NEGATIONS for word in _WORDS.findall(clause)[-NEGATION_WINDOW:])


class _Rule:
    """A compiled rule: `match(author, folded profile text)` -> the rule's name, or None."""

    def __init__(self, spec: RuleSpec):
        self.segment = spec.segment
        self.verified = tuple(v.lower() for v in spec.verified)
        self.domains = tuple(d.lower() for d in spec.domains)
        self.min_followers = spec.min_followers
        self.words = tuple(spec.bio)
        self.bio = (re.compile("|".join(f"(?P<w{i}>{bio_pattern(w)})" for i, w in enumerate(spec.bio)))
                    if spec.bio else None)
        self.regexes = tuple((p, re.compile(p)) for p in spec.bio_regex)

    def match(self, author: Author, text: str | None) -> str | None:
        found: list[str] = []
        if self.verified:
            kind = (author.verified_type or "").lower()
            if kind not in self.verified:
                return None
            found.append(f"verified:{kind}")
        if self.domains:
            hit = self._domain(author)
            if hit is None:
                return None
            found.append(f"domain:{hit}")
        if self.bio is not None:
            word = self._bio(text)
            if word is None:
                return None
            found.append(f"bio:{word}")
        if self.regexes:
            pattern = next((p for p, rx in self.regexes if text is not None and rx.search(text)), None)
            if pattern is None:
                return None
            found.append(f"bio_regex:{pattern}")
        if self.min_followers is not None:
            if author.followers is None or author.followers < self.min_followers:
                return None
            found.append(f"followers>={self.min_followers}")
        name = "+".join(found)
        return name if len(name) <= MAX_RULE_CHARS else name[: MAX_RULE_CHARS - 1] + "…"

    def _domain(self, author: Author) -> str | None:
        for url in (author.website, author.profile_url):
            host = url_host(url)
            if host is None:
                continue
            for domain in self.domains:
                if host_in(host, domain):
                    return domain
        return None

    def _bio(self, text: str | None) -> str | None:
        if text is None or self.bio is None:
            return None
        for m in self.bio.finditer(text):
            if not _negated(text, m.start()):
                return fold(self.words[int(str(m.lastgroup)[1:])].strip())
        return None


def profile_text(author: Author) -> str | None:
    """The folded description and display name, where bio words are looked for; None when neither is known."""
    parts = [p for p in (author.description, author.display_name) if p and p.strip()]
    return fold("\n".join(parts)) if parts else None


def check_rules(rules: SegmentRules) -> None:
    """Raise ValueError naming the first inconsistency (the config layer reports with key paths first)."""
    ids = [s.id for s in rules.segments]
    for sid in ids:
        if not SEGMENT_ID.match(sid):
            raise ValueError(f"segment id {sid!r} must be snake_case (a-z, 0-9, _; starting with a letter)")
        if sid == NO_PROFILE:
            raise ValueError(f"segment id {NO_PROFILE!r} is reserved for authors without a stored profile")
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"segment ids must be unique; repeated: {', '.join(dupes)}")
    known = set(ids)
    if rules.default not in known:
        raise ValueError(f"default segment {rules.default!r} is not one of the segments ({', '.join(ids)})")
    owner: dict[str, str] = {}
    for spec in rules.segments:
        if spec.priority not in PRIORITIES:
            raise ValueError(f"segment {spec.id}: priority {spec.priority!r} must be one of 0, 1, 2, 3")
        for handle in spec.handles:
            norm = normalize_handle(handle)
            if not norm or norm.endswith(":"):
                raise ValueError(f"segment {spec.id}: handle {handle!r} is empty")
            if norm in owner and owner[norm] != spec.id:
                raise ValueError(f"handle {norm!r} is listed in two segments ({owner[norm]}, {spec.id}); "
                                 "keep it in one")
            owner[norm] = spec.id
    for n, rule in enumerate(rules.rules):
        if rule.segment not in known:
            raise ValueError(f"rules[{n}]: segment {rule.segment!r} is not one of the segments ({', '.join(ids)})")
        if not (rule.bio or rule.bio_regex or rule.domains or rule.verified or rule.min_followers is not None):
            raise ValueError(f"rules[{n}] ({rule.segment}) has no condition; give bio, bio_regex, domains, "
                             "verified or min_followers")
        for word in rule.bio:
            bio_pattern(word)
        for pattern in rule.bio_regex:
            re.compile(pattern)
        for domain in rule.domains:
            if not DOMAIN.match(domain.lower()):
                raise ValueError(f"rules[{n}]: domain {domain!r} must be a host suffix such as '.gov.co'")
        for kind in rule.verified:
            if kind.lower() not in VERIFIED_TYPES:
                raise ValueError(f"rules[{n}]: verified {kind!r} must be one of {', '.join(VERIFIED_TYPES)}")
        if rule.min_followers is not None and rule.min_followers < 1:
            raise ValueError(f"rules[{n}]: min_followers must be at least 1")


class Segmenter:
    """Places authors in segments by the configured rules; `version` changes whenever a placement could."""

    def __init__(self, rules: SegmentRules):
        check_rules(rules)
        self.default = rules.default
        self._specs = {s.id: s for s in rules.segments}
        self.segments: tuple[tuple[str, str], ...] = tuple((s.id, s.label) for s in rules.segments)
        self._handles: dict[str, tuple[str, str]] = {}
        for spec in rules.segments:
            for handle in spec.handles:
                norm = normalize_handle(handle)
                self._handles[norm] = (spec.id, f"handle:{norm}")
        self._rules = tuple(_Rule(r) for r in rules.rules)
        canonical = {
            "matcher": MATCHER_VERSION,
            "default": rules.default,
            "handles": {s.id: sorted({normalize_handle(h) for h in s.handles}) for s in rules.segments},
            "rules": [r.canonical() for r in rules.rules],
        }
        blob = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        self.version = hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    def __contains__(self, segment: object) -> bool:
        return segment in self._specs

    def label(self, segment: str) -> str:
        """The Spanish label; "Sin perfil" for authors without a profile; an unknown id (a segment removed from
        the config but still stored) shows as itself, never empty."""
        if segment == NO_PROFILE:
            return NO_PROFILE_LABEL
        spec = self._specs.get(segment)
        return spec.label if spec is not None else segment

    def priority(self, segment: str) -> int:
        """0 (normal) to 3 (alta); 0 for authors without a profile and for unknown ids."""
        spec = self._specs.get(segment)
        return spec.priority if spec is not None else 0

    @property
    def high_priority(self) -> frozenset[str]:
        """Segments of priority 3: the press and official voices the alerts count."""
        return frozenset(s.id for s in self._specs.values() if s.priority >= HIGH_PRIORITY)

    def place(self, author: Author, override: str | None = None) -> Placement:
        """The author's segment. An admin's override to a configured segment wins (rule "override"); one to a
        segment no longer configured is ignored until it comes back (the stored override is not lost)."""
        if override is not None and override in self._specs:
            return Placement(override, OVERRIDE_RULE)
        handle = _bare(author.handle) if author.handle else ""  # an author's handle never has a platform prefix
        if handle:
            hit = self._handles.get(f"{author.platform}:{handle}") or self._handles.get(handle)
            if hit is not None:
                return Placement(*hit)
        text = profile_text(author)
        for rule in self._rules:
            name = rule.match(author, text)
            if name is not None:
                return Placement(rule.segment, name)
        return Placement(self.default, DEFAULT_RULE)

"""Place a post in a Colombian department (and municipality when the evidence allows), never inventing one.

Evidence, in order of trust (`domain.PLACE_EVIDENCE`): the platform's geo tag, the post's text, the author's
profile location. The first that yields a place wins.

Why rules over a dictionary of folded token n-grams rather than one regex per name: 1,122 municipalities and
33 departments would be ~1,200 regexes per post; a single tokenising pass plus dict lookups costs a few
microseconds, so placement adds little to `classify` (measured by benchmarks/classify_places.py).

Precision comes first (a wrong department is worse than none). Every name carries a level saying how much
context it needs (analyzers/places/names.py): capitals and most department names are placed anywhere; common
words, first names and surnames need a cue ("aquí en", "desde", "municipio de", its department right after
it); foreign names only with their own department in the text. Names shared by several municipalities give the
municipality only when the text names its department, else the department when they all share one, else
nothing. Several places in one text: one department -> it; several -> the one the writer says they are in
("aquí en", "vivo en"), else nothing. See docs/places.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import domain
from analyzers.places import names as N
from analyzers.places.gazetteer import Gazetteer, load_gazetteer
from analyzers.text import clean, fold

VERSION = "places-4"  # bump when rules, lists or data change: stored analyses are then recomputed

_TOKEN = re.compile(r"[a-z0-9]+|[#,()/\-.]")
_DROP = re.compile(r"https?://\S+|www\.\S+|@\w+")  # URLs and @mentions name accounts and sites, not places
_CAMEL = re.compile(r"[A-ZÁÉÍÓÚÑ]+(?![a-záéíóúñü])|[A-ZÁÉÍÓÚÑ]?[a-záéíóúñü]+|\d+")
_MAX_CHARS = 2000

# Colombia's bounding box (mainland, islands and the Amazon trapezoid), and how far from a municipal seat
# bare coordinates may be and still name that municipality.
BBOX = (-4.3, 13.6, -82.0, -66.8)  # lat min, lat max, lon min, lon max
MAX_SEAT_KM = 10.0

# A name shared by several municipalities, read as the one everybody means when nothing else is said.
PROMINENT = {"puerto colombia": "08573", "puerto santander": "54553", "barranca": "68081"}
_MUNICIPAL_CUES = (("municipio", "de"), ("municipio", "del"), ("alcaldia", "de"), ("ciudad", "de"))
_DEPARTMENT_CUES = (("departamento", "de"), ("departamento", "del"), ("depto",), ("dpto",), ("depto", "de"),
                    ("depto", "del"), ("dpto", "de"), ("dpto", "del"), ("gobernacion", "de"), ("gobernacion", "del"))
_BLOCK_AFTER_DE = frozenset({"plaza", "casa", "batalla", "banco", "jaguares", "america", "junior", "espada",
                             "puente", "rio", "selva", "oceano", "independiente", "union"})


_PLACERS: dict[int, Placer] = {}


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    depts: tuple[str, ...]  # department readings
    mpios: tuple[str, ...]  # municipality readings
    level: int
    preferred: str | None  # the municipality meant when the name alone is said (a capital), if any
    region: bool = False  # a region over several departments ("eje cafetero"): matched, places nothing


@dataclass(slots=True)
class _Mention:
    entry: _Entry
    start: int
    end: int
    cue: int = 0  # 0 none, 1 weak, 2 strong
    here: bool = False
    municipal: bool = False
    departmental: bool = False
    adj_dept: str | None = None  # the department written right after it ("La Unión, Nariño")
    follower: bool = False  # this department disambiguates the municipality right before it
    national: bool = False
    ignored: bool = False  # says nothing of its own ("Cundinamarca" in "Bogotá, Cundinamarca")


class Placer:
    """Decides where a post comes from. Immutable once built; safe to share between threads."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.version = VERSION
        self._capitals = {d.capital_code for d in gazetteer.departments.values()}
        self._names: dict[str, _Entry] = {}
        self._first: dict[str, int] = {}
        self._build()
        self._strong = _by_last(N.STRONG_BEFORE)
        self._here = _by_last(N.HERE_BEFORE)

    @classmethod
    def load(cls, path: Path | None = None) -> Placer:
        """The placer over the gazetteer in `path` (default: the repo's data/divipola), built once per gazetteer."""
        gazetteer = load_gazetteer(path)
        placer = _PLACERS.get(id(gazetteer))
        if placer is None or placer.gazetteer is not gazetteer:
            placer = _PLACERS[id(gazetteer)] = cls(gazetteer)
        return placer

    # -- index -------------------------------------------------------------------------------------
    def _build(self) -> None:
        depts: dict[str, set[str]] = {}
        mpios: dict[str, set[str]] = {}
        levels: dict[str, int] = {}
        regions: set[str] = set()
        for code, d in self.gazetteer.departments.items():
            key = _key(d.name)
            depts.setdefault(key, set()).add(code)
            levels[key] = N.DEPARTMENT_LEVELS.get(code, N.SAFE)
        for alias, code in N.DEPARTMENT_ALIASES.items():
            key = _key(alias)
            if code:
                depts.setdefault(key, set()).add(code)
                levels[key] = N.ALIAS_LEVELS.get(key, N.DEPARTMENT_LEVELS.get(code, N.SAFE))
            else:
                regions.add(key)
        depts.setdefault("bogota", set()).add("11")
        levels["bogota"] = N.SAFE
        for code, m in self.gazetteer.municipalities.items():
            key = _key(m.name)
            variants = {key}
            if " - " in key:
                variants.add(key.replace(" - ", " "))
                variants.update(part.strip() for part in key.split(" - "))
            for variant in variants:
                mpios.setdefault(variant, set()).add(code)
        for alias, code in N.MUNICIPALITY_ALIASES.items():
            mpios.setdefault(_key(alias), set()).add(code)
        # A name that begins other names is also a short way of writing them: "El Carmen" may be El Carmen de
        # Viboral or El Carmen de Bolívar, "Manaure" Manaure Balcón del Cesar; all are candidates.
        by_first: dict[str, list[str]] = {}
        for key in mpios:
            by_first.setdefault(key.split()[0], []).append(key)
        longer = {key: [other for other in by_first[key.split()[0]] if other.startswith(key + " ")] for key in mpios}
        for key, others in longer.items():
            for other in others:
                mpios[key] |= mpios[other]
        keys = set(depts) | set(mpios) | regions
        for key in keys:
            if key in regions:
                entry = _Entry(key, (), (), N.SAFE, None, region=True)
            else:
                d = tuple(sorted(depts.get(key, ())))
                m = tuple(sorted(mpios.get(key, ())))
                level = levels[key] if d else _municipal_level(key)
                if level == N.CUE and not d and len(m) == 1 and " " not in key and len(key) >= 7:
                    level = N.SAFE  # a long, unshared, non-word toponym ("Chiquinquirá")
                capitals = [c for c in m if c in self._capitals]
                preferred = PROMINENT.get(key) or (capitals[0] if len(capitals) == 1 and len(m) > 1 else None)
                entry = _Entry(key, d, m, level, preferred)
            self._add(key, entry)
            words = key.split()
            if len(words) > 1 and all(w.isalnum() for w in words) and len("".join(words)) >= 6:
                joined = "".join(words)  # "#SantaMarta" folded to one token
                if joined not in keys:
                    self._add(joined, entry)

    def _add(self, key: str, entry: _Entry) -> None:
        self._names[key] = entry
        first, n = key.split()[0], len(key.split())
        self._first[first] = max(self._first.get(first, 0), n)

    # -- public interface --------------------------------------------------------------------------
    def place(self, text: str, *, geo: domain.GeoTag | None = None,
              profile_location: str | None = None) -> domain.Place | None:
        """Where the post comes from: the geo tag, else the text, else the profile location; None if unknown."""
        if geo is not None:
            found = self.place_geo(geo)
            if found is not None:
                return found
        found = self.place_text(text)
        if found is not None:
            return found
        if profile_location:
            return self.place_profile(profile_location)
        return None

    def place_text(self, text: str) -> domain.Place | None:
        """The place the text itself names (evidence "text"), or None."""
        codes = self._resolve(text, profile=False)
        return self._as_place(codes, "text")

    def place_profile(self, location: str) -> domain.Place | None:
        """The place an author's profile location names (evidence "profile"): "Medellín, Colombia" -> 05001."""
        codes = self._resolve(location, profile=True)
        return self._as_place(codes, "profile")

    def place_geo(self, geo: domain.GeoTag) -> domain.Place | None:
        """The place a platform geo tag names (evidence "geo").

        A tag with a country other than Colombia places nothing. Names come first: the city and region (X fills
        them from a city or admin place; Facebook from the place's location), else X's full name ("Quibdó,
        Colombia", "Chapinero, Bogotá"), else the bare name read like post text (on Facebook it is a business's
        name, "Panadería Bello Horizonte", which proves nothing by itself). Bare coordinates name the nearest
        municipal seat only inside Colombia's box and within MAX_SEAT_KM of it.
        """
        country = (geo.country_code or "").strip().upper()
        if country and country != "CO":
            return None
        structured = ", ".join(p for p in (geo.city, geo.region) if p)
        if structured:
            codes = self._resolve(structured, profile=True)
            if codes is not None:
                return self._as_place(codes, "geo")
        if geo.full_name and geo.full_name != geo.name:
            codes = self._resolve(geo.full_name, profile=True)
            if codes is not None:
                return self._as_place(codes, "geo")
        if geo.name and not structured:
            codes = self._resolve(geo.name, profile=False)
            if codes is not None:
                return self._as_place(codes, "geo")
        if geo.lat is not None and geo.lon is not None and _finite(geo.lat, geo.lon):
            lat_min, lat_max, lon_min, lon_max = BBOX
            if lat_min <= geo.lat <= lat_max and lon_min <= geo.lon <= lon_max:
                seat, km = self.gazetteer.nearest_municipality(geo.lat, geo.lon)
                if km <= MAX_SEAT_KM:
                    return self.gazetteer.place(seat.dpto_code, seat.code, "geo")
        return None

    # -- matching ----------------------------------------------------------------------------------
    def _as_place(self, codes: tuple[str, str | None] | None, evidence: str) -> domain.Place | None:
        if codes is None:
            return None
        return self.gazetteer.place(codes[0], codes[1], evidence)

    def _tokens(self, text: str, folded: str) -> tuple[list[str], list[bool], list[bool], bool]:
        """Folded tokens, whether each was written with a capital (never in a shouted text), whether it came from
        a hashtag, and whether the whole text is shouted. `folded` is `fold(text)`, already made by `_resolve`."""
        aligned = len(folded) == len(text)
        letters = list(filter(str.isalpha, text))  # C-level loops: this ran per character in Python before
        shouting = aligned and sum(map(str.isupper, letters)) > 0.6 * max(1, len(letters))
        toks: list[str] = []
        caps: list[bool] = []
        tags: list[bool] = []
        first = self._first
        hashed = False
        for m in _TOKEN.finditer(folded):
            tok = m.group()
            if tok == "#":
                hashed = True
                continue
            if hashed and tok not in first and aligned:
                original = text[m.start():m.end()]
                parts = _CAMEL.findall(original)
                if len(parts) > 1:  # "#QuibdóSinLuz": only the first word is the hashtag's subject
                    for n, part in enumerate(parts):
                        toks.append(fold(part))
                        caps.append(not shouting and part[:1].isupper())
                        tags.append(n == 0)
                    hashed = False
                    continue
            toks.append(tok)
            caps.append(aligned and not shouting and text[m.start()].isupper())
            tags.append(hashed)
            hashed = False
        return toks, caps, tags, shouting

    def _resolve(self, text: str, *, profile: bool) -> tuple[str, str | None] | None:
        if not isinstance(text, str):
            text = clean(text)  # bytes, None, numbers: never an exception
        if not text:
            return None
        if "@" in text or "http" in text or "www." in text:
            text = _DROP.sub(" ", text)
        text = text[:_MAX_CHARS]
        folded = fold(text)
        if "#" not in text and not self._scan(_TOKEN.findall(folded)):
            return None  # the common case, cheaply: no name at all (hashtags need the camel-case split below)
        toks, caps, tags, shouting = self._tokens(text, folded)
        mentions = self._scan(toks)
        if not mentions:
            return None
        short_profile = profile and len(toks) <= 8
        if profile and any(t in N.FOREIGN_PLACES for t in toks):
            return None  # "Bogotá - New York": the author may live abroad
        accepted: list[_Mention] = []
        listed: list[_Mention] = []
        for k, m in enumerate(mentions):
            nxt = mentions[k + 1] if k + 1 < len(mentions) else None
            if nxt is not None and self._adjacent(toks, m, nxt):
                m.adj_dept = nxt.entry.depts[0]
                nxt.follower = True
            elif nxt is not None and "11001" in m.entry.mpios and nxt.entry.depts == ("25",) and (
                    nxt.start == m.end or (nxt.start == m.end + 1 and toks[m.end] in N.SEPARATORS)):
                nxt.follower = nxt.ignored = True  # "Bogotá, Cundinamarca": the capital of the department
        for m in mentions:
            if m.entry.region or m.ignored or self._blocked(toks, caps, m, profile):
                continue
            self._cues(toks, m)
            if tags[m.start]:
                m.cue = max(m.cue, 1)
            if short_profile:
                m.cue = 2
            if m.adj_dept or m.follower:
                m.cue = max(m.cue, 2)
            if self._accepted(toks, caps, m, shouting):
                accepted.append(m)
            elif m.entry.level in (N.CUE, N.WORD):
                listed.append(m)
        while listed:  # a name listed next to an accepted one ("Medellín y Rionegro") is accepted too
            joined = [m for m in listed if any(_coordinated(toks, m, a) for a in accepted)]
            if not joined:
                break
            accepted.extend(joined)
            listed = [m for m in listed if m not in joined]
        accepted.sort(key=lambda m: m.start)
        return self._combine(toks, accepted)

    def _scan(self, toks: list[str]) -> list[_Mention]:
        names, first = self._names, self._first
        out: list[_Mention] = []
        i, n = 0, len(toks)
        while i < n:
            longest = first.get(toks[i])
            if longest:
                for size in range(min(longest, n - i), 0, -1):
                    entry = names.get(toks[i] if size == 1 else " ".join(toks[i:i + size]))
                    if entry is not None:
                        out.append(_Mention(entry, i, i + size))
                        i += size
                        break
                else:
                    i += 1
            else:
                i += 1
        return out

    def _adjacent(self, toks: list[str], m: _Mention, nxt: _Mention) -> bool:
        """`nxt` is a department written right after `m` ("Pasto, Nariño", "Cali - Valle", "La Unión (Nariño)")
        and one of `m`'s municipalities lies in it."""
        gap = nxt.start - m.end
        if not nxt.entry.depts or not m.entry.mpios:
            return False
        if gap == 1 and toks[m.end] not in N.SEPARATORS:
            return False
        if gap > 1:
            return False
        dept = nxt.entry.depts[0]
        return any(self.gazetteer.municipalities[c].dpto_code == dept for c in m.entry.mpios) and (
            not m.entry.depts or dept not in m.entry.depts)

    def _blocked(self, toks: list[str], caps: list[bool], m: _Mention, profile: bool) -> bool:
        """A person ("Simón Bolívar"), a street, team or institution ("Avenida Boyacá", "Once Caldas"), a river,
        or a foreign place ("Córdoba, Argentina")."""
        i = m.start
        p1 = toks[i - 1] if i >= 1 else ""
        p2 = toks[i - 2] if i >= 2 else ""
        if p1 in N.PERSON_BEFORE or p1 in N.PLACE_BLOCKERS_BEFORE:
            return True
        if p1 in ("de", "del") and (p2 in N.PERSON_BEFORE or p2 in _BLOCK_AFTER_DE):
            return True
        j = m.end
        n1 = toks[j] if j < len(toks) else ""
        if n1 in N.SEPARATORS and j + 1 < len(toks):
            n1 = toks[j + 1]
        if n1 in N.PLACE_BLOCKERS_AFTER:
            return True
        if n1 == "estados" or (n1 == "costa" and j + 1 < len(toks) and toks[j + 1] == "rica"):
            return True
        # "Victoria Eugenia", "Caldas Gómez": a capitalised word right after a name that needs context is a surname
        return (m.entry.level > N.SAFE and not m.follower and not profile and j < len(toks) and caps[j]
                and toks[j].isalpha() and len(toks[j]) > 1 and toks[j] not in self._first)

    def _cues(self, toks: list[str], m: _Mention) -> None:
        i = m.start
        k = i
        if i >= 1 and toks[i - 1] in N.ARTICLES and m.entry.key.split()[0] not in N.ARTICLES:
            k = i - 1  # "en el Cauca", "aquí en la Guajira": look past the article
        q1 = toks[k - 1] if k >= 1 else ""
        if q1 in N.WEAK_BEFORE:
            m.cue = 1
        if _ends_with(toks, k, self._strong.get(q1, ())):
            m.cue = 2
        if _ends_with(toks, k, self._here.get(q1, ())):
            m.here = True
        m.municipal = any(_seq_before(toks, k, cue) for cue in _MUNICIPAL_CUES)
        m.departmental = any(_seq_before(toks, k, cue) for cue in _DEPARTMENT_CUES)

    def _accepted(self, toks: list[str], caps: list[bool], m: _Mention, shouting: bool) -> bool:
        level = m.entry.level
        if m.entry.key in N.CAPITALISED_OR_CUE:
            p1 = toks[m.start - 1] if m.start >= 1 else ""
            return caps[m.start] or shouting or m.cue >= 1 or p1 in N.DEPT_ARTICLE_CUES
        if level == N.SAFE:
            return True
        if level == N.CUE or level == N.DISAMB:
            return m.cue >= 1
        if level == N.WORD:
            if m.cue == 2:
                return True
            k = m.start - 1
            if k >= 1 and toks[k] in N.ARTICLES and m.entry.key.split()[0] not in N.ARTICLES:
                k -= 1
            first_word = m.start + 1 if m.entry.key.split()[0] in N.ARTICLES and m.end > m.start + 1 else m.start
            return k >= 0 and toks[k] in N.WORD_WEAK_BEFORE and caps[first_word]  # "en La Ceja": the C
        # ARTICLE: "el Meta", "del Valle", "al Cesar"; or a strong cue such as "departamento del Meta"
        if m.cue == 2:
            return True
        p1 = toks[m.start - 1] if m.start >= 1 else ""
        return p1 in N.DEPT_ARTICLE_CUES and (caps[m.start] or m.entry.key not in N.ARTICLE_NEEDS_CAPS)

    def _combine(self, toks: list[str], mentions: list[_Mention]) -> tuple[str, str | None] | None:
        if not mentions:
            return None
        munis = self.gazetteer.municipalities
        readings: list[tuple[str, str | None, _Mention]] = []
        explicit: set[str] = set()
        pending: list[_Mention] = []
        for m in mentions:
            e = m.entry
            if e.depts and not m.municipal and not (m.adj_dept and m.adj_dept not in e.depts):
                dept = e.depts[0]
                readings.append((dept, "11001" if dept == "11" else None, m))
                explicit.add(dept)
            elif e.mpios:
                pending.append(m)
        context = set(explicit)  # departments named, or implied by a municipality only one department has
        for m in pending:
            if len(m.entry.mpios) == 1 and m.entry.level != N.DISAMB:
                context.add(munis[m.entry.mpios[0]].dpto_code)
        for m in pending:
            e = m.entry
            cands = [c for c in e.mpios if m.adj_dept is None or munis[c].dpto_code == m.adj_dept]
            confirmed = [c for c in cands if munis[c].dpto_code in (explicit if e.level == N.DISAMB else context)]
            if e.level == N.DISAMB and not confirmed:
                continue
            if len(cands) == 1:
                readings.append((munis[cands[0]].dpto_code, cands[0], m))
            elif len(confirmed) == 1:
                readings.append((munis[confirmed[0]].dpto_code, confirmed[0], m))
            elif confirmed and len({munis[c].dpto_code for c in confirmed}) == 1:
                readings.append((munis[confirmed[0]].dpto_code, None, m))
            elif e.preferred and not m.municipal:
                readings.append((munis[e.preferred].dpto_code, e.preferred, m))
            elif cands and len({munis[c].dpto_code for c in cands}) == 1:
                readings.append((munis[cands[0]].dpto_code, None, m))
        if not readings:
            return None
        depts = {d for d, _, _ in readings}
        if len(depts) > 1 and "11" in depts:
            national = [r for r in readings if r[0] == "11" and _near(toks, r[2], N.NATIONAL_WORDS)]
            if national and len([r for r in readings if r[0] == "11"]) == len(national):
                readings = [r for r in readings if r[0] != "11"]
                depts = {d for d, _, _ in readings}
        if len(depts) > 1:
            here = [r for r in readings if r[2].here]
            if len({d for d, _, _ in here}) != 1:
                return None
            readings = [r for r in readings if r[0] == here[0][0]]
        dept = readings[0][0]
        mpios = {c for _, c, _ in readings if c}
        return dept, (mpios.pop() if len(mpios) == 1 else None)


def _key(name: str) -> str:
    return " ".join(_TOKEN.findall(fold(name)))


def _municipal_level(key: str) -> int:
    if key in N.DISAMB_MUNICIPALITIES:
        return N.DISAMB
    if key in N.SAFE_MUNICIPALITIES or key in N.SAFE_MUNICIPALITY_PHRASES:
        return N.SAFE
    words = key.split()
    if key in N.WORD_MUNICIPALITIES or words[0] in N.ARTICLES or (len(words) == 1 and len(key) <= 4):
        return N.WORD
    return N.CUE


def _by_last(seqs: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for seq in seqs:
        out.setdefault(seq[-1], []).append(seq)
    return out


def _ends_with(toks: list[str], k: int, seqs: Sequence[tuple[str, ...]]) -> bool:
    return any(_seq_before(toks, k, seq) for seq in seqs)


def _seq_before(toks: list[str], k: int, seq: tuple[str, ...]) -> bool:
    n = len(seq)
    return k >= n and tuple(toks[k - n:k]) == seq


def _coordinated(toks: list[str], m: _Mention, other: _Mention) -> bool:
    """`m` and `other` are neighbours in a list of places: "X y Y", "X, Y", "de X a Y"."""
    if other.end < m.start:
        gap = toks[other.end:m.start]
    elif m.end < other.start:
        gap = toks[m.end:other.start]
    else:
        return False
    if gap and gap[-1] in N.ARTICLES:
        gap = gap[:-1]
    return len(gap) == 1 and gap[0] in N.CONJUNCTIONS


def _near(toks: list[str], m: _Mention, words: frozenset[str], window: int = 5) -> bool:
    return any(t in words for t in toks[max(0, m.start - window):m.end + window])


def _finite(*values: float) -> bool:
    return all(isinstance(v, int | float) and math.isfinite(v) for v in values)

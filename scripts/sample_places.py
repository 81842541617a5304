"""Where the sample's invented citizens write from: place tags, place names in the texts, profile locations.

Used by scripts/generate_sample.py (SYNTHETIC data) so the region placer meets what a real week holds:
- a few posts carry the platform's place tag (X `includes.places`, a Facebook post's `place`; Instagram gives
  none), mostly the author's home town, a couple from abroad;
- some texts name a place the way Colombians write it ("aquí en el Cauca", "desde Cucuta", "en b/quilla");
- profile locations in varied spellings, some only "Colombia", some abroad, some that are not places at all.

Coordinates come from DANE's DIVIPOLA copy shipped in data/divipola (CC BY-SA 4.0, see its SOURCE.md).
Every draw here uses a generator of its own, so the rest of the sample stays exactly as it was.
"""

from __future__ import annotations

import random
import re
import unicodedata
from functools import cache

from analyzers.places.gazetteer import DEFAULT_DIR, load_gazetteer
from domain import GeoTag, Platform

DIVIPOLA = DEFAULT_DIR / "municipios.csv"

# Places abroad a Colombian may post from: (city, country as written, ISO code, region, lat, lon).
ABROAD = (
    ("Madrid", "España", "ES", "Comunidad de Madrid", 40.4168, -3.7038),
    ("Miami", "Estados Unidos", "US", "Florida", 25.7617, -80.1918),
    ("Ciudad de Panamá", "Panamá", "PA", "Panamá", 8.9824, -79.5199),
)
# How people write some town names: no accents, abbreviations, nicknames.
SPELLINGS = {
    "Barranquilla": ("B/quilla", "Bquilla", "barranquilla", "Barranquilla"),
    "Bogotá": ("Bogota", "bogota", "Bogotá D.C.", "Bta"),
    "Cúcuta": ("Cucuta", "cucuta"),
    "Medellín": ("Medellin", "medellin", "Medallo"),
    "Ibagué": ("Ibague", "ibague"),
    "Quibdó": ("Quibdo", "quibdo"),
    "Cartagena": ("cartagena", "Ctg"),
    "Villavicencio": ("Villavo", "villavicencio"),
    "Bucaramanga": ("B/manga", "Bucaramanga", "bmanga"),
    "Popayán": ("Popayan", "popayan"),
    "Montería": ("Monteria", "monteria"),
    "Santa Marta": ("santa marta", "Sta Marta"),
    "Riohacha": ("riohacha",),
    "Pasto": ("pasto",),
    "Neiva": ("neiva",),
    "Tumaco": ("tumaco",),
    "Valledupar": ("Valledupar", "valledupar"),
}
# Departments Colombians name with an article: "aquí en el Cauca", but "aquí en Antioquia".
WITH_ARTICLE = frozenset({"Cauca", "Chocó", "Meta", "Huila", "Tolima", "Cesar", "Caquetá", "Putumayo", "Guaviare",
                          "Vaupés", "Amazonas", "Vichada", "Guainía", "Casanare", "Quindío", "Atlántico",
                          "Magdalena"})
_TOWN_PHRASES = ("aquí en {muni}", "acá en {muni}", "desde {muni}", "escribo desde {muni}", "aquí en {muni} igual",
                 "saludos desde {muni}, {depto}", "acá en {muni} ({depto})")
_DEPTO_PHRASES = ("aquí en {el}{depto}", "desde {el}{depto}", "acá en {el}{depto}")
# The Wednesday outage is felt hardest in Chocó (its students' last chance to enrol, from Centros Digitales).
CHOCO = ("Quibdó", "Chocó")
CHOCO_PHRASES = ("aquí en Quibdó igual", "desde Quibdó", "acá en el Chocó", "desde el choco", "en quibdo tampoco",
                 "escribo desde Quibdó, Chocó", "aqui en el Choco", "desde Quibdo")
# Profile locations that are not places (people write anything there).
NOT_PLACES = ("En mi casa", "🌎", "Tierra", "Donde me necesiten", "Planeta tierra 🌍", "Aquí y allá")
ABROAD_PROFILES = ("Madrid, España", "Miami, FL", "Santiago de Chile", "Quito, Ecuador", "New Jersey, USA",
                   "Caracas, Venezuela")


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return " ".join(re.findall(r"[A-Z0-9]+", bare))


@cache
def _divipola() -> tuple[tuple[str, str, float, float], ...]:
    gazetteer = load_gazetteer()  # the placer's own reading of data/divipola
    return tuple((_plain(m.name), _plain(gazetteer.departments[m.dpto_code].name), m.lat, m.lon)
                 for m in gazetteer.municipalities.values())


@cache
def coordinates(muni: str, depto: str) -> tuple[float, float]:
    """DANE's point (lat, lon) for a municipality of the sample's towns; KeyError when DIVIPOLA lacks it."""
    m, d = _plain(muni), set(_plain(depto).split())
    rows = _divipola()
    for exact in (True, False):
        found = [(lat, lon) for name, dep, lat, lon in rows
                 if (name == m if exact else set(m.split()) <= set(name.split())) and d <= set(dep.split())]
        if len(found) == 1:
            return found[0]
    raise KeyError(f"{muni}, {depto} is not in {DIVIPOLA}")


def spell(rng: random.Random, muni: str) -> str:
    """The town as some people write it (the official name when there is no common variant)."""
    return rng.choice(SPELLINGS[muni]) if muni in SPELLINGS else muni


def town_phrase(rng: random.Random, place: tuple[str, str]) -> str:
    """"aquí en el Cauca", "desde Cucuta", "acá en b/quilla": where the author says they are."""
    muni, depto = place
    if rng.random() < 0.3:
        el = "el " if depto in WITH_ARTICLE else ""
        return rng.choice(_DEPTO_PHRASES).format(el=el, depto=depto)
    return rng.choice(_TOWN_PHRASES).format(muni=spell(rng, muni), depto=depto)


def vary_spellings(rng: random.Random, text: str, share: float) -> str:
    """Rewrite the first known town name of `text` the way people type it, with probability `share`."""
    for muni in SPELLINGS:
        if muni in text:
            return text.replace(muni, spell(rng, muni), 1) if rng.random() < share else text
    return text


def geo_tag(rng: random.Random, platform: Platform, place: tuple[str, str] | None) -> GeoTag:
    """The place tag the platform would attach: X a city place ("Quibdó, Colombia", the centre of its box),
    Facebook a place with its location (city, state, country). `place=None`: somewhere abroad."""
    if place is None:
        city, country, code, region, lat, lon = rng.choice(ABROAD)
        if platform is Platform.X:
            return GeoTag(name=city, full_name=f"{city}, {country}", country_code=code, city=city, lat=lat, lon=lon)
        return GeoTag(name=city, full_name=city, country_code=code, city=city, region=region, lat=lat, lon=lon)
    muni, depto = place
    lat, lon = coordinates(muni, depto)
    if platform is Platform.X:
        return GeoTag(name=muni, full_name=f"{muni}, Colombia", country_code="CO", city=muni, lat=lat, lon=lon)
    venue = rng.choice(("{muni}", "Parque principal de {muni}", "Centro Digital {muni}", "Plaza de mercado de {muni}"))
    name = venue.format(muni=muni)
    return GeoTag(name=name, full_name=name, country_code="CO", city=muni, region=depto, lat=lat, lon=lon)


def profile_location(handle: str, location: str | None, place: tuple[str, str]) -> str | None:
    """A citizen's profile location in the spelling they chose (drawn per handle, so it never moves other
    draws): many towns without accents or abbreviated, some empty, some abroad, some not a place at all."""
    rng = random.Random(f"location:{handle}")
    muni, depto = place
    roll = rng.random()
    if location is None:
        if roll < 0.04:
            return rng.choice(ABROAD_PROFILES)
        if roll < 0.08:
            return rng.choice(NOT_PLACES)
        return None
    if location == "Colombia" or roll < 0.45:
        return location
    return rng.choice((
        f"{spell(rng, muni)}, {depto}", spell(rng, muni), f"{muni.upper()}", f"{spell(rng, muni)} - Colombia",
        f"{_plain(muni).title()}, Col", f"{spell(rng, muni)} 🇨🇴", f"{depto}, Colombia",
    ))

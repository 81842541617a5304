"""Where the sample's citizens write from (scripts/sample_places.py): place tags, place words in the texts and
profile locations are added on generators of their own, so every other draw of the sample stays as it was."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from domain import Platform
from scripts import generate_sample as gen
from scripts import sample_places

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pair() -> tuple[gen.Sample, gen.Sample]:
    """The sample as generated, and the same seed with the places pass switched off."""
    with_places = gen.generate()
    original = gen._Generator._places
    gen._Generator._places = lambda self: {}  # type: ignore[method-assign]
    try:
        without = gen.generate()
    finally:
        gen._Generator._places = original  # type: ignore[method-assign]
    return with_places, without


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9/]+", text.translate(str.maketrans("áéíóúÁÉÍÓÚ", "aeiouAEIOU")).lower()))


def test_every_town_of_the_sample_has_dane_coordinates():
    for muni, depto in gen.PLACES:
        lat, lon = sample_places.coordinates(muni, depto)
        assert -5 < lat < 14 and -82 < lon < -66, (muni, depto)
    with pytest.raises(KeyError, match="Atlantis"):
        sample_places.coordinates("Atlantis", "Chocó")


def test_the_places_pass_adds_place_words_and_tags_and_changes_nothing_else(pair):
    with_places, without = pair
    assert len(with_places.posts) == len(without.posts)
    changed = 0
    for a, b in zip(with_places.posts, without.posts, strict=True):
        assert (a.external_id, a.created_at, a.author_id, a.kind, a.in_reply_to_id, a.metrics, a.raw) == \
            (b.external_id, b.created_at, b.author_id, b.kind, b.in_reply_to_id, b.metrics, b.raw)
        assert b.geo is None
        if a.text != b.text:
            changed += 1
            assert not a.is_own  # the own posts' campaign links are in their templates, drawn as before
            # a phrase added at the end (before a closing @mention), or a town re-spelled: the rest is intact
            words_a, words_b = _plain(a.text).split(), _plain(b.text.replace("@Ministerio_TIC", "")).split()
            assert len(words_a) >= len(words_b) - 1
    assert changed > 200
    assert with_places.places == gen.generate().places  # deterministic


def test_place_tags_are_few_and_only_where_the_platform_gives_them(pair):
    sample, _ = pair
    citizens = [p for p in sample.posts if not p.is_own]
    tagged = [p for p in citizens if p.geo is not None]
    assert 0.03 <= len(tagged) / len(citizens) <= 0.05
    assert {p.platform for p in tagged} == {Platform.X, Platform.FACEBOOK}
    x = [p.geo for p in tagged if p.platform is Platform.X]
    assert all(g.full_name == f"{g.name}, Colombia" for g in x if g.country_code == "CO")
    fb = [p.geo for p in tagged if p.platform is Platform.FACEBOOK and p.geo.country_code == "CO"]
    assert all(g.city and g.region and g.lat is not None for g in fb)
    assert {g.country_code for g in (p.geo for p in tagged)} - {"CO"}  # a couple from abroad


def test_the_wednesday_outage_is_concentrated_in_choco(pair):
    sample, _ = pair
    outage = sample.episodes[0]
    posts = [p for p in sample.posts if not p.is_own and p.raw["label"]["episode"] == outage.name]
    choco = [p for p in posts if (p.geo and p.geo.city == "Quibdó") or re.search(r"quibd|choc", _plain(p.text))]
    other_towns = [p for p in posts if p not in choco and any(
        f" {_plain(m)} " in f" {_plain(p.text)} " for m, _ in gen.PLACES)]
    assert len(choco) > 0.3 * len(posts) and len(choco) > 3 * len(other_towns)


def test_texts_name_places_the_way_people_write_them(pair):
    sample, _ = pair
    texts = " ".join(_plain(p.text) for p in sample.posts if not p.is_own)
    for written in ("aqui en el", "desde", "quibdo", "cucuta", "ibague"):
        assert written in texts, written
    assert any(v in texts for v in ("b/quilla", "bquilla", "medallo", "bta", "sta marta"))


def test_profile_locations_vary_and_the_committed_authors_file_has_them():
    lines = [json.loads(x) for x in (REPO / "data" / "sample" / "authors.jsonl").read_text(encoding="utf-8").split(
        "\n") if x]
    locations = Counter(a.get("location") for a in lines if a["platform"] == "x")
    assert locations[None] > 100 and locations["Colombia"] > 20
    values = [v for v in locations if v]
    assert any(v in sample_places.ABROAD_PROFILES for v in values)
    assert any(v in sample_places.NOT_PLACES for v in values)
    assert any(v.isupper() for v in values) and any("Cucuta" in v or "Ibague" in v or "Bogota" in v for v in values)
    assert len(values) > 150

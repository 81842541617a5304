"""The sample file's optional `geo` object per post: the platform's place tag, round-tripped and checked."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.sample_replay import SampleReplayConnector, post_from_dict, post_to_dict
from domain import GeoTag
from tests.connectors.test_sample_replay import REPO, T0, Clock, X, drain, make_post, write_jsonl

QUIBDO = GeoTag(name="Quibdó", full_name="Quibdó, Colombia", country_code="CO", city="Quibdó", lat=5.69, lon=-76.66)


def test_geo_round_trips_and_lines_without_it_stay_as_they_were():
    tagged = make_post(1, geo=QUIBDO)
    line = post_to_dict(tagged)
    assert line["geo"] == {"name": "Quibdó", "full_name": "Quibdó, Colombia", "country_code": "CO", "city": "Quibdó",
                           "lat": 5.69, "lon": -76.66}
    assert post_from_dict(json.loads(json.dumps(line))) == tagged
    plain = post_to_dict(make_post(2))
    assert "geo" not in plain and post_from_dict(plain).geo is None
    assert post_from_dict({**plain, "geo": None}).geo is None


@pytest.mark.parametrize("geo, message", [
    ("Quibdó", "'geo' must be a JSON object"),
    ({"ciudad": "Quibdó"}, "unknown keys ['ciudad']"),
    ({"name": 5}, "'geo.name' must be a string"),
    ({"lat": 95.0, "lon": 1.0}, "'geo.lat' must be a number"),
    ({"lat": True, "lon": 1.0}, "'geo.lat' must be a number"),
    ({"lat": 5.0}, "both 'lat' and 'lon'"),
])
def test_a_malformed_geo_names_what_is_wrong(geo, message):
    line = {**post_to_dict(make_post(1)), "geo": geo}
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        post_from_dict(line)


def test_the_replay_serves_the_place_and_sets_a_bad_line_aside(tmp_path: Path):
    good = post_to_dict(make_post(1, geo=QUIBDO))
    bad = {**post_to_dict(make_post(2, minutes=1)), "geo": {"lat": "cinco", "lon": 1}}
    path = write_jsonl(tmp_path / "week.jsonl", [json.dumps(good), json.dumps(bad), make_post(3, minutes=2)])
    batches, _ = drain(SampleReplayConnector(path, Clock(T0 + timedelta(hours=1))), X, None)
    posts = [p for b in batches for p in b.posts]
    assert [p.external_id for p in posts] == ["syn-x-000001", "syn-x-000003"]
    assert posts[0].geo == QUIBDO and posts[1].geo is None
    rejected = [r for b in batches for r in b.rejected]
    assert len(rejected) == 1 and "geo.lat" in rejected[0].reason


def test_the_bundled_week_has_geo_tags_only_on_citizen_posts_of_x_and_facebook():
    lines = [json.loads(x) for x in (REPO / "data" / "sample" / "week.jsonl").read_text(encoding="utf-8").splitlines()]
    posts = [post_from_dict(x) for x in lines]
    tagged = [p for p in posts if p.geo is not None]
    citizens = [p for p in posts if not p.is_own]
    assert 0.03 <= len(tagged) / len(citizens) <= 0.06
    assert all(not p.is_own and p.platform.value in ("x", "facebook") for p in tagged)
    assert {p.geo.country_code for p in tagged} >= {"CO", "ES"}

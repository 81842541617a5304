"""The place a Facebook post is tagged with (`place{name,location{...}}`), asked in the requests already made and
mapped onto `Post.geo`; comments and Instagram media carry none (the Graph API has no such field for them)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.facebook import COMMENT_FIELDS, PLACE_FIELD, POST_FIELDS, TAGGED_FIELDS
from connectors.instagram import MEDIA_FIELDS, TAGS_FIELDS
from connectors.meta_payload import geo_of
from domain import GeoTag
from tests.connectors.test_facebook import MINISTRY, NOW, PAGE_ID, POSTS, TAGGED, clock, fake, make  # noqa: F401
from tests.fakes.graph_api import APP_SECRET, TOKEN, run_poll

QUIBDO = {"id": "108170000000001", "name": "Parque Centenario",
          "location": {"city": "Quibdó", "state": "Chocó", "country": "Colombia", "latitude": 5.6947,
                       "longitude": -76.6611, "street": "Cra. 1"}}


def test_a_page_posts_place_comes_in_the_same_request(fake, clock):  # noqa: F811
    tagged = fake.add_post(PAGE_ID, NOW - timedelta(hours=3), "Hoy en el Centro Digital de Quibdó", place=QUIBDO)
    plain = fake.add_post(PAGE_ID, NOW - timedelta(hours=2), "Sin lugar")
    result = run_poll(make(fake, clock), POSTS)
    assert result.error is None
    posts = {p.external_id: p for p in result.posts}
    assert posts[tagged].geo == GeoTag(name="Parque Centenario", full_name="Parque Centenario", country_code="CO",
                                       city="Quibdó", region="Chocó", lat=5.6947, lon=-76.6611)
    assert posts[plain].geo is None
    listing = [r for r in fake.http_requests() if r.path.endswith(f"{PAGE_ID}/posts")]
    assert len(listing) == 1 and PLACE_FIELD in listing[0].params["fields"]


def test_tagged_and_visitor_posts_carry_their_place(fake, clock):  # noqa: F811
    place = {"name": "Madrid", "location": {"city": "Madrid", "country": "Spain", "latitude": 40.4168,
                                            "longitude": -3.7038}}
    visitor = fake.add_post(PAGE_ID, NOW - timedelta(hours=1), "Desde Madrid no puedo entrar", kind="visitor",
                            place=place)
    tagged = fake.add_post(PAGE_ID, NOW - timedelta(hours=2), "Sin señal @MinTIC", kind="tagged")
    result = run_poll(make(fake, clock), TAGGED)
    posts = {p.external_id: p for p in result.posts}
    assert posts[visitor].geo.country_code == "ES" and posts[visitor].geo.city == "Madrid"
    assert posts[tagged].geo is None


def test_a_malformed_place_is_dropped_and_the_post_kept(fake, clock):  # noqa: F811
    broken = fake.add_post(PAGE_ID, NOW - timedelta(hours=3), "Lugar roto",
                           place={"name": "X", "location": {"latitude": "cinco", "longitude": -76.6}})
    odd = fake.add_post(PAGE_ID, NOW - timedelta(hours=2), "Lugar que no es objeto", place="Quibdó")  # type: ignore[arg-type]
    result = run_poll(make(fake, clock), POSTS)
    assert result.error is None and result.rejected == []
    posts = {p.external_id: p for p in result.posts}
    assert posts[broken].geo is None and posts[odd].geo is None
    assert posts[broken].text == "Lugar roto"


def test_the_fake_refuses_a_sub_field_the_place_does_not_have(fake):  # noqa: F811
    import hashlib
    import hmac

    import httpx

    fake.add_post(PAGE_ID, NOW - timedelta(hours=1), "con lugar", place=QUIBDO)
    proof = hmac.new(APP_SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    answer = httpx.get(f"{fake.base_url}/v24.0/{PAGE_ID}/posts",
                       params={"fields": "id,place{name,location{town}}", "access_token": TOKEN,
                               "appsecret_proof": proof})
    assert answer.status_code == 400 and "(town)" in answer.text


def test_comments_and_instagram_ask_no_place():
    # The Graph API's Comment has no place, and IG Media has no location field (not even through business
    # discovery): asking would fail the whole request with error 100.
    assert "place" not in COMMENT_FIELDS and "place" in POST_FIELDS and "place" in TAGGED_FIELDS
    assert "location" not in MEDIA_FIELDS and "location" not in TAGS_FIELDS


@pytest.mark.parametrize("place, expected", [
    ({"name": "Barranquilla, Atlántico", "location": {"city": "Barranquilla", "state": "Atlántico",
                                                      "country": "Colombia"}},
     GeoTag(name="Barranquilla, Atlántico", full_name="Barranquilla, Atlántico", country_code="CO",
            city="Barranquilla", region="Atlántico")),
    ({"name": "Plaza", "location": {"country": "Atlantis", "latitude": 1.0, "longitude": 2.0}},
     GeoTag(name="Plaza", full_name="Plaza", lat=1.0, lon=2.0)),  # an unknown country: no code, never a guess
    ({"name": "Bogotá", "location": {"country": "COLOMBIA"}}, GeoTag(name="Bogotá", full_name="Bogotá",
                                                                     country_code="CO")),
    ({"location": {"country": "Colombia"}}, None),  # no name, city, region or point: nothing to place
    ({"name": "Medio", "location": {"latitude": 5.0}}, None),  # half a point
    ({"name": "Lejos", "location": {"latitude": 95.0, "longitude": 0.0}}, None),  # off the globe
    ({"name": 7}, None),
    ({"location": []}, None),
])
def test_geo_of_reads_names_and_codes_and_drops_malformed_places(place, expected):
    assert geo_of({"id": "1", "place": place}) == expected

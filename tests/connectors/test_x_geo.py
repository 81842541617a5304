"""The place a post is tagged with on X: asked in the same requests (`expansions=geo.place_id`, `place.fields`),
mapped from `includes.places` onto `Post.geo`; absent, unknown or malformed places never cost the post."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from connectors.x_mapping import MapContext, geo_of, place_to_geo, read_page, to_post
from domain import GeoTag
from tests.connectors.x_support import HANDLE, x_harness
from tests.fakes.x_api import TOKEN


def _mentions(harness):
    connector = harness.connector()
    return harness.poll(connector, f"x:mentions:{HANDLE}")


def test_tagged_places_come_in_the_same_requests_and_map_onto_post_geo():
    with x_harness() as h:
        start = h.clock() - timedelta(minutes=30)
        quibdo = h.fake.post("ciudadana_1", f"@{HANDLE} sin señal desde ayer", at=start, place="quibdo")
        madrid = h.fake.post("ciudadano_2", f"@{HANDLE} desde aca no puedo entrar al portal",
                             at=start + timedelta(minutes=1), place="madrid")
        choco = h.fake.post("ciudadano_3", f"@{HANDLE} el Chocó sigue sin internet",
                            at=start + timedelta(minutes=2), place="choco")
        plain = h.fake.post("ciudadano_4", f"@{HANDLE} no tengo ubicacion", at=start + timedelta(minutes=3))
        result = _mentions(h)
        assert result.error is None
        assert result.requests == 2  # the id lookup and one page: places cost no request of their own
        sent = h.fake.requests_to("mentions")[-1].params
        assert "geo.place_id" in sent["expansions"].split(",")
        assert set(sent["place.fields"].split(",")) == {"full_name", "name", "country_code", "place_type", "geo"}
        assert "geo" in sent["tweet.fields"].split(",")
        posts = {p.external_id: p for p in result.posts}
        assert len(posts) == 4
        q = posts[quibdo].geo
        assert (q.name, q.full_name, q.country_code, q.city, q.region) == \
            ("Quibdó", "Quibdó, Colombia", "CO", "Quibdó", None)
        assert q.lat == pytest.approx((5.62 + 5.74) / 2) and q.lon == pytest.approx((-76.70 - 76.60) / 2)
        assert posts[madrid].geo.country_code == "ES" and posts[madrid].geo.city == "Madrid"
        assert posts[choco].geo.region == "Chocó" and posts[choco].geo.city is None
        assert posts[plain].geo is None
        # the place stays with the raw tweet, so a stored post can be placed again without asking X
        assert posts[quibdo].raw["_expansions"]["place"]["full_name"] == "Quibdó, Colombia"
        assert "_expansions" not in posts[plain].raw or "place" not in posts[plain].raw["_expansions"]


def test_an_exact_point_beats_the_centre_of_the_box():
    with x_harness() as h:
        tweet_id = h.fake.post("ciudadana_1", f"@{HANDLE} aqui en el parque sin wifi",
                               at=h.clock() - timedelta(minutes=5), place="medellin", point=(-75.5636, 6.2518))
        post = {p.external_id: p for p in _mentions(h).posts}[tweet_id]
        assert (post.geo.lat, post.geo.lon) == (6.2518, -75.5636)
        assert post.geo.full_name == "Medellín, Colombia"


def test_malformed_places_are_ignored_and_the_posts_kept():
    with x_harness(spec_checked=False) as h:
        start = h.clock() - timedelta(minutes=30)
        bad_box = h.fake.add_place("cali")
        h.fake.corrupt_place(bad_box, geo={"type": "Feature", "bbox": [-76.5, "norte", -76.4, 3.5], "properties": {}})
        bad_code = h.fake.add_place(full_name="Lugar raro", name="Lugar raro", country_code="Colombia",
                                    country="Colombia")
        nameless = h.fake.add_place("bogota")
        h.fake.corrupt_place(nameless, drop=("full_name", "name"))
        ids = [h.fake.post(f"c{i}", f"@{HANDLE} hola {i}", at=start + timedelta(minutes=i), place=place)
               for i, place in enumerate((bad_box, bad_code, nameless, "quibdo"))]
        result = _mentions(h)
        assert result.error is None and result.rejected == []
        posts = {p.external_id: p for p in result.posts}
        assert [posts[i].geo is None for i in ids] == [True, True, True, False]
        assert posts[ids[3]].geo.name == "Quibdó"


def test_places_are_sent_only_when_asked():
    with x_harness() as h:
        h.fake.post("ciudadana_1", f"@{HANDLE} sin señal", at=h.clock() - timedelta(minutes=5), place="quibdo")
        user_id = h.fake.user_by_name(HANDLE).id
        base = h.server.base_url + f"/2/users/{user_id}/mentions"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        plain = requests.get(base, params={"tweet.fields": "created_at"}, headers=headers, timeout=5).json()
        assert "geo" not in plain["data"][0] and "includes" not in plain
        only_field = requests.get(base, params={"tweet.fields": "geo"}, headers=headers, timeout=5).json()
        assert only_field["data"][0]["geo"] == {"place_id": h.fake.add_place("quibdo")}
        assert "includes" not in only_field
        defaults = requests.get(base, params={"expansions": "geo.place_id"}, headers=headers, timeout=5).json()
        assert defaults["includes"]["places"] == [{"id": h.fake.add_place("quibdo"), "full_name": "Quibdó, Colombia"}]
        asked = requests.get(base, params={"expansions": "geo.place_id", "place.fields": "name,country_code,geo"},
                             headers=headers, timeout=5).json()
        place = asked["includes"]["places"][0]
        assert place["name"] == "Quibdó" and place["country_code"] == "CO" and len(place["geo"]["bbox"]) == 4
        wrong = requests.get(base, params={"place.fields": "city"}, headers=headers, timeout=5)
        assert wrong.status_code == 400 and "place.fields" in wrong.text


def test_a_place_id_missing_from_includes_gives_no_place():
    page = read_page({"data": [{"id": "1", "author_id": "2", "text": "hola", "created_at": "2026-11-16T15:00:00Z",
                                "geo": {"place_id": "abc"}}], "includes": {"places": [{"id": "other",
                                                                                         "full_name": "Cali"}]}})
    ctx = MapContext(stream="x:mentions:a", role="mention", account="a")
    post = to_post(page.tweets[0], page, ctx)
    assert post.geo is None and "_expansions" not in post.raw


@pytest.mark.parametrize("geo", ["Quibdó", ["abc"], {"place_id": "abc", "coordinates": {"type": "Point"}},
                                 {"coordinates": {"type": "Point", "coordinates": [200, 5]}}])
def test_a_malformed_tweet_geo_is_ignored(geo):
    tag, place = geo_of({"id": "1", "geo": geo}, {"abc": {"id": "abc", "full_name": "Cali, Colombia"}})
    assert tag is None and place is None


def test_place_to_geo_reads_names_codes_and_the_box():
    tag = place_to_geo({"id": "x", "full_name": "Medellín, Colombia", "name": "Medellín", "country_code": "co",
                        "place_type": "city", "geo": {"type": "Feature", "bbox": [-76, 6, -75, 7], "properties": {}}})
    assert tag == GeoTag(name="Medellín", full_name="Medellín, Colombia", country_code="CO", city="Medellín",
                         region=None, lat=6.5, lon=-75.5)
    only_full = place_to_geo({"id": "x", "full_name": "Colombia"})  # X's default place.fields: id, full_name
    assert only_full == GeoTag(full_name="Colombia")


def test_a_tagged_place_is_stored_with_the_post_through_the_bot(engine, tmp_path):
    """Fake X → tweepy → connector → poll_stream → posts.geo (SQLite and PostgreSQL)."""
    from bot import events
    from storage.unit_of_work import UnitOfWork
    from tests.connectors.test_x_bot import _bus

    with x_harness() as h:
        tagged = h.fake.post("ciudadana_1", f"@{HANDLE} aqui sin señal", at=h.clock() - timedelta(minutes=9),
                             place="quibdo")
        plain = h.fake.post("ciudadano_2", f"@{HANDLE} hola", at=h.clock() - timedelta(minutes=8))
        bus, _ = _bus(h, engine, tmp_path)
        bus.handle(events.PollStream(f"x:mentions:{HANDLE}"))
        with UnitOfWork(engine) as uow:
            stored = uow.posts.get("x", tagged).post  # type: ignore[union-attr]
            assert stored.geo is not None and stored.geo.full_name == "Quibdó, Colombia"
            assert stored.geo.country_code == "CO" and stored.geo.lat == pytest.approx(5.68)
            assert uow.posts.get("x", plain).post.geo is None  # type: ignore[union-attr]

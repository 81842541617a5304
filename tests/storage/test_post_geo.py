"""`posts.geo`: the platform's place tag of a post, stored on insert, filled in on a later refresh that brings
it, never erased by one that does not, and read back into `Post.geo` (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy import text

from domain import GeoTag
from storage.repositories import geo_from_json, geo_to_json
from storage.unit_of_work import UnitOfWork
from tests.factories import make_post

QUIBDO = GeoTag(name="Quibdó", full_name="Quibdó, Colombia", country_code="CO", city="Quibdó", lat=5.68, lon=-76.65)


def test_geo_round_trips_through_insert_get_and_by_ids(engine):
    with UnitOfWork(engine) as uow:
        result = uow.posts.upsert([replace(make_post(1), geo=QUIBDO), make_post(2)])
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.posts.get("x", "test-1").post.geo == QUIBDO  # type: ignore[union-attr]
        stored = {s.post.external_id: s.post.geo for s in uow.posts.by_ids(result.new_ids)}
        assert stored == {"test-1": QUIBDO, "test-2": None}
        raw = uow.session.execute(text("SELECT geo FROM posts WHERE external_id = 'test-1'")).scalar_one()
    raw = raw if isinstance(raw, dict) else json.loads(raw)
    assert raw == {"name": "Quibdó", "full_name": "Quibdó, Colombia", "country_code": "CO", "city": "Quibdó",
                   "lat": 5.68, "lon": -76.65}  # absent fields left out


def test_a_refresh_adds_a_place_and_never_erases_one(engine):
    with UnitOfWork(engine) as uow:
        uow.posts.upsert([make_post(1)])
        uow.commit()
    with UnitOfWork(engine) as uow:
        uow.posts.upsert([replace(make_post(1, likes=3), geo=QUIBDO)])
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.posts.get("x", "test-1").post.geo == QUIBDO  # type: ignore[union-attr]
        uow.posts.upsert([make_post(1, likes=4)])  # the metrics refresh without the place
        uow.commit()
    with UnitOfWork(engine) as uow:
        stored = uow.posts.get("x", "test-1").post  # type: ignore[union-attr]
        assert stored.geo == QUIBDO and stored.metrics.likes == 4


def test_unreadable_stored_geo_reads_as_no_place():
    assert geo_from_json(None) is None and geo_from_json("Quibdó") is None and geo_from_json({}) is None
    assert geo_from_json({"name": 3, "lat": True}) is None
    assert geo_from_json({"city": "Cali", "lat": 3, "extra": "x"}) == GeoTag(city="Cali", lat=3.0)
    assert geo_to_json(None) is None and geo_from_json(geo_to_json(QUIBDO)) == QUIBDO

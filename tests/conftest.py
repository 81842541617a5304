"""Shared fixtures: real databases (SQLite always, PostgreSQL when VIGIA_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from storage import db
from storage.pg_trgm import STABLE_SCHEMA, install_trgm

PG_URL = os.environ.get("VIGIA_TEST_DATABASE_URL", "").strip()
PG_SKIP_REASON = (
    "PostgreSQL tests need VIGIA_TEST_DATABASE_URL (e.g. postgresql+psycopg://root@127.0.0.1:5432/test); "
    ".ci/run sets it"
)


def _sqlite_engine(tmp_path) -> Engine:  # type: ignore[no-untyped-def]
    return db.create_db_engine(f"sqlite:///{tmp_path / 'vigia-test.db'}")


@pytest.fixture(scope="session")
def pg_database() -> str:
    """The test database's URL, with pg_trgm installed in `public` before any test schema exists.

    Test schemas are dropped with CASCADE: an extension inside one (as a bare CREATE EXTENSION of an older
    migration left it) would take every other schema's trigram index with it, so it is moved out first.
    Runs once per pytest process (each xdist worker); concurrent runs on the same database are expected.
    """
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    url = db.normalise_url(PG_URL)
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            schema = install_trgm(conn)
            if schema.startswith("t_"):
                conn.execute(text(f"ALTER EXTENSION pg_trgm SET SCHEMA {STABLE_SCHEMA}"))
    finally:
        admin.dispose()
    return url


@pytest.fixture
def pg_engine(pg_database: str) -> Iterator[Engine]:
    """A migrated PostgreSQL schema of its own, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = pg_database
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        db.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """The same test on both engines: a migrated, empty database."""
    if request.param == "sqlite":
        eng = _sqlite_engine(tmp_path)
        db.upgrade(eng)
        yield eng
        eng.dispose()
    else:
        yield request.getfixturevalue("pg_engine")


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    eng = _sqlite_engine(tmp_path)
    db.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def slack():  # type: ignore[no-untyped-def]
    """The fake Slack Web API on 127.0.0.1; its own responses are checked against Slack's spec."""
    from tests.fakes.slack_api import SlackServer

    with SlackServer() as server:
        yield server
    assert server.fake.schema_errors == []

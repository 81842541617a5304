"""Shared fixtures: real databases (SQLite always, PostgreSQL when VIGIA_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from storage import db
from storage.pg_trgm import STABLE_SCHEMA, install_trgm

PG_URL = os.environ.get("VIGIA_TEST_DATABASE_URL", "").strip()
PG_SKIP_REASON = (
    "PostgreSQL tests need VIGIA_TEST_DATABASE_URL (e.g. postgresql+psycopg://root@127.0.0.1:5432/test); "
    ".ci/run sets it"
)


# Under pytest-xdist (scripts/test.sh: `--dist loadfile --no-loadscope-reorder`) whole files go to the workers
# in this order: the files of tests using a costly module or session fixture first, in collection order (the
# demo run takes minutes: started last, it would be the whole tail), then the others, those with the most tests
# first (xdist's own heuristic). `--dist loadgroup` would not help: with pytest 9.2, xdist 3.8 ignores
# xdist_group marks (pytest-dev/pytest-xdist#1386). A serial run keeps pytest's order.
COSTLY_SHARED_FIXTURES = frozenset({"demo_run", "sample_db", "written"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not hasattr(config, "workerinput"):
        return
    tests_in = Counter(item.nodeid.split("::", 1)[0] for item in items)
    costly = {item.nodeid.split("::", 1)[0] for item in items
              if COSTLY_SHARED_FIXTURES.intersection(getattr(item, "fixturenames", ()))}

    def rank(item: pytest.Item) -> tuple[bool, int]:
        path = item.nodeid.split("::", 1)[0]
        return (False, 0) if path in costly else (True, -tests_in[path])  # the costly ones in collection order

    items.sort(key=rank)  # stable: a file's tests keep their order, and every worker gets the same list


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """An SQLite file migrated to head once per session; each test gets a copy of it (the same bytes a fresh
    migration writes, without running a dozen migrations for every test)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "vigia-template.db"
    eng = db.create_db_engine(f"sqlite:///{path}")
    db.upgrade(eng)
    eng.dispose()  # the last connection closed: the WAL is checkpointed into the file and removed
    assert not path.with_name(path.name + "-wal").exists()
    return path


def _sqlite_engine(tmp_path: Path, template: Path) -> Engine:
    target = tmp_path / "vigia-test.db"
    shutil.copyfile(template, target)
    return db.create_db_engine(f"sqlite:///{target}")


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
        eng = _sqlite_engine(tmp_path, request.getfixturevalue("sqlite_template"))
        yield eng
        eng.dispose()
    else:
        yield request.getfixturevalue("pg_engine")


@pytest.fixture
def sqlite_engine(tmp_path, sqlite_template: Path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    eng = _sqlite_engine(tmp_path, sqlite_template)
    yield eng
    eng.dispose()


@pytest.fixture
def slack():  # type: ignore[no-untyped-def]
    """The fake Slack Web API on 127.0.0.1; its own responses are checked against Slack's spec."""
    from tests.fakes.slack_api import SlackServer

    with SlackServer() as server:
        yield server
    assert server.fake.schema_errors == []

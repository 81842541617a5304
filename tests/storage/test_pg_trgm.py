"""pg_trgm on a fresh PostgreSQL database: installed in `public`, shared by every schema, indexes used.

Each test makes a database of its own (the shared test database already has the extension, installed by the
test harness), so this is what a production install on an empty database does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from storage import db
from storage.inbox_filters import InboxFilters, InboxQuery, P
from storage.pg_trgm import trgm_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
def fresh_database(pg_database: str) -> Iterator[str]:
    """An empty database of its own (no pg_trgm yet), dropped afterwards."""
    name = f"vigia_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(pg_database).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _execute(url: str, sql: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


def _migrated(url: str, schema: str) -> Engine:
    _execute(url, f'CREATE SCHEMA "{schema}"')
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    db.upgrade(engine)
    return engine


def _plan(engine: Engine) -> str:
    with engine.connect() as conn:
        cond = InboxQuery(InboxFilters(q="PETICIÓN", state="all"), "postgresql").conditions()
        sql = select(P.id).where(*cond).compile(conn, compile_kwargs={"literal_binds": True})
        conn.exec_driver_sql("SET enable_seqscan = off")  # an empty table: the planner would rather scan
        return " ".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))


def test_the_extension_goes_to_public_and_outlives_the_schema_that_installed_it(fresh_database: str) -> None:
    first = _migrated(fresh_database, "app_one")
    second = _migrated(fresh_database, "app_two")
    with second.connect() as conn:
        assert trgm_schema(conn) == "public"
        assert conn.scalar(text("SHOW search_path")) == "app_two"
    assert "ix_posts_search_text_trgm" in _plan(second)
    first.dispose()
    with second.begin() as conn:  # what a test's teardown does to its schema
        conn.exec_driver_sql('DROP SCHEMA "app_one" CASCADE')
    with second.connect() as conn:
        assert trgm_schema(conn) == "public"
        indexes = conn.scalars(text("SELECT schemaname FROM pg_indexes WHERE indexname = 'ix_posts_search_text_trgm'"))
        assert list(indexes) == ["app_two"]
    assert "ix_posts_search_text_trgm" in _plan(second)
    second.dispose()


def test_without_a_public_schema_the_extension_goes_to_the_tables_schema(fresh_database: str) -> None:
    _execute(fresh_database, "DROP SCHEMA public CASCADE")
    engine = _migrated(fresh_database, "app")
    with engine.connect() as conn:
        assert trgm_schema(conn) == "app"
    assert "ix_posts_search_text_trgm" in _plan(engine)
    engine.dispose()

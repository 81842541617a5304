"""A fresh, migrated database for a benchmark that seeds its own data: a SQLite file under var/bench/, or a
PostgreSQL schema of its own (other schemas are left alone)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine

from storage import db


def fresh_schema_engine(url: str, schema: str) -> Engine:
    """A PostgreSQL engine on `schema`, dropped and made afresh, with only it on the search path."""
    if not schema.isidentifier():
        raise ValueError(f"not a plain schema name: {schema!r}")
    admin = db.create_db_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    admin.dispose()
    return create_engine(db.normalise_url(url), connect_args={"options": f"-csearch_path={schema}"})


def fresh_engine(database_url: str | None, name: str) -> Engine:
    """`var/bench/NAME.db` made afresh, or on PostgreSQL the schema `bench_NAME` dropped and made afresh with only
    it on the search path (as the tests' `pg_engine`: with `public` behind it, a migrated `public` would make the
    migration a no-op and every table resolve to public's); migrated to head either way."""
    if database_url is None:
        path = Path("var/bench") / f"{name}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        database_url = f"sqlite:///{path}"
    engine = db.create_db_engine(database_url)
    if engine.dialect.name == "postgresql":
        engine.dispose()
        engine = fresh_schema_engine(database_url, f"bench_{name}")
    db.upgrade(engine)
    return engine

"""Where PostgreSQL's pg_trgm lives: one stable schema for the whole database (`public`), found by the migrations.

Why: a bare `CREATE EXTENSION pg_trgm` puts the extension in the first schema of the search path. A database
whose tables live in a schema of their own (the tests: one schema per test) then holds it in that schema, the
trigram indexes of every other schema depend on it, and dropping that schema drops them all (two test runs at
once failed or deadlocked on it). An extension exists once per database, so it goes to the one schema no
deployment drops; the indexes name its operator class with that schema, so the tables' search path need not
include it, and `LIKE` / `ILIKE` (core operators) use the index from any schema.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

STABLE_SCHEMA = "public"

_FIND = ("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
         "WHERE e.extname = 'pg_trgm'")


def trgm_schema(conn: Connection) -> str | None:
    """The schema holding pg_trgm, or None when it is not installed in this database."""
    return conn.exec_driver_sql(_FIND).scalar()


def quoted(schema: str) -> str:
    """`schema` as an SQL identifier (for `"schema".gin_trgm_ops`)."""
    return '"' + schema.replace('"', '""') + '"'


def install_trgm(conn: Connection) -> str:
    """The schema holding pg_trgm, installed first if missing: in `public` when the database has it, else (no
    `public`, or no right to create in it, as for a non-owner on PostgreSQL 15+) in the current schema.

    Each try runs in a SAVEPOINT, so a failure leaves the caller's transaction usable; another session
    installing it at the same moment makes a try fail, and the extension is then found. Raises the last
    error when it is still missing (not available, or not allowed): the caller skips the index.
    """
    schema = trgm_schema(conn)
    if schema is not None:
        return schema
    tries = []
    if conn.exec_driver_sql(f"SELECT 1 FROM pg_namespace WHERE nspname = '{STABLE_SCHEMA}'").first() is not None:
        tries.append(f"CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA {quoted(STABLE_SCHEMA)}")
    tries.append("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    error: DBAPIError | None = None
    for sql in tries:
        try:
            with conn.begin_nested():
                conn.exec_driver_sql(sql)
            break
        except DBAPIError as exc:
            error = exc
            if (schema := trgm_schema(conn)) is not None:  # installed meanwhile by another session
                return schema
    schema = trgm_schema(conn)
    if schema is None:
        assert error is not None
        raise error
    return schema

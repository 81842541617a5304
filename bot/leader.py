"""One `run` per database: a second scheduler would poll and alert twice.

PostgreSQL: a session-level advisory lock held on a dedicated connection for the life of the process
(released by the server if the process dies). SQLite: an exclusive lock on a file beside the database.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

LOCK_NAME = "vigia:run"


class AlreadyRunning(Exception):
    pass


def _pg_key() -> int:
    return int.from_bytes(hashlib.sha256(LOCK_NAME.encode()).digest()[:8], "big", signed=True)


@contextmanager
def leader_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _pg_key()}).scalar()
            conn.commit()
            if not got:
                raise AlreadyRunning("another `main.py run` already holds this PostgreSQL database")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _pg_key()})
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    path = Path(database).with_suffix(Path(database).suffix + ".run.lock")
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(f"another `main.py run` already uses {database} (lock file {path})") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

"""Database faults for tests: a table that refuses inserts (a full disk, a lost connection, a constraint)."""

from __future__ import annotations

from sqlalchemy import Engine, text


def refuse_inserts(engine: Engine, table: str, *, author_id: str | None = None, message: str = "refused") -> None:
    """Make `table` refuse every insert (or only rows with this `author_id`) on SQLite and PostgreSQL alike."""
    name = f"refuse_{table}"
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            when = f"WHEN NEW.author_id = '{author_id}' " if author_id is not None else ""
            conn.execute(text(f"CREATE TRIGGER {name} BEFORE INSERT ON {table} {when}"
                              f"BEGIN SELECT RAISE(ABORT, '{message}'); END"))
        else:
            test = f"NEW.author_id = '{author_id}'" if author_id is not None else "true"
            conn.execute(text(f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN IF {test} THEN "
                              f"RAISE EXCEPTION '{message}'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"))
            conn.execute(text(f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW "
                              f"EXECUTE FUNCTION {name}()"))


def allow_inserts(engine: Engine, table: str) -> None:
    """Undo `refuse_inserts`."""
    name = f"refuse_{table}"
    with engine.begin() as conn:
        on = "" if engine.dialect.name == "sqlite" else f" ON {table}"
        conn.execute(text(f"DROP TRIGGER {name}{on}"))

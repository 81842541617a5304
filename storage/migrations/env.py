"""Alembic environment: the engine comes from `storage.db.alembic_config`, never from a config file."""

from alembic import context
from sqlalchemy import text

from storage.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise SystemExit("Run migrations with `python main.py db upgrade`, which supplies the database engine.")

with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        # Hot standby: every `run` (and `db upgrade` in each host's unit) migrates at start-up; processes
        # started together take turns, per schema, and the later ones find the schema already at head.
        key = "hashtextextended('vigia:migrate:' || current_schema(), 0)"
        connection.execute(text(f"SELECT pg_advisory_xact_lock({key})"))
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()

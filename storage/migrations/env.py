"""Alembic environment: the engine comes from `storage.db.alembic_config`, never from a config file."""

from alembic import context

from storage.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise SystemExit("Run migrations with `python main.py db upgrade`, which supplies the database engine.")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()

"""text search indexes: trigram indexes so the inbox's substring search does not read every post

Why: the inbox search is a case-insensitive substring match (`ILIKE '%…%'` on PostgreSQL, `lower(text) LIKE`
on SQLite), which no B-tree can serve: a word that no post contains meant reading a million rows.

- PostgreSQL: a GIN trigram index (`pg_trgm`) on posts.text; ILIKE uses it as is (the index is lossy, every
  candidate is rechecked, so results do not change). The extension goes to the `public` schema whatever
  schema the tables use (storage/pg_trgm.py). It may be unavailable or forbidden: it is tried inside a
  SAVEPOINT and, if it fails, the index is skipped with a warning and search stays a scan.
- SQLite (>= 3.34 with FTS5): `posts_fts`, an external-content FTS5 table with the trigram tokenizer over
  posts(text), kept in step by triggers and filled here. The inbox adds `posts.id IN (SELECT rowid FROM
  posts_fts WHERE text LIKE …)` next to the unchanged plain condition (storage/inbox_filters.py).
  Older SQLite: skipped with a warning. NOTE: a later migration that rebuilds `posts` with
  `batch_alter_table` drops these triggers and must create them again (see `_SQLITE_TRIGGERS`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 23:00:00
"""

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

from storage.pg_trgm import install_trgm, quoted

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER posts_fts_ai AFTER INSERT ON posts BEGIN "
    "INSERT INTO posts_fts (rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER posts_fts_ad AFTER DELETE ON posts BEGIN "
    "INSERT INTO posts_fts (posts_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    # Re-collection rewrites known posts' text unchanged (metrics refresh): only a real change re-indexes.
    "CREATE TRIGGER posts_fts_au AFTER UPDATE OF id, text ON posts "
    "WHEN old.id IS NOT new.id OR old.text IS NOT new.text BEGIN "
    "INSERT INTO posts_fts (posts_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO posts_fts (rowid, text) VALUES (new.id, new.text); END",
)


def _sqlite_upgrade() -> None:
    bind = op.get_bind()
    version = bind.exec_driver_sql("SELECT sqlite_version()").scalar() or "0"
    has_fts5 = bind.exec_driver_sql("SELECT sqlite_compileoption_used('ENABLE_FTS5')").scalar()
    if tuple(int(p) for p in version.split(".")[:3]) < (3, 34, 0) or not has_fts5:
        log.warning("SQLite %s without FTS5 trigram (needs >= 3.34): inbox search stays a full scan", version)
        return
    op.execute("CREATE VIRTUAL TABLE posts_fts USING fts5(text, content='posts', content_rowid='id', "
               "tokenize='trigram')")
    op.execute("INSERT INTO posts_fts (posts_fts) VALUES ('rebuild')")
    for trigger in _SQLITE_TRIGGERS:
        op.execute(trigger)


def _postgresql_upgrade() -> None:
    bind = op.get_bind()
    try:
        schema = install_trgm(bind)  # in `public`, not in the tables' schema (storage/pg_trgm.py says why)
        with bind.begin_nested():
            # The operator class lives in the extension's schema, which need not be on the search path.
            op.execute(f"CREATE INDEX IF NOT EXISTS ix_posts_text_trgm ON posts "
                       f"USING gin (text {quoted(schema)}.gin_trgm_ops)")
    except DBAPIError as exc:
        log.warning("pg_trgm unavailable (%s): inbox search stays a full scan", str(exc.orig).strip())


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _postgresql_upgrade()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("posts_fts_ai", "posts_fts_ad", "posts_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS posts_fts")
    elif dialect == "postgresql":
        # The extension stays: other objects may use it, and dropping it needs the rights creating it did.
        op.execute("DROP INDEX IF EXISTS ix_posts_text_trgm")

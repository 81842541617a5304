"""accent-insensitive inbox search: posts.search_text, the folded text, filled and indexed by trigrams

Why: community managers type "peticion", "informacion", "Bogota" without accents and citizens write both
ways, but the search matched `posts.text` with its accents (and SQLite's FTS5 3.40 trigram tokenizer has no
`remove_diacritics`). Now the search matches `posts.search_text`: the text lower-cased with accents and other
diacritics removed (storage/search_text.py; ñ folds to n), against the search term folded the same way.

- The column is added (nullable: no table rebuild on SQLite) and filled here from `posts.text` in batches of
  `BATCH` rows, by id, with the app's own folding function. The app fills it on every insert and text change.
- PostgreSQL: the pg_trgm GIN index moves from `text` to `search_text` (`ix_posts_search_text_trgm`), which
  `LIKE '%…%'` uses. No pg_trgm (0006 skipped it): skipped again with a warning, search stays a scan.
- SQLite: `posts_fts` (0006) is rebuilt as an external-content FTS5 trigram table over `search_text`, kept in
  step by the same three triggers, now on `search_text`. No `posts_fts` (old SQLite): skipped again.
  A later migration that rebuilds `posts` with `batch_alter_table` drops these triggers and must create
  them again (see `_sqlite_triggers`).

Downgrade restores 0006's indexes over `text` and drops the column.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 13:00:00
"""

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

from storage.pg_trgm import quoted, trgm_schema
from storage.search_text import fold_search_text

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

BATCH = 10_000
TRIGGERS = ("posts_fts_ai", "posts_fts_ad", "posts_fts_au")


def _sqlite_triggers(column: str) -> tuple[str, ...]:
    """0006's triggers keeping `posts_fts` in step with `posts.<column>`."""
    return (
        f"CREATE TRIGGER posts_fts_ai AFTER INSERT ON posts BEGIN "
        f"INSERT INTO posts_fts (rowid, {column}) VALUES (new.id, new.{column}); END",
        f"CREATE TRIGGER posts_fts_ad AFTER DELETE ON posts BEGIN "
        f"INSERT INTO posts_fts (posts_fts, rowid, {column}) VALUES ('delete', old.id, old.{column}); END",
        # Re-collection rewrites known posts' text unchanged (metrics refresh): only a real change re-indexes.
        f"CREATE TRIGGER posts_fts_au AFTER UPDATE OF id, {column} ON posts "
        f"WHEN old.id IS NOT new.id OR old.{column} IS NOT new.{column} BEGIN "
        f"INSERT INTO posts_fts (posts_fts, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
        f"INSERT INTO posts_fts (rowid, {column}) VALUES (new.id, new.{column}); END",
    )


def _sqlite_has_fts() -> bool:
    found = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'posts_fts'"
    return op.get_bind().exec_driver_sql(found).first() is not None


def _sqlite_index(column: str) -> None:
    """Drop `posts_fts` and its triggers and build them again over `posts.<column>`."""
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS posts_fts")
    op.execute(f"CREATE VIRTUAL TABLE posts_fts USING fts5({column}, content='posts', content_rowid='id', "
               "tokenize='trigram')")
    op.execute("INSERT INTO posts_fts (posts_fts) VALUES ('rebuild')")
    for trigger in _sqlite_triggers(column):
        op.execute(trigger)


def _postgresql_index(create: str, column: str) -> None:
    """The trigram index `create` over `posts.<column>`, if pg_trgm is installed (0006 installed it)."""
    bind = op.get_bind()
    schema = trgm_schema(bind)
    if schema is None:  # 0006 could not install it either; not tried again here
        log.warning("pg_trgm not installed: inbox search stays a full scan")
        return
    try:
        with bind.begin_nested():
            op.execute(f"CREATE INDEX IF NOT EXISTS {create} ON posts "
                       f"USING gin ({column} {quoted(schema)}.gin_trgm_ops)")
    except DBAPIError as exc:
        log.warning("trigram index %s not built (%s): inbox search stays a full scan", create,
                    str(exc.orig).strip())


def _fill_search_text() -> None:
    """posts.search_text from posts.text, BATCH rows at a time in id order (bounded memory on any size)."""
    bind = op.get_bind()
    posts = sa.table("posts", sa.column("id", sa.BigInteger), sa.column("text", sa.Text),
                     sa.column("search_text", sa.Text))
    last = 0
    while True:
        rows = bind.execute(sa.select(posts.c.id, posts.c.text).where(posts.c.id > last)
                            .order_by(posts.c.id).limit(BATCH)).all()
        if not rows:
            return
        values = [(row.id, fold_search_text(row.text or "")) for row in rows]
        if bind.dialect.name == "postgresql":  # one statement per batch rather than BATCH round trips
            bind.exec_driver_sql(
                "UPDATE posts SET search_text = v.search_text "
                "FROM unnest(%(ids)s::bigint[], %(texts)s::text[]) AS v(id, search_text) WHERE posts.id = v.id",
                {"ids": [i for i, _ in values], "texts": [t for _, t in values]})
        else:
            bind.exec_driver_sql("UPDATE posts SET search_text = ? WHERE id = ?", [(t, i) for i, t in values])
        last = rows[-1].id


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    sqlite_fts = dialect == "sqlite" and _sqlite_has_fts()
    # The old indexes go first: no trigger or index is kept up to date during the fill.
    if sqlite_fts:
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_posts_text_trgm")
    op.execute("ALTER TABLE posts ADD COLUMN search_text TEXT")  # plain ALTER: no batch rebuild of posts
    _fill_search_text()
    if sqlite_fts:
        _sqlite_index("search_text")
    elif dialect == "sqlite":
        log.warning("no posts_fts table (SQLite without FTS5 trigram): inbox search stays a full scan")
    elif dialect == "postgresql":
        _postgresql_index("ix_posts_search_text_trgm", "search_text")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        if _sqlite_has_fts():
            _sqlite_index("text")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_posts_search_text_trgm")
        _postgresql_index("ix_posts_text_trgm", "text")
    op.execute("ALTER TABLE posts DROP COLUMN search_text")  # SQLite >= 3.35; nothing refers to it any more

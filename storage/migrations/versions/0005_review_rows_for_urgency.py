"""review rows for urgency: a post_reviews row for every citizen post, with its urgency tier and due moment

Why: a post without a review row counted as "new", so the pending views and the urgency order had to read
every post. From now on the row is written when a post is first analysed; this backfills the existing posts
and copies the urgency keys (tier: 0 crisis flag, 1 negative, 2 rest; due_at: created_at + the category's
legal term in calendar days) into indexed columns. The terms are frozen here on purpose: a migration must
not change when the application's constants do.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 22:40:00
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Calendar days of the legal terms (Ley 1755 de 2015: 10 business days = 14, 15 = 21, no duty = 42).
_DAYS = "CASE a.category WHEN 'peticion' THEN 14 WHEN 'queja' THEN 21 WHEN 'reclamo' THEN 21 " \
        "WHEN 'sugerencia' THEN 21 WHEN 'denuncia' THEN 21 ELSE 42 END"
_TIER = "CASE WHEN a.flags IS NOT NULL AND json_array_length(a.flags) > 0 THEN 0 " \
        "WHEN a.sentiment = 'negative' THEN 1 ELSE 2 END"


def _due(dialect: str) -> str:
    if dialect == "postgresql":
        return f"p.created_at + ({_DAYS}) * interval '24 hours'"
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff': keep exactly that text format.
    return f"strftime('%Y-%m-%d %H:%M:%S', p.created_at, '+' || ({_DAYS}) || ' days') || substr(p.created_at, 20)"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('post_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tier', sa.SmallInteger(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('due_at', storage.models.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        f"UPDATE post_reviews SET tier = (SELECT {_TIER} FROM posts p LEFT JOIN analyses a ON a.post_id = p.id "
        "WHERE p.id = post_reviews.post_id), "
        f"due_at = (SELECT {_due(dialect)} FROM posts p LEFT JOIN analyses a ON a.post_id = p.id "
        "WHERE p.id = post_reviews.post_id)"
    )
    op.execute(
        "INSERT INTO post_reviews (post_id, state, assignee_id, updated_at, updated_by, tier, due_at) "
        f"SELECT p.id, 'new', NULL, coalesce(a.analyzed_at, p.created_at), NULL, {_TIER}, {_due(dialect)} "
        "FROM posts p LEFT JOIN analyses a ON a.post_id = p.id "
        "WHERE p.is_own = false AND NOT EXISTS (SELECT 1 FROM post_reviews r WHERE r.post_id = p.id)"
    )
    with op.batch_alter_table('post_reviews', schema=None) as batch_op:
        batch_op.alter_column('due_at', existing_type=storage.models.UTCDateTime(timezone=True), nullable=False)
        batch_op.create_index('ix_post_reviews_urgency', ['state', 'tier', 'due_at', 'post_id'], unique=False)
    if dialect == "postgresql":
        # The backfill rewrote the table: without fresh statistics the planner keeps scanning it
        # (measured on a million posts: urgency order 192 ms before ANALYZE, 20 ms after).
        op.execute("ANALYZE post_reviews")


def downgrade() -> None:
    # The backfilled "new" rows stay: to the previous schema they mean exactly what no row meant.
    with op.batch_alter_table('post_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_post_reviews_urgency')
        batch_op.drop_column('due_at')
        batch_op.drop_column('tier')

"""campaigns and audit events; the place of a post and its campaigns on its analysis; the author's segment on
its review row

Why: issue 16 (campaigns, regions) stores the place tag a platform attached to a post (`posts.geo`), the
campaigns a post matched and the Colombian department and
municipality it comes from with the evidence that placed it; campaigns made in the web app live in
`campaigns`, their changes in `audit_events`. Issue 15: the inbox's urgency order filtered by audience
segment was a walk of the whole pending index joined to `authors` (p95 290 ms on 1M posts, PostgreSQL); the
segment is now copied to `post_reviews` like `reach_rank`, with an index that starts with it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 18:10:00
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'campaigns',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('description', sa.Text(), server_default='', nullable=False),
        sa.Column('hashtags', sa.JSON(), nullable=False),
        sa.Column('keywords', sa.JSON(), nullable=False),
        sa.Column('links', sa.JSON(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('archived', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('updated_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'audit_events',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('user', sa.String(length=64), nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('target', sa.String(length=128), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('remote_addr', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_audit_events_target', ['target', 'created_at'], unique=False)
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('geo', sa.JSON(), nullable=True))
    with op.batch_alter_table('analyses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaigns', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('place_dpto', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('place_mpio', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('place_evidence', sa.String(length=8), nullable=True))
        batch_op.create_index('ix_analyses_place_dpto', ['place_dpto'], unique=False)
    # A campaign's posts from its label rows (the inbox's campaign filter, per-campaign counts): the primary
    # key starts with post_id, so without this finding one campaign's posts reads every label row.
    with op.batch_alter_table('post_labels', schema=None) as batch_op:
        batch_op.create_index('ix_post_labels_kind_value', ['kind', 'value', 'post_id'], unique=False)
    with op.batch_alter_table('post_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('segment', sa.String(length=64), server_default='sin_perfil', nullable=False))
    # Existing review rows take their author's current segment (posts without a profile keep "sin_perfil").
    op.execute(
        "UPDATE post_reviews SET segment = (SELECT a.segment FROM posts p JOIN authors a "
        "ON a.platform = p.platform AND a.author_id = p.author_id WHERE p.id = post_reviews.post_id) "
        "WHERE EXISTS (SELECT 1 FROM posts p JOIN authors a ON a.platform = p.platform "
        "AND a.author_id = p.author_id WHERE p.id = post_reviews.post_id)"
    )
    with op.batch_alter_table('post_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_post_reviews_segment_urgency',
                              ['state', 'segment', 'tier', 'reach_rank', 'due_at', 'post_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('post_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_post_reviews_segment_urgency')
        batch_op.drop_column('segment')
    with op.batch_alter_table('post_labels', schema=None) as batch_op:
        batch_op.drop_index('ix_post_labels_kind_value')
    with op.batch_alter_table('analyses', schema=None) as batch_op:
        batch_op.drop_index('ix_analyses_place_dpto')
        batch_op.drop_column('place_evidence')
        batch_op.drop_column('place_mpio')
        batch_op.drop_column('place_dpto')
        batch_op.drop_column('campaigns')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_target')
        batch_op.drop_index('ix_audit_events_created_at')
    op.drop_table('audit_events')
    op.drop_table('campaigns')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('geo')

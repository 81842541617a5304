"""authors and their audience segments, admin overrides' audit, ministry accounts' daily followers, views/reach

Why: an author was only an id and a handle, so a journalist with 400,000 followers weighed the same as an
anonymous account; the plan segments its public and the report needs follower growth. Meta's `views` and
Instagram's `reach` are kept apart from X's impressions because they measure different things.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:40:00
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'authors',
        sa.Column('id', _ID, nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('author_id', sa.String(length=128), nullable=False),
        sa.Column('handle', sa.String(length=256), nullable=False),
        sa.Column('display_name', sa.Text(), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('verified_type', sa.String(length=32), nullable=True),
        sa.Column('followers', sa.BigInteger(), nullable=True),
        sa.Column('following', sa.BigInteger(), nullable=True),
        sa.Column('post_count', sa.BigInteger(), nullable=True),
        sa.Column('location', sa.Text(), nullable=True),
        sa.Column('website', sa.Text(), nullable=True),
        sa.Column('profile_url', sa.Text(), nullable=True),
        sa.Column('first_seen', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('refreshed_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('segment', sa.String(length=64), nullable=False),
        sa.Column('segment_rule', sa.String(length=128), nullable=False),
        sa.Column('segment_override', sa.String(length=64), nullable=True),
        sa.Column('segment_rules_version', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('platform', 'author_id', name='uq_authors_platform_author_id'),
    )
    op.create_index('ix_authors_segment', 'authors', ['segment', 'platform', 'author_id'])
    op.create_index('ix_authors_followers', 'authors', ['followers'])
    op.create_table(
        'author_events',
        sa.Column('id', _ID, nullable=False),
        sa.Column('author_row_id', _ID, nullable=False),
        sa.Column('user', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('old_value', sa.Text(), nullable=True),
        sa.Column('new_value', sa.Text(), nullable=True),
        sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_row_id'], ['authors.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_author_events_author', 'author_events', ['author_row_id', 'created_at'])
    op.create_table(
        'account_snapshots',
        sa.Column('id', _ID, nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('account', sa.String(length=128), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('followers', sa.BigInteger(), nullable=False),
        sa.Column('following', sa.BigInteger(), nullable=True),
        sa.Column('post_count', sa.BigInteger(), nullable=True),
        sa.Column('taken_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('platform', 'account', 'day', name='uq_account_snapshots_day'),
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('views', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('reach', sa.BigInteger(), nullable=True))
    # The inbox's urgency order weighs the author's reach (storage/reach.py): a stored rank, 0 = widest, in
    # the urgency index after the tier. No author has a profile yet, so every row starts at the worst rank
    # (11, the server default: no table rewrite); `storage.reach.refresh_reach` rewrites it as profiles come.
    with op.batch_alter_table('post_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reach_rank', sa.SmallInteger(), server_default='11', nullable=False))
        batch_op.drop_index('ix_post_reviews_urgency')
        batch_op.create_index('ix_post_reviews_urgency', ['state', 'tier', 'reach_rank', 'due_at', 'post_id'],
                              unique=False)
    # An author's posts (the author page, and the reach refresh when a profile changes).
    op.create_index('ix_posts_author', 'posts', ['platform', 'author_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_posts_author', table_name='posts')
    with op.batch_alter_table('post_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_post_reviews_urgency')
        batch_op.create_index('ix_post_reviews_urgency', ['state', 'tier', 'due_at', 'post_id'], unique=False)
        batch_op.drop_column('reach_rank')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('reach')
        batch_op.drop_column('views')
    op.drop_table('account_snapshots')
    op.drop_index('ix_author_events_author', table_name='author_events')
    op.drop_table('author_events')
    op.drop_index('ix_authors_followers', table_name='authors')
    op.drop_index('ix_authors_segment', table_name='authors')
    op.drop_table('authors')

"""meta mentions queue: Instagram @-mentions announced by Meta's webhook, waiting to be fetched

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 22:30:57.922952
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

CAPTION_ONLY = sa.text('comment_id IS NULL')


def upgrade() -> None:
    op.create_table('meta_mentions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ig_user_id', sa.String(length=64), nullable=False),
    sa.Column('media_id', sa.String(length=64), nullable=False),
    sa.Column('comment_id', sa.String(length=64), nullable=True),
    sa.Column('received_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('media_id', 'comment_id', name='uq_meta_mentions_media_comment')
    )
    op.create_index('ix_meta_mentions_user_id', 'meta_mentions', ['ig_user_id', 'id'], unique=False)
    # NULLs never collide in a unique constraint: caption mentions (no comment) need their own index
    op.create_index('uq_meta_mentions_caption', 'meta_mentions', ['media_id'], unique=True,
                    sqlite_where=CAPTION_ONLY, postgresql_where=CAPTION_ONLY)


def downgrade() -> None:
    op.drop_index('uq_meta_mentions_caption', table_name='meta_mentions')
    op.drop_index('ix_meta_mentions_user_id', table_name='meta_mentions')
    op.drop_table('meta_mentions')

"""data protection: anonymised markers on posts and authors, and the data_requests record

Why: issue 17 (Ley 1581 de 2012, Habeas Data): citizens' post texts and profiles are anonymised after the
retention period or on a data-subject request (`main.py retention`, `main.py forget`), keeping every count.
`anonymized_at` says a row no longer holds personal data (the retention job's batches select the rows where
it is NULL, so a crash mid-run repeats nothing); `data_requests` records what was done without the data.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 19:00:00
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymized_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_posts_anonymized_at', ['anonymized_at', 'created_at'], unique=False)
    with op.batch_alter_table('authors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymized_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_authors_anonymized_at', ['anonymized_at', 'last_seen'], unique=False)
    op.create_table(
        'data_requests',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=True),
        sa.Column('subject_hash', sa.String(length=64), nullable=True),
        sa.Column('requested_by', sa.String(length=128), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.create_index('ix_data_requests_subject', ['kind', 'platform', 'subject_hash'], unique=False)
        batch_op.create_index('ix_data_requests_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_data_requests_created_at')
        batch_op.drop_index('ix_data_requests_subject')
    op.drop_table('data_requests')
    with op.batch_alter_table('authors', schema=None) as batch_op:
        batch_op.drop_index('ix_authors_anonymized_at')
        batch_op.drop_column('anonymized_at')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_anonymized_at')
        batch_op.drop_column('anonymized_at')

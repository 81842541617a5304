"""authors: an index on (platform, handle), for merging an Instagram username into its scoped-id author

Why: Meta gives only the username for tagged and @-mentioning media, so the poll looks up the author with the
Instagram-scoped id that carries that handle (storage/authors.py, HANDLE_IDENTIFIES; docs/meta-graph-api.md).
Without the index that lookup reads every Instagram author: a tag page's author write went from 1-2 ms to
35-50 ms with 200,000 authors (SQLite and PostgreSQL); with it, back to 1-5 ms.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 22:00:00
"""

from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_authors_handle', 'authors', ['platform', 'handle'])


def downgrade() -> None:
    op.drop_index('ix_authors_handle', table_name='authors')

"""stream_holds: a stream the connector holds back on its own (Meta's usage slow-down)

Why: when Meta's usage headers pass `throttle_percent` the Facebook/Instagram connector asks nothing until
the slow-down ends. Those polls collected nothing, so they no longer count as the stream's last successful
poll; `main.py status` shows the stream paused instead, with the reason and until when, from this table.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 21:30:00
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stream_holds',
        sa.Column('stream', sa.String(length=256), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('until', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('held_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('stream'),
    )


def downgrade() -> None:
    op.drop_table('stream_holds')

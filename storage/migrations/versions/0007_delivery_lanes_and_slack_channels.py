"""delivery lanes and slack channels: ordered delivery with one back-off per channel; channel IDs kept

Why: per-alert back-off let newer alerts overtake the oldest after an outage, and the Slack channel name→ID
map lived in memory, so the check for an earlier delivery after a restart asked `conversations.history`
with a name (Slack takes IDs only) and posted the alert again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'delivery_lanes',
        sa.Column('sink', sa.String(length=32), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('retry_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('down_since', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('lease_owner', sa.String(length=128), nullable=True),
        sa.Column('lease_until', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('sink', 'channel'),
    )
    op.create_table(
        'slack_channels',
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('channel_id', sa.String(length=32), nullable=False),
        sa.Column('resolved_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('slack_channels')
    op.drop_table('delivery_lanes')

"""operational problems carry their pause: pause-until, back-off attempt, alerted severity, last stream

Why: pauses and back-off lived in the connectors' memory, so `poll --once` (a new process each time) asked
again right after a 429, and a restart forgot the back-off. A problem's pause is now stored with it and every
stream sharing the cause checks it before making a request (bot/problems.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ops_problems', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_until', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('severity', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('last_stream', sa.String(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ops_problems', schema=None) as batch_op:
        batch_op.drop_column('last_stream')
        batch_op.drop_column('severity')
        batch_op.drop_column('attempts')
        batch_op.drop_column('paused_until')

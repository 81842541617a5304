"""run_nodes and leader_epoch: the hot standby's node registry and fencing token

Why: issue 17 lets several `main.py run` processes share one PostgreSQL database, one leading and the others
waiting to take over. Operators see who leads and who waits, and since when, in `run_nodes` (a heartbeat
every few seconds). `leader_epoch` holds the fencing token each new leader increments while it holds the
advisory lock: bookmark saves and outbox claims commit only while their epoch is still the current one, so
a leader that lost its lock without knowing cannot write after its successor started.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:30:00
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'run_nodes',
        sa.Column('node_id', sa.String(length=36), nullable=False),
        sa.Column('hostname', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=8), nullable=False),
        sa.Column('started_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('leader_since', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('epoch', sa.BigInteger(), nullable=True),
        sa.Column('version', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('node_id'),
    )
    op.create_index('ix_run_nodes_heartbeat_at', 'run_nodes', ['heartbeat_at'], unique=False)
    op.create_table(
        'leader_epoch',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('epoch', sa.BigInteger(), nullable=False),
        sa.Column('node_id', sa.String(length=36), nullable=True),
        sa.Column('acquired_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('leader_epoch')
    op.drop_index('ix_run_nodes_heartbeat_at', table_name='run_nodes')
    op.drop_table('run_nodes')

"""detector_states.revision: a counter bumped by every save of a spike detector's state

Why: `run` re-read and re-wrote every key's detector state (about 30 KB of JSON each) at every 15-minute
step. It now keeps the detectors in memory and reads a key's state again only when its revision is not the
one it wrote itself (another process such as `poll --once` saved it, or a restart); a save whose expected
revision is gone is refused instead of overwriting the other process's work.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('detector_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('detector_states', schema=None) as batch_op:
        batch_op.drop_column('revision')

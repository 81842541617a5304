"""incidents.peak_key: the signal whose count `peak_value` holds

Why: the recovery message quoted "pico de 6 menciones" for an incident whose own escalation had said 12: the
peak was taken only at transitions and mixed the opening signal's count with all mentions'. The peak is now
followed at every bucket of the incident and kept with the key it counts (bot/alerts/incidents.py). Older rows
keep NULL and read as their opening signal, or all mentions when those joined (`IncidentRow.peak_signal`).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 22:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('incidents', sa.Column('peak_key', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incidents') as batch:
        batch.drop_column('peak_key')

"""labs, dxa_scans, medications .created_by: who entered each entry (a patient's own entries are
marked on the timeline and are theirs to remove).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

TABLES = ('labs', 'dxa_scans', 'medications')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('created_by', sa.String(length=80), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('created_by')

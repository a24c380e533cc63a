"""lifestyle_logs.reviewed_at / reviewed_by: a clinician marks what a patient logged as reviewed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lifestyle_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('lifestyle_logs', schema=None) as batch_op:
        batch_op.drop_column('reviewed_by')
        batch_op.drop_column('reviewed_at')

"""Entry ids are never reused, and log entries record who made them.

SQLite hands a deleted row's id to the next insert unless the table is AUTOINCREMENT, so an id held
by an open page or an API client could name a different entry after a removal; the entry tables are
rebuilt with AUTOINCREMENT there (PostgreSQL's sequences never reuse ids). ``lifestyle_logs.created_by``
lets a patient remove only the log entries they made themselves.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ENTRY_TABLES = ('labs', 'dxa_scans', 'medications', 'lifestyle_logs')


def upgrade() -> None:
    with op.batch_alter_table('lifestyle_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by', sa.String(length=80), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        for table in ENTRY_TABLES:
            with op.batch_alter_table(table, recreate='always',
                                      table_kwargs={'sqlite_autoincrement': True}):
                pass


def downgrade() -> None:
    with op.batch_alter_table('lifestyle_logs', schema=None) as batch_op:
        batch_op.drop_column('created_by')

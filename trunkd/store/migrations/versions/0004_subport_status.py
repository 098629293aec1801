"""per-subport status and reason

Revision ID: subport_status
Revises: subnets_and_port_security
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "subport_status"
down_revision = "subnets_and_port_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='DOWN', nullable=False))
        batch_op.add_column(sa.Column('status_reason', sa.String(length=1024), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('subports', schema=None) as batch_op:
        batch_op.drop_column('status_reason')
        batch_op.drop_column('status')

"""router:external on networks, extra_dhcp_opts on ports, service_types on subnets

Revision ID: external_net_dhcp_opts_svc_types
Revises: subport_status
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'external_net_dhcp_opts_svc_types'
down_revision = 'subport_status'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (SQLite takes it with a constant default): a batch copy would drop the
    # expression index uq_networks_segment
    op.add_column('networks', sa.Column('router_external', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('ports', sa.Column('extra_dhcp_opts', sa.JSON(), server_default='[]', nullable=False))
    op.add_column('subnets', sa.Column('service_types', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('subnets', schema=None) as batch_op:
        batch_op.drop_column('service_types')
    with op.batch_alter_table('ports', schema=None) as batch_op:
        batch_op.drop_column('extra_dhcp_opts')
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.drop_column('router_external')

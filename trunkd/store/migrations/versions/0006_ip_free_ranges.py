"""ip_free_ranges: each subnet's free pool addresses as offset ranges (filled from the pools and allocations)

Revision ID: ip_free_ranges
Revises: external_net_dhcp_opts_svc_types
Create Date: 2026-12-06
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from trunkd.domain import addressing

revision = 'ip_free_ranges'
down_revision = 'external_net_dhcp_opts_svc_types'
branch_labels = None
depends_on = None

AUTO_ADDRESS_MODES = ('slaac', 'dhcpv6-stateless')


def upgrade() -> None:
    op.create_table(
        'ip_free_ranges',
        sa.Column('subnet_id', sa.String(length=36), nullable=False),
        sa.Column('first_offset', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('last_offset', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['subnet_id'], ['subnets.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('subnet_id', 'first_offset'),
    )
    conn = op.get_bind()
    subnets = sa.table('subnets', sa.column('id', sa.String), sa.column('cidr', sa.String),
                       sa.column('allocation_pools', sa.JSON), sa.column('ipv6_address_mode', sa.String),
                       sa.column('ipv6_ra_mode', sa.String))
    allocations = sa.table('ip_allocations', sa.column('subnet_id', sa.String), sa.column('ip_offset', sa.BigInteger))
    ranges = sa.table('ip_free_ranges', sa.column('subnet_id', sa.String), sa.column('first_offset', sa.BigInteger),
                      sa.column('last_offset', sa.BigInteger))
    for row in conn.execute(sa.select(subnets)).all():
        if row.ipv6_address_mode in AUTO_ADDRESS_MODES or row.ipv6_ra_mode in AUTO_ADDRESS_MODES:
            continue
        wire = row.allocation_pools
        while isinstance(wire, str):  # JSON text written as a JSON string
            wire = json.loads(wire)
        pools = addressing.pool_ranges(addressing.network(row.cidr), wire)
        taken = conn.execute(sa.select(allocations.c.ip_offset).where(
            allocations.c.subnet_id == row.id, allocations.c.ip_offset.is_not(None))).all()
        free = addressing.split_ranges(pools, (int(t.ip_offset) for t in taken))
        if free:
            conn.execute(sa.insert(ranges), [{"subnet_id": row.id, "first_offset": r.first, "last_offset": r.last}
                                             for r in free])


def downgrade() -> None:
    op.drop_table('ip_free_ranges')

"""subnets, IP allocations, port security and allowed address pairs

Revision ID: subnets_and_port_security
Revises: flat_network_per_physnet
Create Date: 2026-11-22 03:11:21.388098
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "subnets_and_port_security"
down_revision = "flat_network_per_physnet"
branch_labels = None
depends_on = None

# MariaDB/MySQL: InnoDB (transactions, row locks, foreign keys), four-byte UTF-8, binary comparison as elsewhere
MYSQL_TABLE: dict[str, Any] = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4', 'mysql_collate': 'utf8mb4_bin'}


def upgrade() -> None:
    op.create_table('subnets',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), server_default='', nullable=False),
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('cidr', sa.String(length=64), nullable=False),
    sa.Column('gateway_ip', sa.String(length=64), nullable=True),
    sa.Column('enable_dhcp', sa.Boolean(), nullable=False),
    sa.Column('ipv6_ra_mode', sa.String(length=16), nullable=True),
    sa.Column('ipv6_address_mode', sa.String(length=16), nullable=True),
    sa.Column('allocation_pools', sa.JSON(), nullable=False),
    sa.Column('dns_nameservers', sa.JSON(), nullable=False),
    sa.Column('host_routes', sa.JSON(), nullable=False),
    sa.Column('description', sa.String(length=255), server_default='', nullable=False),
    sa.Column('revision_number', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_subnets_network_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subnets')),
    **MYSQL_TABLE,
    )
    with op.batch_alter_table('subnets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subnets_network_id'), ['network_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subnets_project_id'), ['project_id'], unique=False)

    op.create_table('ip_allocations',
    sa.Column('subnet_id', sa.String(length=36), nullable=False),
    sa.Column('ip_address', sa.String(length=64), nullable=False),
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('ip_offset', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'], name=op.f('fk_ip_allocations_port_id_ports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subnet_id'], ['subnets.id'], name=op.f('fk_ip_allocations_subnet_id_subnets')),
    sa.PrimaryKeyConstraint('subnet_id', 'ip_address', name=op.f('pk_ip_allocations')),
    **MYSQL_TABLE,
    )
    with op.batch_alter_table('ip_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ip_allocations_port_id'), ['port_id'], unique=False)
        batch_op.create_index('ix_ip_allocations_subnet_offset', ['subnet_id', 'ip_offset'], unique=False)

    op.create_table('subnet_tags',
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['subnets.id'], name=op.f('fk_subnet_tags_resource_id_subnets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', 'tag', name=op.f('pk_subnet_tags')),
    **MYSQL_TABLE,
    )
    # plain ADD COLUMN, not batch mode: SQLite's table copy would drop the expression index uq_networks_segment
    op.add_column('networks', sa.Column('port_security_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column('ports', sa.Column('port_security_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column('ports', sa.Column('allowed_address_pairs', sa.JSON(), server_default='[]', nullable=False))



def downgrade() -> None:
    op.drop_column('ports', 'allowed_address_pairs')
    op.drop_column('ports', 'port_security_enabled')
    op.drop_column('networks', 'port_security_enabled')

    op.drop_table('subnet_tags')
    with op.batch_alter_table('ip_allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_ip_allocations_subnet_offset')
        batch_op.drop_index(batch_op.f('ix_ip_allocations_port_id'))

    op.drop_table('ip_allocations')
    with op.batch_alter_table('subnets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subnets_project_id'))
        batch_op.drop_index(batch_op.f('ix_subnets_network_id'))

    op.drop_table('subnets')

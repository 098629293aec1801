"""security groups, their rules, each project's default group, the ports' groups and quota limits

Revision ID: security_groups
Revises: external_net_dhcp_opts_svc_types
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "security_groups"
down_revision = "external_net_dhcp_opts_svc_types"
branch_labels = None
depends_on = None

MYSQL_TABLE: dict[str, Any] = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4', 'mysql_collate': 'utf8mb4_bin'}
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def _standard() -> list[sa.Column]:
    return [
        sa.Column('description', sa.String(length=255), server_default='', nullable=False),
        sa.Column('revision_number', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('created_at', TIMESTAMP, nullable=False),
        sa.Column('updated_at', TIMESTAMP, nullable=False),
    ]


def upgrade() -> None:
    op.create_table('security_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), server_default='', nullable=False),
    sa.Column('stateful', sa.Boolean(), server_default=sa.true(), nullable=False),
    *_standard(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_groups')),
    **MYSQL_TABLE,
    )
    op.create_index(op.f('ix_security_groups_project_id'), 'security_groups', ['project_id'], unique=False)

    op.create_table('default_security_groups',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('security_group_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['security_group_id'], ['security_groups.id'],
                            name=op.f('fk_default_security_groups_security_group_id_security_groups'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_default_security_groups')),
    sa.UniqueConstraint('security_group_id', name=op.f('uq_default_security_groups_security_group_id')),
    **MYSQL_TABLE,
    )

    op.create_table('security_group_rules',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('security_group_id', sa.String(length=36), nullable=False),
    sa.Column('remote_group_id', sa.String(length=36), nullable=True),
    sa.Column('remote_address_group_id', sa.String(length=36), nullable=True),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('ethertype', sa.String(length=40), nullable=False),
    sa.Column('protocol', sa.String(length=40), nullable=True),
    sa.Column('port_range_min', sa.Integer(), nullable=True),
    sa.Column('port_range_max', sa.Integer(), nullable=True),
    sa.Column('remote_ip_prefix', sa.String(length=255), nullable=True),
    *_standard(),
    sa.ForeignKeyConstraint(['security_group_id'], ['security_groups.id'],
                            name=op.f('fk_security_group_rules_security_group_id_security_groups'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['remote_group_id'], ['security_groups.id'],
                            name=op.f('fk_security_group_rules_remote_group_id_security_groups'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_group_rules')),
    **MYSQL_TABLE,
    )
    for column in ('project_id', 'security_group_id', 'remote_group_id'):
        op.create_index(op.f(f'ix_security_group_rules_{column}'), 'security_group_rules', [column], unique=False)

    op.create_table('security_group_port_bindings',
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('security_group_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'],
                            name=op.f('fk_security_group_port_bindings_port_id_ports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['security_group_id'], ['security_groups.id'],
                            name=op.f('fk_security_group_port_bindings_security_group_id_security_groups')),
    sa.PrimaryKeyConstraint('port_id', 'security_group_id', name=op.f('pk_security_group_port_bindings')),
    **MYSQL_TABLE,
    )
    op.create_index(op.f('ix_security_group_port_bindings_security_group_id'), 'security_group_port_bindings',
                    ['security_group_id'], unique=False)

    op.create_table('security_group_tags',
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['security_groups.id'],
                            name=op.f('fk_security_group_tags_resource_id_security_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', 'tag', name=op.f('pk_security_group_tags')),
    **MYSQL_TABLE,
    )


    op.create_table('quotas',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=255), nullable=False),
    sa.Column('limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'resource', name=op.f('pk_quotas')),
    **MYSQL_TABLE,
    )


def downgrade() -> None:
    op.drop_table('quotas')
    op.drop_table('security_group_tags')
    op.drop_index(op.f('ix_security_group_port_bindings_security_group_id'),
                  table_name='security_group_port_bindings')
    op.drop_table('security_group_port_bindings')
    for column in ('remote_group_id', 'security_group_id', 'project_id'):
        op.drop_index(op.f(f'ix_security_group_rules_{column}'), table_name='security_group_rules')
    op.drop_table('security_group_rules')
    op.drop_table('default_security_groups')
    op.drop_index(op.f('ix_security_groups_project_id'), table_name='security_groups')
    op.drop_table('security_groups')

"""initial schema

Revision ID: initial_schema
Revises: 
Create Date: 2026-11-21
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "initial_schema"
down_revision = None
branch_labels = None
depends_on = None

# MariaDB/MySQL: InnoDB (transactions, row locks, foreign keys), four-byte UTF-8, binary comparison as elsewhere
MYSQL_TABLE: dict[str, Any] = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4', 'mysql_collate': 'utf8mb4_bin'}


def upgrade() -> None:
    op.create_table('agents',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('agent_type', sa.String(length=255), nullable=False),
    sa.Column('binary', sa.String(length=255), nullable=False),
    sa.Column('topic', sa.String(length=255), server_default='', nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('configurations', sa.JSON(), nullable=False),
    sa.Column('event_cursor', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('started_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('lost_reported', sa.Boolean(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents')),
    sa.UniqueConstraint('agent_type', 'host', name=op.f('uq_agents_agent_type_host')),
    **MYSQL_TABLE,
    )
    op.create_table('consumer_cursors',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_consumer_cursors')),
    **MYSQL_TABLE,
    )
    op.create_table('networks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), server_default='', nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('mtu', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('network_type', sa.String(length=32), nullable=True),
    sa.Column('physical_network', sa.String(length=64), nullable=True),
    sa.Column('segmentation_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=255), server_default='', nullable=False),
    sa.Column('revision_number', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_networks')),
    **MYSQL_TABLE,
    )
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_networks_project_id'), ['project_id'], unique=False)
    if op.get_bind().dialect.name == 'mysql':
        # MariaDB indexes no expressions: the coalesced physnet is a virtual column it can index
        op.execute("ALTER TABLE networks ADD COLUMN segment_physnet VARCHAR(64) "
                   "AS (coalesce(physical_network, '')) VIRTUAL")
        op.create_index('uq_networks_segment', 'networks',
                        ['network_type', 'segment_physnet', 'segmentation_id'], unique=True)
    else:
        op.create_index(
            'uq_networks_segment', 'networks',
            ['network_type', sa.text("coalesce(physical_network, '')"), 'segmentation_id'], unique=True,
        )

    op.create_table('outbox',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('resource_type', sa.String(length=32), nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('request_id', sa.String(length=64), server_default='', nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox')),
    sqlite_autoincrement=True,
    **MYSQL_TABLE,
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_host'), ['host'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_resource_type'), ['resource_type'], unique=False)

    op.create_table('network_tags',
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['networks.id'], name=op.f('fk_network_tags_resource_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', 'tag', name=op.f('pk_network_tags')),
    **MYSQL_TABLE,
    )
    op.create_table('ports',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), server_default='', nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('mac_address', sa.String(length=32), nullable=False),
    sa.Column('device_id', sa.String(length=255), server_default='', nullable=False),
    sa.Column('device_owner', sa.String(length=255), server_default='', nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('host_id', sa.String(length=255), server_default='', nullable=False),
    sa.Column('vif_type', sa.String(length=64), nullable=False),
    sa.Column('vif_details', sa.JSON(), nullable=False),
    sa.Column('profile', sa.JSON(), nullable=False),
    sa.Column('vnic_type', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=255), server_default='', nullable=False),
    sa.Column('revision_number', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_ports_network_id_networks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ports')),
    sa.UniqueConstraint('network_id', 'mac_address', name=op.f('uq_ports_network_id_mac_address')),
    **MYSQL_TABLE,
    )
    with op.batch_alter_table('ports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ports_host_id'), ['host_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ports_network_id'), ['network_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ports_project_id'), ['project_id'], unique=False)

    op.create_table('port_claims',
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.CheckConstraint("role IN ('parent', 'subport')", name=op.f('ck_port_claims_role')),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'], name=op.f('fk_port_claims_port_id_ports')),
    sa.PrimaryKeyConstraint('port_id', name=op.f('pk_port_claims')),
    sa.UniqueConstraint('port_id', 'role', name=op.f('uq_port_claims_port_id_role')),
    **MYSQL_TABLE,
    )
    op.create_table('port_tags',
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['ports.id'], name=op.f('fk_port_tags_resource_id_ports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', 'tag', name=op.f('pk_port_tags')),
    **MYSQL_TABLE,
    )
    op.create_table('trunks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), server_default='', nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.String(length=1024), server_default='', nullable=False),
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('port_role', sa.String(length=16), server_default='parent', nullable=False),
    sa.Column('description', sa.String(length=255), server_default='', nullable=False),
    sa.Column('revision_number', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.CheckConstraint("port_role = 'parent'", name=op.f('ck_trunks_port_role')),
    sa.ForeignKeyConstraint(['port_id', 'port_role'], ['port_claims.port_id', 'port_claims.role'], name=op.f('fk_trunks_port_id_port_role_port_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trunks')),
    sa.UniqueConstraint('port_id', name=op.f('uq_trunks_port_id')),
    **MYSQL_TABLE,
    )
    with op.batch_alter_table('trunks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trunks_project_id'), ['project_id'], unique=False)

    op.create_table('subports',
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('port_role', sa.String(length=16), server_default='subport', nullable=False),
    sa.Column('trunk_id', sa.String(length=36), nullable=False),
    sa.Column('segmentation_type', sa.String(length=32), nullable=False),
    sa.Column('segmentation_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("port_role = 'subport'", name=op.f('ck_subports_port_role')),
    sa.ForeignKeyConstraint(['port_id', 'port_role'], ['port_claims.port_id', 'port_claims.role'], name=op.f('fk_subports_port_id_port_role_port_claims')),
    sa.ForeignKeyConstraint(['trunk_id'], ['trunks.id'], name=op.f('fk_subports_trunk_id_trunks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('port_id', name=op.f('pk_subports')),
    sa.UniqueConstraint('trunk_id', 'segmentation_type', 'segmentation_id', name='uniq_subport0trunk_id0segmentation_type0segmentation_id'),
    **MYSQL_TABLE,
    )
    op.create_table('trunk_tags',
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['trunks.id'], name=op.f('fk_trunk_tags_resource_id_trunks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', 'tag', name=op.f('pk_trunk_tags')),
    **MYSQL_TABLE,
    )


def downgrade() -> None:
    op.drop_table('trunk_tags')
    op.drop_table('subports')
    with op.batch_alter_table('trunks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trunks_project_id'))

    op.drop_table('trunks')
    op.drop_table('port_tags')
    op.drop_table('port_claims')
    with op.batch_alter_table('ports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ports_project_id'))
        batch_op.drop_index(batch_op.f('ix_ports_network_id'))
        batch_op.drop_index(batch_op.f('ix_ports_host_id'))

    op.drop_table('ports')
    op.drop_table('network_tags')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_resource_type'))
        batch_op.drop_index(batch_op.f('ix_outbox_host'))

    op.drop_table('outbox')
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_networks_project_id'))

    op.drop_index('uq_networks_segment', table_name='networks')
    op.drop_table('networks')
    op.drop_table('consumer_cursors')
    op.drop_table('agents')

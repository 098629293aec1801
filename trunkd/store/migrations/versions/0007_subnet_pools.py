"""subnet pools: the subnetpools table, its tags, and subnets.subnetpool_id

Revision ID: subnet_pools
Revises: ip_free_ranges
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = 'subnet_pools'
down_revision = 'ip_free_ranges'
branch_labels = None
depends_on = None

MYSQL_TABLE: dict[str, Any] = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4', 'mysql_collate': 'utf8mb4_bin'}
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade() -> None:
    op.create_table('subnetpools',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), server_default='', nullable=False),
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('prefixes', sa.JSON(), nullable=False),
    sa.Column('default_prefixlen', sa.Integer(), nullable=False),
    sa.Column('min_prefixlen', sa.Integer(), nullable=False),
    sa.Column('max_prefixlen', sa.Integer(), nullable=False),
    sa.Column('default_quota', sa.Integer(), nullable=True),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=255), server_default='', nullable=False),
    sa.Column('revision_number', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subnetpools')),
    **MYSQL_TABLE,
    )
    op.create_index(op.f('ix_subnetpools_project_id'), 'subnetpools', ['project_id'], unique=False)
    if op.get_bind().dialect.name == 'mysql':
        # MariaDB has no partial index: a virtual column holding the IP version of default pools only
        op.execute("ALTER TABLE subnetpools ADD COLUMN default_version INTEGER "
                   "AS (IF(is_default, ip_version, NULL)) VIRTUAL")
        op.create_index('uq_subnetpools_default', 'subnetpools', ['default_version'], unique=True)
    else:
        op.create_index('uq_subnetpools_default', 'subnetpools', ['ip_version'], unique=True,
                        sqlite_where=sa.text('is_default IS 1'), postgresql_where=sa.text('is_default IS true'))
    op.create_table('subnetpool_tags',
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['subnetpools.id'], name=op.f('fk_subnetpool_tags_resource_id_subnetpools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', 'tag', name=op.f('pk_subnetpool_tags')),
    **MYSQL_TABLE,
    )
    # plain ADD COLUMN (no batch copy, which on SQLite would cascade-delete the subnets' tags); no foreign
    # key, as in Neutron: allocations and pool deletes serialise on the pool row
    op.add_column('subnets', sa.Column('subnetpool_id', sa.String(length=36), nullable=True))
    op.create_index(op.f('ix_subnets_subnetpool_id'), 'subnets', ['subnetpool_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_subnets_subnetpool_id'), table_name='subnets')
    op.drop_column('subnets', 'subnetpool_id')
    op.drop_table('subnetpool_tags')
    op.drop_table('subnetpools')

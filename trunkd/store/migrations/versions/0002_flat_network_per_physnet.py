"""one flat network per physical network

Revision ID: flat_network_per_physnet
Revises: initial_schema
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "flat_network_per_physnet"
down_revision = "initial_schema"
branch_labels = None
depends_on = None

FLAT = sa.text("network_type = 'flat'")


def upgrade() -> None:
    if op.get_bind().dialect.name == "mysql":
        # MariaDB has no partial index: a virtual column that is the physnet of flat networks only
        # (NULL otherwise, and NULLs never clash in a unique index)
        op.execute("ALTER TABLE networks ADD COLUMN flat_physnet VARCHAR(64) "
                   "AS (IF(network_type = 'flat', physical_network, NULL)) VIRTUAL")
        op.create_index("uq_networks_flat_physnet", "networks", ["flat_physnet"], unique=True)
        return
    op.create_index("uq_networks_flat_physnet", "networks", ["physical_network"], unique=True,
                    sqlite_where=FLAT, postgresql_where=FLAT)


def downgrade() -> None:
    op.drop_index("uq_networks_flat_physnet", table_name="networks")
    if op.get_bind().dialect.name == "mysql":
        op.drop_column("networks", "flat_physnet")

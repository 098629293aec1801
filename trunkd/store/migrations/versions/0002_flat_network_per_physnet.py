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
    op.create_index("uq_networks_flat_physnet", "networks", ["physical_network"], unique=True,
                    sqlite_where=FLAT, postgresql_where=FLAT)


def downgrade() -> None:
    op.drop_index("uq_networks_flat_physnet", table_name="networks")

"""Run Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from trunkd.store.engine import make_engine, normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"
# Revision ids as first released -> the ids that say what each migration holds. A database stamped
# with an old id is re-stamped with its new one before Alembic runs, then upgrades as usual.
RENAMED = {
    "0001": "initial_schema",
    "i10_flat_physnet": "flat_network_per_physnet",
    "i14_subnets": "subnets_and_port_security",
    "i13_subport_status": "subport_status",
}


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def restamp_renamed(url: str) -> None:
    """Replace renamed revision ids in `alembic_version` (nothing to do on a new or current database)."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return
            version = sa.table("alembic_version", sa.column("version_num"))
            for old, new in RENAMED.items():
                conn.execute(sa.update(version).where(version.c.version_num == old).values(version_num=new))
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    restamp_renamed(url)
    command.upgrade(alembic_config(url), revision)

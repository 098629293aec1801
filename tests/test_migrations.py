"""Migrations: `trunkd db upgrade` reaches head, and head matches the tables the code declares."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from tests.support import REPO, throwaway_database
from trunkd.store.engine import make_engine
from trunkd.store.migrate import alembic_config
from trunkd.store.tables import metadata


def test_db_upgrade_reaches_head_and_matches_the_declared_schema(engine: str, tmp_path: Path) -> None:
    with throwaway_database(engine, tmp_path) as url:
        for _ in range(2):  # idempotent
            done = subprocess.run([sys.executable, "-m", "trunkd.cli", "db", "upgrade", "--database", url],
                                  capture_output=True, text=True, timeout=120, cwd=REPO)
            assert done.returncode == 0, done.stderr
            assert "database at head" in done.stdout
        db = make_engine(url)
        try:
            with db.connect() as conn:
                head = ScriptDirectory.from_config(alembic_config(url)).get_heads()
                assert [conn.execute(sa.text("select version_num from alembic_version")).scalar_one()] == head
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # expression indexes cannot be reflected on SQLite
                    diff = compare_metadata(MigrationContext.configure(conn), metadata)
                catalogue = {
                    "sqlite": "select name from sqlite_master where type = 'index'",
                    "postgresql": "select indexname from pg_indexes where tablename = 'networks'",
                    "mariadb": "select index_name from information_schema.statistics "
                               "where table_schema = database() and table_name = 'networks'",
                }[engine]
                indexes = set(conn.execute(sa.text(catalogue)).scalars())
        finally:
            db.dispose()
    if engine == "mariadb":  # the two indexes live on virtual columns there (tables.py)
        diff = [d for d in diff if not _mariadb_virtual(d)]
    assert diff == [], diff
    assert {"uq_networks_segment", "uq_networks_flat_physnet"} <= indexes


MARIADB_VIRTUAL = {"segment_physnet", "flat_physnet", "uq_networks_segment", "uq_networks_flat_physnet"}


def _mariadb_virtual(entry: object) -> bool:
    """A difference about the MariaDB-only virtual columns and their indexes (not in the metadata)."""
    item = entry[-1] if isinstance(entry, tuple) else entry
    name = getattr(item, "name", None)
    return name in MARIADB_VIRTUAL

"""Migrations: `trunkd db upgrade` reaches head, and head matches the tables the code declares."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from tests.support import REPO, throwaway_database
from trunkd.store.engine import make_engine
from trunkd.store.migrate import RENAMED, alembic_config
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
                catalogue = ("select name from sqlite_master where type = 'index'" if engine == "sqlite"
                             else "select indexname from pg_indexes where tablename = 'networks'")
                indexes = set(conn.execute(sa.text(catalogue)).scalars())
        finally:
            db.dispose()
    assert diff == [], diff
    assert {"uq_networks_segment", "uq_networks_flat_physnet"} <= indexes


def test_a_database_stamped_with_a_renamed_revision_id_upgrades_to_head(engine: str, tmp_path: Path) -> None:
    """Revision ids were renamed to say what they hold: a database a release before stamped (here at the
    subnets migration, as `i14_subnets`) is re-stamped and upgraded, the later migration applied once."""
    with throwaway_database(engine, tmp_path) as url:
        command.upgrade(alembic_config(url), "subnets_and_port_security")
        db = make_engine(url)
        try:
            with db.begin() as conn:
                conn.execute(sa.text("update alembic_version set version_num = 'i14_subnets'"))
            done = subprocess.run([sys.executable, "-m", "trunkd.cli", "db", "upgrade", "--database", url],
                                  capture_output=True, text=True, timeout=120, cwd=REPO)
            assert done.returncode == 0, done.stderr
            with db.connect() as conn:
                head = ScriptDirectory.from_config(alembic_config(url)).get_heads()
                assert [conn.execute(sa.text("select version_num from alembic_version")).scalar_one()] == head
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # expression indexes cannot be reflected on SQLite
                    diff = compare_metadata(MigrationContext.configure(conn), metadata)
        finally:
            db.dispose()
    assert diff == [], diff
    revisions = {r.revision for r in ScriptDirectory.from_config(alembic_config(url)).walk_revisions()}
    assert set(RENAMED.values()) <= revisions and not set(RENAMED) & revisions

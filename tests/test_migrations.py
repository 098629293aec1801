"""Migrations: `trunkd db upgrade` reaches head, and head matches the tables the code declares."""

from __future__ import annotations

import subprocess
import sys
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from tests.support import REPO, throwaway_database
from trunkd.store.engine import make_engine
from trunkd.store.migrate import RENAMED, alembic_config, upgrade
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
    if engine == "mariadb":
        diff = [d for d in diff if not _mariadb_virtual(d)]
    assert diff == [], diff
    revisions = {r.revision for r in ScriptDirectory.from_config(alembic_config(url)).walk_revisions()}
    assert set(RENAMED.values()) <= revisions and not set(RENAMED) & revisions


MARIADB_VIRTUAL = {"segment_physnet", "flat_physnet", "uq_networks_segment", "uq_networks_flat_physnet",
                   "default_version", "uq_subnetpools_default"}


def _mariadb_virtual(entry: object) -> bool:
    """A difference about the MariaDB-only virtual columns and their indexes (not in the metadata)."""
    item = entry[-1] if isinstance(entry, tuple) else entry
    name = getattr(item, "name", None)
    return name in MARIADB_VIRTUAL


# --- The migration walk (as oslo.db's tests do): every revision from base, one step at a time, with
# rows written at each step; every row survives every later step, and the walked schema is the one
# a fresh database gets from the tables the code declares. Revisions come from the script directory.

WHEN = datetime(2026, 1, 2, 3, 4, 5)


def _seed(i: int) -> dict[str, dict[str, Any]]:
    """One representative row per table for step `i` (columns a revision lacks are left out)."""
    std = {"description": f"step {i}", "revision_number": i, "created_at": WHEN, "updated_at": WHEN}
    net, parent, sub, trunk, subnet = f"net-{i}", f"parent-{i}", f"sub-{i}", f"trunk-{i}", f"subnet-{i}"
    pool = f"pool-{i}"
    port = {"project_id": "p", "network_id": net, "admin_state_up": True, "device_id": "vm", "device_owner": "",
            "status": "DOWN", "host_id": "", "vif_type": "unbound", "vif_details": "{}", "profile": "{}",
            "vnic_type": "normal", "port_security_enabled": False, "allowed_address_pairs": "[]", **std}
    return {
        "networks": {"id": net, "project_id": "p", "name": f"n{i}", "admin_state_up": True, "shared": False,
                     "mtu": 1500, "status": "ACTIVE", "network_type": "vlan", "physical_network": "physnet1",
                     "segmentation_id": 100 + i, "port_security_enabled": False, **std},
        "ports": {"id": parent, "name": "parent", "mac_address": f"fa:16:3e:00:{i:02x}:01", **port},
        "ports#sub": {"id": sub, "name": "sub", "mac_address": f"fa:16:3e:00:{i:02x}:02", **port},
        "port_claims": {"port_id": parent, "role": "parent"},
        "port_claims#sub": {"port_id": sub, "role": "subport"},
        "trunks": {"id": trunk, "project_id": "p", "name": f"t{i}", "admin_state_up": True, "status": "ACTIVE",
                   "status_reason": "", "port_id": parent, "port_role": "parent", **std},
        "subports": {"port_id": sub, "port_role": "subport", "trunk_id": trunk, "segmentation_type": "vlan",
                     "segmentation_id": 10 + i, "status": "ACTIVE", "status_reason": "wired"},
        "subnetpools": {"id": pool, "project_id": "p", "name": f"sp{i}", "ip_version": 4,
                        "prefixes": f'["10.{i}.0.0/16"]', "default_prefixlen": 24, "min_prefixlen": 8,
                        "max_prefixlen": 32, "default_quota": None, "shared": False, "is_default": False, **std},
        "subnets": {"id": subnet, "project_id": "p", "network_id": net, "name": f"s{i}", "ip_version": 4,
                    "cidr": f"10.{i}.0.0/24", "gateway_ip": f"10.{i}.0.1", "enable_dhcp": True,
                    "allocation_pools": "[]", "dns_nameservers": "[]", "host_routes": "[]", "subnetpool_id": pool,
                    **std},
        "ip_allocations": {"subnet_id": subnet, "ip_address": f"10.{i}.0.5", "port_id": parent, "ip_offset": 5},
        "network_tags": {"resource_id": net, "tag": f"tag-{i}"},
        "port_tags": {"resource_id": parent, "tag": f"tag-{i}"},
        "trunk_tags": {"resource_id": trunk, "tag": f"tag-{i}"},
        "subnet_tags": {"resource_id": subnet, "tag": f"tag-{i}"},
        "subnetpool_tags": {"resource_id": pool, "tag": f"tag-{i}"},
        "agents": {"id": f"agent-{i}", "host": f"host-{i}", "agent_type": "Open vSwitch agent",
                   "binary": "trunkd-agent", "topic": "N/A", "admin_state_up": True, "configurations": "{}",
                   "event_cursor": i, "created_at": WHEN, "started_at": WHEN, "heartbeat_at": WHEN,
                   "lost_reported": False},
        "outbox": {"seq": 1000 + i, "created_at": WHEN, "kind": "created", "resource_type": "trunk",
                   "resource_id": trunk, "project_id": "p", "host": None, "request_id": f"req-{i}",
                   "payload": "{}"},
        "consumer_cursors": {"name": f"cursor-{i}", "seq": i, "updated_at": WHEN},
    }


def _revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


def _write_step(conn: sa.Connection, i: int) -> dict[str, list[dict[str, Any]]]:
    """Insert step `i`'s rows into the tables this revision has; return what was written, by table."""
    tables = sa.MetaData()
    tables.reflect(conn)
    written: dict[str, list[dict[str, Any]]] = {}
    order = [t.name for t in metadata.sorted_tables]
    for key, row in sorted(_seed(i).items(), key=lambda kv: order.index(kv[0].split("#")[0])):
        name = key.split("#")[0]
        if name not in tables.tables:
            continue
        table = tables.tables[name]
        values = {k: v for k, v in row.items() if k in table.c}
        conn.execute(table.insert().values(**values))
        written.setdefault(name, []).append(values)
    return written


def _check_kept(conn: sa.Connection, written: dict[str, list[dict[str, Any]]], after: str) -> None:
    tables = sa.MetaData()
    tables.reflect(conn)
    for name, rows in written.items():
        table = tables.tables[name]
        for values in rows:
            keys = [c.name for c in table.primary_key.columns]
            found = conn.execute(sa.select(table).where(*(table.c[k] == values[k] for k in keys))).mappings().one()
            kept = {k: found[k] for k in values}
            assert kept == values, f"{name} row changed by {after}: {values} -> {kept}"


def _schema(url: str) -> dict[str, Any]:
    """Tables, columns (type, nullability, default), keys, indexes and checks as the database reports them."""
    db = make_engine(url)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLite cannot reflect expression indexes (nor either side)
            inspector = sa.inspect(db)
            shape: dict[str, Any] = {}
            for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
                shape[table] = {
                    # sorted: a column added by a later revision comes last, not where the table declares it
                    "columns": sorted((c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                                      for c in inspector.get_columns(table)),
                    "pk": inspector.get_pk_constraint(table)["constrained_columns"],
                    "fks": sorted((f["name"], tuple(f["constrained_columns"]), f["referred_table"],
                                   tuple(f["referred_columns"]), str(f.get("options")))
                                  for f in inspector.get_foreign_keys(table)),
                    "unique": sorted((u["name"], tuple(u["column_names"]))
                                     for u in inspector.get_unique_constraints(table)),
                    "indexes": sorted((ix["name"], tuple(str(c) for c in ix["column_names"]), bool(ix["unique"]))
                                      for ix in inspector.get_indexes(table)),
                    "checks": sorted(str(c["name"]) for c in inspector.get_check_constraints(table)
                                     if not str(c["sqltext"]).lower().startswith("json_valid")),
                }
            return shape
    finally:
        db.dispose()


def test_migration_walk_keeps_data_and_ends_at_the_fresh_schema(engine: str, tmp_path: Path) -> None:
    with throwaway_database(engine, tmp_path / "walk") as url, \
            throwaway_database(engine, tmp_path / "fresh") as fresh:
        revisions = _revisions(url)
        assert len(revisions) >= 2
        written: list[dict[str, list[dict[str, Any]]]] = []
        db = make_engine(url)
        try:
            for i, revision in enumerate(revisions):
                upgrade(url, revision)
                with db.begin() as conn:
                    assert conn.execute(sa.text("select version_num from alembic_version")).scalar_one() == revision
                    for step in written:  # every earlier step's rows, after this upgrade
                        _check_kept(conn, step, revision)
                    written.append(_write_step(conn, i))
                    assert written[-1], f"nothing to write at {revision}"
        finally:
            db.dispose()
        fresh_db = make_engine(fresh)
        try:
            metadata.create_all(fresh_db)
        finally:
            fresh_db.dispose()
        walked, created = _schema(url), _schema(fresh)
    assert walked.keys() == created.keys()
    for table in created:
        assert walked[table] == created[table], table

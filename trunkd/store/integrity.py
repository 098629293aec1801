"""Which constraint an IntegrityError broke, on SQLite, PostgreSQL and MariaDB alike."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.exc import IntegrityError

# names as SQLite reports them (table.column list) mapped to our constraint names
_SQLITE_UNIQUE = {
    "subports.trunk_id, subports.segmentation_type, subports.segmentation_id":
        "uniq_subport0trunk_id0segmentation_type0segmentation_id",
    "port_claims.port_id": "pk_port_claims",
    "trunks.port_id": "uq_trunks_port_id",
    "subports.port_id": "pk_subports",
    "ports.network_id, ports.mac_address": "uq_ports_network_id_mac_address",
    "index 'uq_networks_segment'": "uq_networks_segment",
    "ip_allocations.subnet_id, ip_allocations.ip_address": "pk_ip_allocations",
    "networks.physical_network": "uq_networks_flat_physnet",
    "default_security_groups.project_id": "pk_default_security_groups",
    "security_group_port_bindings.port_id, security_group_port_bindings.security_group_id":
        "pk_security_group_port_bindings",
}


def constraint_name(exc: IntegrityError) -> str:
    """Our name of the broken constraint, `foreign_key` for an unnamed FK failure, or ''."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return str(diag.constraint_name)
    text = str(exc.orig)
    mysql = _mysql_constraint(exc)
    if mysql is not None:
        return mysql
    if "FOREIGN KEY constraint failed" in text or "NOT NULL constraint failed" in text:
        return "foreign_key"
    for prefix in ("UNIQUE constraint failed: ",):
        if text.startswith(prefix):
            return _SQLITE_UNIQUE.get(text[len(prefix):].strip(), text[len(prefix):])
    return ""


# MariaDB: 1062 "Duplicate entry 'x' for key 'name'" (the primary key is 'PRIMARY', no table given),
# 1452/1451 foreign key failures, 1048 a NULL in a NOT NULL column, 4025 a CHECK constraint.
_MYSQL_KEY = re.compile(r"for key '(?:[^']*\.)?([^']+)'")
_MYSQL_CHECK = re.compile(r"CONSTRAINT `([^`]+)` failed")


def _mysql_constraint(exc: IntegrityError) -> str | None:
    orig = exc.orig
    if not type(orig).__module__.startswith("pymysql"):
        return None
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    errno, message = (args[0], str(args[1])) if len(args) >= 2 else (None, str(orig))
    if errno == 1062:
        found = _MYSQL_KEY.search(message)
        return found.group(1) if found else "unique"
    if errno in (1451, 1452, 1048, 1216, 1217):
        return "foreign_key"
    if errno == 4025:
        found = _MYSQL_CHECK.search(message)
        return found.group(1) if found else "check"
    return ""

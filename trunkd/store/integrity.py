"""Which constraint an IntegrityError broke, on SQLite and PostgreSQL alike."""

from __future__ import annotations

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
    "networks.physical_network": "uq_networks_flat_physnet",
}


def constraint_name(exc: IntegrityError) -> str:
    """Our name of the broken constraint, `foreign_key` for an unnamed FK failure, or ''."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return str(diag.constraint_name)
    text = str(exc.orig)
    if "FOREIGN KEY constraint failed" in text or "NOT NULL constraint failed" in text:
        return "foreign_key"
    for prefix in ("UNIQUE constraint failed: ",):
        if text.startswith(prefix):
            return _SQLITE_UNIQUE.get(text[len(prefix):].strip(), text[len(prefix):])
    return ""

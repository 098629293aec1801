"""Port rows, and the bulk facts trunk validation needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, exists, func, select

from trunkd.domain.listing import ListQuery
from trunkd.domain.model import Port, PortFacts, SubPort, TrunkDetails, TrunkRole
from trunkd.store import listing
from trunkd.store.id_lists import IDS, in_ids
from trunkd.store.ip_allocations import IpAllocationRepo
from trunkd.store.resources import (
    delete_row,
    insert_row,
    lock_clause,
    row_by_id,
    update_many,
    update_row,
)
from trunkd.store.security_groups import SecurityGroupRepo
from trunkd.store.tables import networks, port_claims, port_tags, ports, subports, trunks
from trunkd.store.tags import TagRepo

COLUMNS = {
    "id": ports.c.id,
    "name": ports.c.name,
    "description": ports.c.description,
    "network_id": ports.c.network_id,
    "admin_state_up": ports.c.admin_state_up,
    "mac_address": ports.c.mac_address,
    "device_id": ports.c.device_id,
    "device_owner": ports.c.device_owner,
    "status": ports.c.status,
    "project_id": ports.c.project_id,
    "tenant_id": ports.c.project_id,
    "revision_number": ports.c.revision_number,
    "binding:host_id": ports.c.host_id,
    "binding:vif_type": ports.c.vif_type,
    "binding:vnic_type": ports.c.vnic_type,
    "port_security_enabled": ports.c.port_security_enabled,
}


_OWN = ports.c.project_id == bindparam("own_project")
_FACTS = (
    select(
        ports.c.id, ports.c.network_id, ports.c.project_id, ports.c.device_id,
        ports.c.device_owner, ports.c.mac_address, ports.c.host_id, ports.c.vif_type,
        networks.c.mtu, networks.c.network_type,
        networks.c.segmentation_id, port_claims.c.role,
        func.coalesce(trunks.c.id, subports.c.trunk_id).label("trunk_id"),
    )
    .join(networks, networks.c.id == ports.c.network_id)
    .outerjoin(port_claims, port_claims.c.port_id == ports.c.id)
    .outerjoin(trunks, trunks.c.port_id == ports.c.id)
    .outerjoin(subports, subports.c.port_id == ports.c.id)
    .where(in_ids(ports.c.id))
)
_LOCK = select(ports.c.id).where(in_ids(ports.c.id)).order_by(ports.c.id).with_for_update()


def _fixed_ips_filter(values: list[tuple[str, str]]) -> ColumnElement[bool]:
    wanted: dict[str, list[str]] = defaultdict(list)
    for key, value in values:
        wanted[key].append(value)
    return IpAllocationRepo.port_filter(wanted)


class PortRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tags = TagRepo(conn, port_tags)
        self.addresses = IpAllocationRepo(conn)
        self.groups = SecurityGroupRepo(conn)

    def _hydrate(self, rows: Iterable[Any]) -> list[Port]:
        rows = list(rows)
        ids = [r.id for r in rows]
        tags, fixed, groups = self.tags.of(ids), self.addresses.of_ports(ids), self.groups.of_ports(ids)
        return [Port(**r._mapping, tags=tags.get(r.id, []), fixed_ips=fixed.get(r.id, []),
                     security_groups=groups.get(r.id, [])) for r in rows]

    def get(self, port_id: str, project_id: str | None = None, *, lock: bool = False) -> Port | None:
        row = row_by_id(self.conn, ports, port_id, lock=lock, scope=None if project_id is None else _OWN,
                        scope_params={"own_project": project_id})
        return self._hydrate([row])[0] if row is not None else None

    def binding(self, port_id: str) -> tuple[str, str] | None:
        """(host_id, vif_type) of the port, if it exists: all a trunk delete needs of its parent."""
        row = row_by_id(self.conn, ports, port_id, columns=(ports.c.host_id, ports.c.vif_type))
        return (row[0], row[1]) if row is not None else None

    def page(self, query: ListQuery, project_id: str | None) -> list[Port]:
        stmt = listing.apply_filters(select(ports), ports, port_tags, COLUMNS, query,
                                     {"fixed_ips": _fixed_ips_filter,
                                      "security_groups": SecurityGroupRepo.ports_filter})
        visible = ports.c.project_id == project_id if project_id is not None else None
        if visible is not None:
            stmt = stmt.where(visible)
        return self._hydrate(listing.paginate(self.conn, stmt, ports, COLUMNS, query, visible))

    def mac_taken(self, network_id: str, mac: str) -> bool:
        # MACs are stored lower-case, so UNIQUE(network_id, mac_address) serves this lookup
        cond = (ports.c.network_id == network_id) & (ports.c.mac_address == mac.lower())
        return bool(self.conn.execute(select(exists().where(cond))).scalar())

    def insert(self, port: Port) -> None:
        insert_row(self.conn, ports, {k: v for k, v in vars(port).items()
                                      if k not in ("tags", "fixed_ips", "security_groups")})

    def update(self, port_id: str, values: dict[str, object]) -> None:
        update_row(self.conn, ports, port_id, values)

    def delete(self, port_id: str) -> None:
        delete_row(self.conn, ports, port_id)

    def lock(self, port_ids: Collection[str]) -> None:
        """Row-lock the ports (sorted, so lockers never deadlock); a no-op on SQLite."""
        if port_ids and lock_clause(self.conn):
            self.conn.execute(_LOCK, {IDS: sorted(port_ids)})

    def facts(self, port_ids: Collection[str]) -> dict[str, PortFacts]:
        """Everything trunk validation needs about these ports, in one query.

        `visible` is left True; the service decides visibility for the caller.
        """
        if not port_ids:
            return {}
        # fetchall and positional fields: this runs for up to 4094 rows per request
        rows: Sequence[Any] = self.conn.execute(_FACTS, {IDS: list(port_ids)}).all()
        return {
            pid: PortFacts(pid, net, project, device, host, vif, mtu, net_type, seg_id,
                           TrunkRole(role) if role else None, trunk_id, True, mac, owner)
            for pid, net, project, device, owner, mac, host, vif, mtu, net_type, seg_id, role, trunk_id
            in rows
        }

    def trunk_details(self, port_ids: Iterable[str]) -> dict[str, TrunkDetails]:
        """trunk_details of the given ports that are trunk parents (two queries in all)."""
        port_ids = list(port_ids)
        if not port_ids:
            return {}
        stmt = select(trunks.c.id, trunks.c.port_id).where(in_ids(trunks.c.port_id, port_ids))
        parents = {r.id: r.port_id for r in self.conn.execute(stmt)}
        if not parents:
            return {}
        subs: dict[str, list[tuple[SubPort, str]]] = {trunk_id: [] for trunk_id in parents}
        stmt = (  # type: ignore[assignment]
            select(subports.c.trunk_id, subports.c.port_id, subports.c.segmentation_type,
                   subports.c.segmentation_id, subports.c.status, subports.c.status_reason, ports.c.mac_address)
            .join(ports, ports.c.id == subports.c.port_id)
            .where(in_ids(subports.c.trunk_id, parents))
            .order_by(subports.c.trunk_id, subports.c.segmentation_type, subports.c.segmentation_id)
        )
        for r in self.conn.execute(stmt):
            sub = SubPort(r.port_id, r.segmentation_type, r.segmentation_id, r.status, r.status_reason)
            subs[r.trunk_id].append((sub, r.mac_address))
        return {port_id: TrunkDetails(trunk_id, subs[trunk_id]) for trunk_id, port_id in parents.items()}

    def trunk_membership(self, port_id: str) -> tuple[TrunkRole, str] | None:
        """(role, trunk id) if the port is a parent or subport."""
        row = self.conn.execute(
            select(trunks.c.id).where(trunks.c.port_id == port_id)
        ).first()
        if row is not None:
            return TrunkRole.PARENT, row.id
        row = self.conn.execute(select(subports.c.trunk_id).where(subports.c.port_id == port_id)).first()
        return (TrunkRole.SUBPORT, row.trunk_id) if row is not None else None

    def get_many(self, port_ids: Collection[str], *, device_owner: str | None = None) -> list[Port]:
        """The ports (of this `device_owner` only, when given), with their tags."""
        if not port_ids:
            return []
        stmt = select(ports).where(in_ids(ports.c.id, port_ids))
        if device_owner is not None:
            stmt = stmt.where(ports.c.device_owner == device_owner)
        return self._hydrate(self.conn.execute(stmt))

    def macs_on_network(self, network_id: str) -> dict[str, str]:
        """port id -> MAC of every port on the network."""
        stmt = select(ports.c.id, ports.c.mac_address).where(ports.c.network_id == network_id)
        return {r.id: r.mac_address for r in self.conn.execute(stmt)}

    def update_many(self, port_ids: Collection[str], values: dict[str, object]) -> None:
        update_many(self.conn, ports, port_ids, values)

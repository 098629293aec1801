"""Subnet rows (a subnet is visible to its project and to everyone when its network is shared)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, exists, or_, select
from sqlalchemy import delete as sql_delete

from trunkd.domain.listing import ListQuery
from trunkd.domain.model import Subnet
from trunkd.store import listing
from trunkd.store.id_lists import IDS, in_ids
from trunkd.store.resources import delete_row, insert_row, lock_clause, update_row
from trunkd.store.tables import ip_allocations, ip_free_ranges, networks, subnet_tags, subnets
from trunkd.store.tags import TagRepo

# built once: a statement built per call costs more to build and key than to run
_IDS_BY_NETWORK: Select[str, str] = (
    select(subnets.c.network_id, subnets.c.id).where(in_ids(subnets.c.network_id))
    .order_by(subnets.c.created_at, subnets.c.id))

COLUMNS = {
    "id": subnets.c.id,
    "name": subnets.c.name,
    "description": subnets.c.description,
    "network_id": subnets.c.network_id,
    "ip_version": subnets.c.ip_version,
    "cidr": subnets.c.cidr,
    "gateway_ip": subnets.c.gateway_ip,
    "enable_dhcp": subnets.c.enable_dhcp,
    "ipv6_ra_mode": subnets.c.ipv6_ra_mode,
    "ipv6_address_mode": subnets.c.ipv6_address_mode,
    "project_id": subnets.c.project_id,
    "tenant_id": subnets.c.project_id,
    "revision_number": subnets.c.revision_number,
    "subnetpool_id": subnets.c.subnetpool_id,
    "shared": networks.c.shared,
    "router:external": networks.c.router_external,
}


def _select() -> Select[Any]:
    return (select(*subnets.c, networks.c.shared, networks.c.router_external)
            .join(networks, networks.c.id == subnets.c.network_id))


def _locked(conn: Connection, stmt: Select[Any], lock: bool, rows: ColumnElement[bool] | None = None
            ) -> Select[Any]:
    """FOR UPDATE OF subnets only: the joined network row is FK-share-locked by every port insert,
    so locking it too would deadlock concurrent port creates."""
    if lock and conn.dialect.name == "mysql" and rows is not None:
        # MariaDB has no FOR UPDATE OF: lock the subnet rows alone first, then read the join unlocked
        conn.execute(select(subnets.c.id).where(rows).order_by(subnets.c.id).with_for_update())
        return stmt
    return stmt.with_for_update(of=subnets) if lock and lock_clause(conn) else stmt


class SubnetRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tags = TagRepo(conn, subnet_tags)

    @staticmethod
    def _scoped(stmt: Select[Any], project_id: str | None) -> Select[Any]:
        if project_id is None:
            return stmt
        return stmt.where(or_(subnets.c.project_id == project_id, networks.c.shared.is_(True),
                              networks.c.router_external.is_(True)))

    def _hydrate(self, rows: Iterable[Any]) -> list[Subnet]:
        rows = list(rows)
        tags = self.tags.of(r.id for r in rows)
        return [Subnet(**r._mapping, tags=tags.get(r.id, [])) for r in rows]

    def get(self, subnet_id: str, project_id: str | None = None, *, lock: bool = False) -> Subnet | None:
        stmt = self._scoped(_select().where(subnets.c.id == subnet_id), project_id)
        found = self._hydrate(self.conn.execute(_locked(self.conn, stmt, lock, subnets.c.id == subnet_id)))
        return found[0] if found else None

    def page(self, query: ListQuery, project_id: str | None) -> list[Subnet]:
        stmt = self._scoped(listing.apply_filters(_select(), subnets, subnet_tags, COLUMNS, query), project_id)
        return self._hydrate(listing.paginate(self.conn, stmt, subnets, COLUMNS, query))

    def of_networks(self, network_ids: Collection[str], *, lock: bool = False) -> dict[str, list[Subnet]]:
        """Every subnet of these networks, oldest first (row-locked on request)."""
        found: dict[str, list[Subnet]] = defaultdict(list)
        if not network_ids:
            return found
        stmt = _select().where(in_ids(subnets.c.network_id, network_ids))
        stmt = _locked(self.conn, stmt.order_by(subnets.c.created_at, subnets.c.id), lock,
                       in_ids(subnets.c.network_id, network_ids))
        for subnet in self._hydrate(self.conn.execute(stmt)):
            found[subnet.network_id].append(subnet)
        return found

    def ids_by_network(self, network_ids: Iterable[str]) -> dict[str, list[str]]:
        network_ids = list(network_ids)
        found: dict[str, list[str]] = defaultdict(list)
        if network_ids:
            for network_id, subnet_id in self.conn.execute(_IDS_BY_NETWORK, {IDS: network_ids}):
                found[network_id].append(subnet_id)
        return found

    def insert(self, subnet: Subnet) -> None:
        derived = ("tags", "shared", "router_external")
        insert_row(self.conn, subnets, {k: v for k, v in vars(subnet).items() if k not in derived})

    def update(self, subnet_id: str, values: dict[str, object]) -> None:
        update_row(self.conn, subnets, subnet_id, values)

    def in_use(self, subnet_id: str) -> bool:
        return bool(self.conn.execute(select(exists().where(ip_allocations.c.subnet_id == subnet_id))).scalar())

    def delete(self, subnet_id: str) -> None:
        self.conn.execute(sql_delete(ip_free_ranges).where(ip_free_ranges.c.subnet_id == subnet_id))
        delete_row(self.conn, subnets, subnet_id)

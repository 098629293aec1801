"""The addresses ports hold, read and written in bulk; free addresses found by one query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    delete,
    exists,
    insert,
    select,
)

from trunkd.domain.model import FixedIp
from trunkd.store.free_ranges import FreeRanges
from trunkd.store.id_lists import IDS, in_ids
from trunkd.store.tables import ip_allocations, ports, subnets

_OF_PORTS = (
    select(ip_allocations.c.port_id, ip_allocations.c.subnet_id, ip_allocations.c.ip_address)
    .join(subnets, subnets.c.id == ip_allocations.c.subnet_id)
    .where(in_ids(ip_allocations.c.port_id))
    .order_by(ip_allocations.c.port_id, subnets.c.ip_version, subnets.c.created_at, subnets.c.id,
              ip_allocations.c.ip_offset, ip_allocations.c.ip_address)
)


class IpAllocationRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.free = FreeRanges(conn)  # the pools' free addresses, kept in step with the rows here

    def of_ports(self, port_ids: Iterable[str]) -> dict[str, list[FixedIp]]:
        port_ids = list(port_ids)
        found: dict[str, list[FixedIp]] = defaultdict(list)
        if not port_ids:
            return found
        rows: Sequence[Any] = self.conn.execute(_OF_PORTS, {IDS: port_ids}).all()
        for port_id, subnet_id, address in rows:
            found[port_id].append(FixedIp(subnet_id, address))
        return found

    def holders(self, wanted: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Which port holds each (subnet_id, ip_address) already taken, in one query."""
        if not wanted:
            return {}
        return {(r.subnet_id, r.ip_address): r.port_id for r in self._matching(wanted)
                if (r.subnet_id, r.ip_address) in wanted}

    def _matching(self, pairs: Collection[tuple[str, str]]) -> Sequence[Any]:
        """Rows whose subnet and address are each among `pairs`' (a superset of the pairs, filtered by
        the caller): two list parameters, never one OR per pair (SQLite's expression tree and
        PostgreSQL's parameter count both have limits)."""
        a = ip_allocations
        stmt = select(a.c.subnet_id, a.c.ip_address, a.c.port_id, a.c.ip_offset).where(
            in_ids(a.c.subnet_id, sorted({s for s, _ in pairs})),
            in_ids(a.c.ip_address, sorted({ip for _, ip in pairs})))
        return self.conn.execute(stmt).all()

    def add(self, rows: list[dict[str, object]]) -> None:
        """Insert allocations (port_id, subnet_id, ip_address, ip_offset) in one statement."""
        if rows:
            self.conn.execute(insert(ip_allocations), rows)

    def release(self, port_id: str, fixed: Collection[FixedIp]) -> None:
        """Release some addresses of a port; those in their subnet's pools become free again."""
        if fixed:
            a = ip_allocations
            wanted = {(f.subnet_id, f.ip_address) for f in fixed}
            freed: list[tuple[str, int | None]] = []
            for row in self._matching(wanted):
                if row.port_id == port_id and (row.subnet_id, row.ip_address) in wanted:
                    self.conn.execute(delete(a).where(a.c.port_id == port_id, a.c.subnet_id == row.subnet_id,
                                                      a.c.ip_address == row.ip_address))
                    freed.append((row.subnet_id, row.ip_offset))
            self.free.give_back(freed)

    def release_port(self, port_id: str) -> None:
        """A port is being deleted: its addresses (deleted with it) become free again."""
        a = ip_allocations
        self.free.give_back((row.subnet_id, row.ip_offset) for row in self.conn.execute(
            select(a.c.subnet_id, a.c.ip_offset).where(a.c.port_id == port_id)))

    def ports_of_subnet(self, subnet_id: str) -> list[str]:
        a = ip_allocations
        return list(self.conn.execute(select(a.c.port_id).where(a.c.subnet_id == subnet_id).distinct()).scalars())

    def release_subnet(self, subnet_id: str) -> None:
        self.conn.execute(delete(ip_allocations).where(ip_allocations.c.subnet_id == subnet_id))

    @staticmethod
    def port_filter(wanted: dict[str, list[str]]) -> ColumnElement[bool]:
        """Ports holding an address matching all the given criteria (ip_address, subnet_id)."""
        a = ip_allocations
        conds = [a.c.port_id == ports.c.id]
        if "ip_address" in wanted:
            conds.append(a.c.ip_address.in_(wanted["ip_address"]))
        if "subnet_id" in wanted:
            conds.append(a.c.subnet_id.in_(wanted["subnet_id"]))
        return exists().where(*conds)

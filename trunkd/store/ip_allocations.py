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
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)

from trunkd.domain.model import FixedIp
from trunkd.store.id_lists import IDS, in_ids
from trunkd.store.tables import ip_allocations, ports, subnets

Gap = tuple[int, int | None]


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
        stmt = select(a.c.subnet_id, a.c.ip_address, a.c.port_id).where(
            in_ids(a.c.subnet_id, sorted({s for s, _ in pairs})),
            in_ids(a.c.ip_address, sorted({ip for _, ip in pairs})))
        return self.conn.execute(stmt).all()

    def gaps(self, subnet_ids: Collection[str]) -> dict[str, list[Gap]]:
        """The free stretches of each subnet: (allocated offset, next allocated offset or None),
        lowest first, starting with (-1, lowest allocated). Only gaps come back, never every row."""
        if not subnet_ids:
            return {}
        a = ip_allocations
        mine = in_ids(a.c.subnet_id, subnet_ids) & a.c.ip_offset.is_not(None)
        following = func.lead(a.c.ip_offset).over(partition_by=a.c.subnet_id, order_by=a.c.ip_offset)
        pairs = select(a.c.subnet_id, a.c.ip_offset.label("before"), following.label("after")).where(mine).subquery()
        lowest = select(a.c.subnet_id, literal(-1).label("before"), func.min(a.c.ip_offset).label("after")) \
            .where(mine).group_by(a.c.subnet_id)
        holes = select(pairs.c.subnet_id, pairs.c.before, pairs.c.after).where(
            or_(pairs.c.after.is_(None), pairs.c.after > pairs.c.before + 1))
        both = union_all(lowest, holes).subquery()
        stmt = select(both.c.subnet_id, both.c.before, both.c.after).order_by(both.c.subnet_id, both.c.before)
        found: dict[str, list[Gap]] = {s: [] for s in subnet_ids}
        for row in self.conn.execute(stmt):
            found[row.subnet_id].append((int(row.before), None if row.after is None else int(row.after)))
        for gaps in found.values():
            if not gaps:
                gaps.append((-1, None))  # nothing allocated yet
        return found

    def add(self, rows: list[dict[str, object]]) -> None:
        """Insert allocations (port_id, subnet_id, ip_address, ip_offset) in one statement."""
        if rows:
            self.conn.execute(insert(ip_allocations), rows)

    def release(self, port_id: str, fixed: Collection[FixedIp]) -> None:
        if fixed:
            a = ip_allocations
            wanted = {(f.subnet_id, f.ip_address) for f in fixed}
            for row in self._matching(wanted):
                if row.port_id == port_id and (row.subnet_id, row.ip_address) in wanted:
                    self.conn.execute(delete(a).where(a.c.port_id == port_id, a.c.subnet_id == row.subnet_id,
                                                      a.c.ip_address == row.ip_address))

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

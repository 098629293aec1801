"""The free offsets of each subnet's pools, as disjoint ranges (table ip_free_ranges).

Allocation reads the lowest ranges of a subnet by its primary key (`lowest`), and an explicit address
finds the one range that can hold it with one index seek (`containing`): neither depends on the number
of pools, of gaps, or of addresses already allocated. Each change of ip_allocations changes these rows
in the same transaction: `take` when addresses are handed out, `give_back` when they are released,
`reset` when a subnet is created or its pools change. SLAAC / DHCPv6-stateless subnets keep none
(their addresses are never picked from the pools).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    String,
    and_,
    column,
    delete,
    func,
    insert,
    select,
    union_all,
    values,
)

from trunkd.domain import addressing
from trunkd.domain.addressing import Range
from trunkd.domain.model import AUTO_ADDRESS_MODES
from trunkd.store.id_lists import in_ids
from trunkd.store.tables import ip_allocations, ip_free_ranges, subnets

r = ip_free_ranges


class FreeRanges:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def lowest(self, counts: dict[str, int]) -> dict[str, list[Range]]:
        """For each subnet, its `count` lowest free ranges (enough for `count` addresses), in one
        statement: one index-ordered LIMIT per subnet."""
        found: dict[str, list[Range]] = {s: [] for s in counts}
        arms = [select(r.c.subnet_id, r.c.first_offset, r.c.last_offset).where(r.c.subnet_id == s)
                .order_by(r.c.first_offset).limit(n).subquery() for s, n in sorted(counts.items()) if n > 0]
        if not arms:
            return found
        stmt = union_all(*(select(a) for a in arms)) if len(arms) > 1 else select(arms[0])
        for row in self.conn.execute(stmt):
            found[row.subnet_id].append(Range(int(row.first_offset), int(row.last_offset)))
        for ranges in found.values():
            ranges.sort(key=lambda x: x.first)
        return found

    def containing(self, wanted: Collection[tuple[str, int]]) -> dict[str, list[Range]]:
        """The free ranges holding any of these (subnet_id, offset) pairs, by subnet, in one statement:
        for each pair the range with the greatest first offset not above it (one index seek)."""
        found: dict[str, list[Range]] = defaultdict(list)
        if not wanted:
            return found
        w = values(column("s", String(36)), column("x", BigInteger), name="wanted").data(sorted(wanted)).cte("wanted")
        r2 = r.alias("r2")
        seek = select(func.max(r2.c.first_offset)).where(r2.c.subnet_id == w.c.s, r2.c.first_offset <= w.c.x) \
            .scalar_subquery()
        # the seek per wanted pair first (a derived table), then the ranges by primary key
        best = select(w.c.s, w.c.x, seek.label("f")).subquery("best")
        stmt = select(r.c.subnet_id, r.c.first_offset, r.c.last_offset).distinct().select_from(
            best.join(r, and_(r.c.subnet_id == best.c.s, r.c.first_offset == best.c.f))) \
            .where(r.c.last_offset >= best.c.x)
        for row in self.conn.execute(stmt):
            found[row.subnet_id].append(Range(int(row.first_offset), int(row.last_offset)))
        return found

    def take(self, subnet_id: str, ranges: Iterable[Range], offsets: Iterable[int]) -> None:
        """Remove `offsets` from these free `ranges` of the subnet (the ones holding them)."""
        ranges, offsets = list(ranges), set(offsets)
        if not ranges or not offsets:
            return
        left = addressing.split_ranges(ranges, offsets)
        self.conn.execute(delete(r).where(r.c.subnet_id == subnet_id,
                                          r.c.first_offset.in_(sorted({x.first for x in ranges}))))
        self._insert(subnet_id, left)

    def give_back(self, pairs: Iterable[tuple[str, int | None]]) -> None:
        """Released (subnet_id, offset) pairs become free again where they lie in their subnet's pools."""
        by_subnet: dict[str, set[int]] = defaultdict(set)
        for subnet_id, offset in pairs:
            if offset is not None:
                by_subnet[subnet_id].add(offset)
        if not by_subnet:
            return
        rows = self.conn.execute(select(subnets.c.id, subnets.c.cidr, subnets.c.allocation_pools,
                                        subnets.c.ipv6_address_mode, subnets.c.ipv6_ra_mode)
                                 .where(in_ids(subnets.c.id, sorted(by_subnet))))
        free: list[dict[str, Any]] = []
        for row in rows:
            if {row.ipv6_address_mode, row.ipv6_ra_mode} & AUTO_ADDRESS_MODES:
                continue
            pools = addressing.pool_ranges(addressing.network(row.cidr), row.allocation_pools)
            free += [{"subnet_id": row.id, "first_offset": x, "last_offset": x}
                     for x in sorted(by_subnet[row.id]) if addressing.in_ranges(pools, x)]
        if free:
            self.conn.execute(insert(r), free)

    def reset(self, subnet_id: str, cidr: str, pools: list[dict[str, str]], auto_address: bool) -> None:
        """A new subnet's free ranges, or a subnet's after its pools changed: the pools less what is
        allocated (this reads the subnet's allocations: pool changes are rare, allocations are not)."""
        self.conn.execute(delete(r).where(r.c.subnet_id == subnet_id))
        if auto_address:
            return
        ranges = addressing.pool_ranges(addressing.network(cidr), pools)
        a = ip_allocations
        rows: Sequence[Any] = self.conn.execute(select(a.c.ip_offset).where(
            a.c.subnet_id == subnet_id, a.c.ip_offset.is_not(None))).all()
        self._insert(subnet_id, addressing.split_ranges(ranges, (int(row.ip_offset) for row in rows)))

    def _insert(self, subnet_id: str, ranges: Iterable[Range]) -> None:
        rows = [{"subnet_id": subnet_id, "first_offset": x.first, "last_offset": x.last} for x in ranges]
        if rows:
            self.conn.execute(insert(r), rows)

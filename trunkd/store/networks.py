"""Network rows."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, bindparam, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from trunkd.domain import errors
from trunkd.domain.listing import ListQuery
from trunkd.domain.model import Network
from trunkd.store import listing
from trunkd.store.id_lists import in_ids
from trunkd.store.integrity import constraint_name
from trunkd.store.resources import delete_row, insert_row, row_by_id, update_row
from trunkd.store.subnets import SubnetRepo
from trunkd.store.tables import network_tags, networks, ports
from trunkd.store.tags import TagRepo

SEGMENT_CONSTRAINT = "uq_networks_segment"

COLUMNS = {
    "id": networks.c.id,
    "name": networks.c.name,
    "description": networks.c.description,
    "admin_state_up": networks.c.admin_state_up,
    "shared": networks.c.shared,
    "mtu": networks.c.mtu,
    "status": networks.c.status,
    "project_id": networks.c.project_id,
    "tenant_id": networks.c.project_id,
    "revision_number": networks.c.revision_number,
    "provider:network_type": networks.c.network_type,
    "provider:physical_network": networks.c.physical_network,
    "provider:segmentation_id": networks.c.segmentation_id,
    "port_security_enabled": networks.c.port_security_enabled,
    "router:external": networks.c.router_external,
}


class NetworkRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tags = TagRepo(conn, network_tags)

    def _scope(self, project_id: str | None):  # type: ignore[no-untyped-def]
        if project_id is None:
            return None
        return or_(networks.c.project_id == project_id, networks.c.shared.is_(True),
                   networks.c.router_external.is_(True))

    _VISIBLE = or_(networks.c.project_id == bindparam("own_project"), networks.c.shared.is_(True),
                   networks.c.router_external.is_(True))

    def get(self, net_id: str, project_id: str | None = None, *, lock: bool = False) -> Network | None:
        row = row_by_id(self.conn, networks, net_id, lock=lock,
                        scope=None if project_id is None else self._VISIBLE, scope_params={"own_project": project_id})
        return self._hydrate([row])[0] if row is not None else None

    def _hydrate(self, rows: Iterable[Any]) -> list[Network]:
        rows = list(rows)
        ids = [r.id for r in rows]
        tags, subnet_ids = self.tags.of(ids), SubnetRepo(self.conn).ids_by_network(ids)
        return [Network(**r._mapping, tags=tags.get(r.id, []), subnets=subnet_ids.get(r.id, [])) for r in rows]

    def page(self, query: ListQuery, project_id: str | None) -> list[Network]:
        stmt = listing.apply_filters(select(networks), networks, network_tags, COLUMNS, query)
        scope = self._scope(project_id)
        if query.owner is not None:  # a filter on a hidden attribute: the caller's own networks only
            scope = networks.c.project_id == query.owner
        if scope is not None:
            stmt = stmt.where(scope)
        return self._hydrate(listing.paginate(self.conn, stmt, networks, COLUMNS, query, scope))

    def _of_segment(self, network_type: str, physical_network: str | None):  # type: ignore[no-untyped-def]
        return (networks.c.network_type == network_type) & (
            func.coalesce(networks.c.physical_network, "") == (physical_network or "")
        )

    def free_segmentation_id(self, network_type: str, physical_network: str | None, low: int,
                             high: int) -> int | None:
        """A free id in [low, high] on this segment type and physical network, or None: max + 1
        through the segment index, or the lowest gap once max + 1 would pass `high`."""
        of_type = self._of_segment(network_type, physical_network)
        in_range = of_type & networks.c.segmentation_id.between(low, high)
        top = self.conn.execute(select(func.max(networks.c.segmentation_id)).where(in_range)).scalar()
        if top is None:
            return low
        if top < high:
            return int(top) + 1
        if not self.conn.execute(select(exists().where(of_type, networks.c.segmentation_id == low))).scalar():
            return low
        taken = networks.alias("taken")
        after = networks.c.segmentation_id + 1
        stmt = select(func.min(after)).where(
            in_range, after <= high,
            ~exists().where(
                taken.c.network_type == network_type,
                func.coalesce(taken.c.physical_network, "") == (physical_network or ""),
                taken.c.segmentation_id == after,
            ),
        )
        found = self.conn.execute(stmt).scalar()
        return None if found is None else int(found)

    def insert_allocating(self, candidates: Callable[[], Iterator[Network]], attempts: int = 64) -> Network | None:
        """Insert the first network `candidates()` yields (each with a free segment it found).

        Each try runs in a savepoint: a segment that a concurrent request took first breaks the
        segment constraint, the savepoint is rolled back and the search runs again (on PostgreSQL
        it then sees the winner's row). None when no candidate is left.
        """
        for _ in range(attempts):
            net = next(candidates(), None)
            if net is None:
                return None
            try:
                with self.conn.begin_nested():
                    self.insert(net)
                return net
            except IntegrityError as exc:
                if constraint_name(exc) != SEGMENT_CONSTRAINT:
                    raise
        raise errors.Conflict("Concurrent requests kept taking the same segment; retry the request.")

    def insert(self, net: Network) -> None:
        insert_row(self.conn, networks, {k: v for k, v in vars(net).items() if k not in ("tags", "subnets")})

    def update(self, net_id: str, values: dict[str, object]) -> None:
        update_row(self.conn, networks, net_id, values)

    def has_ports(self, net_id: str) -> bool:
        return bool(self.conn.execute(select(exists().where(ports.c.network_id == net_id))).scalar())

    def delete(self, net_id: str) -> None:
        delete_row(self.conn, networks, net_id)

    def segment_taken(self, network_type: str, physical_network: str | None, seg_id: int | None) -> bool:
        match = (networks.c.segmentation_id.is_(None) if seg_id is None
                 else networks.c.segmentation_id == seg_id)
        cond = self._of_segment(network_type, physical_network) & match
        return bool(self.conn.execute(select(exists().where(cond))).scalar())

    def get_many(self, net_ids: Collection[str]) -> dict[str, Network]:
        if not net_ids:
            return {}
        rows = self.conn.execute(select(networks).where(in_ids(networks.c.id, net_ids)))
        return {r.id: Network(**r._mapping) for r in rows}

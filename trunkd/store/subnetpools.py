"""Subnet pool rows (a pool is visible to its project, and to everyone when shared), and what has been
allocated from them (the subnets naming them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, exists, or_, select

from trunkd.domain.listing import ListQuery
from trunkd.domain.model import SubnetPool
from trunkd.store import listing
from trunkd.store.resources import delete_row, insert_row, locked, update_row
from trunkd.store.tables import subnetpool_tags, subnetpools, subnets
from trunkd.store.tags import TagRepo

COLUMNS = {
    "id": subnetpools.c.id,
    "name": subnetpools.c.name,
    "description": subnetpools.c.description,
    "project_id": subnetpools.c.project_id,
    "tenant_id": subnetpools.c.project_id,
    "revision_number": subnetpools.c.revision_number,
    "ip_version": subnetpools.c.ip_version,
    "default_prefixlen": subnetpools.c.default_prefixlen,
    "min_prefixlen": subnetpools.c.min_prefixlen,
    "max_prefixlen": subnetpools.c.max_prefixlen,
    "default_quota": subnetpools.c.default_quota,
    "shared": subnetpools.c.shared,
    "is_default": subnetpools.c.is_default,
}


def _visible(project_id: str | None) -> ColumnElement[bool] | None:
    if project_id is None:
        return None
    return or_(subnetpools.c.project_id == project_id, subnetpools.c.shared.is_(True))


class SubnetPoolRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tags = TagRepo(conn, subnetpool_tags)

    def _hydrate(self, rows: Iterable[Row[Any]]) -> list[SubnetPool]:
        rows = list(rows)
        tags = self.tags.of(r.id for r in rows)
        return [SubnetPool(**r._mapping, tags=tags.get(r.id, [])) for r in rows]

    def get(self, pool_id: str, project_id: str | None = None, *, lock: bool = False) -> SubnetPool | None:
        """One pool as `project_id` sees it (None: as an admin). `lock` takes its row for the transaction:
        the allocation lock, which subnet creates, prefix updates and deletes of this pool all take."""
        stmt = select(subnetpools).where(subnetpools.c.id == pool_id)
        visible = _visible(project_id)
        if visible is not None:
            stmt = stmt.where(visible)
        found = self._hydrate(self.conn.execute(locked(self.conn, stmt, lock)))
        return found[0] if found else None

    def page(self, query: ListQuery, project_id: str | None) -> list[SubnetPool]:
        stmt = listing.apply_filters(select(subnetpools), subnetpools, subnetpool_tags, COLUMNS, query)
        visible = _visible(project_id)
        if visible is not None:
            stmt = stmt.where(visible)
        return self._hydrate(listing.paginate(self.conn, stmt, subnetpools, COLUMNS, query, visible))

    def default_of(self, ip_version: int, project_id: str | None = None) -> SubnetPool | None:
        """The default pool of this IP version, if the caller sees it."""
        stmt = select(subnetpools).where(subnetpools.c.is_default.is_(True), subnetpools.c.ip_version == ip_version)
        visible = _visible(project_id)
        if visible is not None:
            stmt = stmt.where(visible)
        found = self._hydrate(self.conn.execute(stmt.order_by(subnetpools.c.created_at).limit(1)))
        return found[0] if found else None

    def allocated(self, pool_id: str) -> list[tuple[str, str]]:
        """(cidr, project_id) of every subnet allocated from the pool, in one statement."""
        stmt = select(subnets.c.cidr, subnets.c.project_id).where(subnets.c.subnetpool_id == pool_id)
        return [(row.cidr, row.project_id) for row in self.conn.execute(stmt)]

    def in_use(self, pool_id: str) -> bool:
        return bool(self.conn.execute(select(exists().where(subnets.c.subnetpool_id == pool_id))).scalar())

    def insert(self, pool: SubnetPool) -> None:
        insert_row(self.conn, subnetpools, {k: v for k, v in vars(pool).items() if k != "tags"})

    def update(self, pool_id: str, values: dict[str, object]) -> None:
        update_row(self.conn, subnetpools, pool_id, values)

    def delete(self, pool_id: str) -> None:
        delete_row(self.conn, subnetpools, pool_id)

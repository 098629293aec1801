"""Trunk rows, their subports and the port claims that keep roles exclusive."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update

from trunkd.domain.listing import ListQuery
from trunkd.domain.model import SubPort, Trunk, TrunkRole
from trunkd.store import listing
from trunkd.store.id_lists import IDS, in_ids
from trunkd.store.resources import (
    delete_row,
    insert_row,
    insert_tuples,
    row_by_id,
    update_row,
    update_row_returning,
)
from trunkd.store.tables import port_claims, subports, trunk_tags, trunks
from trunkd.store.tags import TagRepo

COLUMNS = {
    "id": trunks.c.id,
    "name": trunks.c.name,
    "description": trunks.c.description,
    "admin_state_up": trunks.c.admin_state_up,
    "port_id": trunks.c.port_id,
    "status": trunks.c.status,
    "project_id": trunks.c.project_id,
    "tenant_id": trunks.c.project_id,
    "revision_number": trunks.c.revision_number,
}
_TRUNK_FIELDS = [c for c in trunks.c if c.key != "port_role"]
_OWN = trunks.c.project_id == bindparam("own_project")
_SUBPORTS_OF = (
    select(subports.c.trunk_id, subports.c.port_id, subports.c.segmentation_type,
           subports.c.segmentation_id, subports.c.status, subports.c.status_reason)
    .where(in_ids(subports.c.trunk_id))
    .order_by(subports.c.segmentation_type, subports.c.segmentation_id)  # as domain.trunk.stored_order()
)
_RELEASE = delete(port_claims).where(in_ids(port_claims.c.port_id))
_REMOVE_SUBPORTS = delete(subports).where(subports.c.trunk_id == bindparam("trunk_id"),
                                          in_ids(subports.c.port_id))
_DELETE_SUBPORTS = delete(subports).where(subports.c.trunk_id == bindparam("trunk_id"))


class TrunkRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tags = TagRepo(conn, trunk_tags)

    # -- reads -----------------------------------------------------------------------------
    def get(self, trunk_id: str, project_id: str | None = None, *, lock: bool = False,
            sub_ports: list[SubPort] | None = None) -> Trunk | None:
        """The trunk; `sub_ports` (in stored order) when the caller already knows them."""
        row = row_by_id(self.conn, trunks, trunk_id, lock=lock, columns=_TRUNK_FIELDS,
                        scope=None if project_id is None else _OWN, scope_params={"own_project": project_id})
        return self._hydrate([row], sub_ports)[0] if row is not None else None

    def page(self, query: ListQuery, project_id: str | None) -> list[Trunk]:
        stmt = listing.apply_filters(select(*_TRUNK_FIELDS), trunks, trunk_tags, COLUMNS, query)
        visible = trunks.c.project_id == project_id if project_id is not None else None
        if visible is not None:
            stmt = stmt.where(visible)
        rows = listing.paginate(self.conn, stmt, trunks, COLUMNS, query, visible)
        return self._hydrate(rows)

    def _hydrate(self, rows: list, known: list[SubPort] | None = None) -> list[Trunk]:  # type: ignore[type-arg]
        ids = [r.id for r in rows]
        subs = self.subports_of(ids) if known is None else {ids[0]: known}
        tags = self.tags.of(ids)
        keys = rows[0]._fields if rows else ()  # zip with the keys: far cheaper than r._mapping per row
        return [
            Trunk(**dict(zip(keys, r, strict=True)), sub_ports=subs.get(i, []), tags=tags.get(i, []))
            for i, r in zip(ids, rows, strict=True)
        ]

    def subports_of(self, trunk_ids: Iterable[str]) -> dict[str, list[SubPort]]:
        trunk_ids = list(trunk_ids)
        found: dict[str, list[SubPort]] = defaultdict(list)
        if not trunk_ids:
            return found
        rows: Sequence[Any] = self.conn.execute(_SUBPORTS_OF, {IDS: trunk_ids}).all()
        for trunk_id, port_id, seg_type, seg_id, status, reason in rows:
            found[trunk_id].append(SubPort(port_id, seg_type, seg_id, status, reason))
        return found

    # -- writes ----------------------------------------------------------------------------
    def _claim(self, role: TrunkRole, port_ids: Iterable[str]) -> None:
        insert_tuples(self.conn, port_claims, ("port_id", "role"), [(p, role.value) for p in port_ids])

    def _release(self, port_ids: Collection[str]) -> None:
        if port_ids:
            self.conn.execute(_RELEASE, {IDS: list(port_ids)})

    def _insert_subports(self, trunk_id: str, subs: list[SubPort], *, claim: bool = True) -> None:
        if not subs:
            return
        if claim:
            self._claim(TrunkRole.SUBPORT, (s.port_id for s in subs))
        insert_tuples(self.conn, subports, ("trunk_id", "port_id", "segmentation_type", "segmentation_id"),
                      [(trunk_id, s.port_id, s.segmentation_type, s.segmentation_id) for s in subs])

    def insert(self, trunk: Trunk) -> None:
        self._claim(TrunkRole.PARENT, [trunk.port_id])
        values = {k: v for k, v in vars(trunk).items() if k not in ("sub_ports", "tags")}
        insert_row(self.conn, trunks, values)
        self._insert_subports(trunk.id, trunk.sub_ports)

    def add_subports(self, trunk_id: str, subs: list[SubPort]) -> None:
        self._insert_subports(trunk_id, subs)

    def remove_subports(self, trunk_id: str, port_ids: Collection[str]) -> None:
        self.conn.execute(_REMOVE_SUBPORTS, {"trunk_id": trunk_id, IDS: list(port_ids)})
        self._release(port_ids)

    def retag_subports(self, trunk_id: str, subs: list[SubPort]) -> None:
        """New segmentation for subports already on the trunk (rows replaced, claims kept; status DOWN).

        Delete then insert, so that swapping two VLANs never trips the unique constraint midway.
        """
        if subs:
            ids = [s.port_id for s in subs]
            self.conn.execute(_REMOVE_SUBPORTS, {"trunk_id": trunk_id, IDS: ids})
            self._insert_subports(trunk_id, subs, claim=False)

    def set_subport_statuses(self, trunk_id: str, statuses: Mapping[str, tuple[str, str]]) -> None:
        """port id -> (status, reason) for subports of the trunk, in one executemany."""
        if not statuses:
            return
        stmt = (
            update(subports)
            .where(subports.c.trunk_id == trunk_id, subports.c.port_id == bindparam("pid"))
            .values(status=bindparam("new_status"), status_reason=bindparam("new_reason"))
        )
        self.conn.execute(stmt, [{"pid": p, "new_status": s, "new_reason": r} for p, (s, r) in statuses.items()])

    def count_by_status(self) -> tuple[dict[str, int], dict[str, int]]:
        """(trunks per status, subports per status) over every project, for metrics."""
        counted = [
            {r[0]: int(r[1]) for r in self.conn.execute(select(t.c.status, func.count()).group_by(t.c.status))}
            for t in (trunks, subports)
        ]
        return counted[0], counted[1]

    def update(self, trunk_id: str, values: dict[str, object]) -> None:
        update_row(self.conn, trunks, trunk_id, values)

    def update_known(self, trunk: Trunk, values: dict[str, object], sub_ports: list[SubPort]) -> Trunk:
        """Update the (locked) trunk and answer it as stored now, in one statement where the database
        can: its tags are `trunk`'s (this does not change them), its subports `sub_ports` (stored order)."""
        row = update_row_returning(self.conn, trunks, trunk.id, values, _TRUNK_FIELDS)
        assert row is not None, trunk.id
        return Trunk(**dict(zip(row._fields, row, strict=True)), sub_ports=sub_ports, tags=list(trunk.tags))

    def delete(self, trunk: Trunk) -> None:
        """The trunk, its subport rows and every claim it held, in one go."""
        if trunk.sub_ports:
            self.conn.execute(_DELETE_SUBPORTS, {"trunk_id": trunk.id})
        delete_row(self.conn, trunks, trunk.id)
        self._release([trunk.port_id, *(s.port_id for s in trunk.sub_ports)])

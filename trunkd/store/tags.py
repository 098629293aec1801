"""Tags of one resource type, read in bulk."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Connection, Select, Table, delete, select

from trunkd.store.id_lists import IDS, in_ids
from trunkd.store.resources import insert_rows


@functools.cache
def _of(table: Table) -> Select[str, str]:
    return select(table.c.resource_id, table.c.tag).where(in_ids(table.c.resource_id)).order_by(table.c.tag)


class TagRepo:
    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.table = table

    def of(self, ids: Iterable[str]) -> dict[str, list[str]]:
        ids = list(ids)
        found: dict[str, list[str]] = defaultdict(list)
        if not ids:
            return found
        for resource_id, tag in self.conn.execute(_of(self.table), {IDS: ids}).all():
            found[resource_id].append(tag)
        return found

    def add(self, resource_id: str, tags: Iterable[str]) -> None:
        insert_rows(self.conn, self.table, [{"resource_id": resource_id, "tag": tag} for tag in tags])

    def remove(self, resource_id: str, tags: Iterable[str]) -> None:
        t = self.table
        self.conn.execute(delete(t).where(t.c.resource_id == resource_id, in_ids(t.c.tag, tags)))

    def clear(self, resource_id: str) -> None:
        self.conn.execute(delete(self.table).where(self.table.c.resource_id == resource_id))

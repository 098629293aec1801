"""Tags of one resource type, read in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Connection, Table, delete, insert, select


class TagRepo:
    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.table = table

    def of(self, ids: Iterable[str]) -> dict[str, list[str]]:
        ids = list(ids)
        found: dict[str, list[str]] = defaultdict(list)
        if not ids:
            return found
        t = self.table
        stmt = select(t.c.resource_id, t.c.tag).where(t.c.resource_id.in_(ids)).order_by(t.c.tag)
        for resource_id, tag in self.conn.execute(stmt).tuples().all():
            found[resource_id].append(tag)
        return found

    def add(self, resource_id: str, tags: Iterable[str]) -> None:
        rows = [{"resource_id": resource_id, "tag": tag} for tag in tags]
        if rows:
            self.conn.execute(insert(self.table), rows)

    def remove(self, resource_id: str, tags: Iterable[str]) -> None:
        t = self.table
        self.conn.execute(delete(t).where(t.c.resource_id == resource_id, t.c.tag.in_(list(tags))))

    def clear(self, resource_id: str) -> None:
        self.conn.execute(delete(self.table).where(self.table.c.resource_id == resource_id))

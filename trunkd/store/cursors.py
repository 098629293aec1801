"""Durable cursors of in-server event consumers."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from trunkd.store.clock import now
from trunkd.store.resources import locked
from trunkd.store.tables import consumer_cursors


class CursorRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def take(self, name: str) -> int:
        """The consumer's position, row-locked so one process consumes at a time (0 if new)."""
        stmt = select(consumer_cursors.c.seq).where(consumer_cursors.c.name == name)
        found = self.conn.execute(locked(self.conn, stmt, True)).scalar()
        if found is None:
            self.conn.execute(insert(consumer_cursors).values(name=name, seq=0, updated_at=now()))
            return 0
        return int(found)

    def advance(self, name: str, seq: int) -> None:
        self.conn.execute(
            update(consumer_cursors).where(consumer_cursors.c.name == name).values(seq=seq, updated_at=now())
        )

    def all(self) -> dict[str, int]:
        return {r.name: int(r.seq) for r in self.conn.execute(select(consumer_cursors.c.name, consumer_cursors.c.seq))}

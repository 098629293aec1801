"""Shared row helpers: fetch by id, insert, update with a revision bump."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Connection, Select, Table, delete, insert, select, update

from trunkd.store.clock import now


def insert_row(conn: Connection, table: Table, values: Mapping[str, Any]) -> None:
    conn.execute(insert(table).values(**values))


def update_row(conn: Connection, table: Table, row_id: str, values: Mapping[str, Any]) -> None:
    """Apply a real change: bump revision_number and updated_at with it."""
    conn.execute(
        update(table)
        .where(table.c.id == row_id)
        .values(**values, revision_number=table.c.revision_number + 1, updated_at=now())
    )


def bump_revision(conn: Connection, table: Table, row_id: str) -> None:
    update_row(conn, table, row_id, {})


def delete_row(conn: Connection, table: Table, row_id: str) -> int:
    return conn.execute(delete(table).where(table.c.id == row_id)).rowcount


def lock_clause(conn: Connection) -> bool:
    """Whether SELECT … FOR UPDATE means anything here (SQLite serialises writers itself)."""
    return conn.dialect.name != "sqlite"


def locked(conn: Connection, stmt: Select[Any], lock: bool) -> Select[Any]:
    """`stmt` FOR UPDATE when asked and the engine has row locks."""
    return stmt.with_for_update() if lock and lock_clause(conn) else stmt


def select_by_id(conn: Connection, table: Table, row_id: str, *, lock: bool = False) -> Select[Any]:
    return locked(conn, select(table).where(table.c.id == row_id), lock)


def update_many(conn: Connection, table: Table, row_ids: Collection[str], values: Mapping[str, Any]) -> None:
    """Apply the same real change to many rows in one statement, bumping each revision."""
    if row_ids:
        conn.execute(
            update(table)
            .where(table.c.id.in_(list(row_ids)))
            .values(**values, revision_number=table.c.revision_number + 1, updated_at=now())
        )

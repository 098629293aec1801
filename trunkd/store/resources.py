"""Shared row helpers: fetch by id, insert, update with a revision bump.

The statements are built once per table (and shape) and executed with bound parameters:
SQLAlchemy then reuses the compiled form and its cache key, instead of constructing and
keying a new statement on every request (most of a small request's database time).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Delete,
    Insert,
    Integer,
    Row,
    Select,
    Table,
    TextClause,
    Update,
    bindparam,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql

from trunkd.store.clock import now
from trunkd.store.id_lists import IDS, in_ids


@functools.cache
def _insert(table: Table) -> Insert:
    return insert(table)


def insert_row(conn: Connection, table: Table, values: Mapping[str, Any]) -> None:
    conn.execute(_insert(table), dict(values))


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(_insert(table), list(rows))


@functools.cache
def _update(table: Table, keys: tuple[str, ...], many: bool) -> Update:
    where = in_ids(table.c.id) if many else table.c.id == bindparam("row_id")
    return update(table).where(where).values(
        **{k: bindparam(f"new_{k}") for k in keys},
        revision_number=table.c.revision_number + 1,
        updated_at=bindparam("new_updated_at"),
    )


def _update_params(values: Mapping[str, Any]) -> dict[str, Any]:
    return {**{f"new_{k}": v for k, v in values.items()}, "new_updated_at": now()}


def update_row(conn: Connection, table: Table, row_id: str, values: Mapping[str, Any]) -> None:
    """Apply a real change: bump revision_number and updated_at with it."""
    stmt = _update(table, tuple(sorted(values)), False)
    conn.execute(stmt, {**_update_params(values), "row_id": row_id})


@functools.cache
def _update_returning(table: Table, keys: tuple[str, ...], columns: tuple[ColumnElement[Any], ...]) -> Update:
    return _update(table, keys, False).returning(*columns)


def update_row_returning(conn: Connection, table: Table, row_id: str, values: Mapping[str, Any],
                         columns: Sequence[ColumnElement[Any]]) -> Row[Any] | None:
    """update_row, answering the row as it now is (`columns`) in the same statement where the database
    can (UPDATE … RETURNING: SQLite, PostgreSQL); MariaDB has none for UPDATE, so a read follows there."""
    if conn.dialect.name in ("mysql", "mariadb"):
        update_row(conn, table, row_id, values)
        return row_by_id(conn, table, row_id, columns=columns)
    stmt = _update_returning(table, tuple(sorted(values)), tuple(columns))
    return conn.execute(stmt, {**_update_params(values), "row_id": row_id}).first()


def bump_revision(conn: Connection, table: Table, row_id: str) -> None:
    update_row(conn, table, row_id, {})


def update_many(conn: Connection, table: Table, row_ids: Collection[str], values: Mapping[str, Any]) -> None:
    """Apply the same real change to many rows in one statement, bumping each revision."""
    if row_ids:
        stmt = _update(table, tuple(sorted(values)), True)
        conn.execute(stmt, {**_update_params(values), IDS: list(row_ids)})


@functools.cache
def _delete(table: Table) -> Delete:
    return delete(table).where(table.c.id == bindparam("row_id"))


def delete_row(conn: Connection, table: Table, row_id: str) -> int:
    return conn.execute(_delete(table), {"row_id": row_id}).rowcount


def lock_clause(conn: Connection) -> bool:
    """Whether SELECT … FOR UPDATE means anything here (SQLite serialises writers itself)."""
    return conn.dialect.name != "sqlite"


def locked(conn: Connection, stmt: Select[Any], lock: bool) -> Select[Any]:
    """`stmt` FOR UPDATE when asked and the engine has row locks."""
    return stmt.with_for_update() if lock and lock_clause(conn) else stmt


@functools.cache
def _by_id(table: Table, columns: tuple[ColumnElement[Any], ...], lock: bool, scope: ColumnElement[bool] | None
           ) -> Select[Any]:
    stmt = select(*columns).where(table.c.id == bindparam("row_id"))
    if scope is not None:
        stmt = stmt.where(scope)
    return stmt.with_for_update() if lock else stmt


def row_by_id(conn: Connection, table: Table, row_id: str, *, lock: bool = False,
              columns: Sequence[ColumnElement[Any]] | None = None,
              scope: ColumnElement[bool] | None = None, scope_params: Mapping[str, Any] | None = None,
              ) -> Row[*tuple[Any, ...]] | None:
    """One row by id (FOR UPDATE where that means something), optionally limited by a prebuilt
    `scope` condition whose parameters come in `scope_params`."""
    stmt = _by_id(table, tuple(columns if columns is not None else table.c), lock and lock_clause(conn), scope)
    return conn.execute(stmt, {"row_id": row_id, **(scope_params or {})}).first()


@functools.cache
def _insert_json(dialect: str, table: Table, columns: tuple[str, ...]) -> TextClause:
    names = ", ".join(columns)
    if dialect == "postgresql":
        casts = ", ".join(
            f"CAST(e->>{i} AS {table.c[name].type.compile(dialect=postgresql.dialect())})"
            for i, name in enumerate(columns))
        return text(f"INSERT INTO {table.name} ({names}) SELECT {casts} "
                    "FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS e")
    if dialect == "mysql":
        cols = ", ".join(f"c{i} {_mysql_type(table.c[name].type)} PATH '$[{i}]'" for i, name in enumerate(columns))
        picks = ", ".join(f"j.c{i}" for i in range(len(columns)))
        return text(f"INSERT INTO {table.name} ({names}) SELECT {picks} "
                    f"FROM JSON_TABLE(:rows, '$[*]' COLUMNS ({cols})) AS j")
    picks = ", ".join(f"value->>{i}" for i in range(len(columns)))
    return text(f"INSERT INTO {table.name} ({names}) SELECT {picks} FROM json_each(:rows)")


def _mysql_type(column_type: Any) -> str:
    if isinstance(column_type, Integer):
        return "BIGINT"
    return "VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"


def insert_tuples(conn: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows of plain values (str, int) as one statement with one JSON parameter.

    The database unpacks the array (json_each, jsonb_array_elements), so 4094 rows cost one
    parameter, not 4094 parameter sets through SQLAlchemy's per-row processing (~10 µs each).
    Constraints apply as to any INSERT.
    """
    if rows:
        conn.execute(_insert_json(conn.dialect.name, table, columns), {"rows": orjson.dumps(rows).decode()})

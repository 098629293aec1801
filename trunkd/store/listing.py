"""One list helper for every resource: filters, tags, sorting and marker pagination."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Integer,
    Select,
    Table,
    and_,
    cast,
    exists,
    false,
    not_,
    or_,
    select,
    true,
)

from trunkd.domain.listing import ListQuery


def _tag_condition(table: Table, tags: Table, kind: str, values: list[str]) -> ColumnElement[bool]:
    def has(tag_values: list[str]) -> ColumnElement[bool]:
        return exists().where(tags.c.resource_id == table.c.id, tags.c.tag.in_(tag_values))

    if kind == "tags":
        return and_(*(has([v]) for v in values))
    if kind == "tags-any":
        return has(values)
    if kind == "not-tags":
        return not_(and_(*(has([v]) for v in values)))
    return not_(has(values))  # not-tags-any


def apply_filters(
    stmt: Select,
    table: Table,
    tags: Table,
    columns: Mapping[str, Column],
    query: ListQuery,
    special: Mapping[str, Callable[[list[Any]], ColumnElement[bool]]] | None = None,
) -> Select:
    """Filters by column value (or by a `special` condition built from the values), then tags."""
    for attr, values in query.filters.items():
        if special and attr in special:
            stmt = stmt.where(special[attr](values))
            continue
        stmt = stmt.where(columns[attr].in_(values)) if values else stmt.where(false())
    for kind, values in query.tag_filters.items():
        if values:
            stmt = stmt.where(_tag_condition(table, tags, kind, values))
    return stmt


def _ordered(col: Column, value: Any) -> tuple[ColumnElement[Any], Any]:
    """Booleans have no < or > in SQLAlchemy: compare them as 0/1, the order ORDER BY gives them."""
    if isinstance(col.type, Boolean):
        return cast(col, Integer), int(value)
    return col, value


def _after(keys: list[tuple[Column, bool]], marker: Mapping[Any, Any]) -> ColumnElement[bool]:
    """Rows strictly after `marker` in the order `keys` (lexicographic)."""
    clauses: list[ColumnElement[bool]] = []
    for i, (col, asc) in enumerate(keys):
        equal_before = [c == marker[c.key] for c, _ in keys[:i]]
        left, value = _ordered(col, marker[col.key])
        beyond = left > value if asc else left < value
        clauses.append(and_(*equal_before, beyond))
    return or_(*clauses) if clauses else true()


def paginate(
    conn: Connection,
    stmt: Select,
    table: Table,
    columns: Mapping[str, Column],
    query: ListQuery,
) -> list[Any]:
    """Run `stmt` sorted and paged (marker = id of the last row seen)."""
    keys = [(columns[attr], asc) for attr, asc in query.sorts]
    if not any(col is table.c.id for col, _ in keys):
        keys.append((table.c.id, True))
    limit = query.limit or None
    if limit and query.marker:
        marker_cols = [col for col, _ in keys]
        marker = conn.execute(select(*marker_cols).where(table.c.id == query.marker)).first()
        if marker is not None:
            scan = [(c, asc != query.page_reverse) for c, asc in keys]
            stmt = stmt.where(_after(scan, marker._mapping))
    order = [(c.asc() if asc != (query.page_reverse and bool(limit)) else c.desc()) for c, asc in keys]
    stmt = stmt.order_by(*order)
    if limit:
        stmt = stmt.limit(limit)
    rows = list(conn.execute(stmt))
    if limit and query.page_reverse:
        rows.reverse()
    return rows

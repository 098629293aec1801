"""One list helper for every resource: filters, tags, sorting and marker pagination."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Integer,
    Select,
    Table,
    and_,
    cast,
    false,
    func,
    not_,
    or_,
    select,
    true,
)

from trunkd.domain.listing import ListQuery


def _tag_condition(table: Table, tags: Table, kind: str, values: list[str]) -> ColumnElement[bool]:
    """One set-based subquery per filter, whatever the number of values (no clause per tag)."""
    wanted = sorted(set(values))
    tagged = select(tags.c.resource_id).where(tags.c.tag.in_(wanted))
    if kind in ("tags", "not-tags"):  # all of them: the resource carries as many of them as were asked
        tagged = tagged.group_by(tags.c.resource_id).having(func.count() == len(wanted))
    matches = table.c.id.in_(tagged)
    return matches if kind in ("tags", "tags-any") else not_(matches)


def _storable(col: Column, values: list[Any]) -> list[Any]:
    """Values a 32-bit INTEGER column can hold: others match no row, and PostgreSQL would refuse
    the parameter (integer out of range) rather than compare it."""
    if isinstance(col.type, Integer) and not isinstance(col.type, BigInteger):
        return [v for v in values if not isinstance(v, int) or -(2**31) <= v < 2**31]
    return values


def apply_filters(
    stmt: Select,
    table: Table,
    tags: Table,
    columns: Mapping[str, Column],
    query: ListQuery,
    special: Mapping[str, Callable[[list[Any]], ColumnElement[bool]]] | None = None,
) -> Select:
    """Filters by column value (or by a `special` condition built from the values), then tags."""
    for attr, wanted in query.filters.items():
        if special and attr in special:
            stmt = stmt.where(special[attr](wanted))
            continue
        values = _storable(columns[attr], wanted)
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
    visible: ColumnElement[bool] | None = None,
) -> list[Any]:
    """Run `stmt` sorted and paged (marker = id of the last row seen).

    `visible` is the caller's scope: a marker outside it is ignored like an unknown one, so a row
    the caller cannot see never positions the page (nor leaks its name or project by doing so).
    """
    keys = [(columns[attr], asc) for attr, asc in query.sorts]
    if not any(col is table.c.id for col, _ in keys):
        keys.append((table.c.id, True))
    limit = query.limit or None
    if limit and query.marker:
        marker_cols = [col for col, _ in keys]
        found = select(*marker_cols).where(table.c.id == query.marker)
        if visible is not None:
            found = found.where(visible)
        marker = conn.execute(found).first()
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

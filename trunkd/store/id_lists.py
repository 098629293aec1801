"""`column IN (a list of ids)` bound as ONE parameter, whatever the list's length.

An expanding IN binds one parameter per id: PostgreSQL refuses more than 65535 in a statement and
SQLite more than 32766, so a list of 100k trunks could not be read, and rendering thousands of
placeholders costs Python time on every large request. Here the ids travel as one array
(PostgreSQL: `col = ANY(%(ids)s::VARCHAR[])`) or one JSON text (SQLite: `col IN (SELECT value
FROM json_each(?))`, MariaDB: JSON_TABLE); all use the column's index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import String, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NULLTYPE, TypeDecorator, TypeEngine

IDS = "ids"  # the parameter name of the prebuilt statements' list: execute(stmt, {IDS: [...]})


class IdList(TypeDecorator[list[str]]):
    """A list of strings: a VARCHAR[] on PostgreSQL, JSON text elsewhere."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(ARRAY(String()) if dialect.name == "postgresql" else String())

    def process_bind_param(self, value: Iterable[str] | None, dialect: Dialect) -> Any:
        values = list(value or ())
        return values if dialect.name == "postgresql" else orjson.dumps(values).decode()


class InIds(ColumnElement[bool]):
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("ids", InternalTraversal.dp_clauseelement)]
    # not Boolean: SQLite would render "(…) = 1", which keeps the index from serving it
    type = NULLTYPE  # type: ignore[assignment]

    def __init__(self, column: ColumnElement[Any], ids: BindParameter[Any]) -> None:
        self.column = column
        self.ids = ids


@compiles(InIds)
def _json_each(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids, **kw)
    return f"{column} IN (SELECT value FROM json_each({ids}))"


@compiles(InIds, "mysql")
def _json_table(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    # MariaDB 10.6+ / MySQL 8: the JSON array as a table; the column in the table's own collation
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids, **kw)
    return (f"{column} IN (SELECT j.v FROM JSON_TABLE({ids}, '$[*]' COLUMNS "
            "(v VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$')) AS j)")


@compiles(InIds, "postgresql")
def _any(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.ids, **kw)})"


def in_ids(column: ColumnElement[Any], values: Iterable[str] | None = None) -> InIds:
    """`column` in a list of ids: bound now (`values`), or at execution as {IDS: [...]} for a prebuilt statement."""
    if values is None:
        return InIds(column, bindparam(IDS, type_=IdList()))
    return InIds(column, bindparam(IDS, list(values), type_=IdList(), unique=True))

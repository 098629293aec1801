"""The outbox: events appended inside the writing transaction, read in sequence order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from trunkd.domain.events import Event
from trunkd.store.clock import now
from trunkd.store.tables import outbox

# Serialises outbox writers on PostgreSQL so sequence order is commit order: a consumer that
# has read up to N never later finds an event below N commit.
_PG_OUTBOX_LOCK = 0x7472756E6B64  # "trunkd"
NOTIFY_CHANNEL = "trunkd_events"


def append(conn: Connection, events: Sequence[Event], request_id: str) -> int:
    """Insert the events; return the last sequence number written."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_OUTBOX_LOCK})
    created = now()
    rows = [
        {
            "created_at": created,
            "kind": e.kind,
            "resource_type": e.resource_type,
            "resource_id": e.resource_id,
            "project_id": e.project_id,
            "host": e.host,
            "request_id": request_id,
            "payload": {"state": e.state, "previous": e.previous},
        }
        for e in events
    ]
    conn.execute(insert(outbox), rows)
    last = int(conn.execute(select(func.max(outbox.c.seq))).scalar_one())
    if postgres:
        conn.execute(text("SELECT pg_notify(:c, :s)"), {"c": NOTIFY_CHANNEL, "s": str(last)})
    return last


def read(
    conn: Connection,
    after: int,
    limit: int,
    resource_types: Sequence[str] = (),
    host: str | None = None,
) -> list[dict[str, Any]]:
    stmt = select(outbox).where(outbox.c.seq > after).order_by(outbox.c.seq).limit(limit)
    if resource_types:
        stmt = stmt.where(outbox.c.resource_type.in_(list(resource_types)))
    if host is not None:
        stmt = stmt.where(outbox.c.host == host)
    return [dict(r._mapping) for r in conn.execute(stmt)]


def bounds(conn: Connection) -> tuple[int, int]:
    """(oldest kept seq, latest seq); (0, 0) when empty."""
    low, high = conn.execute(select(func.min(outbox.c.seq), func.max(outbox.c.seq))).one()
    return int(low or 0), int(high or 0)


def serialise(row: dict[str, Any]) -> dict[str, Any]:
    created: datetime = row["created_at"]
    return {
        "seq": row["seq"],
        "kind": row["kind"],
        "resource_type": row["resource_type"],
        "resource_id": row["resource_id"],
        "project_id": row["project_id"],
        "host": row["host"],
        "request_id": row["request_id"],
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "state": row["payload"].get("state"),
        "previous": row["payload"].get("previous"),
    }

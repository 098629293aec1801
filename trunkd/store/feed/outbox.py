"""The outbox: events appended inside the writing transaction, read in sequence order (`uow.outbox`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import psycopg
from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from trunkd.domain.events import BROADCAST_TYPES, Event
from trunkd.store.clock import now
from trunkd.store.engine import json_text
from trunkd.store.tables import consumer_cursors, outbox

# Serialises outbox writers on PostgreSQL so sequence order is commit order: a consumer that
# has read up to N never later finds an event below N commit.
_PG_OUTBOX_LOCK = 0x7472756E6B64  # "trunkd"
NOTIFY_CHANNEL = "trunkd_events"


_APPEND = insert(outbox).returning(outbox.c.seq)
# PostgreSQL: the lock, the rows (one JSON parameter, in event order) and the NOTIFY in one statement.
# Every row joins the lock's one row, so the lock is held before a sequence number is drawn; the
# notification is delivered at commit, as NOTIFY always is. Sent with the COMMIT in one pipeline
# (append_and_commit): one round trip for both.
_PG_APPEND_SQL = """
WITH locked AS (SELECT pg_advisory_xact_lock(%(k)s)),
appended AS (
    INSERT INTO outbox (created_at, kind, resource_type, resource_id, project_id, host, request_id, payload)
    SELECT %(created)s, e.kind, e.resource_type, e.resource_id, e.project_id, e.host, %(request_id)s, e.payload
    FROM locked, ROWS FROM (json_to_recordset(CAST(%(events)s AS json)) AS (
        kind text, resource_type text, resource_id text, project_id text, host text, payload json
    )) WITH ORDINALITY AS e(kind, resource_type, resource_id, project_id, host, payload, position)
    ORDER BY e.position
    RETURNING seq
)
SELECT max(seq), pg_notify(%(c)s, max(seq)::text) FROM appended
"""


class Head(NamedTuple):
    """What decides whom an event wakes: its place and the feed filters it answers to."""

    seq: int
    resource_type: str
    host: str | None


PRUNED_THROUGH = "outbox.pruned_through"


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


# MariaDB/Galera: the last sequence number lives in a counter row every writer updates in its
# transaction. The row lock serialises writers on one server, and Galera's certification lets only
# one of two nodes' transactions on the row commit (the other gets a deadlock error and is retried),
# so sequence order is commit order across the cluster too; GET_LOCK would hold on one node only.
SEQ_COUNTER = "outbox.last_seq"
_BUMP = text("UPDATE consumer_cursors SET seq = seq + :n, updated_at = :t WHERE name = :c")
_COUNTER = text("SELECT seq FROM consumer_cursors WHERE name = :c")
_SEED = text("INSERT INTO consumer_cursors (name, seq, updated_at) "
             "SELECT :c, coalesce(max(seq), 0) + :n, :t FROM outbox")


def _reserve(conn: Connection, count: int) -> int:
    """Reserve `count` sequence numbers under the counter row's lock; return the first."""
    params = {"n": count, "t": now(), "c": SEQ_COUNTER}
    if not conn.execute(_BUMP, params).rowcount:
        conn.execute(_SEED, params)  # the first writer ever (two at once: a duplicate key, retried)
    return int(conn.execute(_COUNTER, {"c": SEQ_COUNTER}).scalar_one()) - count + 1


class OutboxRepo:
    """The outbox rows of one unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, events: Sequence[Event], request_id: str) -> int:
        """Insert the events; return the last sequence number written."""
        created = now()
        if self.conn.dialect.name == "mysql":
            first = _reserve(self.conn, len(events))
            self.conn.execute(insert(outbox), [
                {"seq": first + i, "created_at": created, "kind": e.kind, "resource_type": e.resource_type,
                 "resource_id": e.resource_id, "project_id": e.project_id, "host": e.host,
                 "request_id": request_id, "payload": {"state": e.state, "previous": e.previous}}
                for i, e in enumerate(events)
            ])
            return first + len(events) - 1
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
        # RETURNING rather than a second query for max(seq); writers are serialised, so it is the max
        last: int = max(self.conn.execute(_APPEND, rows[0] if len(rows) == 1 else rows).scalars().all())
        return last

    def append_and_commit(self, events: Sequence[Event], request_id: str) -> int:
        """PostgreSQL: append the events and commit in one pipeline (one round trip, not two). Returns
        the last sequence number. A failure of either comes as SQLAlchemy's error, as from execute()."""
        raw: Any = self.conn.connection.dbapi_connection  # psycopg.Connection, inside our transaction
        params = {"k": _PG_OUTBOX_LOCK, "created": now(), "request_id": request_id, "c": NOTIFY_CHANNEL,
                  "events": json_text([
                      {"kind": e.kind, "resource_type": e.resource_type, "resource_id": e.resource_id,
                       "project_id": e.project_id, "host": e.host,
                       "payload": {"state": e.state, "previous": e.previous}}
                      for e in events])}
        try:
            cursor = raw.cursor()
            with raw.pipeline():  # both queued, sent and answered at the pipeline's end (its one sync)
                cursor.execute(_PG_APPEND_SQL, params)
                raw.execute("COMMIT", prepare=False)  # not raw.commit(): that syncs on its own
            row = cursor.fetchone()
        except psycopg.Error as exc:
            if self.conn.dialect.is_disconnect(exc, raw, None):  # type: ignore[arg-type]
                self.conn.invalidate(exc)
            raise DBAPIError.instance(_PG_APPEND_SQL, params, exc, psycopg.Error,
                                      dialect=self.conn.dialect) from exc
        self.conn.commit()  # SQLAlchemy's own bookkeeping: the connection is already idle, nothing is sent
        return int(row[0])

    def read(
        self,
        after: int,
        limit: int,
        resource_types: Sequence[str] = (),
        host: str | None = None,
    ) -> list[dict[str, Any]]:
        stmt = select(outbox).where(outbox.c.seq > after).order_by(outbox.c.seq).limit(limit)
        if resource_types:
            stmt = stmt.where(outbox.c.resource_type.in_(list(resource_types)))
        if host is not None:  # the host's events, and those every host is sent (security groups: no host)
            stmt = stmt.where((outbox.c.host == host)
                              | (outbox.c.host.is_(None) & outbox.c.resource_type.in_(BROADCAST_TYPES)))
        return [dict(r._mapping) for r in self.conn.execute(stmt)]

    def heads_since(self, after: int, limit: int) -> list[Head]:
        stmt = (select(outbox.c.seq, outbox.c.resource_type, outbox.c.host).where(outbox.c.seq > after)
                .order_by(outbox.c.seq).limit(limit))
        return [Head(r.seq, r.resource_type, r.host) for r in self.conn.execute(stmt)]

    def latest(self) -> int:
        """The newest sequence number written (0 when none)."""
        return int(self.conn.execute(select(func.coalesce(func.max(outbox.c.seq), 0))).scalar_one())

    def pruned_through(self) -> int:
        """The highest sequence number retention has removed (0 if none)."""
        found = self.conn.execute(
            select(consumer_cursors.c.seq).where(consumer_cursors.c.name == PRUNED_THROUGH)
        ).scalar()
        return int(found or 0)

    def prune(self, *, max_age: timedelta, max_count: int, keep_from: int | None) -> int:
        """Delete events older than `max_age` or beyond the newest `max_count`, but never one at or
        after `keep_from` (the oldest cursor a registered agent still needs). Returns the watermark."""
        by_count = self.latest() - max_count
        by_age: int = self.conn.execute(
            select(func.coalesce(func.max(outbox.c.seq), 0)).where(outbox.c.created_at < now() - max_age)
        ).scalar_one()
        cutoff = max(by_count, int(by_age))
        if keep_from is not None:
            cutoff = min(cutoff, keep_from - 1)
        current = self.pruned_through()
        if cutoff <= current:
            return current
        self.conn.execute(delete(outbox).where(outbox.c.seq <= cutoff))
        updated = self.conn.execute(
            update(consumer_cursors).where(consumer_cursors.c.name == PRUNED_THROUGH)
            .values(seq=cutoff, updated_at=now())
        ).rowcount
        if not updated:
            self.conn.execute(insert(consumer_cursors).values(name=PRUNED_THROUGH, seq=cutoff, updated_at=now()))
        return cutoff

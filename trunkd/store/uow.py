"""The unit of work: one transaction per request, its events written inside it."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from trunkd.domain import errors
from trunkd.domain.events import Event
from trunkd.store.agents import AgentRepo
from trunkd.store.cursors import CursorRepo
from trunkd.store.engine import is_sqlite, make_engine
from trunkd.store.faults import mysql_errno
from trunkd.store.feed.outbox import OutboxRepo
from trunkd.store.integrity import constraint_name
from trunkd.store.networks import NetworkRepo
from trunkd.store.ports import PortRepo
from trunkd.store.quotas import QuotaRepo
from trunkd.store.security_groups import SecurityGroupRepo
from trunkd.store.subnetpools import SubnetPoolRepo
from trunkd.store.subnets import SubnetRepo
from trunkd.store.trunks import TrunkRepo

LOG = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 4
# MariaDB aborts one of two transactions that wait on each other's row or gap locks (and Galera one of two
# that certify on the same rows); those need more tries than a constraint clash, with a little jitter
DEADLOCK_ATTEMPTS = 12


class UnitOfWork:
    def __init__(self, db: Database, *, write: bool, request_id: str = "") -> None:
        self.db = db
        self.write = write
        self.request_id = request_id
        self._events: list[Event] = []
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self._lock = self.db.writer_lock if self.write else None
        if self._lock is not None:
            self._lock.acquire()
        try:
            on_loop = not self.write and _ON_LOOP.get()
            self.conn: Connection = self.db.loop_connection() if on_loop else self.db.engine.connect()
            self.conn = self.conn.execution_options(write=self.write)
            if not self.write and self.db.autocommit_reads:
                # READ COMMITTED gives each statement its own snapshot inside a transaction too: a read
                # outside one sees the same, without the BEGIN and COMMIT round trips
                self.conn = self.conn.execution_options(isolation_level="AUTOCOMMIT")
            self.conn.begin()
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise
        self.networks = NetworkRepo(self.conn)
        self.ports = PortRepo(self.conn)
        self.subnets = SubnetRepo(self.conn)
        self.subnetpools = SubnetPoolRepo(self.conn)
        self.trunks = TrunkRepo(self.conn)
        self.security_groups = SecurityGroupRepo(self.conn)
        self.quotas = QuotaRepo(self.conn)
        self.agents = AgentRepo(self.conn)
        self.cursors = CursorRepo(self.conn)
        self.outbox = OutboxRepo(self.conn)
        return self

    def record(self, event: Event) -> None:
        self._events.append(event)

    def commit(self) -> int | None:
        """Write the outbox rows, commit, then wake feed listeners. Returns the last seq."""
        if self._events and self.db.pipelined_commit:
            last: int | None = self.outbox.append_and_commit(self._events, self.request_id)
        else:
            last = self.outbox.append(self._events, self.request_id) if self._events else None
            self.conn.commit()
        self._committed = True
        if last is not None:
            self.db.notify_committed(last)
        return last

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed:
                self.conn.rollback()
        finally:
            if self.conn is not self.db.loop_conn:
                self.conn.close()
            if self._lock is not None:
                self._lock.release()


def _retryable(exc: DBAPIError) -> bool:
    """Lost races a fresh attempt resolves: constraint clashes, deadlocks, busy SQLite."""
    if isinstance(exc, IntegrityError):
        return constraint_name(exc) != ""
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if code in ("40001", "40P01"):
        return True
    # MariaDB: deadlock (also Galera's certification failure, "WSREP detected deadlock/conflict"),
    # and a lock wait timeout; a last failure is a 503 (faults.py). 1305 "SAVEPOINT does not exist": a
    # certification failure inside a savepoint rolled back the whole transaction before the savepoint's own
    # rollback ran, so its error hides the deadlock
    if mysql_errno(exc) in (1213, 1205, 1305):
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def _deadlock(exc: DBAPIError) -> bool:
    return mysql_errno(exc) in (1213, 1305) or getattr(getattr(exc, "orig", None), "sqlstate", None) == "40P01"


# Set while a read runs on the event loop's thread (Database.on_loop).
_ON_LOOP: ContextVar[bool] = ContextVar("trunkd_on_loop", default=False)

# Set for the length of a `?dry_run=true` request (api/options.py): every unit of work it runs, in
# any thread, does all its work and rolls back. Context variables follow the use case to its thread (api/threads.py).
_DRY_RUN: ContextVar[bool] = ContextVar("trunkd_dry_run", default=False)


@contextmanager
def dry_run_scope() -> Iterator[None]:
    """Within it, `Database.transact` never commits (nothing written, no event)."""
    token = _DRY_RUN.set(True)
    try:
        yield
    finally:
        _DRY_RUN.reset(token)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self._listeners: list[Callable[[int], None]] = []
        # SQLite has one writer at a time anyway: queue this process's writers on a lock rather
        # than in SQLite's busy handler, whose sleeps (up to 100 ms) make the tail latency.
        self.writer_lock = threading.Lock() if is_sqlite(self.engine) else None
        # SQLite's read transaction is one snapshot for all its statements: keep it there
        self.autocommit_reads = self.engine.dialect.name == "postgresql"
        # PostgreSQL: the outbox append and the COMMIT go out together (psycopg pipeline mode)
        self.pipelined_commit = self.engine.dialect.name == "postgresql"
        # SQLite: a small read runs on the event loop, on a connection of its own (on_loop)
        self.reads_on_loop = is_sqlite(self.engine)
        self.loop_conn: Connection | None = None

    @contextmanager
    def on_loop(self) -> Iterator[None]:
        """Within it, this thread's read units of work use `loop_connection` (one thread only: the loop's)."""
        token = _ON_LOOP.set(True)
        try:
            yield
        finally:
            _ON_LOOP.reset(token)

    def loop_connection(self) -> Connection:
        """The event loop's own connection, kept open: a read there never waits for the pool."""
        if self.loop_conn is None or self.loop_conn.closed or self.loop_conn.invalidated:
            self.loop_conn = self.engine.connect()
        return self.loop_conn

    def read(self) -> UnitOfWork:
        return UnitOfWork(self, write=False)

    def write(self, request_id: str = "") -> UnitOfWork:
        return UnitOfWork(self, write=True, request_id=request_id)

    def transact(self, work: Callable[[UnitOfWork], T], request_id: str = "", *, dry_run: bool = False) -> T:
        """Run `work` in a write unit of work and commit; retry a lost race from scratch.

        A retry re-validates against what the winner committed, so the loser gets the precise
        typed error (DuplicateSubPort, TrunkPortInUse …) rather than a raw constraint failure.
        `dry_run` does all the work (validation, constraints, drivers' vetoes) then rolls back:
        no write and no event.
        """
        dry_run = dry_run or _DRY_RUN.get()
        clashes = 0
        for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
            try:
                with self.write(request_id) as uow:
                    result = work(uow)
                    if not dry_run:
                        uow.commit()
                    return result
            except DBAPIError as exc:
                if not _retryable(exc):
                    raise
                clashes += isinstance(exc, IntegrityError)
                if clashes == ATTEMPTS or attempt >= (DEADLOCK_ATTEMPTS if _deadlock(exc) else ATTEMPTS):
                    if _deadlock(exc):
                        LOG.warning("deadlocks kept aborting request %s: %s", request_id, exc.orig)
                        raise errors.Conflict(
                            "Concurrent requests kept deadlocking on the same resources; retry the request."
                        ) from exc
                    if isinstance(exc, IntegrityError):
                        LOG.warning("constraint kept rejecting request %s: %s", request_id, exc.orig)
                        raise errors.Conflict(
                            "A concurrent request changed the same resources; retry the request."
                        ) from exc
                    raise
                LOG.info("retrying request %s after %s", request_id, type(exc.orig).__name__)
                if _deadlock(exc):  # InnoDB/Galera: let the winner finish before trying again
                    time.sleep(random.uniform(0, 0.005 * attempt))
        raise AssertionError("unreachable")

    def add_listener(self, listener: Callable[[int], None]) -> None:
        self._listeners.append(listener)

    def notify_committed(self, seq: int) -> None:
        for listener in self._listeners:
            listener(seq)

    def dispose(self) -> None:
        if self.loop_conn is not None:
            self.loop_conn.close()
            self.loop_conn = None
        self.engine.dispose()

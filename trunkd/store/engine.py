"""Engine set-up: SQLite (WAL, foreign keys, immediate write transactions), PostgreSQL or MariaDB/MySQL."""

from __future__ import annotations

import json
import select
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from trunkd.domain.limits import STATEMENT_TIMEOUT_MS

DEFAULT_URL = "sqlite:///trunkd.db"
# Connections per process: as many as the one thread pool that runs every blocking call (api/threads.py,
# 40 threads: use cases, the feed hub, background jobs), so none waits for a connection, plus overflow
# for what holds one outside it (SQLite: the event loop's own read connection).
# PostgreSQL's max_connections must cover workers x (POOL_SIZE + POOL_OVERFLOW).
POOL_SIZE = 40
POOL_OVERFLOW = 10
# psycopg prepares a statement server-side after this many executions on a connection; keep up to
# PREPARED_MAX of them per connection (our statements are built once, so their texts repeat).
PREPARE_THRESHOLD = 2
PREPARED_MAX = 512


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_mysql(engine: Engine) -> bool:
    """MariaDB or MySQL (SQLAlchemy names both dialects "mysql"; MariaDB reports is_mariadb)."""
    return engine.dialect.name in ("mysql", "mariadb")


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and mean psycopg 3; accept `mysql://` / `mariadb://` and mean PyMySQL,
    always in utf8mb4 (four-byte characters in names and descriptions)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.drivername in ("mysql", "mariadb"):
        parsed = parsed.set(drivername="mysql+pymysql")
    if parsed.get_backend_name() in ("mysql", "mariadb") and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed.render_as_string(hide_password=False)


# Per session on MariaDB: strict SQL (a too-long value is an error, not truncated), the statement
# timeout, and on Galera wsrep_sync_wait=1 so a read on one node sees what another node committed.
MYSQL_SQL_MODE = "TRADITIONAL,NO_AUTO_VALUE_ON_ZERO,ONLY_FULL_GROUP_BY"


def json_text(value: Any) -> str:
    """JSON columns (event payloads, binding details) encoded by orjson; what it cannot encode
    (integers beyond 64 bits in a client's binding:profile) falls back to the json module."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def json_value(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def make_engine(url: str = DEFAULT_URL, *, pool_size: int = POOL_SIZE) -> Engine:
    url = normalise_url(url)
    codec: dict[str, Any] = {"json_serializer": json_text, "json_deserializer": json_value}
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **codec)
        _configure_sqlite(engine)
        return engine
    if make_url(url).get_backend_name() in ("mysql", "mariadb"):
        engine = create_engine(url, pool_size=pool_size, max_overflow=POOL_OVERFLOW, pool_pre_ping=True,
                               pool_recycle=3600, isolation_level="READ COMMITTED", **codec)
        _configure_mysql(engine)
        return engine
    # statement_timeout: a query (a hostile filter, a lock wait) ends after this even when its client has gone
    options = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
    engine = create_engine(url, pool_size=pool_size, max_overflow=POOL_OVERFLOW,
                           connect_args={"options": options, "prepare_threshold": PREPARE_THRESHOLD}, **codec)
    _configure_postgresql(engine)
    return engine


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.prepared_max = PREPARED_MAX

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
        """A liveness check without a round trip (instead of pool_pre_ping's SELECT): an idle
        connection has nothing to read, so a readable socket means the server closed it (restart,
        pg_terminate_backend: an error message then EOF). The pool then opens a fresh one."""
        if dbapi_conn.closed or _readable(dbapi_conn.pgconn.socket):
            raise DisconnectionError("the server closed this idle connection")


def _readable(fd: int) -> bool:
    poller = select.poll()  # not select.select: a busy server's descriptors pass 1024
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # FULL: a commit is on disk before it is acknowledged, even if the machine loses power
        # (NORMAL in WAL mode may lose the last commits then); it costs about 0.2 ms per commit.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        # Writers take the lock up front so a read never has to be upgraded mid-transaction.
        mode = "IMMEDIATE" if conn.get_execution_options().get("write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def _configure_mysql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        cur.execute(f"SET SESSION sql_mode = '{MYSQL_SQL_MODE}'")
        cur.execute("SET SESSION innodb_lock_wait_timeout = %s", (max(1, STATEMENT_TIMEOUT_MS // 1000),))
        cur.execute("SHOW VARIABLES LIKE 'max_statement_time'")
        if cur.fetchone() is not None:  # MariaDB (seconds); MySQL has max_execution_time for SELECTs only
            cur.execute("SET SESSION max_statement_time = %s", (STATEMENT_TIMEOUT_MS / 1000,))
        cur.execute("SHOW VARIABLES LIKE 'wsrep_on'")
        row = cur.fetchone()
        if row is not None and str(row[1]).upper() == "ON":
            cur.execute("SET SESSION wsrep_sync_wait = 1")  # read-your-writes across Galera nodes
        cur.close()

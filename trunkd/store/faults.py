"""Which database failures mean "unavailable for now" (503 + Retry-After) rather than a bug."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

# PostgreSQL SQLSTATEs: connection exceptions (08*), shutdown / cannot connect now (57P0*),
# read-only transaction, disk full / out of memory / too many connections, statement timeout.
_PG_CAUSES = {
    "25006": "database is read-only",
    "53100": "database disk is full",
    "53200": "database is out of memory",
    "53300": "database has too many connections",
    "57014": "database statement timed out",
    "57P01": "database is restarting",
    "57P02": "database is restarting",
    "57P03": "database is starting up",
}
# SQLite messages (sqlite3 gives no codes through SQLAlchemy's wrapper on every version).
_SQLITE_CAUSES = {
    "readonly database": "database is read-only",
    "database or disk is full": "database disk is full",
    "disk i/o error": "database disk I/O error",
    "unable to open database": "database cannot be opened",
    "database is locked": "database is busy",
}
# MariaDB/MySQL error numbers (PyMySQL's args[0]); the 2xxx are client-side connection failures.
_MYSQL_CAUSES = {
    2003: "database is unreachable",
    2006: "database is unreachable",
    2013: "database is unreachable",
    2002: "database is unreachable",
    1040: "database has too many connections",
    1053: "database is restarting",
    1021: "database disk is full",
    1114: "database disk is full",
    1290: "database is read-only",
    1836: "database is read-only",
    1792: "database is read-only",
    1969: "database statement timed out",
    3024: "database statement timed out",
    1205: "database is busy",
    1047: "database node is not ready (Galera)",
    1927: "database connection was killed",
}


def mysql_errno(exc: BaseException) -> int | None:
    """The MariaDB/MySQL error number of a PyMySQL error wrapped by SQLAlchemy, else None."""
    orig = getattr(exc, "orig", None)
    if orig is None or not type(orig).__module__.startswith("pymysql"):
        return None
    args = getattr(orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def unavailable_cause(exc: BaseException) -> str | None:
    """A short cause when `exc` is the database being unavailable, else None."""
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    errno = mysql_errno(exc)
    if errno is not None:
        if errno in _MYSQL_CAUSES:
            return _MYSQL_CAUSES[errno]
        return "database is unreachable" if exc.connection_invalidated else None
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str):
        if state in _PG_CAUSES:
            return _PG_CAUSES[state]
        if state.startswith("08"):
            return "database is unreachable"
    text = str(orig).lower()
    for fragment, cause in _SQLITE_CAUSES.items():
        if fragment in text:
            return cause
    # psycopg reports a refused or dropped connection without a SQLSTATE (sqlite3 never has one); its
    # other errors without one are client-side (e.g. too many parameters): bugs, not unavailability
    if isinstance(exc, OperationalError) and (
        exc.connection_invalidated
        or (state is None and type(orig).__module__.startswith("psycopg") and "connection" in text)
    ):
        return "database is unreachable"
    return None

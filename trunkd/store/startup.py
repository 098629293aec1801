"""The database opened once at start-up: what stops the start is said in one line (what, and how to fix it)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from trunkd.domain.errors import StartupCheckFailed
from trunkd.store.engine import make_engine, normalise_url

WHERE = "--database, TRUNKD_DATABASE or [database] connection"
EXAMPLES = "sqlite:////var/lib/trunkd/trunkd.db or postgresql://user:password@host/trunkd"
_UNREACHABLE = ("connection refused", "can't connect", "could not connect", "timeout expired", "timed out",
                "could not translate host name", "name or service not known", "no route to host",
                "connection to server", "network is unreachable", "lost connection")
_REFUSED_LOGIN = ("password authentication failed", "access denied", "role \"", "authentication failed")
_NO_DATABASE = ("does not exist", "unknown database")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return " ".join(text.strip().splitlines()[0].split()) if text.strip() else type(exc).__name__


def _sqlite_path(url: URL) -> Path | None:
    name = url.database or ""
    return None if name in ("", ":memory:") or name.startswith("file:") else Path(name).absolute()


def _explain(url: URL, exc: DBAPIError) -> str:
    """One line for a database that cannot be opened."""
    cause = _first_line(exc)
    low = cause.lower()
    path = _sqlite_path(url) if url.get_backend_name() == "sqlite" else None
    if url.get_backend_name() == "sqlite":
        where = path or url.database
        if "readonly" in low or "read-only" in low:
            return (f"SQLite database {where} is read-only ({cause}): make the file, its -wal/-shm files and "
                    "its directory writable for trunkd")
        return f"cannot open SQLite database {where} ({cause}): check that trunkd may create and write it there"
    backend = "MariaDB/MySQL" if url.get_backend_name() in ("mysql", "mariadb") else "PostgreSQL"
    at = f"{url.host or 'localhost'}:{url.port or ('3306' if backend.startswith('MariaDB') else '5432')}"
    if any(k in low for k in _REFUSED_LOGIN):
        return f"{backend} at {at} refused user {url.username!r} ({cause}): fix the user or password in {WHERE}"
    if any(k in low for k in _NO_DATABASE) and "role" not in low:
        return (f"database {url.database!r} does not exist on {backend} at {at} ({cause}): create it, or fix "
                f"its name in {WHERE}")
    if any(k in low for k in _UNREACHABLE):
        return (f"cannot reach {backend} at {at} ({cause}): start it, or fix the host and port in {WHERE}")
    return f"cannot open the {backend} database at {at} ({cause}): fix {WHERE} or the database server"


def check_database(url: str) -> None:
    """Open the database and start a write transaction once; StartupCheckFailed (one line) if that fails."""
    try:
        parsed = make_url(normalise_url(url))
        engine = make_engine(url, pool_size=1)
    except (ArgumentError, NoSuchModuleError, ValueError, ImportError) as exc:
        raise StartupCheckFailed(f"bad database URL ({_first_line(exc)}): give one like {EXAMPLES} in "
                                 f"{WHERE}") from None
    try:
        path = _sqlite_path(parsed) if parsed.get_backend_name() == "sqlite" else None
        if path is not None and not path.parent.is_dir():
            raise StartupCheckFailed(f"the directory of SQLite database {path} does not exist: create it "
                                     f"(mkdir -p {path.parent}) or fix {WHERE}")
        try:
            with engine.connect().execution_options(write=True) as conn:  # SQLite: BEGIN IMMEDIATE
                if path is not None:  # a read-only file opens (read-only) and even takes the lock: write
                    version = conn.exec_driver_sql("PRAGMA user_version").scalar()
                    conn.exec_driver_sql(f"PRAGMA user_version = {int(version or 0)}")
                else:
                    conn.exec_driver_sql("SELECT 1")
                conn.rollback()
        except DBAPIError as exc:
            raise StartupCheckFailed(_explain(parsed, exc)) from None
    finally:
        engine.dispose()

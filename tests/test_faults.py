"""Database faults (issue #12, item 5): unreachable, read-only and full databases answer 503 with a
NeutronError and Retry-After, never a 500; the server logs one line per cause and recovers by itself."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import require_engine
from tests.faults import Proxy, immutable, small_filesystem
from tests.support import IN_CI, PG_ADMIN_URL, Api, Server, error_type, throwaway_database


def assert_503(r: httpx.Response, cause: str) -> None:
    assert r.status_code == 503, r.text
    assert error_type(r) == "ServiceUnavailable" and cause in r.json()["NeutronError"]["message"]
    assert int(r.headers["retry-after"]) > 0


def create_network(api: Api) -> httpx.Response:
    return api.post("/v2.0/networks", {"network": {"name": f"n-{uuid.uuid4().hex[:6]}"}})


def eventually_201(api: Api, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while True:
        r = create_network(api)
        if r.status_code == 201 or time.monotonic() > deadline:
            break
        assert r.status_code == 503, r.text
        time.sleep(0.3)
    assert r.status_code == 201, r.text


def one_line_per_cause(server: Server, cause: str) -> None:
    log = server.log.read_text()
    assert log.count(f"answering 503: {cause}") == 1, log[-3000:]
    assert "Traceback" not in log and "unexpected error" not in log, log[-3000:]


def test_postgresql_unreachable_then_back(tmp_path: Path) -> None:
    require_engine("postgresql")
    with throwaway_database("postgresql", tmp_path) as url:
        proxy = Proxy(5432).start()
        assert "@127.0.0.1:5432/" in url
        server = Server(database=url.replace(":5432/", f":{proxy.port}/"), workdir=tmp_path).start()
        try:
            api = Api(server.url)
            assert create_network(api).status_code == 201
            proxy.cut()
            for _ in range(5):
                assert_503(create_network(api), "database is unreachable")
                assert_503(api.get("/v2.0/networks"), "database is unreachable")
            proxy.start()
            eventually_201(api)
            assert api.get("/v2.0/networks").status_code == 200
            one_line_per_cause(server, "database is unreachable")
        finally:
            server.stop()
            proxy.cut()


def test_postgresql_read_only_then_writable(tmp_path: Path) -> None:
    require_engine("postgresql")
    with throwaway_database("postgresql", tmp_path) as url:
        name = url.rsplit("/", 1)[1]
        server = Server(database=url, workdir=tmp_path).start()

        def read_only(on: bool) -> None:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {"on" if on else "off"}')
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))

        try:
            api = Api(server.url)
            assert create_network(api).status_code == 201
            read_only(True)
            for _ in range(3):
                assert_503(create_network(api), "database is read-only")
            assert api.get("/v2.0/networks").status_code == 200  # reads still work
            read_only(False)
            eventually_201(api)
            one_line_per_cause(server, "database is read-only")
        finally:
            server.stop()


def test_sqlite_read_only_then_writable(tmp_path: Path) -> None:
    if shutil.which("chattr") is None:  # scripts/ensure-fault-tools.sh installs it
        pytest.fail("chattr (e2fsprogs) is needed") if IN_CI else pytest.skip("no chattr")
    db = tmp_path / "trunkd.db"
    server = Server(database=f"sqlite:///{db}", workdir=tmp_path).start()
    # the database and its WAL, not the -shm index SQLite maps into memory (see docs/reliability.md)
    files = [db, Path(f"{db}-wal")]
    try:
        api = Api(server.url)
        assert create_network(api).status_code == 201
        immutable(files, True)
        try:
            for _ in range(3):
                r = create_network(api)
                assert r.status_code == 503 and error_type(r) == "ServiceUnavailable", r.text
                assert "retry-after" in r.headers
            assert api.get("/v2.0/networks").status_code == 200
        finally:
            immutable(files, False)
        eventually_201(api)
        one_line_per_cause(server, "database disk I/O error")
    finally:
        server.stop()


def test_sqlite_disk_full_then_space_again(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("mounting a small tmpfs needs root") if IN_CI else pytest.skip("not root")
    with small_filesystem(tmp_path / "disk", "4m") as disk:
        server = Server(database=f"sqlite:///{disk / 'trunkd.db'}", workdir=tmp_path).start()
        try:
            api = Api(server.url)
            assert create_network(api).status_code == 201
            filler = disk / "filler"
            with open(filler, "wb") as f:  # take every free block
                try:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
                except OSError:
                    pass
            for _ in range(3):
                r = api.post("/v2.0/networks", {"network": {"name": "x" * 255, "description": "y" * 255}})
                assert_503(r, "database disk is full")
            filler.unlink()
            eventually_201(api)
            one_line_per_cause(server, "database disk is full")
        finally:
            server.stop()


def test_only_connection_failures_count_as_unreachable() -> None:
    import psycopg
    from sqlalchemy.exc import OperationalError

    from trunkd.store.faults import unavailable_cause

    def wrapped(message: str) -> OperationalError:
        return OperationalError("SELECT 1", {}, psycopg.OperationalError(message))

    assert unavailable_cause(wrapped("connection failed: connection to server at \"127.0.0.1\", port 1 "
                                     "failed: Connection refused")) == "database is unreachable"
    assert unavailable_cause(wrapped("consuming input failed: server closed the connection unexpectedly")) \
        == "database is unreachable"
    # a client-side limit is a bug to fix, not a database to wait for
    assert unavailable_cause(wrapped("sending query and params failed: number of parameters must be "
                                     "between 0 and 65535")) is None

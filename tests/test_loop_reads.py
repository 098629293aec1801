"""Reads of one resource on SQLite run on the event loop's own connection (api/http.read_one): they
never check a connection out of the pool, so they never wait for one, and the connection stays open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import throwaway_database
from trunkd.store.migrate import upgrade
from trunkd.store.uow import Database


@pytest.fixture
def db(engine: str, tmp_path: Path) -> Iterator[Database]:
    with throwaway_database(engine, tmp_path) as url:
        upgrade(url)
        database = Database(url)
        yield database
        database.dispose()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_reads_on_the_loop_use_one_connection_of_their_own(db: Database) -> None:
    assert db.reads_on_loop
    with db.on_loop():
        with db.read() as uow:
            loop_conn = uow.conn
            assert uow.networks.get("no-such-network") is None
        with db.read() as uow:
            assert uow.conn is loop_conn and not loop_conn.closed
    assert db.engine.pool.checkedout() == 1  # the loop's, kept open; nothing else was checked out
    with db.read() as uow:  # outside on_loop: a pooled connection, returned afterwards
        assert uow.conn is not loop_conn
    assert db.engine.pool.checkedout() == 1
    with db.on_loop(), db.write() as uow:  # writes never use it: they take the writer lock, on the pool
        assert uow.conn is not loop_conn
    db.dispose()
    assert loop_conn.closed


@pytest.mark.parametrize("engine", ["postgresql", "mariadb"], indirect=True)
def test_reads_over_the_network_stay_on_the_thread_pool(db: Database) -> None:
    assert not db.reads_on_loop

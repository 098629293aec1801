"""Durability (issue #12, item 6): SQLite commits with synchronous=FULL, a write is on disk when it is
acknowledged (a copy of the files taken at that moment holds it), and no acknowledged write is lost
when the server is killed with SIGKILL mid-stream (both engines)."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import require_engine
from tests.support import Server, throwaway_database
from trunkd.store.engine import make_engine

KILLS = 3  # per engine
WRITERS = 3


def test_sqlite_commits_are_synchronous_full(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


def test_a_copy_of_the_files_taken_at_acknowledgement_holds_the_write(tmp_path: Path) -> None:
    """The files as they are when the 201 arrives (database and WAL, no -shm index: it is rebuilt)
    are what a crash of the machine would leave; each copy must hold the acknowledged row."""
    db = tmp_path / "trunkd.db"
    server = Server(database=f"sqlite:///{db}", workdir=tmp_path).start()
    try:
        client = httpx.Client(base_url=server.url, timeout=30)
        for i in range(20):
            r = client.post("/v2.0/networks", json={"network": {"name": f"ack-{i}"}})
            assert r.status_code == 201
            snap = tmp_path / f"snap{i}"
            snap.mkdir()
            for suffix in ("", "-wal"):
                if Path(f"{db}{suffix}").exists():
                    shutil.copyfile(f"{db}{suffix}", snap / f"trunkd.db{suffix}")
            conn = sqlite3.connect(snap / "trunkd.db")
            try:
                found = conn.execute("SELECT name FROM networks WHERE id = ?", (r.json()["network"]["id"],)).fetchone()
            finally:
                conn.close()
            assert found == (f"ack-{i}",), f"write {i} acknowledged but not in the files"
    finally:
        server.stop()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_no_acknowledged_write_is_lost_when_the_server_is_killed(engine: str, tmp_path: Path) -> None:
    require_engine(engine)
    with throwaway_database(engine, tmp_path / "db") as url:
        acknowledged: list[str] = []
        lock = threading.Lock()
        for kill in range(KILLS):
            server = Server(database=url, workdir=tmp_path).start()
            stop = threading.Event()

            def write(srv: Server = server, done: threading.Event = stop) -> None:
                with httpx.Client(base_url=srv.url, timeout=10) as client:
                    while not done.is_set():
                        try:
                            r = client.post("/v2.0/networks", json={"network": {"name": uuid.uuid4().hex}})
                        except httpx.TransportError:
                            return
                        if r.status_code == 201:
                            with lock:
                                acknowledged.append(r.json()["network"]["id"])

            threads = [threading.Thread(target=write) for _ in range(WRITERS)]
            for t in threads:
                t.start()
            time.sleep(1.0 + 0.3 * kill)
            server.stop(kill=True)  # SIGKILL while writes are in flight
            stop.set()
            for t in threads:
                t.join(timeout=15)
        eng = sa.create_engine(url)
        try:
            with eng.connect() as conn:
                stored = set(conn.execute(sa.text("SELECT id FROM networks")).scalars())
        finally:
            eng.dispose()
    assert len(acknowledged) > 10 * KILLS
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged writes lost after {KILLS} kills"
    print(f"durability {engine}: {len(acknowledged)} writes acknowledged, all found after {KILLS} kills")

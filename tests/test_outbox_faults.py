"""Faults around the outbox: failed commits, a killed server, retention, several API processes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa

from tests.support import Api, Server, error_type

SQLITE_TRIGGER = """
CREATE TRIGGER inject_outbox_failure BEFORE INSERT ON outbox
WHEN json_extract(NEW.payload, '$.state.name') = 'explode'
BEGIN SELECT RAISE(ABORT, 'injected failure'); END
"""
PG_TRIGGER = [
    """CREATE FUNCTION inject_outbox_failure() RETURNS trigger AS $$
    BEGIN
      IF NEW.payload::jsonb -> 'state' ->> 'name' = 'explode' THEN
        RAISE EXCEPTION 'injected failure';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER inject_outbox_failure BEFORE INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION inject_outbox_failure()""",
]
MARIADB_TRIGGER = """
CREATE TRIGGER inject_outbox_failure BEFORE INSERT ON outbox FOR EACH ROW
IF JSON_VALUE(NEW.payload, '$.state.name') = 'explode' THEN
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure';
END IF
"""


def install_commit_fault(database: str) -> None:
    """Make the database itself refuse the outbox row of any change named 'explode'."""
    engine = sa.create_engine(database)
    statements = {"sqlite": [SQLITE_TRIGGER], "mysql": [MARIADB_TRIGGER]}.get(engine.dialect.name, PG_TRIGGER)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def feed(api: Api, after: int = 0, **params: Any) -> dict[str, Any]:
    r = api.get("/v2.0/events", params={"after": after, "limit": 1000, **params})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_failure_at_commit_leaves_no_row_and_no_event(make_server: Callable[..., Server]) -> None:
    srv = make_server()
    install_commit_fault(srv.database)
    admin = Api(srv.url)
    net = admin.network(name="fine")
    before = feed(admin)["latest"]
    r = admin.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "explode"}})
    assert r.status_code == 500 and error_type(r) == "TrunkdError"
    r = admin.post("/v2.0/networks", {"network": {"name": "explode"}})
    assert r.status_code == 500
    assert admin.get(f"/v2.0/networks/{net['id']}").json()["network"]["name"] == "fine"
    assert admin.get("/v2.0/networks", params={"name": "explode"}).json()["networks"] == []
    assert feed(admin, before)["events"] == []


def test_kill_9_mid_burst_loses_no_acknowledged_event(make_server: Callable[..., Server]) -> None:
    srv = make_server()
    admin = Api(srv.url)
    first_page = feed(admin, 0, limit=3)  # a consumer that has read a little before the crash
    consumer_cursor = first_page["next_after"]
    acknowledged: list[str] = []
    stop = threading.Event()

    def burst() -> None:
        client = httpx.Client(base_url=srv.url, timeout=10)
        for i in range(400):  # bounded
            if stop.is_set():
                return
            try:
                r = client.post("/v2.0/networks", json={"network": {"name": f"burst-{i}"}})
            except httpx.TransportError:
                return
            if r.status_code == 201:
                acknowledged.append(r.json()["network"]["id"])

    writer = threading.Thread(target=burst)
    writer.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    srv.stop(kill=True)
    stop.set()
    writer.join(timeout=30)
    assert len(acknowledged) >= 40
    srv.start()
    everything = feed(admin)["events"]
    created = [e["resource_id"] for e in everything if e["kind"] == "network.created"]
    assert set(acknowledged) <= set(created), "an acknowledged write lost its event"
    for net_id in created:  # every event describes a change that really committed
        assert admin.get(f"/v2.0/networks/{net_id}").status_code == 200
    resumed: list[dict[str, Any]] = []
    after = consumer_cursor
    while True:
        page = feed(admin, after, limit=7)
        if not page["events"]:
            break
        resumed += page["events"]
        after = page["next_after"]
    seqs = [e["seq"] for e in first_page["events"] + resumed]
    assert seqs == sorted(set(seqs)), "each event exactly once, in order"
    assert [e["seq"] for e in everything] == seqs


def test_cursor_older_than_retention_gets_410(make_server: Callable[..., Server]) -> None:
    srv = make_server(TRUNKD_EVENT_RETENTION_COUNT="3", TRUNKD_EVENT_PRUNE_INTERVAL="0.2")
    admin = Api(srv.url)
    for _ in range(8):
        admin.network()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        r = admin.get("/v2.0/events", params={"after": 0})
        if r.status_code == 410:
            break
        time.sleep(0.1)
    assert r.status_code == 410 and error_type(r) == "EventCursorExpired"
    assert "Resync" in r.json()["NeutronError"]["message"]
    tail = feed(admin, 5)["events"]
    assert [e["seq"] for e in tail] == [6, 7, 8]


def test_noop_driver_marks_trunks_active_once_and_survives_restart(make_server: Callable[..., Server]) -> None:
    srv = make_server("--drivers", "noop")
    admin = Api(srv.url)
    trunk = admin.trunk()

    def status() -> str:
        return str(admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]["status"])

    deadline = time.monotonic() + 20
    while status() != "ACTIVE" and time.monotonic() < deadline:
        time.sleep(0.05)
    shown = admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]
    assert shown["status"] == "ACTIVE" and shown["status_reason"] == "set by driver noop"
    srv.stop()
    srv.start()
    admin.network()  # new traffic for the dispatcher after the restart
    time.sleep(0.5)
    changes = [e for e in feed(admin)["events"] if e["kind"] == "trunk.status_changed"]
    assert [e["resource_id"] for e in changes] == [trunk["id"]], "the side effect ran exactly once"


def test_long_poll_on_one_process_wakes_for_a_commit_on_another(make_server: Callable[..., Server]) -> None:
    """PostgreSQL wakes the poller through LISTEN/NOTIFY; on SQLite the poller re-reads each second."""
    a = make_server()
    b = make_server(database=a.database)
    api_a, api_b = Api(a.url), Api(b.url)
    head = feed(api_a)["latest"]
    woke: list[dict[str, Any]] = []

    def poll() -> None:
        after = head
        while len(woke) < 6:  # bounded: six events
            page = feed(api_a, after, wait=20)
            if not page["events"]:
                return
            woke.extend(page["events"])
            after = page["next_after"]

    poller = threading.Thread(target=poll)
    poller.start()
    written = [(api_b if i % 2 else api_a).network()["id"] for i in range(6)]
    poller.join(timeout=60)
    assert [e["resource_id"] for e in woke] == written
    assert [e["seq"] for e in woke] == sorted(e["seq"] for e in woke)
    engine = sa.create_engine(a.database)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from outbox where seq > :h"), {"h": head}).scalar_one() == 6
    engine.dispose()


def test_retention_never_prunes_past_a_registered_agents_cursor(make_server: Callable[..., Server]) -> None:
    srv = make_server(TRUNKD_EVENT_RETENTION_COUNT="2", TRUNKD_EVENT_PRUNE_INTERVAL="0.2")
    admin = Api(srv.url)
    admin.network()
    agent = {"host": "slow-host", "agent_type": "Open vSwitch agent", "binary": "trunkd-agent"}
    r = admin.post("/v2.0/agents", {"agent": {**agent, "event_cursor": 1}})
    assert r.status_code == 201
    for _ in range(8):
        admin.network()
    time.sleep(1.0)  # several retention passes
    kept = feed(admin, 1)["events"]
    assert len(kept) == 9, "the agent at cursor 1 still gets every later event"
    head = kept[-1]["seq"]
    assert admin.post("/v2.0/agents", {"agent": {**agent, "event_cursor": head}}).status_code == 200
    deadline = time.monotonic() + 20
    while admin.get("/v2.0/events", params={"after": 1}).status_code != 410 and time.monotonic() < deadline:
        time.sleep(0.1)
    r = admin.get("/v2.0/events", params={"after": 1})
    assert r.status_code == 410 and error_type(r) == "EventCursorExpired"

"""Neutron's notifications on RabbitMQ from the outbox: a real oslo.messaging listener counts them.

Every test uses its own exchange and topic. The kill -9 test and the broker-outage test (a TCP proxy
that is cut, then restored) check that every event Neutron would notify arrives at least once, in
order per resource."""

from __future__ import annotations

import socket
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from oslo_config import cfg

from tests.faults import Proxy
from tests.support import IN_CI, Server
from trunkd.notify.messaging import _ID_NAMESPACE, notification

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import oslo_messaging

RABBIT = 5672
WAIT = 90.0  # bound on waiting for deliveries (not an assertion on speed)


def _rabbit_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", RABBIT), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module", autouse=True)
def rabbit() -> None:
    if not _rabbit_up():
        if IN_CI:
            pytest.fail("RabbitMQ is not running on 127.0.0.1:5672")
        pytest.skip("RabbitMQ is not running on 127.0.0.1:5672")


class Collector:
    """A notification listener endpoint keeping every message it gets."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def info(self, ctxt: dict[str, Any], publisher_id: str, event_type: str, payload: dict[str, Any],
             metadata: dict[str, Any]) -> None:
        with self.lock:
            self.messages.append({"publisher_id": publisher_id, "event_type": event_type, "payload": payload,
                                  "message_id": metadata["message_id"], "ctxt": ctxt})


class Bus:
    def __init__(self, tmp: Path, port: int = RABBIT) -> None:
        self.exchange, self.topic = f"trunkd-test-{uuid.uuid4().hex[:8]}", f"trunkd-n-{uuid.uuid4().hex[:8]}"
        self.collector = Collector()
        self.tmp = tmp
        self.port = port
        conf = cfg.ConfigOpts()
        conf([], use_env=False)
        self.transport = oslo_messaging.get_notification_transport(conf, url=self.url(RABBIT))
        target = oslo_messaging.Target(topic=self.topic, exchange=self.exchange)
        self.listener = oslo_messaging.get_notification_listener(
            self.transport, [target], [self.collector], executor="threading")
        self.listener.start()

    def url(self, port: int) -> str:
        return f"rabbit://guest:guest@127.0.0.1:{port}/"

    def config_file(self) -> Path:
        path = self.tmp / f"trunkd-{self.topic}.conf"
        path.write_text(f"""[DEFAULT]
transport_url = {self.url(self.port)}
control_exchange = {self.exchange}
host = testhost

[notifications]
enabled = true
retry_interval = 0.2
poll_interval = 0.1

[oslo_messaging_notifications]
driver = messagingv2
topics = {self.topic}

[oslo_messaging_rabbit]
rabbit_retry_interval = 1
""")
        return path

    def close(self) -> None:
        self.listener.stop()
        self.listener.wait()
        self.transport.cleanup()

    def seqs(self) -> list[int]:
        """The outbox sequence numbers received, in arrival order (a repeat keeps its message id)."""
        with self.collector.lock:
            ids = [m["message_id"] for m in self.collector.messages]
        return [BY_ID[i] for i in ids if i in BY_ID]


BY_ID: dict[str, int] = {}


def _expected(url: str) -> list[dict[str, Any]]:
    """The events Neutron would notify, from the feed; remembers their message ids."""
    rows: list[dict[str, Any]] = []
    while True:
        page = httpx.get(f"{url}/v2.0/events", params={"after": rows[-1]["seq"] if rows else 0, "limit": 1000})
        got = page.json()["events"]
        if not got:
            break
        rows += got
    wanted = []
    for e in rows:
        row = {**e, "payload": {"state": e["state"], "previous": e["previous"]}}
        if notification(row) is not None:
            BY_ID[str(uuid.uuid5(_ID_NAMESPACE, str(e["seq"])))] = e["seq"]
            wanted.append(e)
    return wanted


def _wait_for(bus: Bus, seqs: set[int]) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and not seqs <= set(bus.seqs()):
        time.sleep(0.2)


def _work(url: str, network_id: str, n: int) -> None:
    with httpx.Client(base_url=url, timeout=30) as c:
        for i in range(n):
            parent = c.post("/v2.0/ports", json={"port": {"network_id": network_id, "name": f"p{i}"}}).json()["port"]
            child = c.post("/v2.0/ports", json={"port": {"network_id": network_id}}).json()["port"]
            trunk = c.post("/v2.0/trunks", json={"trunk": {"port_id": parent["id"], "name": f"t{i}"}}).json()["trunk"]
            r = c.put(f"/v2.0/trunks/{trunk['id']}/add_subports", json={"sub_ports": [
                {"port_id": child["id"], "segmentation_type": "vlan", "segmentation_id": 100 + i}]})
            assert r.status_code == 200, r.text
            assert c.put(f"/v2.0/trunks/{trunk['id']}", json={"trunk": {"name": f"u{i}"}}).status_code == 200
            if i % 3 == 0:
                assert c.delete(f"/v2.0/trunks/{trunk['id']}").status_code == 204


def _network(url: str) -> str:
    return str(httpx.post(f"{url}/v2.0/networks", json={"network": {"name": "n"}}).json()["network"]["id"])


def _check(bus: Bus, expected: list[dict[str, Any]]) -> None:
    got = bus.seqs()
    missing = {e["seq"] for e in expected} - set(got)
    assert not missing, f"{len(missing)} of {len(expected)} notifications lost"
    first: dict[int, int] = {}
    for position, seq in enumerate(got):
        first.setdefault(seq, position)
    by_resource: dict[str, list[int]] = {}
    for e in expected:
        by_resource.setdefault(e["resource_id"], []).append(first[e["seq"]])
    for resource, positions in by_resource.items():
        assert positions == sorted(positions), f"out of order for {resource}"


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[Bus]:
    b = Bus(tmp_path)
    yield b
    b.close()


def test_neutron_format(bus: Bus, tmp_path: Path) -> None:
    server = Server(f"sqlite:///{tmp_path / 'db'}", tmp_path, ["--config-file", str(bus.config_file())]).start()
    try:
        net = _network(server.url)
        _work(server.url, net, 1)  # i == 0: the trunk is also deleted
        expected = _expected(server.url)
        _wait_for(bus, {e["seq"] for e in expected})
    finally:
        server.stop()
    _check(bus, expected)
    with bus.collector.lock:
        messages = list(bus.collector.messages)
    types = [m["event_type"] for m in messages]
    assert types[:1] == ["network.create.end"]
    for t in ("port.create.end", "trunk.create.end", "trunk.update.end", "trunk.delete.end"):
        assert t in types
    assert {m["publisher_id"] for m in messages} == {"network.testhost"}
    created = next(m for m in messages if m["event_type"] == "trunk.create.end")
    assert set(created["payload"]) == {"trunk"} and created["payload"]["trunk"]["name"] == "t0"
    assert created["ctxt"]["project_id"] == created["payload"]["trunk"]["project_id"]
    added = [m for m in messages if m["event_type"] == "trunk.update.end"]
    assert added[0]["payload"]["trunk"]["sub_ports"][0]["segmentation_id"] == 100
    deleted = next(m for m in messages if m["event_type"] == "trunk.delete.end")
    assert deleted["payload"]["trunk_id"] == deleted["payload"]["trunk"]["id"] == created["payload"]["trunk"]["id"]


def test_none_lost_across_kill_9(bus: Bus, tmp_path: Path) -> None:
    """Three rounds of writes, each ended by kill -9 while notifications are still going out."""
    db = f"sqlite:///{tmp_path / 'db'}"
    args = ["--config-file", str(bus.config_file())]
    server = Server(db, tmp_path, args).start()
    net = _network(server.url)
    for _ in range(3):
        _work(server.url, net, 8)
        server.stop(kill=True)
        server = Server(db, tmp_path, args, port=server.port).start()
    try:
        expected = _expected(server.url)
        _wait_for(bus, {e["seq"] for e in expected})
    finally:
        server.stop()
    _check(bus, expected)
    assert len(expected) > 8 * 3 * 5


def test_broker_outage(tmp_path: Path) -> None:
    """The broker unreachable (the proxy cut): writes go on, notifications wait, then all arrive."""
    proxy = Proxy(RABBIT).start()
    bus = Bus(tmp_path, port=proxy.port)
    server = Server(f"sqlite:///{tmp_path / 'db'}", tmp_path, ["--config-file", str(bus.config_file())]).start()
    try:
        net = _network(server.url)
        _wait_for(bus, {e["seq"] for e in _expected(server.url)})
        proxy.cut()
        _work(server.url, net, 4)
        before = set(bus.seqs())
        proxy.start()
        expected = _expected(server.url)
        _wait_for(bus, {e["seq"] for e in expected})
        _check(bus, expected)
        assert {e["seq"] for e in expected} - before, "nothing was held back during the outage"
    finally:
        server.stop()
        proxy.cut()
        bus.close()

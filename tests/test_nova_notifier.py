"""Nova's external events from the outbox, to a Nova played by an HTTP server in this process.

The fake Nova (127.0.0.1) is the `compute` endpoint in the real test Keystone's catalog; it checks each
request's X-Auth-Token against Keystone (GET /v3/auth/tokens) and validates each body against Nova's own
request schema: `create` of nova/api/openstack/compute/schemas/server_external_events.py from the `nova`
wheel on PyPI (`pip download --no-deps nova==31.0.0` into ~/.cache/trunkd-tests/nova, read from the zip).
That file imports `nova.objects.external_event` only for EVENT_STATUSES: the test takes that list literal
from the wheel's nova/objects/external_event.py (ast), puts a stub module holding it in sys.modules for the
exec of the schema file, then removes the stub; jsonschema's Draft4Validator with a FormatChecker (uuid)
validates. Like Nova, the fake answers 200, 207 (some servers unknown: code 404 per event) or 404 (none).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import threading
import time
import types
import uuid
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tests.keystone import ADMIN_PASSWORD, PASSWORD, REGION, Keystone
from tests.support import IN_CI, Api, Server, free_port, throwaway_database
from tests.test_agents_binding import heartbeat, new_host
from tests.test_port_status import report
from trunkd.notify.nova import VIF_DELETED, VIF_PLUGGED, VIF_UNPLUGGED, events_for

NOVA_VERSION = "31.0.0"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "trunkd-tests" / "nova"
SCHEMA = "nova/api/openstack/compute/schemas/server_external_events.py"
RETAIN_ONE = {"TRUNKD_EVENT_RETENTION_COUNT": "1", "TRUNKD_EVENT_PRUNE_INTERVAL": "0.2"}  # only held ones stay
WAIT = 60.0  # bound on waiting for deliveries (not an assertion on speed)


def nova_schema() -> dict[str, Any]:
    wheel = CACHE / f"nova-{NOVA_VERSION}-py3-none-any.whl"
    if not wheel.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", f"nova=={NOVA_VERSION}",
                               "-d", str(CACHE)], capture_output=True, text=True, timeout=300)
        if not wheel.exists():
            if IN_CI:
                pytest.fail(f"could not download nova {NOVA_VERSION}: {done.stderr[-2000:]}")
            pytest.skip(f"could not download nova {NOVA_VERSION}")
    with zipfile.ZipFile(wheel) as z:
        source = z.read(SCHEMA).decode()
        objects = ast.parse(z.read("nova/objects/external_event.py").decode())
    statuses = next(ast.literal_eval(node.value) for node in objects.body if isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "EVENT_STATUSES" for t in node.targets))
    stub = types.ModuleType("nova.objects.external_event")
    stub.EVENT_STATUSES = statuses  # type: ignore[attr-defined]
    stubs = {"nova": types.ModuleType("nova"), "nova.objects": types.ModuleType("nova.objects"),
             "nova.objects.external_event": stub}
    stubs["nova.objects"].external_event = stub  # type: ignore[attr-defined]
    assert not set(stubs) & set(sys.modules)
    sys.modules.update(stubs)
    try:
        namespace: dict[str, Any] = {}
        exec(compile(source, SCHEMA, "exec"), namespace)  # Nova's schema module, from its wheel
    finally:
        for name in stubs:
            del sys.modules[name]
    return dict(namespace["create"])


class FakeNova:
    """POST /v2.1/os-server-external-events, checked as Nova would; keeps every event it answered."""

    def __init__(self, keystone: Keystone, schema: dict[str, Any]) -> None:
        self.keystone, self.port = keystone, free_port()
        self.validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
        self.admin_token = keystone.token("admin", ADMIN_PASSWORD, "admin")
        self.servers: set[str] = set()
        self.events: list[dict[str, Any]] = []  # as answered, with "code"
        self.failures: list[str] = []  # bad tokens, bodies Nova would refuse
        self.unavailable = False  # answer 503
        self.refused = 0
        self.lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2.1"

    def token_valid(self, token: str | None) -> bool:
        if not token:
            return False
        r = httpx.get(f"{self.keystone.url}/v3/auth/tokens", timeout=30,
                      headers={"X-Auth-Token": self.admin_token, "X-Subject-Token": token})
        return r.status_code == 200

    def answer(self, path: str, token: str | None, raw: bytes) -> tuple[int, dict[str, Any]]:
        if path != "/v2.1/os-server-external-events":
            return 404, {"itemNotFound": {"code": 404, "message": path}}
        if not self.token_valid(token):
            with self.lock:
                self.failures.append(f"token not valid: {token!r}")
            return 401, {"error": {"code": 401}}
        with self.lock:
            if self.unavailable:
                self.refused += 1
                return 503, {"computeFault": {"code": 503, "message": "down for the test"}}
        try:
            body = json.loads(raw)
            self.validator.validate(body)
        except (ValueError, jsonschema.ValidationError) as exc:
            with self.lock:
                self.failures.append(f"invalid body {raw[:300]!r}: {exc}")
            return 400, {"badRequest": {"code": 400, "message": str(exc)[:300]}}
        answered = []
        with self.lock:
            for event in body["events"]:
                found = event["server_uuid"] in self.servers
                answered.append({**event, "code": 200 if found else 404,
                                 "status": event.get("status", "completed") if found else "failed"})
            self.events.extend(answered)
        codes = {e["code"] for e in answered}
        if codes == {404}:
            return 404, {"itemNotFound": {"code": 404, "message": "No instances found for any event"}}
        return (200 if codes == {200} else 207), {"events": answered}

    def start(self) -> FakeNova:
        nova = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                code, body = nova.answer(self.path, self.headers.get("X-Auth-Token"), raw)
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def close(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def got(self, tag: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.events if e["tag"] == tag]


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"not within {WAIT}s: {what}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def nova(keystone: Keystone) -> Iterator[FakeNova]:
    fake = FakeNova(keystone, nova_schema()).start()
    keystone.register_service("compute", "nova", fake.url)
    keystone.user("trunkd-nova", "service", "admin")
    yield fake
    fake.close()


def config_file(keystone: Keystone, path: Path) -> Path:
    path.write_text(f"""[nova]
auth_url = {keystone.url}/v3
auth_type = password
username = trunkd-nova
password = {PASSWORD}
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = {REGION}
endpoint_type = public
timeout = 10
retry_interval = 0.2
retry_max_interval = 1.0
poll_interval = 0.1
""")
    return path


@pytest.fixture(scope="module")
def server(keystone: Keystone, nova: FakeNova, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("nova-notifier")
    s = Server(f"sqlite:///{tmp / 'db'}", tmp, ["--config-file", str(config_file(keystone, tmp / "t.conf"))],
               env=RETAIN_ONE)
    s.start()
    yield s
    s.stop()


class Setup:
    def __init__(self, url: str, nova: FakeNova) -> None:
        self.api, self.nova = Api(url), nova
        self.host = new_host()
        heartbeat(self.api, self.host)
        self.net = self.api.network()
        self.subnet = self.api.subnet(self.net["id"], cidr="10.7.0.0/24")

    def compute_port(self, known: bool = True, owner: str = "compute:nova") -> dict[str, Any]:
        server_uuid = str(uuid.uuid4())
        if known:
            self.nova.servers.add(server_uuid)
        return self.api.port(self.net["id"], device_owner=owner, device_id=server_uuid,
                             **{"binding:host_id": self.host})

    def status(self, *ports: dict[str, Any], to: str) -> None:
        r = report(self.api, self.host, *((p["id"], to) for p in ports))
        assert r.status_code == 200 and all(e["changed"] for e in r.json()["ports"]), r.text

    def delete(self, port: dict[str, Any]) -> None:
        assert self.api.delete(f"/v2.0/ports/{port['id']}").status_code == 204

    def barrier(self) -> None:
        """Every earlier event went to Nova: a later one (a deleted port's vif-deleted) arrived."""
        marker = self.compute_port()
        self.delete(marker)
        wait_for(lambda: any(e["name"] == VIF_DELETED for e in self.nova.got(marker["id"])), "the marker")


def latest(api: Api) -> int:
    return int(api.get("/v2.0/events", params={"after": 10**12, "limit": 1}).json()["latest"])


def oldest_kept(api: Api) -> int:
    r = api.get("/v2.0/events", params={"after": 0, "limit": 1})
    if r.status_code == 410:  # EventCursorExpired names the oldest kept event
        return int(re.search(r"oldest kept event is (\d+)", r.json()["NeutronError"]["message"]).group(1))  # type: ignore[union-attr]
    return int(r.json()["events"][0]["seq"])


def names(nova: FakeNova, port: dict[str, Any]) -> list[str]:
    return [e["name"] for e in nova.got(port["id"])]


def port(status: str | None, owner: str = "compute:nova", device_id: str = "6f8a1a3e-8d1b-4f5e-9a53-3b1d2c4e5f60",
         mac: str = "fa:16:3e:00:00:01") -> dict[str, Any] | None:
    if status is None:
        return None
    return {"id": "p1", "status": status, "device_owner": owner, "device_id": device_id, "mac_address": mac,
            "fixed_ips": []}


@pytest.mark.parametrize(("kind", "before", "after", "wanted"), [
    ("port.updated", port("DOWN"), port("ACTIVE"), [(VIF_PLUGGED, "completed")]),
    ("port.updated", port("BUILD"), port("ACTIVE"), [(VIF_PLUGGED, "completed")]),
    ("port.updated", port("DOWN"), port("ERROR"), [(VIF_PLUGGED, "failed")]),
    ("port.created", None, port("ACTIVE"), [(VIF_PLUGGED, "completed")]),
    ("port.updated", port("ACTIVE"), port("DOWN"), [(VIF_UNPLUGGED, "completed")]),
    ("port.updated", port("ACTIVE"), port("ERROR"), []),
    ("port.updated", port("ERROR"), port("DOWN"), []),
    ("port.updated", port("DOWN"), port("ACTIVE", owner="network:dhcp"), []),
    ("port.updated", port("DOWN"), port("ACTIVE", device_id="not-a-uuid"), []),
    ("port.updated", port("DOWN"), port("DOWN", mac="fa:16:3e:00:00:02"), [("network-changed", None)]),
    ("port.deleted", port("ACTIVE"), None, [(VIF_DELETED, None)]),
    ("port.deleted", port("ACTIVE", owner="network:router_interface"), None, []),
])
def test_decisions_as_neutron(kind: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
                              wanted: list[tuple[str, str | None]]) -> None:
    """Neutron 29's Notifier.record_port_status_changed / create_port_changed_event decisions."""
    found = events_for({"resource_type": "port", "kind": kind, "payload": {"state": after, "previous": before}})
    assert [(e["name"], e.get("status")) for e in found] == wanted
    assert all(e["server_uuid"] == "6f8a1a3e-8d1b-4f5e-9a53-3b1d2c4e5f60" and e["tag"] == "p1" for e in found)


def test_plugged_after_active_unplugged_changed_deleted(server: Server, nova: FakeNova) -> None:
    s = Setup(server.url, nova)
    port, dhcp, unknown = s.compute_port(), s.compute_port(owner="network:dhcp"), s.compute_port(known=False)
    assert port["status"] == "DOWN"
    s.barrier()
    assert nova.got(port["id"]) == [], "nothing before the port went ACTIVE"

    s.status(port, dhcp, unknown, to="ACTIVE")
    wait_for(lambda: VIF_PLUGGED in names(nova, port), "vif-plugged")
    assert nova.got(port["id"]) == [{"name": VIF_PLUGGED, "server_uuid": port["device_id"], "tag": port["id"],
                                     "status": "completed", "code": 200}]

    s.status(port, to="DOWN")
    wait_for(lambda: VIF_UNPLUGGED in names(nova, port), "vif-unplugged")
    assert nova.got(port["id"])[-1]["status"] == "completed"

    r = s.api.put(f"/v2.0/ports/{port['id']}", {"port": {"fixed_ips": [
        {"subnet_id": s.subnet["id"], "ip_address": "10.7.0.77"}]}})
    assert r.status_code == 200, r.text
    wait_for(lambda: "network-changed" in names(nova, port), "network-changed")

    s.delete(port)
    s.delete(unknown)
    wait_for(lambda: VIF_DELETED in names(nova, port), "vif-deleted")
    s.barrier()
    assert names(nova, port) == [VIF_PLUGGED, VIF_UNPLUGGED, "network-changed", VIF_DELETED]
    # an unknown server: Nova's 404 is final (answered once each), later events went on
    assert [(e["name"], e["code"]) for e in nova.got(unknown["id"])] == [(VIF_PLUGGED, 404), (VIF_DELETED, 404)]
    assert nova.got(dhcp["id"]) == []
    assert nova.failures == []


def test_nova_unavailable_then_back(server: Server, nova: FakeNova) -> None:
    s = Setup(server.url, nova)
    port = s.compute_port()
    s.barrier()
    with nova.lock:
        nova.unavailable, refused = True, nova.refused
    s.status(port, to="ACTIVE")
    held = latest(s.api)
    s.api.network()  # later events: retention (count 1) would drop the undelivered one if the notifier did not hold it
    wait_for(lambda: nova.refused >= refused + 2, "tries while Nova answers 503")
    wait_for(lambda: oldest_kept(s.api) == held, "retention pruned up to the undelivered event")
    assert nova.got(port["id"]) == []
    with nova.lock:
        nova.unavailable = False
    wait_for(lambda: names(nova, port) == [VIF_PLUGGED], "vif-plugged once Nova is back")

    tries = server.log.read_text().count("not delivered")
    nova.close()  # connection refused
    try:
        s.status(port, to="DOWN")
        wait_for(lambda: server.log.read_text().count("not delivered") >= tries + 2, "tries while Nova is closed")
    finally:
        nova.start()
    wait_for(lambda: names(nova, port) == [VIF_PLUGGED, VIF_UNPLUGGED], "vif-unplugged once Nova is back")
    assert nova.failures == []


def test_none_lost_across_kill_9(engine: str, keystone: Keystone, nova: FakeNova, tmp_path: Path) -> None:
    """A bounded burst (16 ports, 6 rounds of ACTIVE then DOWN) with kill -9 after the third round."""
    with throwaway_database(engine, tmp_path / "db") as db:
        _burst_with_kill_9(db, keystone, nova, tmp_path)


def _burst_with_kill_9(db: str, keystone: Keystone, nova: FakeNova, tmp_path: Path) -> None:
    args = ["--config-file", str(config_file(keystone, tmp_path / "t.conf"))]
    server = Server(db, tmp_path, args).start()
    try:
        s = Setup(server.url, nova)
        ports = [s.compute_port() for _ in range(16)]
        for round_ in range(6):
            if round_ == 3:
                server.stop(kill=True)
                server = Server(db, tmp_path, args, port=server.port).start()
            s.status(*ports, to="ACTIVE")
            s.status(*ports, to="DOWN")
        rows: list[dict[str, Any]] = []
        while page := s.api.get("/v2.0/events", params={"after": rows[-1]["seq"] if rows else 0,
                                                        "limit": 1000}).json()["events"]:
            rows += page
        expected: dict[str, list[str]] = {p["id"]: [] for p in ports}
        for e in rows:
            for event in events_for({**e, "payload": {"state": e["state"], "previous": e["previous"]}}):
                if event["tag"] in expected:
                    expected[event["tag"]].append(event["name"])
        assert all(v == [VIF_PLUGGED, VIF_UNPLUGGED] * 6 for v in expected.values()), expected

        def delivered(port_id: str) -> bool:  # the expected events, in order, repeats allowed (at least once)
            got = iter(names(nova, {"id": port_id}))
            return all(name in got for name in expected[port_id])

        wait_for(lambda: all(delivered(p) for p in expected), "every event of the burst")
        assert sum(len(nova.got(p["id"])) for p in ports) >= 16 * 12
        assert nova.failures == []
    finally:
        server.stop()

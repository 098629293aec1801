"""[agent] host_identities (issue 19, item 8): an agent identity bound to hosts writes only for them.

Against a real Keystone (tests/keystone.py): `agent-c1` (bound by user name to `c1-*`) and `agent-c2` (bound by
user id to `c2`) each hold the `service` role. Every agent-only write that names a host — heartbeat, port
binding, port status, bind_subports, trunk status — is refused with 403 HostNotAllowed for another host, with
nothing written; an unlisted service user is not bound. Also in noauth (X-User-Id / X-User-Name)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.keystone import ADMIN_PASSWORD, Keystone, TokenApi, authtoken_config
from tests.support import Api, Server, error_type, throwaway_database
from tests.test_agents_binding import OVS, sub


@dataclass
class Cloud:
    keystone: Keystone
    server: Server

    def as_user(self, name: str) -> TokenApi:
        project = "admin" if name == "admin" else "service"
        password = ADMIN_PASSWORD if name == "admin" else None
        token = self.keystone.token(name, password, project) if password else self.keystone.token(name,
                                                                                                  project=project)
        return TokenApi(self.server.url, token)


@pytest.fixture(scope="module")
def cloud(keystone: Keystone, engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    keystone.user("trunkd", "service", "service")
    keystone.user("agent-c1", "service", "service")
    c2_id = keystone.user("agent-c2", "service", "service")
    keystone.user("nova-svc", "service", "service")  # a service user that is not listed: not bound
    workdir = tmp_path_factory.mktemp(f"host-identities-{engine}")
    conf = authtoken_config(keystone, workdir / "trunkd.conf", "trunkd")
    conf.write_text(conf.read_text() + f"\n[agent]\nhost_identities = agent-c1:c1-*, {c2_id}:c2\n")
    with throwaway_database(engine, workdir) as url:
        server = Server(url, workdir, args=["--auth-strategy", "keystone", "--config-file", str(conf)]).start()
        try:
            yield Cloud(keystone, server)
        finally:
            server.stop()


def heartbeat(api: Api, host: str) -> Any:
    return api.post("/v2.0/agents", {"agent": {"host": host, "agent_type": OVS, "binary": "trunkd-agent",
                                               "configurations": {"bridge_mappings": {"physnet1": "br-ex"},
                                                                  "integration_bridge": "br-int"}}})


def refused(r: Any, host: str) -> None:
    assert r.status_code == 403, r.text
    assert error_type(r) == "HostNotAllowed"
    assert f"may not speak for host {host}" in r.json()["NeutronError"]["message"]


def test_each_agent_write_is_refused_for_another_host(cloud: Cloud) -> None:
    admin, c1, c2 = cloud.as_user("admin"), cloud.as_user("agent-c1"), cloud.as_user("agent-c2")
    host = f"c1-{uuid.uuid4().hex[:6]}"

    # heartbeat / registration: only for its own hosts; nothing registered on a refusal
    refused(heartbeat(c2, host), host)
    assert admin.get("/v2.0/agents", params={"host": host}).json()["agents"] == []
    assert heartbeat(c1, host).status_code == 201
    assert heartbeat(c2, "c2").status_code in (200, 201)
    refused(heartbeat(c1, "c2"), "c2")

    # port binding (the agent binds a plugged port to its host), and unbinding another host's port
    parent, s1 = admin.port(), admin.port()
    refused(c2.put(f"/v2.0/ports/{parent['id']}", {"port": {"binding:host_id": host}}), host)
    r = c1.put(f"/v2.0/ports/{parent['id']}", {"port": {"binding:host_id": host}})
    assert r.status_code == 200 and r.json()["port"]["binding:host_id"] == host, r.text
    refused(c2.put(f"/v2.0/ports/{parent['id']}", {"port": {"binding:host_id": ""}}), host)
    refused(c2.put(f"/v2.0/ports/{parent['id']}", {"port": {"binding:profile": {"migrating_to": "c1-x"}}}), host)
    assert admin.get(f"/v2.0/ports/{parent['id']}").json()["port"]["binding:host_id"] == host

    trunk = admin.trunk(parent["id"], sub_ports=[sub(s1, 41)])
    before = admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]

    # bind_subports: nothing bound, the trunk untouched
    refused(c2.put(f"/v2.0/trunks/{trunk['id']}/bind_subports"), host)
    assert admin.get(f"/v2.0/ports/{s1['id']}").json()["port"]["binding:host_id"] == ""
    assert admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"] == before
    r = c1.put(f"/v2.0/trunks/{trunk['id']}/bind_subports")
    assert r.status_code == 200 and r.json()["trunk"]["status"] == "BUILD", r.text
    current = r.json()["trunk"]

    # trunk status report
    report = {"status": "ACTIVE", "reason": "wired", "revision_number": current["revision_number"]}
    refused(c2.put(f"/v2.0/trunks/{trunk['id']}/status", report), host)
    assert admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]["status"] == "BUILD"
    r = c1.put(f"/v2.0/trunks/{trunk['id']}/status", report)
    assert r.status_code == 200 and r.json()["trunk"]["status"] == "ACTIVE", r.text

    # port status report
    statuses = {"ports": [{"port_id": parent["id"], "status": "ACTIVE"}]}
    refused(c2.put(f"/v2.0/hosts/{host}/port_status", statuses), host)
    assert admin.get(f"/v2.0/ports/{parent['id']}").json()["port"]["status"] == "DOWN"
    r = c1.put(f"/v2.0/hosts/{host}/port_status", statuses)
    assert r.status_code == 200, r.text
    assert admin.get(f"/v2.0/ports/{parent['id']}").json()["port"]["status"] == "ACTIVE"


def test_an_unlisted_service_user_is_not_bound(cloud: Cloud) -> None:
    nova = cloud.as_user("nova-svc")
    host = f"anywhere-{uuid.uuid4().hex[:6]}"
    assert heartbeat(nova, host).status_code == 201
    r = nova.put(f"/v2.0/ports/{cloud.as_user('admin').port()['id']}", {"port": {"binding:host_id": host}})
    assert r.status_code == 200, r.text


def test_noauth_binds_the_header_identity(tmp_path: Path) -> None:
    srv = Server(database=f"sqlite:///{tmp_path}/t.db", workdir=tmp_path,
                 env={"TRUNKD_AGENT_HOST_IDENTITIES": "agent-a:host-a"}).start()
    try:
        def agent(**headers: str) -> Api:
            api = Api(srv.url, "service", "service")
            api.client.headers.update(headers)
            return api
        refused(heartbeat(agent(**{"X-User-Id": "agent-a"}), "host-b"), "host-b")
        refused(heartbeat(agent(**{"X-User-Name": "agent-a"}), "host-b"), "host-b")
        assert heartbeat(agent(**{"X-User-Id": "agent-a"}), "host-a").status_code == 201
        assert heartbeat(agent(**{"X-User-Id": "someone-else"}), "host-b").status_code == 201
    finally:
        srv.stop()


def test_a_malformed_entry_stops_the_start(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "trunkd.cli", "serve", "--database", f"sqlite:///{tmp_path}/t.db",
                           "--port", "1"], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "TRUNKD_AGENT_HOST_IDENTITIES": "agent-a"})
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "trunkd: cannot start: [agent] host_identities: 'agent-a' is not IDENTITY:HOST_PATTERN "
        "(e.g. agent-compute-1:compute-1 or agent-rack7:rack7-*)"]

"""`--auth-strategy keystone` against a real Keystone (tests/keystone.py): tokens validated by keystonemiddleware,
Neutron's default policies through oslo.policy, project isolation, reader/member/admin/service roles, and a
policy file that changes without a restart."""

from __future__ import annotations

import asyncio
import datetime
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openstack
import pytest

from tests.keystone import ADMIN_PASSWORD, PASSWORD, Keystone, TokenApi, authtoken_config
from tests.support import Server, error_type, throwaway_database
from trunkd.api.keystone import IDENTITY, KeystoneAuth, seconds_left, token_key
from trunkd.policy.engine import RELOAD_INTERVAL, make_conf


@dataclass
class Cloud:
    keystone: Keystone
    server: Server
    policy_file: Path
    project_a: str
    project_b: str
    ids: dict[str, str]

    def api(self, user: str, project: str | None = None, **kw: Any) -> TokenApi:
        password = ADMIN_PASSWORD if user == "admin" else PASSWORD
        token = self.keystone.token(user, password, project or self.home[user], **kw)
        return TokenApi(self.server.url, token)

    home = {"admin": "admin", "alice": "project-a", "rita": "project-a", "bob": "project-b", "agent": "service"}


@pytest.fixture(scope="module")
def cloud(keystone: Keystone, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    ids = {
        "trunkd": keystone.user("trunkd", "service", "service"),
        "agent": keystone.user("agent", "service", "service"),
        "alice": keystone.user("alice", "project-a", "member"),
        "rita": keystone.user("rita", "project-a", "reader"),
        "bob": keystone.user("bob", "project-b", "member"),
    }
    workdir = tmp_path_factory.mktemp("trunkd-keystone")
    policy_file = workdir / "policy.yaml"
    policy_file.write_text("{}\n")
    conf = authtoken_config(keystone, workdir / "trunkd.conf", "trunkd")
    with throwaway_database("sqlite", workdir) as url:
        server = Server(url, workdir, args=["--auth-strategy", "keystone", "--config-file", str(conf),
                                            "--policy-file", str(policy_file)]).start()
        keystone.register_service("network", "trunkd", server.url)
        try:
            yield Cloud(keystone, server, policy_file, keystone.project("project-a"), keystone.project("project-b"),
                        ids)
        finally:
            server.stop()


def sub(port_id: str, vlan: int) -> dict[str, Any]:
    return {"port_id": port_id, "segmentation_type": "vlan", "segmentation_id": vlan}


def assert_policy_denied(r: Any, rule: str) -> None:
    assert r.status_code == 403, r.text
    assert error_type(r) == "PolicyNotAuthorized"
    assert r.json()["NeutronError"]["message"] == f"rule:{rule} is disallowed by policy"


# -- authentication ------------------------------------------------------------------------------
def test_no_token_is_401_with_www_authenticate(cloud: Cloud) -> None:
    for path in ("/v2.0/trunks", "/v2.0/networks", "/v2.0/extensions", "/v2.0/events"):
        r = TokenApi(cloud.server.url, None).get(path)
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"] == f"Keystone uri=\"{cloud.keystone.url}\""


def test_version_document_needs_no_token(cloud: Cloud) -> None:
    assert TokenApi(cloud.server.url, None).get("/").status_code == 200


@pytest.mark.parametrize("token", ["garbage", "gAAAAABnotarealfernettoken", "x" * 300])
def test_garbage_token_is_401(cloud: Cloud, token: str) -> None:
    r = TokenApi(cloud.server.url, token).get("/v2.0/trunks")
    assert r.status_code == 401, r.text
    assert "www-authenticate" in r.headers


def test_expired_token_is_401(cloud: Cloud) -> None:
    token = cloud.keystone.expired_token(cloud.ids["alice"], cloud.project_a)
    r = TokenApi(cloud.server.url, token).get("/v2.0/trunks")
    assert r.status_code == 401, r.text


def test_revoked_token_is_401(cloud: Cloud) -> None:
    token = cloud.keystone.token("alice", project="project-a")
    api = TokenApi(cloud.server.url, token)
    assert api.get("/v2.0/trunks").status_code == 200
    cloud.keystone.revoke(token)
    # keystonemiddleware caches a validation for a while; a token it has not seen is checked at once
    fresh = cloud.keystone.token("alice", project="project-a")
    cloud.keystone.revoke(fresh)
    assert TokenApi(cloud.server.url, fresh).get("/v2.0/trunks").status_code == 401


def _scope(token: str) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": "/v2.0/trunks", "query_string": b"", "headers": [
        (b"host", b"127.0.0.1"), (b"x-auth-token", token.encode())]}


def _admit(auth: KeystoneAuth, scope: dict[str, Any], sent: list[dict[str, Any]]) -> bool:
    async def send(message: Any) -> None:
        sent.append(message)

    return asyncio.run(auth.admit(scope, send))


def _counting(auth: KeystoneAuth) -> list[str]:
    checked: list[str] = []
    check = auth._check

    def counted(scope: Any) -> Any:
        checked.append(scope["path"])
        return check(scope)

    auth._check = counted  # type: ignore[method-assign]
    return checked


def test_a_confirmed_token_is_remembered_no_longer_than_auth_token_caches_it(cloud: Cloud, tmp_path: Path) -> None:
    auth = KeystoneAuth(make_conf((str(authtoken_config(cloud.keystone, tmp_path / "t.conf", "trunkd")),)))
    checked = _counting(auth)
    token = cloud.keystone.token("alice", project="project-a")
    for _ in range(3):
        scope = _scope(token)
        assert _admit(auth, scope, [])
        assert scope["state"][IDENTITY]["project_id"] == cloud.project_a
    assert len(checked) == 1  # seen again: a dict lookup, no thread hop, no auth_token
    key = token_key(_scope(token))
    assert key is not None
    assert 0 < auth._remembered[key][1] - time.monotonic() <= auth.cache_seconds == 300
    sent: list[dict[str, Any]] = []
    expired = cloud.keystone.expired_token(cloud.ids["alice"], cloud.project_a)
    assert not _admit(auth, _scope(expired), sent)
    assert sent[0]["status"] == 401 and len(checked) == 2
    assert token_key(_scope(expired)) not in auth._remembered


def test_nothing_is_remembered_when_auth_token_caches_nothing(cloud: Cloud, tmp_path: Path) -> None:
    conf = authtoken_config(cloud.keystone, tmp_path / "t.conf", "trunkd")
    conf.write_text(conf.read_text() + "token_cache_time = -1\n")
    auth = KeystoneAuth(make_conf((str(conf),)))
    checked = _counting(auth)
    token = cloud.keystone.token("alice", project="project-a")
    assert _admit(auth, _scope(token), []) and _admit(auth, _scope(token), [])
    assert len(checked) == 2 and not auth._remembered


def test_an_identity_is_remembered_until_the_first_of_its_tokens_expires() -> None:
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=40)
    later = soon + datetime.timedelta(hours=1)
    tokens = SimpleNamespace(user=SimpleNamespace(expires=later), service=SimpleNamespace(expires=soon))
    assert 35 < seconds_left({"keystone.token_auth": tokens}) <= 40
    assert seconds_left({"keystone.token_auth": SimpleNamespace(user=None, service=None)}) == 0


def test_identity_headers_from_the_client_are_ignored(cloud: Cloud) -> None:
    """noauth's X-Project-Id / X-Roles mean nothing here: only the token speaks."""
    alice = cloud.api("alice")
    alice.client.headers.update({"X-Project-Id": cloud.project_b, "X-Roles": "admin", "X-Identity-Status":
                                 "Confirmed", "X-User-Id": "someone"})
    made = alice.network()
    assert made["project_id"] == cloud.project_a
    assert "provider:network_type" not in made
    anonymous = TokenApi(cloud.server.url, None)
    anonymous.client.headers.update({"X-Project-Id": "p", "X-Roles": "admin", "X-Identity-Status": "Confirmed"})
    assert anonymous.get("/v2.0/trunks").status_code == 401


def test_system_scoped_admin_token_is_refused_by_project_scoped_rules(cloud: Cloud) -> None:
    with cloud.keystone.admin() as c:
        admin_id = c.get("/users", params={"name": "admin"}).json()["users"][0]["id"]
        role_id = c.get("/roles", params={"name": "admin"}).json()["roles"][0]["id"]
        assert c.put(f"/system/users/{admin_id}/roles/{role_id}").status_code in (201, 204)
    system = TokenApi(cloud.server.url, cloud.keystone.token("admin", ADMIN_PASSWORD, system=True))
    r = system.post("/v2.0/networks", {"network": {"name": "n"}})
    assert_policy_denied(r, "create_network")
    assert system.get("/v2.0/trunks").json()["trunks"] == []


# -- a member's own project ----------------------------------------------------------------------
def test_member_manages_its_projects_trunks(cloud: Cloud) -> None:
    alice = cloud.api("alice")
    parent, child = alice.port(), alice.port()
    trunk = alice.trunk(parent["id"], name="t")
    assert trunk["project_id"] == cloud.project_a
    r = alice.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [sub(child["id"], 100)]})
    assert r.status_code == 200 and r.json()["sub_ports"] == [sub(child["id"], 100)], r.text
    r = alice.get(f"/v2.0/trunks/{trunk['id']}/get_subports")
    assert r.json() == {"sub_ports": [sub(child["id"], 100)]}
    r = alice.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "renamed"}})
    assert r.status_code == 200 and r.json()["trunk"]["name"] == "renamed"
    details = alice.get(f"/v2.0/ports/{parent['id']}").json()["port"]["trunk_details"]
    assert details["sub_ports"][0]["port_id"] == child["id"]
    r = alice.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", {"sub_ports": [{"port_id": child["id"]}]})
    assert r.status_code == 200 and r.json()["sub_ports"] == []
    assert alice.delete(f"/v2.0/trunks/{trunk['id']}").status_code == 204


def test_openstacksdk_through_the_keystone_catalog(cloud: Cloud) -> None:
    """An unmodified client: password auth, the network endpoint from the catalog."""
    conn = openstack.connect(auth_url=cloud.keystone.url, username="alice", password=PASSWORD,
                             project_name="project-a", user_domain_id="default", project_domain_id="default",
                             region_name="RegionOne", load_yaml_config=False, load_envvars=False)
    net = conn.network.create_network(name=f"sdk-{uuid.uuid4().hex[:6]}")
    parent = conn.network.create_port(network_id=net.id)
    child = conn.network.create_port(network_id=net.id)
    trunk = conn.network.create_trunk(port_id=parent.id, sub_ports=[sub(child.id, 7)])
    assert trunk.project_id == cloud.project_a
    assert trunk.id in [t.id for t in conn.network.trunks()]
    assert [s["port_id"] for s in conn.network.get_trunk_subports(trunk)["sub_ports"]] == [child.id]
    conn.network.delete_trunk(trunk)
    conn.close()


# -- isolation between projects --------------------------------------------------------------------
def test_another_projects_trunks_and_ports_are_404(cloud: Cloud) -> None:
    alice, bob = cloud.api("alice"), cloud.api("bob")
    parent = alice.port()
    trunk = alice.trunk(parent["id"])
    for r in (bob.get(f"/v2.0/trunks/{trunk['id']}"), bob.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {}}),
              bob.delete(f"/v2.0/trunks/{trunk['id']}"), bob.get(f"/v2.0/trunks/{trunk['id']}/get_subports")):
        assert r.status_code == 404 and error_type(r) == "TrunkNotFound", r.text
    for r in (bob.get(f"/v2.0/ports/{parent['id']}"), bob.delete(f"/v2.0/ports/{parent['id']}")):
        assert r.status_code == 404 and error_type(r) == "PortNotFound", r.text
    assert trunk["id"] not in [t["id"] for t in bob.get("/v2.0/trunks").json()["trunks"]]
    assert parent["id"] not in [p["id"] for p in bob.get("/v2.0/ports").json()["ports"]]
    assert bob.get("/v2.0/trunks", params={"project_id": cloud.project_a}).json()["trunks"] == []


def test_another_projects_port_is_not_found_as_parent_or_subport(cloud: Cloud) -> None:
    """B using A's port gets exactly the answer B gets for a port that does not exist."""
    alice, bob = cloud.api("alice"), cloud.api("bob")
    theirs, missing = alice.port()["id"], str(uuid.uuid4())
    answers = []
    for port_id in (theirs, missing):
        r = bob.post("/v2.0/trunks", {"trunk": {"port_id": port_id}})
        assert r.status_code == 404 and error_type(r) == "PortNotFound", r.text
        answers.append(r.json()["NeutronError"]["message"].replace(port_id, "<id>"))
        r = bob.post("/v2.0/trunks", {"trunk": {"port_id": bob.port()["id"], "sub_ports": [sub(port_id, 5)]}})
        assert r.status_code == 404 and error_type(r) == "PortNotFound", r.text
        answers.append(r.json()["NeutronError"]["message"].replace(port_id, "<id>"))
        r = bob.put(f"/v2.0/trunks/{bob.trunk()['id']}/add_subports", {"sub_ports": [sub(port_id, 6)]})
        assert r.status_code == 404 and error_type(r) == "PortNotFound", r.text
        answers.append(r.json()["NeutronError"]["message"].replace(port_id, "<id>"))
    assert answers[:3] == answers[3:]


# -- reader ------------------------------------------------------------------------------------------
def test_reader_reads_but_every_write_is_403(cloud: Cloud) -> None:
    alice, rita = cloud.api("alice"), cloud.api("rita")
    parent, child, spare = alice.port(), alice.port(), alice.port()
    tid = alice.trunk(parent["id"], sub_ports=[sub(child["id"], 10)])["id"]
    trunk = alice.get(f"/v2.0/trunks/{tid}").json()["trunk"]
    assert [t["id"] for t in rita.get("/v2.0/trunks").json()["trunks"]] == [
        t["id"] for t in alice.get("/v2.0/trunks").json()["trunks"]]
    assert rita.get(f"/v2.0/trunks/{tid}").json()["trunk"] == alice.get(f"/v2.0/trunks/{tid}").json()["trunk"]
    assert rita.get(f"/v2.0/trunks/{tid}/get_subports").json() == {"sub_ports": [sub(child["id"], 10)]}
    assert rita.get(f"/v2.0/ports/{parent['id']}").status_code == 200
    assert_policy_denied(rita.post("/v2.0/trunks", {"trunk": {"port_id": spare["id"]}}), "create_trunk")
    assert_policy_denied(rita.put(f"/v2.0/trunks/{tid}", {"trunk": {"name": "x"}}), "update_trunk")
    assert_policy_denied(rita.put(f"/v2.0/trunks/{tid}/add_subports", {"sub_ports": [sub(spare["id"], 11)]}),
                         "add_subports")
    assert_policy_denied(rita.put(f"/v2.0/trunks/{tid}/remove_subports",
                                  {"sub_ports": [{"port_id": child["id"]}]}), "remove_subports")
    assert_policy_denied(rita.put(f"/v2.0/trunks/{tid}/tags/red"), "update_trunk:tags")
    assert_policy_denied(rita.delete(f"/v2.0/trunks/{tid}"), "delete_trunk")
    assert_policy_denied(rita.post("/v2.0/networks", {"network": {"name": "n"}}), "create_network")
    assert_policy_denied(rita.post("/v2.0/ports", {"port": {"network_id": parent["network_id"]}}), "create_port")
    assert_policy_denied(rita.delete(f"/v2.0/ports/{spare['id']}"), "delete_port")
    after = alice.get(f"/v2.0/trunks/{tid}").json()["trunk"]
    # nothing changed (the noop driver may meanwhile have moved the status on)
    assert (after["sub_ports"], after["name"], after["tags"]) == (trunk["sub_ports"], trunk["name"], [])


# -- admin and service -------------------------------------------------------------------------------
def test_admin_acts_for_other_projects(cloud: Cloud) -> None:
    admin, alice, bob = cloud.api("admin"), cloud.api("alice"), cloud.api("bob")
    theirs = alice.trunk()
    assert theirs["id"] in [t["id"] for t in admin.get("/v2.0/trunks").json()["trunks"]]
    r = admin.put(f"/v2.0/trunks/{theirs['id']}", {"trunk": {"name": "by-admin"}})
    assert r.status_code == 200 and r.json()["trunk"]["project_id"] == cloud.project_a
    net = admin.network(project_id=cloud.project_b)
    port = admin.port(net["id"], project_id=cloud.project_b)
    made = admin.trunk(port["id"], project_id=cloud.project_b)
    assert made["project_id"] == cloud.project_b
    assert made["id"] in [t["id"] for t in bob.get("/v2.0/trunks").json()["trunks"]]
    assert admin.delete(f"/v2.0/trunks/{theirs['id']}").status_code == 204
    r = alice.post("/v2.0/networks", {"network": {"name": "n", "project_id": cloud.project_b}})
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"


def test_only_admin_and_service_see_binding_and_provider_attributes(cloud: Cloud) -> None:
    admin, alice, agent = cloud.api("admin"), cloud.api("alice"), cloud.api("agent")
    port = alice.port()
    hidden_port = {"binding:host_id", "binding:vif_type", "binding:vif_details", "binding:profile"}
    assert not hidden_port & set(alice.get(f"/v2.0/ports/{port['id']}").json()["port"])
    assert hidden_port <= set(admin.get(f"/v2.0/ports/{port['id']}").json()["port"])
    assert hidden_port <= set(agent.get(f"/v2.0/ports/{port['id']}").json()["port"])
    assert not hidden_port & set(alice.get("/v2.0/ports", params={"fields": sorted(hidden_port)}).json()["ports"][0])
    net = alice.get(f"/v2.0/networks/{port['network_id']}").json()["network"]
    assert not {k for k in net if k.startswith("provider:")}
    # filters on hidden attributes match the caller's own networks and ports only, and keep them hidden
    own = alice.get("/v2.0/networks", params={"provider:network_type": net_type(admin, net["id"])}).json()
    assert net["id"] in [n["id"] for n in own["networks"]]
    assert all(n["project_id"] == net["project_id"] and not {k for k in n if k.startswith("provider:")}
               for n in own["networks"])
    assert alice.get("/v2.0/ports", params={"binding:host_id": "h"}).json()["ports"] == []


def net_type(admin: TokenApi, net_id: str) -> str:
    return str(admin.get(f"/v2.0/networks/{net_id}").json()["network"]["provider:network_type"])


def test_agent_authenticates_with_the_service_user(cloud: Cloud) -> None:
    """What a host agent does: heartbeat, follow the feed, read bindings. Members may do none of it."""
    agent, alice = cloud.api("agent"), cloud.api("alice")
    host = f"host-{uuid.uuid4().hex[:6]}"
    body = {"agent": {"host": host, "agent_type": "Open vSwitch agent", "binary": "trunkd-agent",
                      "configurations": {"bridge_mappings": {"physnet1": "br-ex"}, "tunnel_types": ["vxlan"]}}}
    r = agent.post("/v2.0/agents", body)
    assert r.status_code in (200, 201), r.text
    r = agent.get("/v2.0/events", params={"after": 0, "limit": 10})
    assert r.status_code == 200 and "latest" in r.json()
    assert_policy_denied(alice.get("/v2.0/events"), "get_events")
    assert_policy_denied(alice.post("/v2.0/agents", body), "report_agent")
    # the service role alone grants no trunk rule (Neutron's defaults)
    assert agent.get("/v2.0/trunks").json()["trunks"] == []


# -- policy file ----------------------------------------------------------------------------------
def write_policy(path: Path, text: str) -> None:
    """Change the policy file, then wait out the server's look-again interval."""
    previous = path.stat().st_mtime
    path.write_text(text)
    os.utime(path, (previous + 2, previous + 2))  # a distinct mtime even on a coarse clock
    time.sleep(RELOAD_INTERVAL + 0.5)


def test_policy_file_change_takes_effect_without_restart(cloud: Cloud) -> None:
    admin, alice = cloud.api("admin"), cloud.api("alice")
    trunk = alice.trunk()
    spare = alice.port()
    try:
        write_policy(cloud.policy_file, '"create_trunk": "rule:admin_only"\n"add_subports": "rule:admin_only"\n')
        assert_policy_denied(alice.post("/v2.0/trunks", {"trunk": {"port_id": spare["id"]}}), "create_trunk")
        assert_policy_denied(alice.put(f"/v2.0/trunks/{trunk['id']}/add_subports",
                                       {"sub_ports": [sub(spare["id"], 9)]}), "add_subports")
        assert alice.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "still"}}).status_code == 200
        assert admin.trunk(admin.port()["id"])["id"]
    finally:
        write_policy(cloud.policy_file, "{}\n")
    assert alice.post("/v2.0/trunks", {"trunk": {"port_id": spare["id"]}}).status_code == 201

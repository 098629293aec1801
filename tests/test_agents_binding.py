"""Agents, port binding, subport binding for agents and the status reports they send."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from tests.support import Api, Server, error_type

OVS = "Open vSwitch agent"


def heartbeat(api: Api, host: str, **configurations: Any) -> Any:
    body = {"agent": {"host": host, "agent_type": OVS, "binary": "trunkd-agent",
                      "configurations": {"bridge_mappings": {"physnet1": "br-ex"},
                                         "integration_bridge": "br-int", **configurations}}}
    return api.post("/v2.0/agents", body)


def new_host() -> str:
    return f"host-{uuid.uuid4().hex[:8]}"


def bind(api: Api, port_id: str, host: str, **extra: Any) -> dict[str, Any]:
    r = api.put(f"/v2.0/ports/{port_id}", {"port": {"binding:host_id": host, **extra}})
    assert r.status_code == 200, r.text
    return dict(r.json()["port"])


def vlan_network(api: Api, physnet: str) -> dict[str, Any]:
    """A VLAN provider network whose VLAN is allocated from the physical network's range."""
    return api.network(**{"provider:network_type": "vlan", "provider:physical_network": physnet})


def sub(port: dict[str, Any], vlan: int) -> dict[str, Any]:
    return {"port_id": port["id"], "segmentation_type": "vlan", "segmentation_id": vlan}


def trunk_of(api: Api, trunk_id: str) -> dict[str, Any]:
    return dict(api.get(f"/v2.0/trunks/{trunk_id}").json()["trunk"])


def report(api: Api, trunk: dict[str, Any], status: str, reason: str = "") -> Any:
    return api.put(f"/v2.0/trunks/{trunk['id']}/status",
                   {"status": status, "reason": reason, "revision_number": trunk["revision_number"]})


def test_agent_registers_once_then_heartbeats(admin: Api, project: str) -> None:
    host = new_host()
    first = heartbeat(admin, host)
    assert first.status_code == 201
    again = heartbeat(admin, host, tunnel_types=["vxlan"])
    assert again.status_code == 200
    agent = again.json()["agent"]
    assert agent["id"] == first.json()["agent"]["id"] and agent["alive"] is True
    assert agent["configurations"]["tunnel_types"] == ["vxlan"]
    listed = admin.get("/v2.0/agents", params={"host": host}).json()["agents"]
    assert [a["id"] for a in listed] == [agent["id"]]
    assert admin.as_(project, "service").get(f"/v2.0/agents/{agent['id']}").status_code == 200
    denied = heartbeat(admin.as_(project), host)
    assert denied.status_code == 403 and error_type(denied) == "PolicyNotAuthorized"
    assert admin.delete(f"/v2.0/agents/{agent['id']}").status_code == 204
    gone = admin.get(f"/v2.0/agents/{agent['id']}")
    assert gone.status_code == 404 and error_type(gone) == "AgentNotFound"


def test_binding_resolves_from_the_live_agent_on_the_host(admin: Api) -> None:
    host = new_host()
    heartbeat(admin, host)
    port = admin.port()
    assert bind(admin, port["id"], new_host())["binding:vif_type"] == "binding_failed"
    bound = bind(admin, port["id"], host)
    assert bound["binding:vif_type"] == "ovs"
    assert bound["binding:vif_details"]["bridge_name"] == "br-int"
    unmapped = admin.port(vlan_network(admin, "physnet2")["id"])
    assert bind(admin, unmapped["id"], host)["binding:vif_type"] == "binding_failed"
    cleared = bind(admin, port["id"], "")
    assert cleared["binding:vif_type"] == "unbound" and cleared["binding:vif_details"] == {}


def test_an_agent_that_stops_heartbeating_is_lost_once(make_server: Callable[..., Server]) -> None:
    admin = Api(make_server(TRUNKD_AGENT_DOWN_TIME="1").url)
    host = new_host()
    agent = heartbeat(admin, host).json()["agent"]
    assert bind(admin, admin.port()["id"], host)["binding:vif_type"] == "ovs"
    deadline = time.monotonic() + 15
    while admin.get(f"/v2.0/agents/{agent['id']}").json()["agent"]["alive"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert bind(admin, admin.port()["id"], host)["binding:vif_type"] == "binding_failed"
    while time.monotonic() < deadline:
        kinds = [e["kind"] for e in admin.get("/v2.0/events", params={"resource_type": "agent"}).json()["events"]]
        if "agent.lost" in kinds:
            break
        time.sleep(0.1)
    time.sleep(0.5)  # more loss checks run; still one announcement
    kinds = [e["kind"] for e in admin.get("/v2.0/events", params={"resource_type": "agent"}).json()["events"]]
    assert kinds == ["agent.registered", "agent.lost"]
    assert heartbeat(admin, host).json()["agent"]["alive"] is True
    kinds = [e["kind"] for e in admin.get("/v2.0/events", params={"resource_type": "agent"}).json()["events"]]
    assert kinds == ["agent.registered", "agent.lost", "agent.registered"]


def test_bind_subports_binds_every_subport_to_the_parent_host(admin: Api) -> None:
    host = new_host()
    heartbeat(admin, host)
    parent, s1, s2 = admin.port(), admin.port(), admin.port()
    trunk = admin.trunk(parent["id"], sub_ports=[sub(s1, 11), sub(s2, 12)])
    bind(admin, parent["id"], host)
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/bind_subports")
    assert r.status_code == 200, r.text
    outcomes = {o["port_id"]: o for o in r.json()["sub_ports"]}
    assert {o["outcome"] for o in outcomes.values()} == {"bound"} and set(outcomes) == {s1["id"], s2["id"]}
    assert r.json()["trunk"]["status"] == "BUILD"
    for s in (s1, s2):
        port = admin.get(f"/v2.0/ports/{s['id']}").json()["port"]
        assert (port["binding:host_id"], port["device_owner"], port["binding:vif_type"]) == (
            host, "trunk:subport", "ovs")
    done = report(admin, r.json()["trunk"], "ACTIVE", "wired")
    assert done.status_code == 200
    assert (done.json()["trunk"]["status"], done.json()["trunk"]["status_reason"]) == ("ACTIVE", "wired")


def test_partial_binding_failure_degrades_names_the_port_and_rolls_it_back(admin: Api, server: Server) -> None:
    host = new_host()
    heartbeat(admin, host)
    parent = admin.port(vlan_network(admin, "physnet1")["id"])  # MTU 1500, as the stray subport's network
    good = admin.port()
    stray = admin.port(vlan_network(admin, "physnet2")["id"])
    bind(admin, stray["id"], "elsewhere")  # its previous binding, which must survive
    trunk = admin.trunk(parent["id"], sub_ports=[sub(good, 21), sub(stray, 22)])
    bind(admin, parent["id"], host)
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/bind_subports")
    assert r.status_code == 200
    outcomes = {o["port_id"]: o for o in r.json()["sub_ports"]}
    assert outcomes[good["id"]]["outcome"] == "bound"
    assert outcomes[stray["id"]]["outcome"] == "failed" and host in outcomes[stray["id"]]["reason"]
    shown = trunk_of(admin, trunk["id"])
    assert shown["status"] == "DEGRADED" and stray["id"] in shown["status_reason"]
    assert good["id"] not in shown["status_reason"]
    engine = sa.create_engine(server.database)
    with engine.connect() as conn:
        row = conn.execute(sa.text("select host_id, device_owner, vif_type from ports where id = :i"),
                           {"i": stray["id"]}).one()
    engine.dispose()
    assert tuple(row) == ("elsewhere", "", "binding_failed")


def test_subports_follow_the_parent_during_live_migration(admin: Api) -> None:
    source, target = new_host(), new_host()
    heartbeat(admin, source)
    heartbeat(admin, target)
    parent, s1 = admin.port(), admin.port()
    trunk = admin.trunk(parent["id"], sub_ports=[sub(s1, 31)])
    bind(admin, parent["id"], source, **{"binding:profile": {"migrating_to": target}})
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/bind_subports", {"sub_ports": [{"port_id": s1["id"]}]})
    assert r.status_code == 200 and r.json()["sub_ports"][0]["binding:host_id"] == target
    assert admin.get(f"/v2.0/ports/{s1['id']}").json()["port"]["binding:host_id"] == target


def test_a_stale_status_report_does_not_overwrite_a_newer_change(admin: Api) -> None:
    parent, s1 = admin.port(), admin.port()
    trunk = admin.trunk(parent["id"])
    computed_from = trunk_of(admin, trunk["id"])
    assert admin.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [sub(s1, 41)]}).status_code == 200
    stale = report(admin, computed_from, "ACTIVE")
    assert stale.status_code == 409 and error_type(stale) == "StaleStatusReport"
    assert trunk_of(admin, trunk["id"])["status"] == "DOWN"
    assert report(admin, trunk_of(admin, trunk["id"]), "ACTIVE").json()["trunk"]["status"] == "ACTIVE"


def test_status_reports_are_validated_and_follow_the_machine(admin: Api, project: str) -> None:
    trunk = admin.trunk()
    for body in ({}, {"status": "ACTIVE"}, {"status": "ACTIVE", "revision_number": "0"},
                 {"status": "SLEEPY", "revision_number": 0}):
        r = admin.put(f"/v2.0/trunks/{trunk['id']}/status", body)
        assert r.status_code == 400 and error_type(r) == "InvalidInput", body
    errored = report(admin, trunk, "ERROR", "switch refused VLAN").json()["trunk"]
    assert (errored["status"], errored["status_reason"]) == ("ERROR", "switch refused VLAN")
    denied = report(admin, errored, "ACTIVE")
    assert denied.status_code == 409 and error_type(denied) == "InvalidStatusTransition"
    forbidden = admin.as_(project).put(f"/v2.0/trunks/{trunk['id']}/status", {"status": "ACTIVE"})
    assert forbidden.status_code == 403


def test_error_state_refuses_adds_allows_removes_and_delete(admin: Api) -> None:
    parent, s1, s2 = admin.port(), admin.port(), admin.port()
    trunk = admin.trunk(parent["id"], sub_ports=[sub(s1, 51)])
    report(admin, trunk, "ERROR", "broken")
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [sub(s2, 52)]})
    assert r.status_code == 409 and error_type(r) == "TrunkInErrorState"
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", {"sub_ports": [{"port_id": s1["id"]}]})
    assert r.status_code == 200 and r.json()["status"] == "DOWN"
    errored = report(admin, r.json(), "ERROR", "broken again").json()["trunk"]
    assert errored["status"] == "ERROR"
    assert admin.delete(f"/v2.0/trunks/{trunk['id']}").status_code == 204


def test_parent_not_bound_or_failed(admin: Api) -> None:
    parent, s1 = admin.port(), admin.port()
    trunk = admin.trunk(parent["id"], sub_ports=[sub(s1, 61)])
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/bind_subports")
    assert r.status_code == 409 and error_type(r) == "ParentPortNotBound"
    bind(admin, parent["id"], new_host())  # no agent there: binding_failed
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/bind_subports")
    assert r.status_code == 200 and r.json()["sub_ports"][0]["outcome"] == "failed"
    shown = trunk_of(admin, trunk["id"])
    assert shown["status"] == "ERROR" and "failed to bind" in shown["status_reason"]
    assert admin.get(f"/v2.0/ports/{s1['id']}").json()["port"]["binding:host_id"] == ""


def test_unbinding_the_parent_moves_the_trunk_down(admin: Api) -> None:
    host = new_host()
    heartbeat(admin, host)
    parent = admin.port()
    trunk = admin.trunk(parent["id"])
    bind(admin, parent["id"], host)
    active = report(admin, trunk_of(admin, trunk["id"]), "ACTIVE").json()["trunk"]
    assert active["status"] == "ACTIVE"
    noop = admin.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": []}).json()
    assert noop["status"] == "ACTIVE", "an empty add changes nothing"
    bind(admin, parent["id"], "")
    shown = trunk_of(admin, trunk["id"])
    assert shown["status"] == "DOWN" and shown["status_reason"] == "parent port unbound"


def test_removed_and_deleted_subports_lose_their_trunk_binding(admin: Api) -> None:
    host = new_host()
    heartbeat(admin, host)
    parent, s1, s2 = admin.port(), admin.port(), admin.port()
    trunk = admin.trunk(parent["id"], sub_ports=[sub(s1, 71), sub(s2, 72)])
    bind(admin, parent["id"], host)
    admin.put(f"/v2.0/trunks/{trunk['id']}/bind_subports")
    admin.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", {"sub_ports": [{"port_id": s1["id"]}]})
    assert admin.delete(f"/v2.0/trunks/{trunk['id']}").status_code == 204
    for s in (s1, s2):
        port = admin.get(f"/v2.0/ports/{s['id']}").json()["port"]
        assert (port["binding:host_id"], port["device_owner"], port["binding:vif_type"]) == ("", "", "unbound")


def test_driver_that_cannot_untrunk_bound_ports(make_server: Callable[..., Server]) -> None:
    admin = Api(make_server("--drivers", "tests.fake_drivers:ovs_strict").url)
    host = new_host()
    heartbeat(admin, host)
    bound = admin.port()
    bind(admin, bound["id"], host)
    r = admin.post("/v2.0/trunks", {"trunk": {"port_id": bound["id"]}})
    assert r.status_code == 409 and error_type(r) == "ParentPortInUse"
    parent = admin.port()
    trunk = admin.trunk(parent["id"])
    bind(admin, parent["id"], host)
    r = admin.delete(f"/v2.0/trunks/{trunk['id']}")
    assert r.status_code == 409 and error_type(r) == "TrunkInUse"
    assert trunk_of(admin, trunk["id"])["id"] == trunk["id"]
    bind(admin, parent["id"], "")
    assert admin.delete(f"/v2.0/trunks/{trunk['id']}").status_code == 204


def test_agent_calls_are_for_admins_and_services(admin: Api, project: str) -> None:
    trunk = admin.trunk()
    member = admin.as_(project)
    assert member.put(f"/v2.0/trunks/{trunk['id']}/bind_subports").status_code == 403
    service = admin.as_(project, "service")
    r = service.put(f"/v2.0/trunks/{trunk['id']}/bind_subports")
    assert r.status_code == 409 and error_type(r) == "ParentPortNotBound"

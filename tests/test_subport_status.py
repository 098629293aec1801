"""Per-subport status (opt-in view ?subport_status=true), fed by the agents' reports; status filter."""

from __future__ import annotations

import uuid

from tests.feature_support import events_since, feed_head, ports, report, vlan
from tests.support import Api, error_type
from tests.test_agents_binding import bind, heartbeat, new_host, vlan_network


def statuses(api: Api, trunk_id: str) -> dict[str, tuple[str, str]]:
    r = api.get(f"/v2.0/trunks/{trunk_id}/get_subports", params={"subport_status": "true"})
    assert r.status_code == 200, r.text
    return {s["port_id"]: (s["status"], s["status_reason"]) for s in r.json()["sub_ports"]}


def test_status_is_opt_in_so_neutron_clients_see_three_keys(admin: Api) -> None:
    parent, a = ports(admin, 2)
    trunk = admin.trunk(parent, sub_ports=[vlan(a, 10)])
    assert trunk["sub_ports"] == [vlan(a, 10)]
    assert admin.get(f"/v2.0/trunks/{trunk['id']}/get_subports").json()["sub_ports"] == [vlan(a, 10)]
    details = admin.get(f"/v2.0/ports/{parent}").json()["port"]["trunk_details"]["sub_ports"]
    assert set(details[0]) == {"port_id", "segmentation_type", "segmentation_id", "mac_address"}
    with_status = {**vlan(a, 10), "status": "DOWN", "status_reason": ""}
    shown = admin.get(f"/v2.0/trunks/{trunk['id']}", params={"subport_status": "true"}).json()["trunk"]
    assert shown["sub_ports"] == [with_status]
    listed = admin.get("/v2.0/trunks", params={"id": trunk["id"], "subport_status": "true"}).json()["trunks"]
    assert listed[0]["sub_ports"] == [with_status]
    port = admin.get(f"/v2.0/ports/{parent}", params={"subport_status": "true"}).json()["port"]
    assert port["trunk_details"]["sub_ports"][0]["status"] == "DOWN"
    listed_ports = admin.get("/v2.0/ports", params={"id": parent, "subport_status": "true"}).json()["ports"]
    assert listed_ports[0]["trunk_details"]["sub_ports"][0]["status"] == "DOWN"


def test_agent_reports_each_subport_and_a_user_tells_failed_from_no_vm(admin: Api) -> None:
    parent, a, b = ports(admin, 3)
    trunk = admin.trunk(parent, sub_ports=[vlan(a, 10), vlan(b, 20)])
    head = feed_head(admin)
    shown = report(admin, trunk["id"], "DEGRADED", reason="one subport failed",
                   sub_ports=[{"port_id": a, "status": "ACTIVE"},
                              {"port_id": b, "status": "ERROR", "reason": "no bridge mapping for physnet9"}])
    assert shown["status"] == "DEGRADED"
    assert statuses(admin, trunk["id"]) == {a: ("ACTIVE", ""), b: ("ERROR", "no bridge mapping for physnet9")}
    kinds = [e["kind"] for e in events_since(admin, head, trunk["id"])]
    assert kinds == ["trunk.status_changed"]
    # subport statuses alone are a change too (with its revision and event); the same report again is not
    shown = report(admin, trunk["id"], "DEGRADED", reason="one subport failed",
                   sub_ports=[{"port_id": b, "status": "ACTIVE"}])
    head = feed_head(admin)
    again = report(admin, trunk["id"], "DEGRADED", reason="one subport failed",
                   sub_ports=[{"port_id": b, "status": "ACTIVE"}])
    assert again["revision_number"] == shown["revision_number"] and events_since(admin, head, trunk["id"]) == []
    assert statuses(admin, trunk["id"])[b] == ("ACTIVE", "")


def test_trunk_active_without_a_list_means_every_subport_is_wired(admin: Api) -> None:
    a, b = ports(admin, 2)
    trunk = admin.trunk(sub_ports=[vlan(a, 10), vlan(b, 20)])
    report(admin, trunk["id"], "ACTIVE")
    assert statuses(admin, trunk["id"]) == {a: ("ACTIVE", ""), b: ("ACTIVE", "")}
    c = ports(admin, 1)[0]
    admin.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [vlan(c, 30)]})
    assert statuses(admin, trunk["id"])[c] == ("DOWN", ""), "a new subport is not wired yet"


def test_bad_reports_are_refused_and_change_nothing(admin: Api) -> None:
    a = ports(admin, 1)[0]
    trunk = admin.trunk(sub_ports=[vlan(a, 10)])
    base = {"status": "ACTIVE", "reason": "", "revision_number": trunk["revision_number"]}
    cases = [
        ({**base, "sub_ports": [{"port_id": a, "status": "BUILD"}]}, 400, "InvalidInput"),
        ({**base, "sub_ports": {"port_id": a}}, 400, "InvalidInput"),
        ({**base, "sub_ports": [{"port_id": a, "status": "ACTIVE", "reason": 5}]}, 400, "InvalidInput"),
        ({**base, "sub_ports": [{"port_id": str(uuid.uuid4()), "status": "ACTIVE"}]}, 404, "SubPortNotFound"),
        ({**base, "revision_number": trunk["revision_number"] + 5,
          "sub_ports": [{"port_id": a, "status": "ACTIVE"}]}, 409, "StaleStatusReport"),
    ]
    for body, code, kind in cases:
        r = admin.put(f"/v2.0/trunks/{trunk['id']}/status", body)
        assert (r.status_code, error_type(r)) == (code, kind), (body, r.text)
    assert statuses(admin, trunk["id"]) == {a: ("DOWN", "")}
    assert admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"] == trunk


def test_binding_failure_and_unbinding_set_subport_status_with_reasons(admin: Api) -> None:
    host = new_host()
    heartbeat(admin, host)
    parent = admin.port(vlan_network(admin, "physnet1")["id"])["id"]  # MTU 1500, as the stray network's
    ok = admin.port()["id"]
    stray_net = admin.network(**{"provider:network_type": "flat",  # no agent maps this physical network
                                 "provider:physical_network": f"physnet-{uuid.uuid4().hex[:6]}"})
    unreachable = admin.port(stray_net["id"])["id"]
    trunk = admin.trunk(parent, sub_ports=[vlan(ok, 11), vlan(unreachable, 12)])
    bind(admin, parent, host)
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/bind_subports")
    assert r.status_code == 200 and r.json()["trunk"]["status"] == "DEGRADED"
    found = statuses(admin, trunk["id"])
    assert found[ok] == ("DOWN", "")
    assert found[unreachable][0] == "ERROR" and "no live Open vSwitch agent" in found[unreachable][1]
    report(admin, trunk["id"], "DEGRADED", sub_ports=[{"port_id": ok, "status": "ACTIVE"}])
    bind(admin, parent, "")
    assert {s for s, _ in statuses(admin, trunk["id"]).values()} == {"DOWN"}
    assert statuses(admin, trunk["id"])[ok][1] == "parent port unbound: no instance"


def test_trunks_filter_by_status(admin: Api) -> None:
    marker = f"st-{uuid.uuid4().hex[:6]}"
    down, active, degraded = (admin.trunk(name=f"{marker}-{i}") for i in range(3))
    report(admin, active["id"], "ACTIVE")
    report(admin, degraded["id"], "DEGRADED")

    def named(**params: str) -> set[str]:
        found = admin.get("/v2.0/trunks", params=params).json()["trunks"]
        return {t["id"] for t in found if t["name"].startswith(marker)}

    assert named(status="ACTIVE") == {active["id"]}
    assert named(status="DOWN") == {down["id"]}
    assert named(status=["ACTIVE", "DEGRADED"]) == {active["id"], degraded["id"]}  # type: ignore[arg-type]

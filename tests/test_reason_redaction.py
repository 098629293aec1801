"""Status reasons never name a host to a caller who may not read `binding:host_id` (issue 19, item 6).

Reasons written by the server (bind_subports: BUILD, DEGRADED, per-subport ERROR) and by the agent
(trunk and subport reports) name the host; admin and service see them whole, a member or reader of the
trunk's project sees the same text with the host hidden, on every route that shows a reason."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.support import Api, Server
from tests.test_agents_binding import bind, heartbeat, report, sub, trunk_of, vlan_network


def reasons_seen(api: Api, trunk_id: str, parent_id: str) -> list[str]:
    """Every reason `api` is shown for the trunk, through every route that shows one."""
    seen: list[str] = []
    trunk = api.get(f"/v2.0/trunks/{trunk_id}", params={"subport_status": "true"})
    assert trunk.status_code == 200, trunk.text
    seen += [trunk.json()["trunk"]["status_reason"], *(s["status_reason"] for s in trunk.json()["trunk"]["sub_ports"])]
    listed = api.get("/v2.0/trunks", params={"id": trunk_id, "subport_status": "true"})
    [t] = listed.json()["trunks"]
    seen += [t["status_reason"], *(s["status_reason"] for s in t["sub_ports"])]
    subs = api.get(f"/v2.0/trunks/{trunk_id}/get_subports", params={"subport_status": "true"})
    seen += [s["status_reason"] for s in subs.json()["sub_ports"]]
    port = api.get(f"/v2.0/ports/{parent_id}", params={"subport_status": "true"}).json()["port"]
    seen += [s["status_reason"] for s in port["trunk_details"]["sub_ports"]]
    [listed_port] = api.get("/v2.0/ports", params={"id": parent_id, "subport_status": "true"}).json()["ports"]
    seen += [s["status_reason"] for s in listed_port["trunk_details"]["sub_ports"]]
    seen.append(api.put(f"/v2.0/trunks/{trunk_id}", {"trunk": {}}).json().get("trunk", {}).get("status_reason", ""))
    return seen


def check(admin: Api, callers: list[Api], trunk_id: str, parent_id: str, host: str, words: str) -> None:
    full = reasons_seen(admin, trunk_id, parent_id)
    assert any(host in r for r in full), full  # the admin view keeps the host
    for caller in callers:
        shown = reasons_seen(caller, trunk_id, parent_id)
        assert len(shown) == len(full)
        for text in shown:
            assert host not in text and "secret" not in text, (caller.client.headers.get("X-Roles"), shown)
        assert any(words in r and "(hidden)" in r for r in shown), shown  # the rest of the reason stays


def test_reasons_hide_hosts_from_members_and_readers(admin: Api, server: Server, project: str) -> None:
    host = f"compute-secret-{uuid.uuid4().hex[:6]}"
    assert heartbeat(admin, host).status_code in (200, 201)
    member, reader = admin.as_(project, "member,reader"), admin.as_(project, "reader")
    mapped, unmapped = vlan_network(admin, "physnet1"), vlan_network(admin, "physnet2")  # MTU 1500 both
    for net in (mapped, unmapped):  # the agent maps physnet1 only
        assert admin.put(f"/v2.0/networks/{net['id']}", {"network": {"shared": True}}).status_code == 200
    parent, good, stray = member.port(mapped["id"]), member.port(), member.port(unmapped["id"])
    trunk = member.trunk(parent["id"], sub_ports=[sub(good, 31), sub(stray, 32)])
    bind(admin, parent["id"], host)
    assert "binding:host_id" not in member.get(f"/v2.0/ports/{parent['id']}").json()["port"]

    # written by the server: DEGRADED, the stray subport's ERROR naming the host
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/bind_subports")
    assert r.status_code == 200 and r.json()["trunk"]["status"] == "DEGRADED", r.text
    check(admin, [member, reader], trunk["id"], parent["id"], host, "no live Open vSwitch agent or OVN chassis on host")

    # written by the server: BUILD "subports bound to <host>; wiring" (the example)
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/bind_subports", {"sub_ports": [{"port_id": good["id"]}]})
    assert r.status_code == 200, r.text
    r = member.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", {"sub_ports": [{"port_id": stray["id"]}]})
    assert r.status_code == 200, r.text
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/bind_subports")
    assert r.json()["trunk"]["status_reason"] == f"subports bound to {host}; wiring", r.text
    check(admin, [member, reader], trunk["id"], parent["id"], host, "subports bound to (hidden); wiring")

    # written by the agent: free text, the host as a bare word and as an FQDN's first label
    current = trunk_of(admin, trunk["id"])
    body: dict[str, Any] = {
        "status": "ERROR", "revision_number": current["revision_number"],
        "reason": f"wiring failed on {host}.example.net: br-int missing ({host})",
        "sub_ports": [{"port_id": good["id"], "status": "ERROR", "reason": f"vlan 31 not wired on {host}"}]}
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/status", body)
    assert r.status_code == 200, r.text
    check(admin, [member, reader], trunk["id"], parent["id"], host, "br-int missing")
    assert member.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]["status_reason"] == (
        "wiring failed on (hidden): br-int missing ((hidden))")


def test_a_reason_without_hosts_is_shown_as_it_is(admin: Api, project: str) -> None:
    member = admin.as_(project, "member,reader")
    parent = member.port()
    trunk = member.trunk(parent["id"])
    r = report(admin, trunk_of(admin, trunk["id"]), "ACTIVE", "0 subports wired")
    assert r.status_code == 200, r.text
    assert member.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]["status_reason"] == "0 subports wired"


def test_a_policy_that_shows_host_ids_shows_the_hosts_too(tmp_path: Path) -> None:
    """The same check as the attribute: a member granted `get_port:binding:host_id` sees the whole reason."""
    policy = tmp_path / "policy.yaml"
    policy.write_text('"get_port:binding:host_id": "rule:admin_only or role:member"\n')
    srv = Server(database=f"sqlite:///{tmp_path}/t.db", workdir=tmp_path, args=["--policy-file", str(policy)]).start()
    try:
        admin = Api(srv.url)
        host = f"compute-secret-{uuid.uuid4().hex[:6]}"
        member, reader = admin.as_("p-hosts", "member,reader"), admin.as_("p-hosts", "reader")
        parent = member.port()
        trunk = member.trunk(parent["id"])
        bind(admin, parent["id"], host)
        r = report(admin, trunk_of(admin, trunk["id"]), "DOWN", f"parent not plugged on host {host}")
        assert r.status_code == 200, r.text
        assert member.get(f"/v2.0/ports/{parent['id']}").json()["port"]["binding:host_id"] == host
        assert member.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]["status_reason"] == (
            f"parent not plugged on host {host}")
        assert reader.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]["status_reason"] == (
            "parent not plugged on host (hidden)")
    finally:
        srv.stop()

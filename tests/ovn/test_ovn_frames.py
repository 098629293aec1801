"""Trunks on OVN end to end, two chassis: trunkd server (`--drivers ovn`), `trunkd ovn-sync`, a real OVN
central and two chassis joined by geneve, and tagged frames (tests/ovn/trunks.py builds the world).

The instance is on chassis 1; each network has an end on chassis 1 and one on chassis 2.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from tests.dataplane.support import cleanup, wait_for
from tests.ovn.rig import Rig
from tests.ovn.trunks import (
    D_VLAN,
    OVN_AGENT,
    TRUNK_NETS,
    WAIT,
    World,
    add_and_remove_live,
    add_d,
    build_world,
    converged,
    dhcp_lease,
    each_vlan_reaches_its_network_only,
    fixed_ip,
    heard,
    lsp,
    no_duplicates,
    only,
    port_status,
    remove_d,
    replies_come_back_tagged,
    reply,
    set_subports,
    trunk_view,
    wait_trunk,
)


@pytest.fixture(scope="module")
def world(rig: Rig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with cleanup() as undo:
        yield build_world(rig, tmp_path_factory.mktemp("ovn-frames"), undo)


def test_chassis_are_agents_ports_bind_and_the_trunk_goes_active(world: World) -> None:
    w = world
    agents = w.api.get("/v2.0/agents", params={"agent_type": OVN_AGENT}).json()["agents"]
    assert sorted(a["host"] for a in agents) == sorted(c.name for c in w.rig.chassis)
    t = wait_trunk(w, "ACTIVE")
    assert {s["port_id"]: s["status"] for s in t["sub_ports"]} == {w.subs[n]["id"]: "ACTIVE" for n in TRUNK_NETS}
    parent = w.api.get(f"/v2.0/ports/{w.parent['id']}").json()["port"]
    assert (parent["status"], parent["binding:vif_type"]) == ("ACTIVE", "ovs")
    for n in TRUNK_NETS:
        sub = w.api.get(f"/v2.0/ports/{w.subs[n]['id']}").json()["port"]
        assert (sub["status"], sub["binding:host_id"], sub["device_owner"]) == ("ACTIVE", w.ch1.name,
                                                                               "trunk:subport")
        assert w.central.binding_chassis(sub["id"]) == w.ch1.name


def test_nb_rows_are_written_as_ml2_ovn_writes_them(world: World) -> None:
    w = world
    switches = {r["name"] for r in w.central.table("Logical_Switch", "name")}
    assert {f"neutron-{n['id']}" for n in w.nets.values()} <= switches
    parent = lsp(w, w.parent["id"])
    assert parent["addresses"] == f"{w.parent['mac_address']} {fixed_ip(w.parent)}"
    assert parent["parent_name"] == [] and parent["tag"] == []
    assert parent["dhcpv4_options"] != []
    for n, vlan in TRUNK_NETS.items():
        row = lsp(w, w.subs[n]["id"])
        assert (row["parent_name"], row["tag"]) == (w.parent["id"], vlan)
    d = lsp(w, w.subs["d"]["id"])
    assert (d["parent_name"], d["tag"]) == ([], [])
    no_duplicates(w)


def test_each_vlan_reaches_its_network_on_both_chassis_and_nothing_else(world: World) -> None:
    each_vlan_reaches_its_network_only(world)


def test_replies_come_back_tagged_with_the_subports_vlan_across_the_tunnel_too(world: World) -> None:
    replies_come_back_tagged(world)


def test_ovn_native_dhcp_gives_the_parent_its_fixed_ip(world: World, tmp_path: Path) -> None:
    assert dhcp_lease(world, tmp_path) == [fixed_ip(world.parent), "255.255.255.0", "10.60.0.1"]


def test_add_and_remove_a_subport_live_without_a_gap_on_the_other_vlans(world: World) -> None:
    add_and_remove_live(world)


def test_kuryr_lost_event_the_subport_goes_active_after_a_sync_killed_before_its_report(world: World) -> None:
    """The LSP goes up while no ovn-sync listens (the event is lost for good); the next one reports it."""
    w = world
    wait_trunk(w, "ACTIVE")
    w.ch1.kill_controller()  # mid-change: the chassis cannot bind the new subport yet
    add_d(w)
    wait_for("D's LSP written with its parent and tag", lambda: (
        lsp(w, w.subs["d"]["id"])["parent_name"], lsp(w, w.subs["d"]["id"])["tag"]) == (w.parent["id"], D_VLAN),
        WAIT)
    degraded = wait_trunk(w, "DEGRADED")
    assert w.subs["d"]["id"] in degraded["status_reason"]
    assert {s["port_id"]: s["status"] for s in degraded["sub_ports"]}[w.subs["d"]["id"]] != "ACTIVE"
    w.sync[-1].freeze()  # stuck mid-pass: sees nothing, reports nothing
    w.ch1.start_controller()
    wait_for("D's LSP up", lambda: w.central.lsp_up(w.subs["d"]["id"]), WAIT)
    w.sync[-1].kill()
    time.sleep(1.0)
    assert trunk_view(w)["status"] == "DEGRADED", "nobody reported the LSP going up"
    w.restart_sync()
    t = wait_trunk(w, "ACTIVE")  # nobody touched the trunk
    assert {s["port_id"]: s["status"] for s in t["sub_ports"]}[w.subs["d"]["id"]] == "ACTIVE"
    assert port_status(w, w.subs["d"]["id"]) == "ACTIVE"
    converged(w)


def test_ovn_sync_kill9_mid_change_converges_without_duplicate_rows(world: World) -> None:
    w = world
    wait_trunk(w, "ACTIVE")
    remove_d(w)
    time.sleep(0.05)  # it has begun: the event is out, the pass may be half way
    w.sync[-1].kill()
    set_subports(w, "remove_subports", [{"port_id": w.subs["b"]["id"]}])  # and a change while it is down
    w.restart_sync()
    wait_for("B's LSP off the trunk", lambda: lsp(w, w.subs["b"]["id"])["tag"] == [], WAIT)
    converged(w)
    set_subports(w, "add_subports", [{"port_id": w.subs["b"]["id"], "segmentation_type": "vlan",
                                      "segmentation_id": 200}])
    converged(w)


def test_northd_kill9_mid_change_converges(world: World) -> None:
    w = world
    wait_trunk(w, "ACTIVE")
    w.central.kill_northd()
    add_d(w)
    wait_for("D's LSP written", lambda: lsp(w, w.subs["d"]["id"])["tag"] == D_VLAN, WAIT)
    t = wait_trunk(w, "DEGRADED")  # no SB binding without northd: the LSP cannot go up
    assert w.subs["d"]["id"] in t["status_reason"]
    only(heard(w, 100, w.far("a")), *w.ends_of("a"))  # the rest keeps working
    w.central.start_northd()
    converged(w)
    assert reply(w, "d1") == [D_VLAN]


def test_ovn_controller_kill9_mid_change_converges(world: World) -> None:
    w = world
    wait_trunk(w, "ACTIVE")
    w.ch1.kill_controller()
    remove_d(w)
    wait_for("D's LSP off the trunk", lambda: lsp(w, w.subs["d"]["id"])["tag"] == [], WAIT)
    only(heard(w, 100, w.far("a")), *w.ends_of("a"))  # flows stay in OVS while the controller is away
    w.ch1.start_controller()
    converged(w)
    add_d(w)
    converged(w)


def test_a_subports_security_group_lets_in_only_its_ports(world: World) -> None:
    """Port_Group and ACLs enforced on a trunk subport: with a group allowing TCP 22 and UDP 53 in, those reach
    the instance on VLAN 100; TCP 23 and UDP 54 are dropped."""
    w = world
    r = w.api.post("/v2.0/security-groups", {"security_group": {"name": "ssh-dns"}})
    assert r.status_code == 201, r.text
    group = r.json()["security_group"]["id"]
    for proto, port in (("tcp", 22), ("udp", 53)):
        r = w.api.post("/v2.0/security-group-rules", {"security_group_rule": {
            "security_group_id": group, "direction": "ingress", "ethertype": "IPv4", "protocol": proto,
            "port_range_min": port, "port_range_max": port}})
        assert r.status_code == 201, r.text
    sub = w.subs["a"]
    before = w.api.get(f"/v2.0/ports/{sub['id']}").json()["port"]["security_groups"]
    end = w.ends["a1"]

    def passes(l4: Any) -> bool:
        marker = f"sg-{uuid.uuid4().hex[:10]}"
        frame = (Ether(src=end.mac, dst=w.parent["mac_address"]) / IP(src=end.ip, dst="192.0.2.99") / l4
                 / Raw(marker.encode()))
        w.vm.drain()
        assert end.sock is not None
        for _ in range(3):
            end.sock.send(bytes(frame))
            time.sleep(0.3)
            got = w.vm.received(marker)
            if got:
                assert got == [100]  # tagged with the subport's VLAN
                return True
        return False

    r = w.api.put(f"/v2.0/ports/{sub['id']}", {"port": {"security_groups": [group]}})
    assert r.status_code == 200, r.text
    try:
        wait_for("TCP 22 let in by the group", lambda: passes(TCP(sport=40000, dport=22, flags="S")), timeout=WAIT)
        assert passes(UDP(sport=40001, dport=53))
        assert not passes(TCP(sport=40002, dport=23, flags="S"))
        assert not passes(UDP(sport=40003, dport=54))
    finally:
        r = w.api.put(f"/v2.0/ports/{sub['id']}", {"port": {"security_groups": before}})
        assert r.status_code == 200, r.text
    wait_for("TCP 23 in again with the open group", lambda: passes(TCP(sport=40004, dport=23, flags="S")),
             timeout=WAIT)

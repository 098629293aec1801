"""Trunks on OVN end to end: trunkd server (`--drivers ovn`), `trunkd ovn-sync`, a real OVN central and two
chassis joined by geneve, and tagged frames.

Everything is made through the API, as Nova and an operator would: networks P (the parent's, with a DHCP
subnet), A, B, C (on nobody's trunk) and D (added live); ports bound to a chassis by `binding:host_id`; the
instance's interface is plugged into chassis 1's br-int with iface-id = the parent port, as os-vif does for
OVN. Each network has an end on chassis 1 and one on chassis 2 (across the tunnel).
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.dataplane.support import BROADCAST, Endpoint, cleanup, exchange, tag, wait_for
from tests.ovn.rig import OvnCentral, OvnChassis, Rig
from tests.ovn.support import OvnSyncProc, duplicates, ovn_server
from tests.support import Api, Server

OVN_AGENT = "OVN Controller agent"
NETS = "pabcd"
TRUNK_NETS = {"a": 100, "b": 200}  # subports at the start
D_VLAN = 300
ALL_IP = "255.255.255.255"


@dataclass
class World:
    rig: Rig
    server: Server
    api: Api
    sync: list[OvnSyncProc]  # the running one last
    nets: dict[str, dict[str, Any]]
    parent: dict[str, Any]
    subs: dict[str, dict[str, Any]]  # a, b, d (d not on the trunk at first)
    trunk: dict[str, Any]
    vm: Endpoint
    ends: dict[str, Endpoint]  # "a1": network A's end on chassis 1, "a2" on chassis 2, ...
    workdir: Path

    @property
    def central(self) -> OvnCentral:
        return self.rig.central

    @property
    def ch1(self) -> OvnChassis:
        return self.rig.chassis[0]

    def restart_sync(self) -> OvnSyncProc:
        """A new ovn-sync process (the old one must be dead)."""
        assert not any(s.alive() for s in self.sync)
        proc = OvnSyncProc(self.central, self.server.url, self.workdir, resync_interval=30,
                           name=f"ovn-sync-{len(self.sync)}").start()
        self.sync.append(proc)
        return proc


def fixed_ip(port: dict[str, Any]) -> str:
    return str(port["fixed_ips"][0]["ip_address"]) if port["fixed_ips"] else "192.0.2.1"


@pytest.fixture(scope="module")
def world(rig: Rig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp("ovn-frames")
    ch1, ch2 = rig.chassis
    with cleanup() as undo:
        server = ovn_server(rig.central, workdir).start()
        undo.append(lambda: server.stop(kill=True))
        api = Api(server.url)
        sync = OvnSyncProc(rig.central, server.url, workdir, resync_interval=30).start()
        undo.append(sync.stop)
        wait_for("both chassis shown as OVN agents", lambda: {
            a["host"] for a in api.get("/v2.0/agents", params={"agent_type": OVN_AGENT}).json()["agents"]
            if a["alive"]} == {ch1.name, ch2.name}, timeout=30)
        nets = {n: api.network(name=f"ovn-{n}-{tag()}") for n in NETS}
        api.subnet(nets["p"]["id"], cidr="10.60.0.0/24", gateway_ip="10.60.0.1")
        host1 = {"binding:host_id": ch1.name}
        parent = api.port(nets["p"]["id"], name="parent", **host1)
        mac = parent["mac_address"]
        subs = {n: api.port(nets[n]["id"], name=f"sub-{n}", mac_address=mac) for n in "abd"}
        trunk = api.trunk(parent["id"], sub_ports=[
            {"port_id": subs[n]["id"], "segmentation_type": "vlan", "segmentation_id": vlan}
            for n, vlan in TRUNK_NETS.items()])
        ends: dict[str, Endpoint] = {}
        for i, chassis in enumerate(rig.chassis, start=1):
            for n in NETS:
                port = api.port(nets[n]["id"], name=f"end-{n}{i}", **{"binding:host_id": chassis.name})
                ends[f"{n}{i}"] = rig.endpoint(chassis, port["id"], port["mac_address"], ip=fixed_ip(port))
        vm = rig.endpoint(ch1, parent["id"], mac, ip=fixed_ip(parent))
        w = World(rig, server, api, [sync], nets, parent, subs, trunk, vm, ends, workdir)
        wait_trunk(w, "ACTIVE")
        yield w
        for proc in w.sync:
            proc.stop()


# -- helpers ---------------------------------------------------------------------------------------------

def trunk_view(w: World) -> dict[str, Any]:
    r = w.api.get(f"/v2.0/trunks/{w.trunk['id']}", params={"subport_status": "true"})
    assert r.status_code == 200, r.text
    return dict(r.json()["trunk"])


def wait_trunk(w: World, status: str, timeout: float = 30.0) -> dict[str, Any]:
    seen: list[dict[str, Any]] = [{}]

    def check() -> dict[str, Any] | None:
        seen[0] = trunk_view(w)
        return seen[0] if seen[0]["status"] == status else None

    try:
        return dict(wait_for(f"trunk {status}", check, timeout))
    except AssertionError as exc:
        t = seen[0]
        raise AssertionError(f"{exc}; trunk is {t.get('status')} ({t.get('status_reason')}), subports "
                             f"{[(s['segmentation_id'], s.get('status')) for s in t.get('sub_ports', [])]}; "
                             f"see {w.workdir}") from None


def port_status(w: World, port_id: str) -> str:
    return str(w.api.get(f"/v2.0/ports/{port_id}").json()["port"]["status"])


def heard(w: World, vlan: int | None, expect: str | None) -> dict[str, list[int | None]]:
    """Broadcast from the instance on `vlan`: what each network end heard (keyed a1, a2, p1, ...)."""
    got = exchange(w.vm, list(w.ends.values()), vlan, expect=w.ends[expect] if expect else None, dst_ip=ALL_IP)
    return {name: got[ep.ns] for name, ep in w.ends.items()}


def only(got: dict[str, list[int | None]], *names: str) -> None:
    """Exactly the ends `names` heard the frame, once each and untagged; nobody else heard anything."""
    assert got == {name: [None] if name in names else [] for name in got}


def reply(w: World, end: str) -> list[int | None]:
    """A unicast frame from network end `end` to the instance: the VLANs the instance saw it on."""
    return exchange(w.ends[end], [w.vm], None, expect=w.vm, dst=w.parent["mac_address"],
                    dst_ip=fixed_ip(w.parent))[w.vm.ns]


def set_subports(w: World, action: str, subs: list[dict[str, Any]]) -> None:
    r = w.api.put(f"/v2.0/trunks/{w.trunk['id']}/{action}", {"sub_ports": subs})
    assert r.status_code == 200, r.text


def add_d(w: World) -> None:
    set_subports(w, "add_subports", [{"port_id": w.subs["d"]["id"], "segmentation_type": "vlan",
                                      "segmentation_id": D_VLAN}])


def remove_d(w: World) -> None:
    set_subports(w, "remove_subports", [{"port_id": w.subs["d"]["id"]}])


def lsp(w: World, port_id: str) -> dict[str, Any]:
    rows = [r for r in w.central.table("Logical_Switch_Port") if r["name"] == port_id]
    assert len(rows) == 1, rows
    return rows[0]


def no_duplicates(w: World) -> None:
    assert duplicates(w.central) == {}


def converged(w: World) -> None:
    """The trunk as it stands now works: ACTIVE, every subport's VLAN reaches its network on both chassis."""
    t = wait_trunk(w, "ACTIVE")
    w.central.sync()
    vlans = {s["segmentation_id"]: s["port_id"] for s in t["sub_ports"]}
    for net, vlan in (*TRUNK_NETS.items(), ("d", D_VLAN)):
        if vlan in vlans:
            only(heard(w, vlan, f"{net}2"), f"{net}1", f"{net}2")
        else:
            only(heard(w, vlan, None))
    no_duplicates(w)


# -- the tests ---------------------------------------------------------------------------------------------

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
    w = world
    wait_trunk(w, "ACTIVE")
    only(heard(w, 100, "a2"), "a1", "a2")
    only(heard(w, 200, "b2"), "b1", "b2")
    only(heard(w, None, "p2"), "p1", "p2")
    only(heard(w, D_VLAN, None))  # network D's port is not on the trunk
    only(heard(w, 400, None))


def test_replies_come_back_tagged_with_the_subports_vlan(world: World) -> None:
    w = world
    assert reply(w, "a1") == [100]
    assert reply(w, "a2") == [100]  # across the geneve tunnel
    assert reply(w, "b2") == [200]
    assert reply(w, "p2") == [None]
    for end in ("c1", "c2", "d1"):  # networks not on the trunk reach nothing of the instance or the others
        others = [w.vm, *(ep for name, ep in w.ends.items() if name[0] != end[0])]
        got = exchange(w.ends[end], others, None, dst_ip=ALL_IP)
        assert got == {ep.ns: [] for ep in others}, end


def test_ovn_native_dhcp_gives_the_parent_its_fixed_ip(world: World, tmp_path: Path) -> None:
    w = world
    script, lease = tmp_path / "udhcpc.sh", tmp_path / "lease"
    script.write_text(f'#!/bin/sh\n[ "$1" = bound ] && echo "$ip $subnet $router" > {lease}\nexit 0\n')
    script.chmod(0o755)
    out = subprocess.run(["ip", "netns", "exec", w.vm.ns, "busybox", "udhcpc", "-i", "eth0", "-f", "-q", "-n",
                          "-t", "5", "-T", "2", "-s", str(script)], capture_output=True, text=True, timeout=60,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert lease.read_text().split() == [fixed_ip(w.parent), "255.255.255.0", "10.60.0.1"]


def steady_stream(w: World, vlan: int, end: str, change: Any, cover: float = 1.0) -> None:
    """Frames on `vlan` every 5 ms while `change()` runs (and at least `cover` s): `end` must hear every one."""
    ep = w.ends[end]
    ep.drain()
    marker, sent, stop = f"steady-{tag()}", [0], threading.Event()

    def stream() -> None:
        while not stop.is_set():
            w.vm.send(f"{marker}-{sent[0]:05d}", vlan, BROADCAST, ALL_IP)
            sent[0] += 1
            time.sleep(0.005)

    sender = threading.Thread(target=stream)
    began = time.monotonic()
    sender.start()
    try:
        change()
        time.sleep(max(0.0, cover - (time.monotonic() - began)))
    finally:
        stop.set()
        sender.join()
    time.sleep(0.5)
    got = {data.split(marker.encode() + b"-")[1][:5] for _v, data in ep.drain() if marker.encode() in data}
    assert sent[0] > 20 and len(got) == sent[0], f"VLAN {vlan} lost {sent[0] - len(got)} of {sent[0]} frames"


def test_add_and_remove_a_subport_live_without_a_gap_on_the_other_vlans(world: World) -> None:
    w = world
    wait_trunk(w, "ACTIVE")

    def add() -> None:
        add_d(w)
        t = wait_trunk(w, "ACTIVE")
        assert D_VLAN in {s["segmentation_id"] for s in t["sub_ports"]}
        w.central.sync()

    steady_stream(w, 100, "a2", add)
    assert (lsp(w, w.subs["d"]["id"])["parent_name"], lsp(w, w.subs["d"]["id"])["tag"]) == (w.parent["id"], D_VLAN)
    only(heard(w, D_VLAN, "d2"), "d1", "d2")
    assert reply(w, "d2") == [D_VLAN]

    def remove() -> None:
        remove_d(w)
        wait_for("D's LSP off the trunk", lambda: lsp(w, w.subs["d"]["id"])["tag"] == [])
        w.central.sync()

    steady_stream(w, 200, "b1", remove)
    assert lsp(w, w.subs["d"]["id"])["parent_name"] == []
    only(heard(w, D_VLAN, None))
    converged(w)


def test_kuryr_lost_event_the_subport_goes_active_after_a_sync_killed_before_its_report(world: World) -> None:
    """The LSP goes up while no ovn-sync listens (the event is lost for good); the next one reports it."""
    w = world
    wait_trunk(w, "ACTIVE")
    w.ch1.kill_controller()  # mid-change: the chassis cannot bind the new subport yet
    add_d(w)
    wait_for("D's LSP written with its parent and tag", lambda: (
        lsp(w, w.subs["d"]["id"])["parent_name"], lsp(w, w.subs["d"]["id"])["tag"]) == (w.parent["id"], D_VLAN))
    degraded = wait_trunk(w, "DEGRADED")
    assert w.subs["d"]["id"] in degraded["status_reason"]
    assert {s["port_id"]: s["status"] for s in degraded["sub_ports"]}[w.subs["d"]["id"]] != "ACTIVE"
    w.sync[-1].freeze()  # stuck mid-pass: sees nothing, reports nothing
    w.ch1.start_controller()
    wait_for("D's LSP up", lambda: w.central.lsp_up(w.subs["d"]["id"]))
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
    wait_for("B's LSP off the trunk", lambda: lsp(w, w.subs["b"]["id"])["tag"] == [])
    converged(w)
    set_subports(w, "add_subports", [{"port_id": w.subs["b"]["id"], "segmentation_type": "vlan",
                                      "segmentation_id": 200}])
    converged(w)


def test_northd_kill9_mid_change_converges(world: World) -> None:
    w = world
    wait_trunk(w, "ACTIVE")
    w.central.kill_northd()
    add_d(w)
    wait_for("D's LSP written", lambda: lsp(w, w.subs["d"]["id"])["tag"] == D_VLAN)
    t = wait_trunk(w, "DEGRADED")  # no SB binding without northd: the LSP cannot go up
    assert w.subs["d"]["id"] in t["status_reason"]
    only(heard(w, 100, "a2"), "a1", "a2")  # the rest keeps working
    w.central.start_northd()
    converged(w)
    assert reply(w, "d1") == [D_VLAN]


def test_ovn_controller_kill9_mid_change_converges(world: World) -> None:
    w = world
    wait_trunk(w, "ACTIVE")
    w.ch1.kill_controller()
    remove_d(w)
    wait_for("D's LSP off the trunk", lambda: lsp(w, w.subs["d"]["id"])["tag"] == [])
    only(heard(w, 100, "a2"), "a1", "a2")  # flows stay in OVS while the controller is away
    w.ch1.start_controller()
    converged(w)
    add_d(w)
    converged(w)

"""trunkd on the OVN rig, for the end-to-end tests: the world they share and the checks they make.

Everything is made through the API, as Nova and an operator would: networks P (the parent's, with a DHCP
subnet), A, B, C (on nobody's trunk) and D (added live); ports bound to a chassis by `binding:host_id`; the
instance's interface is plugged into chassis 1's br-int with iface-id = the parent port, as os-vif does for
OVN. Each network has an end on every chassis (with two, the second is across the geneve tunnel).
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.dataplane.support import BROADCAST, Endpoint, exchange, tag, wait_for
from tests.ovn.rig import OvnCentral, OvnChassis, Rig
from tests.ovn.support import OvnSyncProc, duplicates, ovn_server
from tests.support import Api, Server

OVN_AGENT = "OVN Controller agent"
NETS = "pabcd"
TRUNK_NETS = {"a": 100, "b": 200}  # subports at the start
D_VLAN = 300
ALL_IP = "255.255.255.255"
# Upper bound of every wait: a restarted ovn-sync needs ~10 s to start on a loaded 2-core machine.
WAIT = 60.0


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

    def ends_of(self, net: str) -> list[str]:
        """The names of network `net`'s ends, one per chassis ("a1", "a2")."""
        return [f"{net}{i}" for i in range(1, len(self.rig.chassis) + 1)]

    def far(self, net: str) -> str:
        """Network `net`'s end on the last chassis: across the tunnel when there are two."""
        return self.ends_of(net)[-1]

    def restart_sync(self) -> OvnSyncProc:
        """A new ovn-sync process (the old one must be dead); stopped with the others at the end."""
        assert not any(s.alive() for s in self.sync)
        proc = OvnSyncProc(self.central, self.server.url, self.workdir, resync_interval=30,
                           name=f"ovn-sync-{len(self.sync)}").start()
        self.sync.append(proc)
        return proc


def fixed_ip(port: dict[str, Any]) -> str:
    return str(port["fixed_ips"][0]["ip_address"]) if port["fixed_ips"] else "192.0.2.1"


def open_group(api: Api) -> str:
    """A security group letting every IPv4 and IPv6 packet in (a new group already lets everything out): the
    ends have addresses no group would know, and port security (anti-spoofing) stays on."""
    r = api.post("/v2.0/security-groups", {"security_group": {"name": f"open-{tag()}"}})
    assert r.status_code == 201, r.text
    group_id = str(r.json()["security_group"]["id"])
    for ethertype in ("IPv4", "IPv6"):
        r = api.post("/v2.0/security-group-rules", {"security_group_rule": {
            "security_group_id": group_id, "direction": "ingress", "ethertype": ethertype}})
        assert r.status_code == 201, r.text
    return group_id


def build_world(rig: Rig, workdir: Path, undo: list[Callable[[], None]]) -> World:
    """Server, ovn-sync, networks, the trunk (parent bound to chassis 1) and every network's end on each chassis,
    all made through the API; returns once the trunk is ACTIVE. `undo` gets the steps that stop what started."""
    ch1 = rig.chassis[0]
    server = ovn_server(rig.central, workdir).start(timeout=WAIT * 2)
    undo.append(lambda: server.stop(kill=True))
    api = Api(server.url)
    sync = OvnSyncProc(rig.central, server.url, workdir, resync_interval=30).start()
    syncs = [sync]

    def stop_syncs() -> None:
        for proc in syncs:
            proc.stop()

    undo.append(stop_syncs)
    wait_for("every chassis shown as an OVN agent", lambda: {
        a["host"] for a in api.get("/v2.0/agents", params={"agent_type": OVN_AGENT}).json()["agents"]
        if a["alive"]} == {c.name for c in rig.chassis}, timeout=WAIT)
    nets = {n: api.network(name=f"ovn-{n}-{tag()}") for n in NETS}
    api.subnet(nets["p"]["id"], cidr="10.60.0.0/24", gateway_ip="10.60.0.1")
    groups = [open_group(api)]  # these tests prove the VLAN plumbing: every port's group lets all IP in
    parent = api.port(nets["p"]["id"], name="parent", security_groups=groups, **{"binding:host_id": ch1.name})
    mac = parent["mac_address"]
    subs = {n: api.port(nets[n]["id"], name=f"sub-{n}", mac_address=mac, security_groups=groups) for n in "abd"}
    trunk = api.trunk(parent["id"], sub_ports=[
        {"port_id": subs[n]["id"], "segmentation_type": "vlan", "segmentation_id": vlan}
        for n, vlan in TRUNK_NETS.items()])
    ends: dict[str, Endpoint] = {}
    for i, chassis in enumerate(rig.chassis, start=1):
        for n in NETS:
            port = api.port(nets[n]["id"], name=f"end-{n}{i}", security_groups=groups,
                            **{"binding:host_id": chassis.name})
            ends[f"{n}{i}"] = rig.endpoint(chassis, port["id"], port["mac_address"], ip=fixed_ip(port))
    vm = rig.endpoint(ch1, parent["id"], mac, ip=fixed_ip(parent))
    w = World(rig, server, api, syncs, nets, parent, subs, trunk, vm, ends, workdir)
    wait_trunk(w, "ACTIVE")
    return w


# -- helpers ---------------------------------------------------------------------------------------------

def trunk_view(w: World) -> dict[str, Any]:
    r = w.api.get(f"/v2.0/trunks/{w.trunk['id']}", params={"subport_status": "true"})
    assert r.status_code == 200, r.text
    return dict(r.json()["trunk"])


def wait_trunk(w: World, status: str, timeout: float = WAIT) -> dict[str, Any]:
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
    """The trunk as it stands now works: ACTIVE, every subport's VLAN reaches its network on every chassis and
    no other VLAN passes; no NB row is there twice."""
    t = wait_trunk(w, "ACTIVE")
    w.central.sync()
    vlans = {s["segmentation_id"]: s["port_id"] for s in t["sub_ports"]}
    for net, vlan in (*TRUNK_NETS.items(), ("d", D_VLAN)):
        if vlan in vlans:
            only(heard(w, vlan, w.far(net)), *w.ends_of(net))
        else:
            only(heard(w, vlan, None))
    no_duplicates(w)




def dhcp_lease(w: World, tmp: Path) -> list[str]:
    """Run busybox udhcpc on the instance's interface (untagged: the parent's network): ip, netmask, router."""
    script, lease = tmp / "udhcpc.sh", tmp / "lease"
    script.write_text(f'#!/bin/sh\n[ "$1" = bound ] && echo "$ip $subnet $router" > {lease}\nexit 0\n')
    script.chmod(0o755)
    out = subprocess.run(["ip", "netns", "exec", w.vm.ns, "busybox", "udhcpc", "-i", "eth0", "-f", "-q", "-n",
                          "-t", "5", "-T", "2", "-s", str(script)], capture_output=True, text=True, timeout=60,
                         check=False)
    assert out.returncode == 0, out.stderr
    return lease.read_text().split()


def steady_stream(w: World, vlan: int, end: str, change: Callable[[], None], cover: float = 1.0) -> None:
    """Frames on `vlan` every 5 ms while `change()` runs (and at least `cover` s and 40 frames): `end` must hear
    every one."""
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
        # the stream covers the whole change and counts for something even when the sender thread is starved
        wait_for("the stream to cover the change", lambda: time.monotonic() - began >= cover and sent[0] >= 40,
                 timeout=WAIT, every=0.05)
    finally:
        stop.set()
        sender.join()
    time.sleep(0.5)
    got = {data.split(marker.encode() + b"-")[1][:5] for _v, data in ep.drain() if marker.encode() in data}
    assert sent[0] > 20 and len(got) == sent[0], f"VLAN {vlan} lost {sent[0] - len(got)} of {sent[0]} frames"


def add_and_remove_live(w: World) -> None:
    """D added on its VLAN while VLAN 100 streams, then removed while VLAN 200 streams: no frame lost."""
    wait_trunk(w, "ACTIVE")

    def add() -> None:
        add_d(w)
        t = wait_trunk(w, "ACTIVE")
        assert D_VLAN in {s["segmentation_id"] for s in t["sub_ports"]}
        w.central.sync()

    steady_stream(w, 100, w.far("a"), add)
    row = lsp(w, w.subs["d"]["id"])
    assert (row["parent_name"], row["tag"]) == (w.parent["id"], D_VLAN)
    only(heard(w, D_VLAN, w.far("d")), *w.ends_of("d"))
    assert reply(w, w.far("d")) == [D_VLAN]

    def remove() -> None:
        remove_d(w)
        wait_for("D's LSP off the trunk", lambda: lsp(w, w.subs["d"]["id"])["tag"] == [], WAIT)
        w.central.sync()

    steady_stream(w, 200, "b1", remove)
    assert lsp(w, w.subs["d"]["id"])["parent_name"] == []
    only(heard(w, D_VLAN, None))
    converged(w)


def each_vlan_reaches_its_network_only(w: World) -> None:
    wait_trunk(w, "ACTIVE")
    only(heard(w, 100, w.far("a")), *w.ends_of("a"))
    only(heard(w, 200, w.far("b")), *w.ends_of("b"))
    only(heard(w, None, w.far("p")), *w.ends_of("p"))
    only(heard(w, D_VLAN, None))  # network D's port is not on the trunk
    only(heard(w, 400, None))


def replies_come_back_tagged(w: World) -> None:
    for net, vlan in (("a", 100), ("b", 200), ("p", None)):
        for end in w.ends_of(net):
            assert reply(w, end) == [vlan], end
    for net in "cd":  # networks not on the trunk reach nothing of the instance or the other networks
        for end in w.ends_of(net):
            others = [w.vm, *(ep for name, ep in w.ends.items() if name[0] != net)]
            got = exchange(w.ends[end], others, None, dst_ip=ALL_IP)
            assert got == {ep.ns: [] for ep in others}, end

"""The host side as Nova drives it: os-vif's `ovs` plugin plugs the instance's interface, the agent wires it.

One host (trunkd server, `trunkd agent`, userspace OVS). Each port is bound to the host through the API
first, as Nova does, then os-vif plugs it into the bridge `binding:vif_details` names: the trunk parent into
the trunk bridge, the networks' ends into br-int with `isolate_vif` (dead VLAN 4095, `vlan_mode=trunk`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pyroute2 import NetNS

from tests.dataplane.osvif import OsVif
from tests.dataplane.support import (
    AgentProc,
    Endpoint,
    OvsHost,
    Topology,
    cleanup,
    exchange,
    require_ovs,
    tag,
    wait_for,
    wait_status,
)
from tests.support import Api, Server
from trunkd.domain.ovs_names import trunk_bridge_name

CONVERGE = 3.0  # bound on polling after an OVSDB change (the agent reacts to row events; figures in benchmarks/)


@dataclass
class World:
    server: Server
    api: Api
    host: OvsHost
    osvif: OsVif
    topo: Topology
    trunk: dict[str, Any]
    ports: dict[str, dict[str, Any]]  # parent, sa, sb, p, a, b, c
    vm: Endpoint
    eps: dict[str, Endpoint]  # p, a, b, c


def bind(api: Api, port_id: str, host: str) -> dict[str, Any]:
    """What Nova does before plugging: bind the port to the compute host; the answer has the vif_details."""
    r = api.put(f"/v2.0/ports/{port_id}", {"port": {"binding:host_id": host}})
    assert r.status_code == 200, r.text
    return dict(r.json()["port"])


def bridge_for(port: dict[str, Any]) -> str:
    """vif_details.bridge_name as Neutron answers it (the trunk bridge for a trunk parent)."""
    name = str(port.get("binding:vif_details", {}).get("bridge_name", ""))
    details = port.get("trunk_details")
    if details and not name.startswith("tbr-"):  # a server that still answers br-int for a trunk parent
        return trunk_bridge_name(details["trunk_id"])
    return name or "br-int"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    require_ovs()
    workdir = tmp_path_factory.mktemp("dataplane-osvif")
    with cleanup() as undo:
        server = Server(database=f"sqlite:///{workdir / 'trunkd.db'}", workdir=workdir).start()
        undo.append(lambda: server.stop(kill=True))
        api = Api(server.url)
        host = OvsHost(f"tdv-{tag()}", workdir / "h1")
        undo.append(host.stop)
        host.start()
        agent = AgentProc(host, server.url, workdir).start()
        undo.append(agent.stop)
        wait_for("agent registered", lambda: api.get("/v2.0/agents", params={"host": host.name}).json()["agents"])
        osvif = OsVif(host.name, host.db)
        undo.append(osvif.close)
        nets = {n: api.network(name=f"net-{n}") for n in "pabc"}
        parent = api.port(network_id=nets["p"]["id"], name="parent")
        mac = parent["mac_address"]
        ports = {"parent": parent,
                 "sa": api.port(network_id=nets["a"]["id"], mac_address=mac),
                 "sb": api.port(network_id=nets["b"]["id"], mac_address=mac),
                 **{n: api.port(network_id=nets[n]["id"], name=f"ep-{n}") for n in "pabc"}}
        trunk = api.trunk(port_id=parent["id"], sub_ports=[
            {"port_id": ports["sa"]["id"], "segmentation_type": "vlan", "segmentation_id": 100},
            {"port_id": ports["sb"]["id"], "segmentation_type": "vlan", "segmentation_id": 200},
        ])
        topo = Topology()
        undo.append(topo.close)
        eps = {}
        for n in "pabc":
            eps[n] = topo.endpoint(host, ports[n]["mac_address"])
            bound = bind(api, ports[n]["id"], host.name)
            osvif.plug(bound, eps[n].tap, bridge_for(bound), isolate=True)
        vm = topo.endpoint(host, mac)
        bound = bind(api, parent["id"], host.name)
        ports["parent"] = bound
        assert bridge_for(bound) == trunk_bridge_name(trunk["id"])
        osvif.plug(bound, vm.tap, bridge_for(bound))
        yield World(server, api, host, osvif, topo, trunk, ports, vm, eps)


def frames(w: World, vlan: int | None, expect: str | None) -> dict[str, list[int | None]]:
    heard = exchange(w.vm, list(w.eps.values()), vlan, expect=w.eps[expect] if expect else None)
    return {n: heard[ep.ns] for n, ep in w.eps.items()}


def reply(w: World, net: str) -> list[int | None]:
    return exchange(w.eps[net], [w.vm], None, expect=w.vm)[w.vm.ns]


def port_status(api: Api, port_id: str) -> str:
    return str(api.get(f"/v2.0/ports/{port_id}").json()["port"]["status"])


def has_port_status(api: Api) -> bool:
    """The server's port-status call (PUT /v2.0/hosts/{host}/port_status) is there."""
    return api.put("/v2.0/hosts/nowhere/port_status", {"ports": []}).status_code != 404


def passes(w: World, vlan: int, net: str) -> bool:
    """One frame on `vlan` reaches `net` (short window, for polling)."""
    return bool(exchange(w.vm, [w.eps[net]], vlan, window=0.1, attempts=1)[w.eps[net].ns])


def test_os_vif_plug_wires_every_vlan_and_isolate_vif_does_not_leave_ports_dead(world: World) -> None:
    wait_status(world.api, world.trunk["id"], "ACTIVE")
    assert frames(world, 100, "a") == {"p": [], "a": [None], "b": [], "c": []}, "VLAN 100 -> A untagged"
    assert reply(world, "a") == [100], "A's reply comes back tagged 100"
    assert frames(world, 200, "b") == {"p": [], "a": [], "b": [None], "c": []}, "VLAN 200 -> B untagged"
    assert reply(world, "b") == [200]
    assert frames(world, None, "p") == {"p": [None], "a": [], "b": [], "c": []}, "untagged -> parent network"
    assert reply(world, "p") == [None]
    for n in "pabc":  # the agent took over tag, vlan_mode and trunks from isolate_vif
        tap = world.eps[n].tap
        assert world.host.vsctl("get", "Port", tap, "vlan_mode") == "access", n
        assert world.host.vsctl("get", "Port", tap, "trunks") == "[]", n
        assert world.host.vsctl("get", "Port", tap, "tag") != "4095", n
    vm_tap = world.vm.tap
    assert world.host.vsctl("get", "Port", vm_tap, "tag") == "[]", "the instance's interface carries every VLAN"


def test_a_just_plugged_interface_hears_no_other_network(world: World) -> None:
    """With isolate_vif (os-vif's advice for ML2/OVS) the port starts on the dead VLAN, which the agent's
    drop flows keep dead, until the agent moves it to its network. (Without isolate_vif a br-int port is
    untagged for the few milliseconds before the agent's transaction, as with Neutron.)"""
    api, host = world.api, world.host
    wait_status(api, world.trunk["id"], "ACTIVE")
    fresh_net = api.network(name="net-fresh")
    fresh = bind(api, api.port(network_id=fresh_net["id"])["id"], host.name)
    ep = world.topo.endpoint(host, fresh["mac_address"])
    marker, stop = f"noise-{tag()}", threading.Event()

    def noise() -> None:  # every other network floods broadcasts while the new interface comes up
        while not stop.is_set():
            for n in "pabc":
                world.eps[n].send(marker)
            world.vm.send(marker, 100)
            time.sleep(0.01)

    sender = threading.Thread(target=noise)
    sender.start()
    try:
        ep.drain()
        world.osvif.plug(fresh, ep.tap, bridge_for(fresh), isolate=True)
        time.sleep(3.0)  # its first seconds
    finally:
        stop.set()
        sender.join()
    assert ep.received(marker) == [], "a just-plugged interface heard another network"
    wait_for("port on its own local VLAN", lambda: host.vsctl("get", "Port", ep.tap, "tag") not in ("[]", "4095"))


def test_two_ports_that_are_not_bound_here_share_the_dead_vlan_and_hear_nothing(world: World) -> None:
    api, host = world.api, world.host
    nets = [api.network(name=f"net-dead-{i}") for i in (1, 2)]
    ports = [api.port(network_id=n["id"]) for n in nets]  # never bound: the agent has no network for them
    eps = [world.topo.endpoint(host, p["mac_address"]) for p in ports]
    for p, ep in zip(ports, eps, strict=True):
        world.osvif.plug(p, ep.tap, "br-int")
    for ep in eps:
        wait_for(f"{ep.tap} on the dead VLAN", lambda ep=ep: host.vsctl("get", "Port", ep.tap, "tag") == "4095")
    wait_for("drop flows for the dead ports", lambda: all(
        f"in_port={ep.tap}" in host.ofctl("dump-flows", "br-int", "--names") for ep in eps))
    assert exchange(eps[0], [eps[1]], None) == {eps[1].ns: []}, "broadcast on VLAN 4095"
    assert exchange(eps[1], [eps[0]], None) == {eps[0].ns: []}


def recreate_tap(host: OvsHost, ep: Endpoint) -> None:
    """A hard reboot makes a new tap (os-vif's unplug deleted the old one): a new veth into the same namespace."""
    if ep.sock is not None:
        ep.sock.close()
    with NetNS(host.name) as hns:
        hns.link("add", ifname=ep.tap, kind="veth", peer={"ifname": "eth0", "net_ns_fd": ep.ns})
        hns.link("set", index=hns.link_lookup(ifname=ep.tap)[0], state="up")
    with NetNS(ep.ns) as ns:
        ns.link("set", index=ns.link_lookup(ifname="eth0")[0], state="up", address=ep.mac)
    ep.open()


def test_unplug_takes_the_trunk_and_port_down_and_a_hard_reboot_works_again(world: World) -> None:
    """Runs last: unplug (os-vif deletes the trunk bridge), then plug again, as a hard reboot does."""
    api, trunk_id, tbr = world.api, world.trunk["id"], trunk_bridge_name(world.trunk["id"])
    parent = world.ports["parent"]
    wait_status(api, trunk_id, "ACTIVE")
    ports = has_port_status(api)  # the server side of port status lands on its own branch
    if ports:
        wait_for("parent port ACTIVE", lambda: port_status(api, parent["id"]) == "ACTIVE", timeout=CONVERGE * 3)
    world.osvif.unplug(parent, world.vm.tap, tbr)
    trunk = wait_status(api, trunk_id, "DOWN", timeout=CONVERGE * 3)
    assert "not plugged" in trunk["status_reason"], trunk["status_reason"]
    if ports:
        wait_for("parent port DOWN", lambda: port_status(api, parent["id"]) == "DOWN", timeout=CONVERGE * 3)
        assert port_status(api, world.ports["sa"]["id"]) == "DOWN", "a subport follows its parent's interface"

    recreate_tap(world.host, world.vm)
    world.osvif.plug(parent, world.vm.tap, tbr)
    wait_for("VLAN 100 passes again after the re-plug", lambda: passes(world, 100, "a"), timeout=CONVERGE)
    wait_for("VLAN 200 too", lambda: passes(world, 200, "b"), timeout=CONVERGE)
    wait_status(api, trunk_id, "ACTIVE", timeout=CONVERGE * 3)
    if ports:
        wait_for("parent port ACTIVE again", lambda: port_status(api, parent["id"]) == "ACTIVE",
                 timeout=CONVERGE * 3)

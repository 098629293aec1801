"""One host, real everything: trunkd server, `trunkd agent`, Open vSwitch (userspace), tagged frames.

The instance is a namespace plugged into the trunk bridge with `trunkd agent plug`; networks P
(the parent's), A, B and C (another tenant's) each have a namespace plugged into br-int.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

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
from trunkd.agent.api import ServerApi
from trunkd.agent.plug import plug
from trunkd.domain.ovs_names import trunk_bridge_name

OPENSTACK = Path(sys.executable).parent / "openstack"


@dataclass
class World:
    server: Server
    api: Api
    host: OvsHost
    agent: AgentProc
    trunk: dict[str, Any]
    ports: dict[str, dict[str, Any]]  # parent, sa, sb, p, a, b, c, sc
    vm: Endpoint
    eps: dict[str, Endpoint]  # p, a, b, c


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    require_ovs()
    workdir = tmp_path_factory.mktemp("dataplane-one-host")
    with cleanup() as undo:
        server = Server(database=f"sqlite:///{workdir / 'trunkd.db'}", workdir=workdir).start()
        undo.append(lambda: server.stop(kill=True))  # graceful stop would wait out the agent's long-poll
        api = Api(server.url)
        host = OvsHost(f"tdh-{tag()}", workdir / "h1")
        undo.append(host.stop)
        host.start()
        agent = AgentProc(host, server.url, workdir).start()
        undo.append(agent.stop)
        wait_for("agent registered", lambda: api.get("/v2.0/agents", params={"host": host.name}).json()["agents"])
        nets = {n: api.network(name=f"net-{n}") for n in "pabc"}
        parent = api.port(network_id=nets["p"]["id"], name="parent")
        mac = parent["mac_address"]
        ports = {
            "parent": parent,
            "sa": api.port(network_id=nets["a"]["id"], mac_address=mac, name="sub-a"),
            "sb": api.port(network_id=nets["b"]["id"], mac_address=mac, name="sub-b"),
            "sc": api.port(network_id=nets["c"]["id"], mac_address=mac, name="sub-c"),
            **{n: api.port(network_id=nets[n]["id"], name=f"ep-{n}") for n in "pabc"},
        }
        trunk = api.trunk(port_id=parent["id"], sub_ports=[
            {"port_id": ports["sa"]["id"], "segmentation_type": "vlan", "segmentation_id": 100},
            {"port_id": ports["sb"]["id"], "segmentation_type": "vlan", "segmentation_id": 200},
        ])
        topo = Topology()
        undo.append(topo.close)
        eps = {n: topo.endpoint(host, ports[n]["mac_address"]) for n in "pabc"}
        with host.switch() as switch:  # the network ends in-process; the instance through the command
            for n in "pabc":
                assert plug(ServerApi(server.url), switch, ports[n]["id"], eps[n].tap, host.name) == "br-int"
        vm = topo.endpoint(host, mac)
        assert agent.plug(parent["id"], vm.tap) == trunk_bridge_name(trunk["id"])
        yield World(server, api, host, agent, trunk, ports, vm, eps)


def statuses(api: Api, trunk_id: str) -> list[str]:
    events = api.get("/v2.0/events", params={"after": 0, "limit": 1000, "resource_type": "trunk"}).json()["events"]
    return [e["state"]["status"] for e in events
            if e["resource_id"] == trunk_id and e["kind"] == "trunk.status_changed"]


def frames(w: World, vlan: int | None, expect: str | None) -> dict[str, list[int | None]]:
    """Send from the instance on `vlan`; what each network namespace heard (keyed p, a, b, c)."""
    heard = exchange(w.vm, list(w.eps.values()), vlan, expect=w.eps[expect] if expect else None)
    return {n: heard[ep.ns] for n, ep in w.eps.items()}


def reply(w: World, net: str) -> list[int | None]:
    """A unicast frame from network `net` to the instance; the VLANs the instance saw it on."""
    heard = exchange(w.eps[net], [w.vm], None, expect=w.vm)
    return heard[w.vm.ns]


def osc(server: Server, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    out = subprocess.run([str(OPENSTACK), "--os-auth-type", "none", "--os-endpoint", server.url, *args, "-f", "json"],
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_trunk_goes_down_build_active_and_the_agent_shows_alive(world: World) -> None:
    wait_status(world.api, world.trunk["id"], "ACTIVE")
    assert statuses(world.api, world.trunk["id"])[:2] == ["BUILD", "ACTIVE"], "from DOWN through BUILD"
    shown = osc(world.server, "network", "trunk", "show", world.trunk["id"])
    assert shown["status"] == "ACTIVE"
    agents = world.api.get("/v2.0/agents", params={"host": world.host.name}).json()["agents"]
    assert [(a["alive"], a["binary"]) for a in agents] == [(True, "trunkd-agent")]
    subs = world.api.get("/v2.0/ports", params={"id": [world.ports["sa"]["id"], world.ports["sb"]["id"]]}).json()
    assert {p["binding:host_id"] for p in subs["ports"]} == {world.host.name}
    assert {p["device_owner"] for p in subs["ports"]} == {"trunk:subport"}


def test_each_vlan_reaches_its_network_and_nothing_else(world: World) -> None:
    wait_status(world.api, world.trunk["id"], "ACTIVE")
    assert frames(world, 100, "a") == {"p": [], "a": [None], "b": [], "c": []}, "VLAN 100 -> A untagged"
    assert reply(world, "a") == [100], "A's reply comes back tagged 100"
    assert frames(world, 200, "b") == {"p": [], "a": [], "b": [None], "c": []}, "VLAN 200 -> B untagged"
    assert reply(world, "b") == [200]
    assert frames(world, None, "p") == {"p": [None], "a": [], "b": [], "c": []}, "untagged -> parent network"
    assert reply(world, "p") == [None]
    assert frames(world, 300, None) == {"p": [], "a": [], "b": [], "c": []}, "unknown VLAN goes nowhere"
    assert exchange(world.eps["c"], [world.vm, *[world.eps[n] for n in "pab"]], None) == {
        ep.ns: [] for ep in [world.vm, *[world.eps[n] for n in "pab"]]}, "another tenant's network hears nothing"


def test_tpt_port_is_access_untagged_so_no_loop(world: World) -> None:
    wait_status(world.api, world.trunk["id"], "ACTIVE")
    tpt = f"tpt-{world.ports['parent']['id'][:11]}"
    assert world.host.vsctl("get", "Port", tpt, "vlan_mode") == "access"
    assert world.host.vsctl("get", "Port", tpt, "tag") == "0"


def _spt(world: World, key: str) -> str:
    return f"spt-{world.ports[key]['id'][:11]}"


def test_remove_cuts_only_that_vlan_and_add_brings_a_vlan_without_a_gap_on_others(world: World) -> None:
    api, trunk_id, tbr = world.api, world.trunk["id"], trunk_bridge_name(world.trunk["id"])
    wait_status(api, trunk_id, "ACTIVE")
    r = api.put(f"/v2.0/trunks/{trunk_id}/remove_subports", {"sub_ports": [{"port_id": world.ports["sb"]["id"]}]})
    assert r.status_code == 200, r.text
    wait_for("spt of B removed", lambda: _spt(world, "sb") not in world.host.ports(tbr))
    wait_status(api, trunk_id, "ACTIVE")
    assert frames(world, 200, None)["b"] == [], "VLAN 200 cut"
    assert frames(world, 100, "a")["a"] == [None], "VLAN 100 still passes"

    # a steady stream on VLAN 100 while VLAN 300 is added: every frame must arrive
    a = world.eps["a"]
    a.drain()
    marker, sent, stop = f"steady-{tag()}", [0], threading.Event()

    def stream() -> None:
        while not stop.is_set():
            world.vm.send(f"{marker}-{sent[0]:05d}", 100)
            sent[0] += 1
            time.sleep(0.005)

    sender = threading.Thread(target=stream)
    began = time.monotonic()
    sender.start()
    try:
        r = api.put(f"/v2.0/trunks/{trunk_id}/add_subports", {"sub_ports": [
            {"port_id": world.ports["sb"]["id"], "segmentation_type": "vlan", "segmentation_id": 300}]})
        assert r.status_code == 200, r.text
        wait_status(api, trunk_id, "ACTIVE")
        time.sleep(max(0.0, 1.0 - (time.monotonic() - began)))  # the stream covers the whole change
    finally:
        stop.set()
        sender.join()
    time.sleep(0.5)
    got = {data.split(marker.encode() + b"-")[1][:5] for _v, data in a.drain() if marker.encode() in data}
    assert sent[0] > 20 and len(got) == sent[0], f"VLAN 100 lost {sent[0] - len(got)} of {sent[0]} frames"
    assert frames(world, 300, "b") == {"p": [], "a": [], "b": [None], "c": []}, "new VLAN 300 -> B"
    assert frames(world, 200, None)["b"] == [], "old VLAN 200 stays cut"


def test_agent_kill9_changes_while_down_restart_repairs_without_duplicates(world: World) -> None:
    api, trunk_id, tbr = world.api, world.trunk["id"], trunk_bridge_name(world.trunk["id"])
    wait_status(api, trunk_id, "ACTIVE")
    a_before = world.host.vsctl("get", "Port", _spt(world, "sa"), "_uuid")
    world.agent.kill()
    subs = {s["port_id"]: s for s in api.get(f"/v2.0/trunks/{trunk_id}").json()["trunk"]["sub_ports"]}
    r = api.put(f"/v2.0/trunks/{trunk_id}/remove_subports", {"sub_ports": [{"port_id": world.ports["sb"]["id"]}]})
    assert r.status_code == 200 and world.ports["sb"]["id"] in subs, r.text
    r = api.put(f"/v2.0/trunks/{trunk_id}/add_subports", {"sub_ports": [
        {"port_id": world.ports["sc"]["id"], "segmentation_type": "vlan", "segmentation_id": 400}]})
    assert r.status_code == 200, r.text
    # a stale port the agent owns, left behind as if by a crash: the restart must remove it
    world.host.vsctl("add-port", tbr, "spt-stale000000", "--", "set", "Interface", "spt-stale000000",
                     "type=patch", "options:peer=nowhere", "--", "set", "Port", "spt-stale000000",
                     "external_ids:trunkd-owner=agent")
    world.agent.start()
    wait_status(api, trunk_id, "ACTIVE")
    ports = world.host.ports(tbr)
    assert sorted(p for p in ports if p.startswith("spt-")) == sorted([_spt(world, "sa"), _spt(world, "sc")])
    assert world.host.vsctl("get", "Port", _spt(world, "sa"), "_uuid") == a_before, "correct port left untouched"
    assert frames(world, 400, "c") == {"p": [], "a": [], "b": [], "c": [None]}, "VLAN 400 -> C"
    assert frames(world, 300, None)["b"] == [], "removed while down: cut"
    assert frames(world, 100, "a")["a"] == [None]


def test_server_kill9_agent_waits_and_catches_up_from_its_cursor(world: World) -> None:
    api, trunk_id = world.api, world.trunk["id"]
    wait_status(api, trunk_id, "ACTIVE")
    world.server.stop(kill=True)
    time.sleep(2)  # the agent's long-poll and heartbeats now fail; it must keep retrying
    assert world.agent.proc is not None and world.agent.proc.poll() is None, "the agent survives"
    world.server.start()
    fresh = api.port(network_id=world.ports["b"]["network_id"])
    r = api.put(f"/v2.0/trunks/{trunk_id}/add_subports", {"sub_ports": [
        {"port_id": fresh["id"], "segmentation_type": "vlan", "segmentation_id": 500}]})
    assert r.status_code == 200, r.text
    wait_status(api, trunk_id, "ACTIVE")
    assert frames(world, 500, "b")["b"] == [None]


def test_a_subport_that_cannot_bind_makes_the_trunk_degraded_and_the_others_still_pass(world: World) -> None:
    api, trunk_id = world.api, world.trunk["id"]
    wait_status(api, trunk_id, "ACTIVE")
    # physnet1 is known to the server but not mapped by this agent (no bridge_mappings): cannot bind here
    vlan_net = api.network(**{"provider:network_type": "vlan", "provider:physical_network": "physnet1",
                              "provider:segmentation_id": 1077, "mtu": 1450})
    orphan = api.port(network_id=vlan_net["id"], mac_address=world.ports["parent"]["mac_address"])
    r = api.put(f"/v2.0/trunks/{trunk_id}/add_subports", {"sub_ports": [
        {"port_id": orphan["id"], "segmentation_type": "vlan", "segmentation_id": 600}]})
    assert r.status_code == 200, r.text
    trunk = wait_status(api, trunk_id, "DEGRADED")
    assert orphan["id"] in trunk["status_reason"]
    assert frames(world, 100, "a")["a"] == [None], "VLAN 100 still passes"
    assert frames(world, 600, None) == {"p": [], "a": [], "b": [], "c": []}
    r = api.put(f"/v2.0/trunks/{trunk_id}/remove_subports", {"sub_ports": [{"port_id": orphan["id"]}]})
    assert r.status_code == 200, r.text
    wait_status(api, trunk_id, "ACTIVE")


def test_parent_unbind_tears_the_trunk_down_and_nothing_else(world: World) -> None:
    """Runs last in this module: it takes the instance off the host."""
    api, trunk_id, tbr = world.api, world.trunk["id"], trunk_bridge_name(world.trunk["id"])
    wait_status(api, trunk_id, "ACTIVE")
    r = api.put(f"/v2.0/ports/{world.ports['parent']['id']}", {"port": {"binding:host_id": ""}})
    assert r.status_code == 200, r.text
    wait_for("trunk bridge removed", lambda: tbr not in world.host.bridges())
    assert wait_status(api, trunk_id, "DOWN")["status_reason"] == "parent port unbound"
    left = world.host.ports("br-int")
    assert not [p for p in left if p.startswith(("tpi-", "spi-"))], left
    assert {world.eps[n].tap for n in "pabc"} <= set(left), "the networks' own ports stay"
    assert exchange(world.eps["p"], [world.eps["a"]], None, expect=None)[world.eps["a"].ns] == []
    r = api.delete(f"/v2.0/trunks/{trunk_id}")
    assert r.status_code == 204, r.text

"""Provider networks across two hosts on one "physical" L2, no tunnel: `--bridge-mappings`.

Each host maps physnet1 (VLAN) to br-ex and physnet2 (flat) to br-ex2; a veth per physical network joins
the two hosts' bridges (the wire). Host 1 has an operator-made br-ex the agent uses as it is; host 2's
agent makes both bridges. The instance's trunk is on host 1: parent on a provider VLAN network, subports
on another provider VLAN (VLAN 100) and on the flat network (VLAN 200). The networks' other ends are on
host 2; a listener on host 2's end of each wire reads the tag as it is on the wire.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.dataplane.support import (
    AgentProc,
    Endpoint,
    OvsHost,
    Topology,
    cleanup,
    require_ovs,
    tag,
    underlay,
    wait_for,
    wait_status,
    wire,
)
from tests.support import Api, Server
from trunkd.agent.api import ServerApi
from trunkd.agent.plug import plug

MAPPINGS = "physnet1:br-ex,physnet2:br-ex2"
SEGMENTS = {"p": 1100, "v": 1234, "o": 1235, "m": 1300}  # parent's, subport's, another one, the mixed trunk's
TENANT_MTU = 1450  # VXLAN over a 1500-byte underlay
IP1, IP2 = "10.251.0.1", "10.251.0.2"
WIRE_MAC = "fa:16:3e:99:99:99"


def provider(api: Api, kind: str, physnet: str, seg: int | None = None) -> dict[str, Any]:
    attrs: dict[str, Any] = {"provider:network_type": kind, "provider:physical_network": physnet}
    if seg is not None:
        attrs["provider:segmentation_id"] = seg
    return api.network(**attrs)


@dataclass
class Phys:
    api: Api
    h1: OvsHost
    h2: OvsHost
    trunk: dict[str, Any]
    vm: Endpoint
    eps: dict[str, Endpoint]  # p, v, o, f on host 2
    wires: dict[str, Endpoint]  # physnet -> listener on host 2's end of its wire
    mixed: dict[str, Any]  # the trunk whose parent is on VXLAN
    vm2: Endpoint


@pytest.fixture(scope="module")
def phys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phys]:
    require_ovs()
    workdir = tmp_path_factory.mktemp("dataplane-provider")
    with cleanup() as undo:
        server = Server(database=f"sqlite:///{workdir / 'trunkd.db'}", workdir=workdir).start()
        undo.append(lambda: server.stop(kill=True))
        api = Api(server.url)
        hosts = []
        for i in (1, 2):
            host = OvsHost(f"tdp{i}-{tag()}", workdir / f"h{i}")
            undo.append(host.stop)
            hosts.append(host.start())
        h1, h2 = hosts
        h1.vsctl("add-br", "br-ex", "--", "set", "bridge", "br-ex", "datapath_type=netdev")  # the operator's
        nics = underlay(h1, h2, IP1, IP2)
        for host, ip, nic in ((h1, IP1, nics[0]), (h2, IP2, nics[1])):
            agent = AgentProc(host, server.url, workdir, local_ip=ip,
                              extra=("--bridge-mappings", MAPPINGS, "--tunnel-bridge-port", nic))
            undo.append(agent.start().stop)
        ends = {"physnet1": wire(h1, h2, "br-ex"), "physnet2": wire(h1, h2, "br-ex2")}
        for host in hosts:
            wait_for(f"{host.name} reports its mappings", lambda host=host: api.get(
                "/v2.0/agents", params={"host": host.name}).json()["agents"][0]["configurations"]
                .get("bridge_mappings") == {"physnet1": "br-ex", "physnet2": "br-ex2"})
        nets = {n: provider(api, "vlan", "physnet1", SEGMENTS[n]) for n in "pvo"}
        nets["f"] = provider(api, "flat", "physnet2")
        parent = api.port(network_id=nets["p"]["id"])
        mac = parent["mac_address"]
        subs = {n: api.port(network_id=nets[n]["id"], mac_address=mac) for n in "vf"}
        trunk = api.trunk(port_id=parent["id"], sub_ports=[
            {"port_id": subs["v"]["id"], "segmentation_type": "vlan", "segmentation_id": 100},
            {"port_id": subs["f"]["id"], "segmentation_type": "vlan", "segmentation_id": 200},
        ])
        # the reverse: a parent on VXLAN (MTU 1450) takes a provider VLAN subport only of no larger MTU
        nets["t"] = api.network()
        nets["m"] = api.network(**{"provider:network_type": "vlan", "provider:physical_network": "physnet1",
                                   "provider:segmentation_id": SEGMENTS["m"], "mtu": TENANT_MTU})
        parent2 = api.port(network_id=nets["t"]["id"])
        mac2 = parent2["mac_address"]
        too_big = api.port(network_id=nets["v"]["id"], mac_address=mac2)
        r = api.post("/v2.0/trunks", {"trunk": {"port_id": parent2["id"], "sub_ports": [
            {"port_id": too_big["id"], "segmentation_type": "vlan", "segmentation_id": 100}]}})
        assert r.status_code == 409 and r.json()["NeutronError"]["type"] == "SubPortMtuGreaterThanTrunkPortMtu", r.text
        sub_m = api.port(network_id=nets["m"]["id"], mac_address=mac2)
        mixed = api.trunk(port_id=parent2["id"], sub_ports=[
            {"port_id": sub_m["id"], "segmentation_type": "vlan", "segmentation_id": 100}])
        # and a parent on a provider VLAN takes a VXLAN subport (1450 <= 1500)
        nets["x"] = api.network()
        sub_x = api.port(network_id=nets["x"]["id"], mac_address=mac)
        r = api.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [
            {"port_id": sub_x["id"], "segmentation_type": "vlan", "segmentation_id": 300}]})
        assert r.status_code == 200, r.text
        topo = Topology()
        undo.append(topo.close)
        eps = {}
        with h2.switch() as switch:
            for n in "pvofxtm":
                port = api.port(network_id=nets[n]["id"])
                eps[n] = topo.endpoint(h2, port["mac_address"])
                assert plug(ServerApi(server.url), switch, port["id"], eps[n].tap, h2.name) == "br-int"
        vm = topo.endpoint(h1, mac)
        vm2 = topo.endpoint(h1, mac2, mtu=TENANT_MTU)
        with h1.switch() as switch:
            plug(ServerApi(server.url), switch, parent["id"], vm.tap, h1.name)
            plug(ServerApi(server.url), switch, parent2["id"], vm2.tap, h1.name)
        wires = {net: Endpoint(h2.name, end, WIRE_MAC, ifname=end).open() for net, (_a, end) in ends.items()}
        topo.endpoints += wires.values()
        wait_status(api, trunk["id"], "ACTIVE")
        wait_status(api, mixed["id"], "ACTIVE")
        for ep in eps.values():  # an untagged port hears every VLAN until host 2's agent tags it
            wait_for(f"{ep.tap} tagged", lambda ep=ep: h2.vsctl("get", "Port", ep.tap, "tag") not in ("[]", ""))
        yield Phys(api, h1, h2, trunk, vm, eps, wires, mixed, vm2)


def heard(phys: Phys, sender: Endpoint, vlan: int | None, expect: str | None) -> dict[str, list[int | None]]:
    """Who heard one marked frame (re-sent until `expect` hears it): the instance "vm", the endpoints on
    host 2 by network, and each wire by physnet, with the VLAN each saw (None = untagged)."""
    receivers = {"vm": phys.vm, "vm2": phys.vm2, **phys.eps, **phys.wires}
    receivers = {n: r for n, r in receivers.items() if r is not sender}
    for r in receivers.values():
        r.drain()
    got: dict[str, list[int | None]] = {n: [] for n in receivers}
    for _ in range(5):
        marker = f"trunkd-{tag()}"
        sender.send(marker, vlan)
        time.sleep(0.5)
        for n, r in receivers.items():
            got[n] += r.received(marker)
        if expect is None or got[expect]:
            break
    return {n: v for n, v in got.items() if v}


def test_trunk_with_vlan_and_flat_provider_subports_is_active(phys: Phys) -> None:
    trunk = phys.api.get(f"/v2.0/trunks/{phys.trunk['id']}").json()["trunk"]
    assert trunk["status"] == "ACTIVE" and len(trunk["sub_ports"]) == 3, trunk
    assert "br-ex" in phys.h1.bridges() and {"br-ex", "br-ex2"} <= set(phys.h2.bridges())
    assert "phy-br-ex" in phys.h1.ports("br-ex") and "int-br-ex2" in phys.h2.ports("br-int")
    assert "trunkd-owner" not in phys.h1.vsctl("get", "Bridge", "br-ex", "external_ids"), "the operator's, as is"
    assert "trunkd-owner" in phys.h2.vsctl("get", "Bridge", "br-ex", "external_ids"), "made by the agent"


def test_a_subport_vlan_leaves_tagged_with_its_provider_vlan_and_reaches_host_2_without_a_tunnel(phys: Phys) -> None:
    assert heard(phys, phys.vm, 100, "v") == {"v": [None], "physnet1": [SEGMENTS["v"]]}
    assert heard(phys, phys.eps["v"], None, "vm") == {"vm": [100]}, "the reply comes back on VLAN 100"


def test_a_flat_subport_is_untagged_on_the_wire(phys: Phys) -> None:
    assert heard(phys, phys.vm, 200, "f") == {"f": [None], "physnet2": [None]}
    assert heard(phys, phys.eps["f"], None, "vm") == {"vm": [200]}


def test_the_parent_on_a_provider_vlan_is_untagged_in_the_instance(phys: Phys) -> None:
    assert heard(phys, phys.vm, None, "p") == {"p": [None], "physnet1": [SEGMENTS["p"]]}
    assert heard(phys, phys.eps["p"], None, "vm") == {"vm": [None]}


def test_another_provider_vlan_never_reaches_the_instance(phys: Phys) -> None:
    # host 2's port of the other VLAN sends: the frame crosses the wire, host 1 drops it
    assert heard(phys, phys.eps["o"], None, None) == {}  # the instance hears nothing of it
    assert heard(phys, phys.vm, 400, None) == {}, "a VLAN the trunk does not carry goes nowhere"


def test_frames_put_on_the_wire_reach_host_1_translated_or_not_at_all(phys: Phys) -> None:
    """Sent on host 2's end of a wire, a frame enters host 1's physical bridge as a switch's would."""
    wire, flat = phys.wires["physnet1"], phys.wires["physnet2"]
    assert heard(phys, wire, SEGMENTS["v"], "vm") == {"vm": [100]}
    assert heard(phys, wire, SEGMENTS["p"], "vm") == {"vm": [None]}
    assert heard(phys, wire, SEGMENTS["o"], None) == {}, "another provider VLAN never reaches the port"
    assert heard(phys, wire, 999, None) == {}
    assert heard(phys, wire, None, None) == {}, "untagged on physnet1 is no network's"
    assert heard(phys, flat, None, "vm") == {"vm": [200]}
    assert heard(phys, flat, SEGMENTS["v"], None) == {}, "a tagged frame on the flat physnet goes nowhere"


def test_a_vxlan_subport_of_a_provider_parent_rides_the_tunnel(phys: Phys) -> None:
    assert heard(phys, phys.vm, 300, "x") == {"x": [None]}, "not on any physical wire"
    assert heard(phys, phys.eps["x"], None, "vm") == {"vm": [300]}


def test_a_vxlan_parent_with_a_provider_vlan_subport(phys: Phys) -> None:
    assert heard(phys, phys.vm2, None, "t") == {"t": [None]}
    assert heard(phys, phys.vm2, 100, "m") == {"m": [None], "physnet1": [SEGMENTS["m"]]}
    assert heard(phys, phys.eps["m"], None, "vm2") == {"vm2": [100]}
    assert heard(phys, phys.eps["t"], None, "vm2") == {"vm2": [None]}

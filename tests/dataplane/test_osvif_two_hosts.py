"""Two hosts joined by VXLAN, every interface plugged by os-vif as Nova plugs it: the trunk parent into its
trunk bridge on host 1, the networks' ends into br-int (isolate_vif) on host 2."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

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
    underlay,
    wait_for,
    wait_status,
)
from tests.dataplane.test_osvif import CONVERGE, bind, bridge_for, recreate_tap
from tests.support import Api, Server
from trunkd.agent.layout import tunnel_port
from trunkd.domain.ovs_names import trunk_bridge_name

TENANT_MTU = 1450  # VXLAN over a 1500-byte underlay
IP1, IP2 = "10.251.0.1", "10.251.0.2"


@dataclass
class TwoHosts:
    api: Api
    h1: OvsHost
    vif1: OsVif
    trunk: dict[str, Any]
    parent: dict[str, Any]
    vm: Endpoint
    eps: dict[str, Endpoint]  # p, a, b on host 2


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoHosts]:
    require_ovs()
    workdir = tmp_path_factory.mktemp("dataplane-osvif-two")
    with cleanup() as undo:
        server = Server(database=f"sqlite:///{workdir / 'trunkd.db'}", workdir=workdir).start()
        undo.append(lambda: server.stop(kill=True))
        api = Api(server.url)
        hosts = []
        for i in (1, 2):
            host = OvsHost(f"tdw{i}-{tag()}", workdir / f"h{i}")
            undo.append(host.stop)
            hosts.append(host.start())
        h1, h2 = hosts
        nics = underlay(h1, h2, IP1, IP2)  # the agents build br-phy from these (--tunnel-bridge-port)
        for host, ip, nic in ((h1, IP1, nics[0]), (h2, IP2, nics[1])):
            agent = AgentProc(host, server.url, workdir, local_ip=ip, extra=("--tunnel-bridge-port", nic))
            undo.append(agent.start().stop)
        for host, peer in ((h1, IP2), (h2, IP1)):
            wait_for(f"{host.name} tunnel to {peer}",
                     lambda host=host, peer=peer: tunnel_port(peer) in host.ports("br-tun"), timeout=30)
        vifs = [OsVif(h.name, h.db) for h in hosts]
        for v in vifs:
            undo.append(v.close)
        nets = {n: api.network(name=f"net-{n}", mtu=TENANT_MTU) for n in "pab"}
        parent = api.port(network_id=nets["p"]["id"])
        mac = parent["mac_address"]
        subs = {n: api.port(network_id=nets[n]["id"], mac_address=mac) for n in "ab"}
        trunk = api.trunk(port_id=parent["id"], sub_ports=[
            {"port_id": subs["a"]["id"], "segmentation_type": "vlan", "segmentation_id": 100},
            {"port_id": subs["b"]["id"], "segmentation_type": "vlan", "segmentation_id": 200},
        ])
        topo = Topology()
        undo.append(topo.close)
        eps = {}
        for n in "pab":
            port = api.port(network_id=nets[n]["id"])
            eps[n] = topo.endpoint(h2, port["mac_address"], mtu=TENANT_MTU)
            bound = bind(api, port["id"], h2.name)
            vifs[1].plug(bound, eps[n].tap, bridge_for(bound), isolate=True)
        vm = topo.endpoint(h1, mac, mtu=TENANT_MTU)
        bound = bind(api, parent["id"], h1.name)
        vifs[0].plug(bound, vm.tap, bridge_for(bound))
        wait_status(api, trunk["id"], "ACTIVE")
        yield TwoHosts(api, h1, vifs[0], trunk, bound, vm, eps)


def heard(two: TwoHosts, vlan: int | None, expect: str | None) -> dict[str, list[int | None]]:
    got = exchange(two.vm, list(two.eps.values()), vlan, expect=two.eps[expect] if expect else None, attempts=5)
    return {n: got[ep.ns] for n, ep in two.eps.items()}


def test_each_vlan_crosses_the_tunnel_to_its_network_and_replies_come_back_tagged(two: TwoHosts) -> None:
    assert heard(two, 100, "a") == {"p": [], "a": [None], "b": []}
    assert exchange(two.eps["a"], [two.vm], None, expect=two.vm)[two.vm.ns] == [100], "reply tagged 100"
    assert heard(two, 200, "b") == {"p": [], "a": [], "b": [None]}
    assert exchange(two.eps["b"], [two.vm], None, expect=two.vm)[two.vm.ns] == [200]
    assert heard(two, None, "p") == {"p": [None], "a": [], "b": []}
    assert exchange(two.eps["p"], [two.vm], None, expect=two.vm)[two.vm.ns] == [None]


def test_a_hard_reboot_on_host_1_works_again(two: TwoHosts) -> None:
    tbr = trunk_bridge_name(two.trunk["id"])
    two.vif1.unplug(two.parent, two.vm.tap, tbr)
    assert "not plugged" in wait_status(two.api, two.trunk["id"], "DOWN", timeout=CONVERGE * 3)["status_reason"]
    recreate_tap(two.h1, two.vm)
    two.vif1.plug(two.parent, two.vm.tap, tbr)
    wait_for("VLAN 100 across the tunnel again", lambda: exchange(
        two.vm, [two.eps["a"]], 100, window=0.2, attempts=1)[two.eps["a"].ns], timeout=CONVERGE)
    wait_status(two.api, two.trunk["id"], "ACTIVE", timeout=CONVERGE * 3)

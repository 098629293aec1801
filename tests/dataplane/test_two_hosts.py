"""Two hosts on one machine, each a netns with its own ovsdb-server and ovs-vswitchd, joined by a veth
that carries VXLAN between their br-tun bridges. The veth ends hold the tunnel IPs as NICs would; each agent
builds its underlay bridge from them (--tunnel-bridge-port). The instance's trunk is on host 1; the networks'
other ends are on host 2."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pyroute2 import NetNS

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
from tests.support import Api, Server
from trunkd.agent.api import ServerApi
from trunkd.agent.layout import tunnel_port
from trunkd.agent.plug import plug

TENANT_MTU = 1450  # VXLAN over a 1500-byte underlay
IP1, IP2 = "10.250.0.1", "10.250.0.2"


@dataclass
class TwoHosts:
    api: Api
    h1: OvsHost
    h2: OvsHost
    trunk: dict[str, Any]
    vm: Endpoint
    eps: dict[str, Endpoint]  # p, a, b on host 2


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoHosts]:
    require_ovs()
    workdir = tmp_path_factory.mktemp("dataplane-two-hosts")
    with cleanup() as undo:
        server = Server(database=f"sqlite:///{workdir / 'trunkd.db'}", workdir=workdir).start()
        undo.append(lambda: server.stop(kill=True))
        api = Api(server.url)
        hosts = []
        for i in (1, 2):
            host = OvsHost(f"tdh{i}-{tag()}", workdir / f"h{i}")
            undo.append(host.stop)
            hosts.append(host.start())
        h1, h2 = hosts
        nics = underlay(h1, h2, IP1, IP2)
        for host, ip, nic in ((h1, IP1, nics[0]), (h2, IP2, nics[1])):
            agent = AgentProc(host, server.url, workdir, local_ip=ip, extra=("--tunnel-bridge-port", nic))
            undo.append(agent.start().stop)
        for host, peer in ((h1, IP2), (h2, IP1)):
            wait_for(f"{host.name} tunnel to {peer}",
                     lambda host=host, peer=peer: tunnel_port(peer) in host.ports("br-tun"), timeout=30)
        nets = {n: api.network(name=f"net-{n}") for n in "pab"}
        assert all(n["provider:network_type"] == "vxlan" for n in nets.values())
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
        with h2.switch() as switch:
            for n in "pab":
                port = api.port(network_id=nets[n]["id"])
                eps[n] = topo.endpoint(h2, port["mac_address"], mtu=TENANT_MTU)
                assert plug(ServerApi(server.url), switch, port["id"], eps[n].tap, h2.name) == "br-int"
        vm = topo.endpoint(h1, mac, mtu=TENANT_MTU)
        with h1.switch() as switch:
            plug(ServerApi(server.url), switch, parent["id"], vm.tap, h1.name)
        wait_status(api, trunk["id"], "ACTIVE")
        for ep in eps.values():  # an untagged port hears every VLAN until host 2's agent tags it
            wait_for(f"{ep.tap} tagged", lambda ep=ep: h2.vsctl("get", "Port", ep.tap, "tag") not in ("[]", ""))
        yield TwoHosts(api, h1, h2, trunk, vm, eps)


def heard(two: TwoHosts, vlan: int | None, expect: str | None) -> dict[str, list[int | None]]:
    got = exchange(two.vm, list(two.eps.values()), vlan, expect=two.eps[expect] if expect else None, attempts=5)
    return {n: got[ep.ns] for n, ep in two.eps.items()}


def test_a_tagged_frame_crosses_the_tunnel_to_its_network_on_the_other_host(two: TwoHosts) -> None:
    assert heard(two, 100, "a") == {"p": [], "a": [None], "b": []}
    assert exchange(two.eps["a"], [two.vm], None, expect=two.vm)[two.vm.ns] == [100], "reply tagged 100"
    assert heard(two, 200, "b") == {"p": [], "a": [], "b": [None]}
    assert exchange(two.eps["b"], [two.vm], None, expect=two.vm)[two.vm.ns] == [200]


def test_untagged_reaches_the_parent_network_and_an_unknown_vlan_nothing(two: TwoHosts) -> None:
    assert heard(two, None, "p") == {"p": [None], "a": [], "b": []}
    assert heard(two, 300, None) == {"p": [], "a": [], "b": []}


def test_each_network_rides_its_own_vni(two: TwoHosts) -> None:
    flows = two.h1.ofctl("dump-flows", "br-tun")
    nets = two.api.get("/v2.0/networks").json()["networks"]
    for net in nets:
        assert f"tun_id={int(net['provider:segmentation_id']):#x}" in flows, net


def test_the_agent_built_the_underlay_bridge_with_the_tunnel_ip(two: TwoHosts) -> None:
    for host, ip in ((two.h1, IP1), (two.h2, IP2)):
        assert "br-phy" in host.bridges()
        assert any(p.startswith("ul") for p in host.ports("br-phy"))
        with NetNS(host.name) as ns:
            idx = ns.link_lookup(ifname="br-phy")[0]
            assert ip in [a.get_attr("IFA_ADDRESS") for a in ns.get_addr(index=idx)]

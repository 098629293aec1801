"""Port security and security groups with real traffic: two hosts joined by VXLAN, agents with the
`openvswitch` firewall, frames built with scapy and sent/received on AF_PACKET sockets.

Host 1 holds the instance: a trunk whose parent is on network N (untagged) and whose subport is on network
S (VLAN 100), and three endpoints: `n` and `s` (port security off, so they send what the tests need) and
`j`, a filtered port on N that joins and leaves a remote group. Host 2 holds `far`, a port on N across the
tunnel (port security off). Frames carry a unique marker; "passes" means the marker arrived.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Packet, Raw

from tests.conftest import require_engine
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
)
from tests.support import Api, Server, throwaway_database
from trunkd.agent.api import ServerApi
from trunkd.agent.layout import tunnel_port
from trunkd.agent.plug import plug

TENANT_MTU = 1450
IP1, IP2 = "10.251.0.1", "10.251.0.2"
VLAN = 100


@dataclass
class World:
    api: Api
    h1: OvsHost
    agent1: AgentProc
    trunk: dict[str, Any]
    ports: dict[str, dict[str, Any]]  # parent, sub, n, s, j, far
    vm: Endpoint
    eps: dict[str, Endpoint]  # n, s, j, far
    groups: dict[str, str]  # web, client, other -> id ({} when the server has no security-group API)


def _ip(port: dict[str, Any]) -> str:
    return str(port["fixed_ips"][0]["ip_address"])


def _group(api: Api, name: str) -> str:
    r = api.post("/v2.0/security-groups", {"security_group": {"name": f"{name}-{tag()}"}})
    assert r.status_code == 201, r.text
    return str(r.json()["security_group"]["id"])


def rule(api: Api, group: str, **attrs: Any) -> str:
    body = {"security_group_id": group, "direction": "ingress", "ethertype": "IPv4", **attrs}
    r = api.post("/v2.0/security-group-rules", {"security_group_rule": body})
    assert r.status_code == 201, r.text
    return str(r.json()["security_group_rule"]["id"])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    require_ovs()
    require_engine(request.param)
    workdir = tmp_path_factory.mktemp(f"dataplane-security-groups-{request.param}")
    with throwaway_database(request.param, workdir) as url, cleanup() as undo:  # the server stops first
        server = Server(database=url, workdir=workdir).start()
        undo.append(lambda: server.stop(kill=True))
        api = Api(server.url)
        h1, h2 = (OvsHost(f"tsg{i}-{tag()}", workdir / f"h{i}") for i in (1, 2))
        for host in (h1, h2):
            undo.append(host.stop)
            host.start()
        nics = underlay(h1, h2, IP1, IP2)
        agents = []
        for host, ip, nic in ((h1, IP1, nics[0]), (h2, IP2, nics[1])):
            agent = AgentProc(host, server.url, workdir, local_ip=ip, extra=("--tunnel-bridge-port", nic),
                              firewall="openvswitch")
            undo.append(agent.start().stop)
            agents.append(agent)
        for host, peer in ((h1, IP2), (h2, IP1)):
            wait_for(f"{host.name} tunnel to {peer}",
                     lambda host=host, peer=peer: tunnel_port(peer) in host.ports("br-tun"), timeout=30)
        has_groups = api.get("/v2.0/security-groups").status_code == 200
        groups = {n: _group(api, n) for n in ("web", "client", "other")} if has_groups else {}
        if groups:
            rule(api, groups["web"], protocol="tcp", port_range_min=22, port_range_max=22)
            rule(api, groups["web"], protocol="tcp", port_range_min=8080, port_range_max=8080,
                 remote_group_id=groups["client"])
            rule(api, groups["web"], protocol="udp", port_range_min=9998, port_range_max=9999)
        nets = {n: api.network(name=f"sg-{n}", mtu=TENANT_MTU) for n in "ns"}
        for n, cidr in (("n", "10.25.0.0/24"), ("s", "10.26.0.0/24")):
            api.subnet(nets[n]["id"], cidr=cidr, gateway_ip=None)
        secured = {"security_groups": [groups["web"]]} if groups else {}
        parent = api.port(network_id=nets["n"]["id"], name="vm-parent", **secured)
        mac = parent["mac_address"]
        ports = {"parent": parent,
                 "sub": api.port(network_id=nets["s"]["id"], mac_address=mac, name="vm-sub", **secured)}
        open_ = {"port_security_enabled": False}
        for n, net in (("n", "n"), ("s", "s"), ("far", "n")):
            ports[n] = api.port(network_id=nets[net]["id"], name=f"ep-{n}", **open_)
        ports["j"] = api.port(network_id=nets["n"]["id"], name="ep-j",
                              **({"security_groups": [groups["other"]]} if groups else {}))
        trunk = api.trunk(port_id=parent["id"], sub_ports=[
            {"port_id": ports["sub"]["id"], "segmentation_type": "vlan", "segmentation_id": VLAN}])
        topo = Topology()
        undo.append(topo.close)
        eps = {}
        for n, host in (("n", h1), ("s", h1), ("j", h1), ("far", h2)):
            eps[n] = topo.endpoint(host, ports[n]["mac_address"], mtu=TENANT_MTU)
            with host.switch() as switch:
                assert plug(ServerApi(server.url), switch, ports[n]["id"], eps[n].tap, host.name) == "br-int"
        vm = topo.endpoint(h1, mac, mtu=TENANT_MTU)
        with h1.switch() as switch:
            plug(ServerApi(server.url), switch, parent["id"], vm.tap, h1.name)
        wait_status(api, trunk["id"], "ACTIVE")
        for n, host in (("n", h1), ("s", h1), ("j", h1), ("far", h2)):
            wait_for(f"{n} tagged",
                     lambda n=n, host=host: host.vsctl("get", "Port", eps[n].tap, "tag") not in ("[]", ""))
        yield World(api, h1, agents[0], trunk, ports, vm, eps, groups)


def needs_groups(world: World) -> None:
    if not world.groups:
        pytest.skip("the server has no security-group API (GET /v2.0/security-groups is not 200)")


def ip_frame(src: dict[str, Any], dst: dict[str, Any], l4: Packet, marker: str, *, src_mac: str | None = None,
             src_ip: str | None = None, vlan: int | None = None) -> bytes:
    frame = Ether(src=src_mac or src["mac_address"], dst=dst["mac_address"])
    if vlan is not None:
        frame = frame / Dot1Q(vlan=vlan)
    return bytes(frame / IP(src=src_ip or _ip(src), dst=_ip(dst)) / l4 / Raw(marker.encode()))


def arrives(sender: Endpoint, receiver: Endpoint, frame: bytes, marker: str, window: float = 0.4,
            attempts: int = 3) -> bool:
    """Send `frame` (up to `attempts` times) and tell whether `receiver` saw the marker."""
    receiver.drain()
    for _ in range(attempts):
        assert sender.sock is not None
        sender.sock.send(frame)
        deadline = time.monotonic() + window
        while time.monotonic() < deadline:
            if receiver.received(marker):
                return True
            time.sleep(0.02)
    return False


def never(sender: Endpoint, receiver: Endpoint, frame: bytes, marker: str) -> bool:
    return not arrives(sender, receiver, frame, marker, window=0.3, attempts=2)


def mark() -> str:
    return f"sg-{uuid.uuid4().hex[:10]}"


def tcp(dport: int, sport: int | None = None, flags: str = "S") -> Packet:
    return TCP(sport=sport or 20000 + int(uuid.uuid4().int % 20000), dport=dport, flags=flags)


def udp(dport: int, sport: int | None = None) -> Packet:
    return UDP(sport=sport or 20000 + int(uuid.uuid4().int % 20000), dport=dport)


def test_port_filter_is_true_for_the_parent_and_the_subport_bound_to_a_filtering_agent(world: World) -> None:
    for key in ("parent", "sub", "n"):
        port = world.api.get(f"/v2.0/ports/{world.ports[key]['id']}").json()["port"]
        assert port["binding:vif_details"]["port_filter"] is True, key
    agent = world.api.get("/v2.0/agents", params={"host": world.h1.name}).json()["agents"][0]
    assert agent["configurations"]["firewall_driver"] == "openvswitch"


def test_forged_mac_ip_and_arp_from_the_instance_are_dropped_real_ones_pass(world: World) -> None:
    w, p, n = world, world.ports["parent"], world.ports["n"]
    vm, ep = w.vm, w.eps["n"]
    m = mark()
    assert arrives(vm, ep, bytes(Ether(src=p["mac_address"], dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=p["mac_address"], psrc=_ip(p), pdst=_ip(n)) / Raw(m.encode())), m), "a real ARP request"
    m = mark()
    assert never(vm, ep, bytes(Ether(src=p["mac_address"], dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=2, hwsrc=p["mac_address"], psrc="10.25.0.99", pdst=_ip(n)) / Raw(m.encode())), m), "ARP for another IP"
    m = mark()
    assert never(vm, ep, bytes(Ether(src=p["mac_address"], dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=2, hwsrc="fa:16:3e:66:66:66", psrc=_ip(p), pdst=_ip(n)) / Raw(m.encode())), m), "ARP with another MAC"
    m = mark()
    assert never(vm, ep, ip_frame(p, n, udp(5000), m, src_mac="fa:16:3e:66:66:66"), m), "forged source MAC"
    m = mark()
    assert never(vm, ep, ip_frame(p, n, udp(5000), m, src_ip="10.25.0.99"), m), "forged source IP"
    m = mark()
    dhcp_offer = ip_frame(p, n, UDP(sport=67, dport=68), m)
    assert never(vm, ep, dhcp_offer, m), "a DHCP server reply from an instance"
    m = mark()
    assert never(vm, w.eps["s"], ip_frame(w.ports["sub"], w.ports["s"], udp(5000), m, src_ip="10.26.0.99",
                                          vlan=VLAN), m), "forged source IP on the subport"
    if w.groups:  # the group allows all egress: the real addresses pass
        m = mark()
        assert arrives(vm, ep, ip_frame(p, n, udp(5000), m), m), "real source MAC and IP"
        m = mark()
        assert arrives(vm, w.eps["s"], ip_frame(w.ports["sub"], w.ports["s"], udp(5000), m, vlan=VLAN), m)


def test_an_allowed_address_pair_passes(world: World) -> None:
    w, p, n = world, world.ports["parent"], world.ports["n"]
    r = w.api.put(f"/v2.0/ports/{p['id']}", {"port": {"allowed_address_pairs": [{"ip_address": "10.25.0.200"}]}})
    assert r.status_code == 200, r.text
    try:
        def arp_from_pair() -> bool:
            m = mark()
            return arrives(w.vm, w.eps["n"], bytes(Ether(src=p["mac_address"], dst="ff:ff:ff:ff:ff:ff") / ARP(
                op=2, hwsrc=p["mac_address"], psrc="10.25.0.200", pdst=_ip(n)) / Raw(m.encode())), m, attempts=1)

        wait_for("ARP from the pair's address passes", arp_from_pair, timeout=10)
        if w.groups:
            m = mark()
            assert arrives(w.vm, w.eps["n"], ip_frame(p, n, udp(5000), m, src_ip="10.25.0.200"), m)
    finally:
        r = w.api.put(f"/v2.0/ports/{p['id']}", {"port": {"allowed_address_pairs": []}})
        assert r.status_code == 200, r.text
    m = mark()
    wait_for("the pair's address is forged again", lambda: never(w.vm, w.eps["n"], bytes(
        Ether(src=p["mac_address"], dst="ff:ff:ff:ff:ff:ff") / ARP(op=2, hwsrc=p["mac_address"],
                                                                    psrc="10.25.0.200", pdst=_ip(n))
        / Raw(m.encode())), m), timeout=10)


def test_allowed_port_passes_and_denied_is_dropped_on_the_parent_and_the_subport(world: World) -> None:
    needs_groups(world)
    w = world
    for key, peer, vlan in (("parent", "n", None), ("sub", "s", VLAN), ("parent", "far", None)):
        port, ep = w.ports[key], w.eps[peer]
        m = mark()
        assert arrives(ep, w.vm, ip_frame(w.ports[peer], port, tcp(22), m), m), f"tcp 22 to {key} from {peer}"
        m = mark()
        assert never(ep, w.vm, ip_frame(w.ports[peer], port, tcp(23), m), m), f"tcp 23 to {key} from {peer}"
        m = mark()
        assert never(ep, w.vm, ip_frame(w.ports[peer], port, udp(5000), m), m), f"udp 5000 to {key}"
        assert vlan is None or w.vm.received(m) == []


def test_replies_to_the_instances_own_connections_come_back(world: World) -> None:
    needs_groups(world)
    w = world
    for key, peer, vlan in (("parent", "n", None), ("sub", "s", VLAN), ("parent", "far", None)):
        port, other = w.ports[key], w.ports[peer]
        sport = 40000 + int(uuid.uuid4().int % 10000)
        m = mark()
        assert arrives(w.vm, w.eps[peer], ip_frame(port, other, UDP(sport=sport, dport=7000), m, vlan=vlan), m)
        m = mark()
        assert arrives(w.eps[peer], w.vm, ip_frame(other, port, UDP(sport=7000, dport=sport), m), m), \
            f"the reply to {key} from {peer}"
        m = mark()
        assert never(w.eps[peer], w.vm, ip_frame(other, port, UDP(sport=7001, dport=sport), m), m), \
            "not a reply: dropped"


def test_remote_group_membership_follows_a_port_joining_and_leaving(world: World) -> None:
    needs_groups(world)
    w, j, p = world, world.ports["j"], world.ports["parent"]

    def to_8080() -> bool:
        m = mark()
        return arrives(w.eps["j"], w.vm, ip_frame(j, p, tcp(8080), m), m, attempts=1)

    assert not to_8080(), "j is not in the remote group yet"
    r = w.api.put(f"/v2.0/ports/{j['id']}", {"port": {"security_groups": [w.groups["client"]]}})
    assert r.status_code == 200, r.text
    wait_for("8080 from j once it joined", to_8080, timeout=10)
    r = w.api.put(f"/v2.0/ports/{j['id']}", {"port": {"security_groups": [w.groups["other"]]}})
    assert r.status_code == 200, r.text
    wait_for("8080 from j dropped once it left", lambda: not to_8080(), timeout=10)


def test_a_new_rule_passes_within_a_second(world: World) -> None:
    needs_groups(world)
    w, n, p = world, world.ports["n"], world.ports["parent"]
    m = mark()
    assert never(w.eps["n"], w.vm, ip_frame(n, p, tcp(2222), m), m)
    rid = rule(w.api, w.groups["web"], protocol="tcp", port_range_min=2222, port_range_max=2222)
    answered = time.monotonic()
    try:
        passed = False
        while time.monotonic() - answered < 1.0 and not passed:
            m = mark()
            passed = arrives(w.eps["n"], w.vm, ip_frame(n, p, tcp(2222), m), m, window=0.05, attempts=1)
        assert passed, "tcp 2222 did not pass within 1 s of the rule's creation"
    finally:
        assert w.api.delete(f"/v2.0/security-group-rules/{rid}").status_code == 204


def test_a_removed_rule_cuts_its_established_connections_and_leaves_others(world: World) -> None:
    needs_groups(world)
    w, n, p = world, world.ports["n"], world.ports["parent"]
    rid = rule(w.api, w.groups["web"], protocol="udp", port_range_min=6000, port_range_max=6000)
    try:
        sports = {6000: 41000 + int(uuid.uuid4().int % 1000), 9999: 42000 + int(uuid.uuid4().int % 1000)}

        def flow(dport: int) -> bool:
            """One exchange of a UDP conversation n started: n -> vm:dport, then (only then) the reply (were
            the instance to speak first, n's frames would be replies to *its* connection)."""
            m = mark()
            if not arrives(w.eps["n"], w.vm, ip_frame(n, p, udp(dport, sports[dport]), m), m, attempts=1):
                return False
            m = mark()
            return arrives(w.vm, w.eps["n"], ip_frame(p, n, udp(sports[dport], dport), m), m, attempts=1)

        wait_for("udp 6000 established", lambda: flow(6000), timeout=10)
        assert flow(9999), "udp 9999 established"
    finally:
        assert w.api.delete(f"/v2.0/security-group-rules/{rid}").status_code == 204
    wait_for("the connection on 6000 cut", lambda: not flow(6000), timeout=10)
    m = mark()
    assert never(w.vm, w.eps["n"], ip_frame(p, n, udp(sports[6000], 6000), m), m), "its replies are cut too"
    assert flow(9999), "the connection on 9999 (its rule kept) still passes both ways"


def test_a_stateless_group_lets_no_reply_back_that_its_rules_do_not_allow(world: World) -> None:
    needs_groups(world)
    w, j, n = world, world.ports["j"], world.ports["n"]
    r = w.api.post("/v2.0/security-groups", {"security_group": {"name": f"sl-{tag()}", "stateful": False}})
    assert r.status_code == 201, r.text
    stateless = r.json()["security_group"]["id"]  # starts with Neutron's egress rules, as any group
    r = w.api.put(f"/v2.0/ports/{j['id']}", {"port": {"security_groups": [stateless]}})
    assert r.status_code == 200, r.text
    try:
        def exchange_from_j() -> tuple[bool, bool]:
            sport = 43000 + int(uuid.uuid4().int % 1000)
            m = mark()
            out = arrives(w.eps["j"], w.eps["n"], ip_frame(j, n, UDP(sport=sport, dport=7000), m), m, attempts=1)
            m = mark()
            back = arrives(w.eps["n"], w.eps["j"], ip_frame(n, j, UDP(sport=7000, dport=sport), m), m, attempts=1)
            return out, back

        wait_for("j's egress passes, with no conntrack its reply does not",
                 lambda: exchange_from_j() == (True, False), timeout=10)
        rule(w.api, stateless, protocol="udp", port_range_min=1, port_range_max=65535)
        wait_for("the ingress rule lets the reply in", lambda: exchange_from_j() == (True, True), timeout=10)
    finally:
        r = w.api.put(f"/v2.0/ports/{j['id']}", {"port": {"security_groups": [w.groups["other"]]}})
        assert r.status_code == 200, r.text


def test_port_security_disabled_means_no_filtering(world: World) -> None:
    w, s, sub = world, world.ports["s"], world.ports["sub"]
    body: dict[str, Any] = {"port_security_enabled": False}
    if w.groups:
        body["security_groups"] = []
    r = w.api.put(f"/v2.0/ports/{sub['id']}", {"port": body})
    assert r.status_code == 200, r.text
    try:
        def forged_passes() -> bool:
            m = mark()
            return arrives(w.vm, w.eps["s"], ip_frame(sub, s, udp(5000), m, src_ip="10.26.0.99", vlan=VLAN), m,
                           attempts=1)

        wait_for("a forged address passes on the unfiltered subport", forged_passes, timeout=10)
    finally:
        body = {"port_security_enabled": True, **({"security_groups": [w.groups["web"]]} if w.groups else {})}
        r = w.api.put(f"/v2.0/ports/{sub['id']}", {"port": body})
        assert r.status_code == 200, r.text
    m = mark()
    wait_for("filtered again", lambda: never(w.vm, w.eps["s"], ip_frame(
        sub, s, udp(5000), m, src_ip="10.26.0.99", vlan=VLAN), m), timeout=10)


def test_an_agent_restart_keeps_every_correct_flow_in_place(world: World) -> None:
    w = world
    before = time.monotonic()
    w.agent1.kill()
    logged = len(w.agent1.log.read_text())  # the log is appended to: read only what the new process writes
    w.agent1.start()

    def firewall_flows() -> list[str]:
        return [line for line in w.h1.ofctl("dump-flows", "br-int").splitlines() if "table=7" in line
                or "table=8" in line]

    def restarted_pass_done() -> bool:
        return "full pass" in w.agent1.log.read_text()[logged:]

    wait_for("the restarted agent's first full pass", restarted_pass_done, timeout=30)
    elapsed = time.monotonic() - before
    flows = firewall_flows()
    assert flows
    young = [f for f in flows if float(f.split("duration=")[1].split("s")[0]) < elapsed - 0.5]
    assert young == [], f"flows rewritten by the restart: {young[:3]}"
    m = mark()
    assert never(w.vm, w.eps["n"], ip_frame(w.ports["parent"], w.ports["n"], udp(5000), m, src_ip="10.25.0.99"), m)

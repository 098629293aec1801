"""Desired switch layout for one host, from the server's view (pure: no I/O).

As Neutron's OVS agent: `br-int` with one local VLAN per network; per trunk a bridge `tbr-<trunk>`,
the parent patch pair `tpt-`/`tpi-` and one `spt-`/`spi-` pair per subport; `br-tun` with a vxlan
port per peer host and Neutron's flow tables (local VLAN <-> VNI); per mapped physical network a
bridge joined to br-int by a patch pair with VLAN translation flows (trunkd.agent.provider).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from trunkd.agent import firewall as filtering
from trunkd.agent import provider
from trunkd.agent.switch import BridgeSpec, Observed, Plan, PortSpec, VlanSetting
from trunkd.domain.ovs_names import (
    SUBPORT_INT_PREFIX,
    SUBPORT_PREFIX,
    TRUNK_PARENT_INT_PREFIX,
    TRUNK_PARENT_PREFIX,
    patch_port_name,
    trunk_bridge_name,
)

BR_INT = "br-int"
BR_TUN = "br-tun"
PATCH_TUN = "patch-tun"
PATCH_INT = "patch-int"
DEAD_VLAN = 4095  # Neutron's: a port of no known network hears nothing but other dead ports
MAX_LOCAL_VLAN = 4094
TUNNEL_TYPES = ("vxlan",)

Resource = dict[str, Any]


def trunk_bridge(trunk_id: str) -> str:
    """The trunk's bridge by Neutron's name (what the server answers in binding:vif_details.bridge_name)."""
    return trunk_bridge_name(trunk_id)


def tunnel_port(remote_ip: str) -> str:
    """vxlan-<remote IPv4 in hex>, as Neutron names them (fits IFNAMSIZ)."""
    return "vxlan-" + "".join(f"{int(x):02x}" for x in remote_ip.split("."))


@dataclass(frozen=True)
class HostView:
    """What the server says about this host: ports bound here, their trunks and networks."""

    host: str
    ports: Mapping[str, Resource]  # every port involved, bound here or a subport of a trunk here
    trunks: Mapping[str, Resource]  # trunks whose parent is bound here
    networks: Mapping[str, Resource]
    local_ip: str | None = None
    peers: tuple[str, ...] = ()  # other hosts' tunnel endpoints
    bridge_mappings: Mapping[str, str] = field(default_factory=dict)  # physnet -> physical bridge
    underlay: tuple[str, str] | None = None  # (tunnel bridge, its NIC) when the agent builds the underlay
    firewall: bool = False  # enforce port security and security groups (the `openvswitch` firewall)
    groups: Mapping[str, filtering.Group] = field(default_factory=dict)  # every group the ports name
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # remote group -> member addresses

    def bound_here(self, port: Resource) -> bool:
        return port.get("binding:host_id") == self.host and port.get("binding:vif_type") == "ovs"


@dataclass
class Layout:
    bridges: dict[str, BridgeSpec] = field(default_factory=dict)
    ports: dict[str, PortSpec] = field(default_factory=dict)
    local_vlans: dict[str, int] = field(default_factory=dict)  # network id -> local VLAN
    tun_flows: list[str] = field(default_factory=list)
    wired_subports: dict[str, set[str]] = field(default_factory=dict)  # trunk id -> subport ids wired
    foreign_tags: dict[str, VlanSetting] = field(default_factory=dict)  # hypervisor port -> what it should have
    int_flows: list[str] = field(default_factory=list)  # br-int's flow table
    plugged: set[str] = field(default_factory=set)  # trunk ids whose parent's interface is on their bridge
    int_ports: dict[str, str] = field(default_factory=dict)  # port id of a br-int hypervisor port -> its network
    phys_flows: dict[str, list[str]] = field(default_factory=dict)  # physical bridge -> its table
    filtered: set[str] = field(default_factory=set)  # port ids whose filter flows are in int_flows
    unnumbered: set[str] = field(default_factory=set)  # br-int ports to filter that have no ofport yet
    filter_names: set[str] = field(default_factory=set)  # br-int ports (by name) to filter
    group_numbers: dict[str, int] = field(default_factory=dict)  # security group -> its number in the flows


def _allocate(needed: Iterable[str], known: Mapping[str, int]) -> dict[str, int]:
    """Keep every local VLAN already in use for a network still needed; give new networks the lowest free."""
    wanted = sorted(set(needed))
    vlans = {n: known[n] for n in wanted if n in known}
    free = (v for v in range(1, MAX_LOCAL_VLAN + 1) if v not in set(vlans.values()))
    for net in wanted:
        if net not in vlans:
            vlans[net] = next(free)
    return vlans


def known_local_vlans(seen: Observed) -> dict[str, int]:
    """Local VLANs as OVS holds them (br-int ports record their network), so restarts keep them."""
    vlans: dict[str, int] = {}
    found = [(p.bridge, p.net, p.tag) for p in seen.ports.values()]
    found += [(f.bridge, f.net, f.tag) for f in seen.foreign.values()]
    for bridge, net, tag in found:
        if bridge == BR_INT and net and tag is not None and tag != DEAD_VLAN:
            vlans.setdefault(net, tag)
    return vlans


def parent_interfaces(view: HostView, seen: Observed) -> dict[str, str]:
    """Hypervisor ports that are a trunk parent's interface on that trunk's bridge -> the trunk id."""
    bridge_of = {trunk_bridge(t["id"]): t for t in view.trunks.values()}
    found: dict[str, str] = {}
    for name, f in seen.foreign.items():
        trunk = bridge_of.get(f.bridge)
        if trunk is not None and f.iface_id == trunk["port_id"]:
            found[name] = trunk["id"]
    return found


def port_statuses(view: HostView, want: Layout) -> dict[str, str]:
    """ACTIVE or DOWN for each port bound here, as the switch now holds it (after `want` was applied).

    A trunk parent is ACTIVE while its interface is on the trunk bridge, a subport while its parent is and
    its pair is wired, any other port while its interface is on br-int on its network's local VLAN.
    """
    status: dict[str, str] = {}
    for trunk in view.trunks.values():
        plugged = trunk["id"] in want.plugged
        status[trunk["port_id"]] = "ACTIVE" if plugged else "DOWN"
        for sub in trunk["sub_ports"]:
            wired = plugged and sub["port_id"] in want.wired_subports.get(trunk["id"], set())
            status[sub["port_id"]] = "ACTIVE" if wired else "DOWN"
    for port_id, net in want.int_ports.items():
        status.setdefault(port_id, "ACTIVE" if net else "DOWN")
    return {pid: s for pid, s in status.items() if view.bound_here(view.ports.get(pid, {}))}


def _patch(name: str, bridge: str, peer: str, tag: int | None, ref: str, net: str = "",
           vlan_mode: str | None = None) -> PortSpec:
    return PortSpec(name, bridge, "patch", {"peer": peer}, tag, vlan_mode, ref, net)


def build(view: HostView, seen: Observed) -> Layout:
    """The layout this host should have."""
    nets: set[str] = set()
    wired: dict[str, set[str]] = {}
    for trunk in view.trunks.values():
        parent = view.ports[trunk["port_id"]]
        nets.add(parent["network_id"])
        wired[trunk["id"]] = {s["port_id"] for s in trunk["sub_ports"]
                              if s["port_id"] in view.ports and view.bound_here(view.ports[s["port_id"]])}
        nets.update(view.ports[p]["network_id"] for p in wired[trunk["id"]])
    on_int: dict[str, str] = {}  # br-int hypervisor port -> its network ("" = none known here)
    int_ports: dict[str, str] = {}
    for name, f in seen.foreign.items():
        if f.bridge == BR_INT:
            port = view.ports.get(f.iface_id)
            on_int[name] = port["network_id"] if port is not None and view.bound_here(port) else ""
            int_ports[f.iface_id] = on_int[name]
    nets.update(n for n in on_int.values() if n)
    out = Layout(local_vlans=_allocate(nets, known_local_vlans(seen)), wired_subports=wired, int_ports=int_ports)
    lv = out.local_vlans
    out.foreign_tags = {name: VlanSetting(lv[net], net, "access") if net else VlanSetting(DEAD_VLAN, "", "access")
                        for name, net in on_int.items()}
    out.int_flows = int_flows(sorted(n for n, want in out.foreign_tags.items() if want.tag == DEAD_VLAN))
    for name, trunk_id in parent_interfaces(view, seen).items():
        out.foreign_tags[name] = VlanSetting(None)  # carries every VLAN (undoes isolate_vif)
        out.plugged.add(trunk_id)

    out.bridges[BR_INT] = BridgeSpec(BR_INT)
    for trunk in view.trunks.values():
        tid, parent = trunk["id"], view.ports[trunk["port_id"]]
        tbr = trunk_bridge(tid)
        out.bridges[tbr] = BridgeSpec(tbr, tid)
        tpt = patch_port_name(TRUNK_PARENT_PREFIX, parent["id"])
        tpi = patch_port_name(TRUNK_PARENT_INT_PREFIX, parent["id"])
        # vlan_mode=access tag=0 on tpt-: untagged only, so no loop and no foreign VLAN into br-int
        out.ports[tpt] = _patch(tpt, tbr, tpi, 0, parent["id"], vlan_mode="access")
        out.ports[tpi] = _patch(tpi, BR_INT, tpt, lv[parent["network_id"]], parent["id"], parent["network_id"])
        for sub in trunk["sub_ports"]:
            if sub["port_id"] not in wired[tid]:
                continue
            port = view.ports[sub["port_id"]]
            spt, spi = patch_port_name(SUBPORT_PREFIX, port["id"]), patch_port_name(SUBPORT_INT_PREFIX, port["id"])
            out.ports[spt] = _patch(spt, tbr, spi, int(sub["segmentation_id"]), port["id"], vlan_mode="access")
            out.ports[spi] = _patch(spi, BR_INT, spt, lv[port["network_id"]], port["id"], port["network_id"])

    forward = f"resubmit(,{filtering.T_ACCEPT_OR_INGRESS})" if view.firewall else "NORMAL"
    phys = provider.build(view.bridge_mappings, view.networks, lv, seen, BR_INT, forward)
    out.bridges.update(phys.bridges)
    out.ports.update(phys.ports)
    out.int_flows = [*phys.int_flows, *out.int_flows]
    if view.firewall:
        out.int_flows += _firewall(view, seen, out, on_int)
    out.phys_flows = phys.phys_flows

    if view.underlay:  # the NIC in a netdev bridge whose internal port gets the tunnel IP (agent/underlay.py)
        bridge, nic = view.underlay
        out.bridges[bridge] = BridgeSpec(bridge, "underlay")
        out.ports[nic] = PortSpec(nic, bridge, "", {}, ref="underlay")

    if view.local_ip:
        out.bridges[BR_TUN] = BridgeSpec(BR_TUN, fail_mode="secure")
        out.ports[PATCH_TUN] = _patch(PATCH_TUN, BR_INT, PATCH_INT, None, "")
        out.ports[PATCH_INT] = _patch(PATCH_INT, BR_TUN, PATCH_TUN, None, "")
        tunnels = sorted(tunnel_port(ip) for ip in set(view.peers) if ip != view.local_ip)
        for ip in sorted(set(view.peers) - {view.local_ip}):
            name = tunnel_port(ip)
            out.ports[name] = PortSpec(name, BR_TUN, "vxlan",
                                       {"remote_ip": ip, "local_ip": view.local_ip, "key": "flow"})
        segments = {lv[n]: int(view.networks[n]["provider:segmentation_id"]) for n in lv
                    if n in view.networks and view.networks[n].get("provider:network_type") in TUNNEL_TYPES}
        out.tun_flows = tunnel_flows(segments, tunnels)
    return out


def _firewall(view: HostView, seen: Observed, out: Layout, on_int: Mapping[str, str]) -> list[str]:
    """The firewall's flows for every br-int port a frame of a known network enters by (taps, the
    trunks' tpi-/spi- patches, patch-tun), keyed on their ofports (trunkd.agent.firewall)."""
    entries: list[tuple[str, Resource]] = [(name, view.ports[seen.foreign[name].iface_id])
                                           for name, net in sorted(on_int.items()) if net]
    for name, spec in sorted(out.ports.items()):
        if spec.bridge == BR_INT and spec.type == "patch" and spec.ref in view.ports and spec.net:
            entries.append((name, view.ports[spec.ref]))
    ports: list[filtering.FilterPort] = []
    for name, port in entries:
        if port.get("port_security_enabled", True):
            out.filter_names.add(name)
        ofport = seen.ofports.get(name)
        if ofport is None:
            out.unnumbered.add(name)
            continue
        ports.append(filtering.FilterPort(
            port_id=f"{port['id']}@{name}", ofport=ofport, zone=out.local_vlans[port["network_id"]],
            mac=port["mac_address"], addresses=tuple(ip["ip_address"] for ip in port.get("fixed_ips") or []),
            pairs=tuple((p.get("mac_address") or port["mac_address"], p["ip_address"])
                        for p in port.get("allowed_address_pairs") or []),
            groups=tuple(port.get("security_groups") or ()), secured=bool(port.get("port_security_enabled", True))))
        if ports[-1].secured:
            out.filtered.add(port["id"])
    fw = filtering.build(ports, view.groups, view.members)
    out.group_numbers = fw.numbers
    flows = fw.flows()
    if view.local_ip and PATCH_TUN in seen.ofports:
        flows += filtering.tagged_flows(PATCH_TUN, out.local_vlans.values())
    return flows


def int_flows(dead_ports: list[str]) -> list[str]:
    """br-int: NORMAL switching, but the dead VLAN really dead (as Neutron: frames tagged 4095 and every
    frame from a port on it are dropped, so two unbound ports cannot talk)."""
    flows = ["table=0,priority=65535,vlan_tci=0x0fff/0x1fff,actions=drop"]
    flows += [f"table=0,priority=2,in_port={name},actions=drop" for name in dead_ports]
    return [*flows, "table=0,priority=0,actions=NORMAL"]


def tunnel_flows(segments: Mapping[int, int], tunnels: list[str]) -> list[str]:
    """Neutron's br-tun tables: 0 classify, 2 unicast/flood, 4 VNI->local VLAN, 10 learn, 20 learned, 22 flood."""
    flows = ["table=0,priority=1,in_port=patch-int,actions=resubmit(,2)"]
    flows += [f"table=0,priority=1,in_port={t},actions=resubmit(,4)" for t in tunnels]
    flows += [
        "table=0,priority=0,actions=drop",
        "table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,20)",
        "table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,22)",
        "table=4,priority=0,actions=drop",
        "table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,"
        "NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],"
        "load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:patch-int",
        "table=20,priority=0,actions=resubmit(,22)",
        "table=22,priority=0,actions=drop",
    ]
    outputs = ",".join(f"output:{t}" for t in tunnels)
    for local, vni in sorted(segments.items()):
        flows.append(f"table=4,priority=1,tun_id={vni:#x},actions=mod_vlan_vid:{local},resubmit(,10)")
        if tunnels:
            flows.append(f"table=22,priority=1,dl_vlan={local},actions=strip_vlan,set_tunnel:{vni:#x},{outputs}")
    return flows


def quarantine(plan: Plan, want: Layout, seen: Observed) -> Plan:
    """The plan's first step when the firewall is on: a br-int port to filter that is new, untagged or
    still on the dead VLAN goes (or stays) on the dead VLAN, hearing nothing, until its filter flows are
    in; the reconciler then applies the rest (`diff` again). `plan` itself when nothing is held back."""
    def dead(name: str) -> bool:
        have = seen.ports.get(name) or seen.foreign.get(name)
        return have is None or have.tag in (None, DEAD_VLAN)

    touched = {p.name for p in (*plan.add_ports, *plan.change_ports)} | set(plan.tags)
    held = {n for n in want.filter_names & touched if dead(n)}
    if not held:
        return plan
    first = Plan(plan.add_bridges, plan.del_bridges, del_ports=plan.del_ports)
    first.add_ports = [replace(p, tag=DEAD_VLAN) if p.name in held else p for p in plan.add_ports]
    first.change_ports = [p for p in plan.change_ports if p.name not in held]
    isolated = VlanSetting(DEAD_VLAN, "", "access")
    first.tags = {n: isolated if n in held else s for n, s in plan.tags.items()
                  if n not in held or seen.foreign[n].tag != DEAD_VLAN}
    return first


def diff(want: Layout, seen: Observed) -> Plan:
    """What to change so OVS holds `want`; ports and bridges already right are left alone."""
    plan = Plan()
    plan.add_bridges = [b for n, b in sorted(want.bridges.items()) if seen.bridges.get(n) != b]
    plan.del_bridges = sorted(set(seen.bridges) - set(want.bridges))
    gone = set(plan.del_bridges)
    for name, spec in sorted(want.ports.items()):
        have = seen.ports.get(name)
        if have is None:
            plan.add_ports.append(spec)
        elif have.bridge != spec.bridge:
            plan.del_ports.append(name)
            plan.add_ports.append(spec)
        elif have != spec:
            plan.change_ports.append(spec)
    plan.del_ports += sorted(n for n, p in seen.ports.items() if n not in want.ports and p.bridge not in gone)
    for name, setting in sorted(want.foreign_tags.items()):
        f = seen.foreign.get(name)
        if f is not None and f.vlan != setting:
            plan.tags[name] = setting
    return plan

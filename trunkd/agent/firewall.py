"""Security groups and port security as br-int flows (pure: no I/O), with the semantics of Neutron's
`openvswitch` firewall driver, in our own pipeline.

Tables (numbered as Neutron's, so operators find their way): 0 classifies by in_port into reg5 (the
port's ofport) and reg6 (its network's local VLAN, which is also the conntrack zone); 71 anti-spoofing
(MAC, IPv4/IPv6 from fixed IPs and allowed address pairs, ARP, ND, DHCP) then `ct()` into 72; 72 lets
replies and related traffic back and evaluates the port's groups; 73 hands a frame addressed to a
filtered port on this host to its ingress (81/82) and sends the rest to NORMAL.

Unlike Neutron, rules are not copied per port: each group's rules sit once in a group table (74 egress,
84 ingress) keyed by reg8 = the group's number; a port's flow in 72/82 loads each of its groups in turn
and resubmits there, and any rule that matches sets reg9 = 1. The verdict table (75/85) then accepts
(committing new connections), or, for an established connection no rule allows any more, commits it
with ct_mark=1 so both its directions are dropped from then on (Neutron's CT_MARK_INVALID). A rule
change on a group used by a thousand ports is therefore one flow changed, not a thousand.

`remote_group_id` rules are conjunctive flows (Neutron's approach): dimension 2/2 is the rule's match
in the group table, dimension 1/2 one flow per member address listing every conjunction that address
belongs to; a port joining or leaving a group changes only its addresses' flows. `stateful=false`
groups skip conntrack: every packet is checked against the rules in both directions, as Neutron's
iptables driver does with NOTRACK. A port with `port_security_enabled` false is not filtered at all.
"""

from __future__ import annotations

import functools
import ipaddress
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

T_CLASSIFY = 0
T_BASE_EGRESS = 71
T_RULES_EGRESS = 72
T_ACCEPT_OR_INGRESS = 73
T_GROUP_EGRESS = 74
T_VERDICT_EGRESS = 75
T_BASE_INGRESS = 81
T_RULES_INGRESS = 82
T_GROUP_INGRESS = 84
T_VERDICT_INGRESS = 85

REG_PORT = "NXM_NX_REG5[]"
REG_NET = "NXM_NX_REG6[]"
REG_GROUP = "NXM_NX_REG8[]"
REG_ALLOW = "NXM_NX_REG9[]"
ZONE = "zone=NXM_NX_REG6[0..15]"
OUTPUT_PORT = "output:NXM_NX_REG5[0..15]"
CT_MARK_INVALID = "0x1"
CLASSIFY_PRIORITY = 10  # table 0: above NORMAL (0) and dead ports (2), below the dead VLAN (65535)

# IANA protocol numbers for the names Neutron accepts (neutron-lib's IP_PROTOCOL_MAP)
PROTOCOLS = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2, "ipip": 4,
    "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60,
    "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136,
    "vrrp": 112,
}
WITH_PORTS = (6, 17, 132)
ICMP = (1, 58)
ANY_PREFIXES = ("0.0.0.0/0", "::/0")
# ICMPv6 an instance may send from its own addresses (Neutron: MLD query, RS, NS) and may receive
EGRESS_ICMPV6 = (130, 131, 133, 135, 143)
INGRESS_ICMPV6 = (130, 134, 135, 136)
ICMPV6_NA = 136
ICMPV6_RA = 134
UNSPECIFIED_V6_TYPES = (131, 135, 143)  # MLD reports and DAD may come from ::


Rule = Mapping[str, Any]


@dataclass(frozen=True)
class Group:
    """A security group as the agent needs it: its rules (Neutron's wire format) and statefulness."""

    id: str
    rules: tuple[Rule, ...] = ()
    stateful: bool = True


@dataclass(frozen=True)
class FilterPort:
    """One port where traffic enters br-int: a hypervisor's tap, a trunk's tpi- or a subport's spi-."""

    port_id: str
    ofport: int
    zone: int  # its network's local VLAN: reg6 and the conntrack zone
    mac: str
    addresses: tuple[str, ...] = ()  # fixed IPs
    pairs: tuple[tuple[str, str], ...] = ()  # allowed address pairs (mac, ip or cidr)
    groups: tuple[str, ...] = ()
    secured: bool = True  # port_security_enabled

    @property
    def macs(self) -> list[str]:
        return sorted({self.mac.lower(), *(m.lower() for m, _ip in self.pairs)})

    def allowed(self, version: int) -> list[tuple[str, str]]:
        """(mac, address) pairs it may send from, for one IP version."""
        pairs = {(self.mac.lower(), ip) for ip in self.addresses}
        pairs |= {(m.lower(), ip) for m, ip in self.pairs}
        if version == 6:
            pairs.add((self.mac.lower(), link_local(self.mac)))
        return sorted((m, _cidr(ip)) for m, ip in pairs if _version(ip) == version)


@dataclass
class Firewall:
    """Desired flows: the ones shared by every port, and per port (so a caller can tell what changed)."""

    common: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # the group tables (74 and 84), nothing else there
    numbers: dict[str, int] = field(default_factory=dict)  # group id -> its reg8 number
    ports: dict[str, list[str]] = field(default_factory=dict)  # port id -> its flows

    def flows(self) -> list[str]:
        return [*self.common, *self.groups, *(f for pid in sorted(self.ports) for f in self.ports[pid])]


def link_local(mac: str) -> str:
    """The EUI-64 IPv6 link-local address of a MAC."""
    octets = [int(x, 16) for x in mac.split(":")]
    octets[0] ^= 0x02
    eui = [*octets[:3], 0xFF, 0xFE, *octets[3:]]
    return str(ipaddress.IPv6Address(bytes([0xFE, 0x80, 0, 0, 0, 0, 0, 0, *eui])))


def _version(ip: str) -> int:
    return ipaddress.ip_network(ip, strict=False).version


def _cidr(ip: str) -> str:
    """An address or CIDR as OVS matches it: host routes without their /32 or /128."""
    net = ipaddress.ip_network(ip, strict=False)
    return str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net)


def number(key: str, taken: set[int]) -> int:
    """A stable 31-bit number for `key`, not in `taken` (probing on a collision); added to `taken`."""
    n = zlib.crc32(key.encode()) & 0x7FFFFFFF or 1
    while n in taken:
        n = n % 0x7FFFFFFF + 1
    taken.add(n)
    return n


def port_masks(low: int, high: int) -> list[str]:
    """A port range as value/mask matches (as few as the bits allow); [] for the whole range."""
    if low <= 1 and high >= 65535:
        return []
    out: list[str] = []
    while low <= high:
        size = low & -low if low else 1 << 16
        while size > high - low + 1:
            size >>= 1
        out.append(f"{low}" if size == 1 else f"0x{low:04x}/0x{(0xFFFF ^ (size - 1)):04x}")
        low += size
    return out


class UnknownProtocol(ValueError):
    """A protocol name the compiler does not know: its rule allows nothing (never everything)."""


def protocol_number(rule: Rule) -> int | None:
    proto = rule.get("protocol")
    if proto in (None, "", "any", "ip"):  # "ip" (number 0 by name) is any IP protocol, as Neutron reads it
        return None
    text = str(proto).lower()
    if not text.isdigit() and text not in PROTOCOLS:
        raise UnknownProtocol(text)
    num = int(text) if text.isdigit() else PROTOCOLS[text]
    if num == 1 and rule.get("ethertype") == "IPv6":
        return 58  # Neutron: "icmp" with IPv6 means ICMPv6
    return num


def rule_matches(rule: Rule) -> list[str]:
    """The rule's match (without the group and the remote) as OpenFlow fields, one entry per flow."""
    v6 = rule.get("ethertype") == "IPv6"
    match = ["ipv6" if v6 else "ip"]
    proto = protocol_number(rule)
    prefix = rule.get("remote_ip_prefix")
    if prefix and str(ipaddress.ip_network(prefix, strict=False)) not in ANY_PREFIXES:
        side = "src" if rule.get("direction") == "ingress" else "dst"
        match.append(f"{'ipv6' if v6 else 'nw'}_{side}={_cidr(prefix)}")
    if proto is None:
        return [",".join(match)]
    match.append(f"nw_proto={proto}")
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if proto in ICMP:
        if low is not None:
            match.append(f"icmp_type={low}")
            if high is not None:
                match.append(f"icmp_code={high}")
        return [",".join(match)]
    if proto in WITH_PORTS and low is not None:
        masks = port_masks(int(low), int(high if high is not None else low))
        if masks:
            return [",".join([*match, f"tp_dst={m}"]) for m in masks]
    return [",".join(match)]


def common_flows() -> list[str]:
    """The pipeline every filtered port shares (states, verdicts, default drops)."""
    flows = [
        f"table={T_BASE_EGRESS},priority=110,ct_state=+trk,actions=ct_clear,resubmit(,{T_BASE_EGRESS})",
        f"table={T_BASE_EGRESS},priority=0,actions=drop",
        f"table={T_ACCEPT_OR_INGRESS},priority=0,actions=NORMAL",
        f"table={T_BASE_INGRESS},priority=0,actions=drop",
    ]
    for table, accept in ((T_RULES_EGRESS, f"resubmit(,{T_ACCEPT_OR_INGRESS})"), (T_RULES_INGRESS, OUTPUT_PORT)):
        flows += [
            f"table={table},priority=50,ct_state=+inv+trk,actions=drop",
            f"table={table},priority=50,ct_mark={CT_MARK_INVALID},ct_state=+trk,actions=drop",
            f"table={table},priority=50,ct_state=+est-rel+rpl+trk,ct_mark=0x0,actions={accept}",
            f"table={table},priority=50,ct_state=-new-est+rel-inv+trk,ct_mark=0x0,actions={accept}",
            f"table={table},priority=0,actions=drop",
        ]
    for dl in ("ip", "ipv6"):
        # an egress connection allowed and not for a port here: commit it, then switch normally
        flows.append(f"table={T_ACCEPT_OR_INGRESS},priority=90,{dl},ct_state=+new-est+trk,"
                     f"actions=ct(commit,{ZONE}),NORMAL")
        flows.append(f"table={T_VERDICT_INGRESS},priority=20,reg9=0x1,{dl},ct_state=+new-est+trk,"
                     f"actions=ct(commit,{ZONE}),{OUTPUT_PORT}")
        for table in (T_VERDICT_EGRESS, T_VERDICT_INGRESS):  # no rule allows it any more: cut it
            flows.append(f"table={table},priority=10,{dl},ct_state=+est+trk,"
                         f"actions=ct(commit,{ZONE},exec(set_field:{CT_MARK_INVALID}->ct_mark))")
    flows += [
        f"table={T_VERDICT_EGRESS},priority=15,reg9=0x1,actions=resubmit(,{T_ACCEPT_OR_INGRESS})",
        f"table={T_VERDICT_EGRESS},priority=0,actions=drop",
        f"table={T_VERDICT_INGRESS},priority=15,reg9=0x1,actions={OUTPUT_PORT}",
        f"table={T_VERDICT_INGRESS},priority=0,actions=drop",
    ]
    return flows


@dataclass
class _Conjunctions:
    """Conjunction ids of remote-group rules and the member addresses that feed them."""

    taken: set[int] = field(default_factory=set)
    ids: dict[tuple[str, str, str, str], int] = field(default_factory=dict)  # (group, remote, dir, ether)

    def id_for(self, group: str, remote: str, direction: str, ethertype: str) -> int:
        key = (group, remote, direction, ethertype)
        if key not in self.ids:
            self.ids[key] = number("conj:" + ":".join(key), self.taken)
        return self.ids[key]


def group_flows(groups: Mapping[str, Group], numbers: Mapping[str, int],
                members: Mapping[str, Sequence[str]]) -> list[str]:
    """Each group's rules once, in the group tables, keyed by reg8 = its number (see the module doc)."""
    plain: set[str] = set()
    conj_match: dict[tuple[int, str], set[str]] = defaultdict(set)  # (table, match) -> conjunction actions
    conj = _Conjunctions()
    for gid in sorted(numbers):
        group = groups.get(gid)
        if group is None:
            continue
        for rule in group.rules:
            if rule.get("remote_address_group_id"):
                continue  # address groups are not served: such a rule allows nothing
            table = T_GROUP_EGRESS if rule.get("direction") == "egress" else T_GROUP_INGRESS
            ethertype = "IPv6" if rule.get("ethertype") == "IPv6" else "IPv4"
            remote = rule.get("remote_group_id")
            try:
                matches = rule_matches(rule)
            except UnknownProtocol:
                continue
            for match in matches:
                key = f"table={table},priority=70,reg8={numbers[gid]},{match}"
                if remote:
                    cid = conj.id_for(gid, remote, str(rule.get("direction")), ethertype)
                    conj_match[(table, key)].add(f"conjunction({cid},2/2)")
                else:
                    plain.add(key.replace("priority=70", "priority=60") + ",actions=load:1->" + REG_ALLOW)
    flows = sorted(plain)
    flows += [f"{key},actions={','.join(sorted(acts))}" for (_t, key), acts in sorted(conj_match.items())]
    by_address: dict[tuple[int, str], set[str]] = defaultdict(set)
    for (_gid, remote, direction, ethertype), cid in sorted(conj.ids.items()):
        table = T_GROUP_EGRESS if direction == "egress" else T_GROUP_INGRESS
        side = "src" if direction == "ingress" else "dst"
        version = 6 if ethertype == "IPv6" else 4
        field_ = f"ipv6,ipv6_{side}" if version == 6 else f"ip,nw_{side}"
        for address in sorted({_cidr(a) for a in members.get(remote, ()) if _version(a) == version}):
            by_address[(table, f"{field_}={address}")].add(f"conjunction({cid},1/2)")
        flows.append(f"table={table},priority=70,conj_id={cid},actions=load:1->{REG_ALLOW}")
    flows += [f"table={t},priority=70,{m},actions={','.join(sorted(a))}" for (t, m), a in sorted(by_address.items())]
    return flows


def port_flows(port: FilterPort, numbers: Mapping[str, int], stateful: bool) -> list[str]:
    """Classification, anti-spoofing, ingress dispatch and group evaluation of one filtered port."""
    mine = tuple(sorted((g, numbers[g]) for g in set(port.groups) if g in numbers))
    return list(_port_flows(port, mine, stateful))


@functools.lru_cache(maxsize=8192)
def _port_flows(port: FilterPort, numbers: tuple[tuple[str, int], ...], stateful: bool) -> tuple[str, ...]:
    """port_flows, remembered: a pass recompiles only ports whose inputs changed."""
    o, z = port.ofport, port.zone
    reg = f"reg5={o}"
    flows = [f"table={T_CLASSIFY},priority={CLASSIFY_PRIORITY},in_port={o},"
             f"actions=load:{o}->{REG_PORT},load:{z}->{REG_NET},resubmit(,{T_BASE_EGRESS})"]
    egress, ingress = f"table={T_BASE_EGRESS}", f"table={T_BASE_INGRESS}"
    track = f"ct(table={T_RULES_EGRESS},{ZONE})" if stateful else f"resubmit(,{T_RULES_EGRESS})"
    for mac, ip in port.allowed(4):
        flows += [
            f"{egress},priority=95,{reg},arp,dl_src={mac},arp_spa={ip},arp_sha={mac},actions=NORMAL",
            f"{egress},priority=80,{reg},udp,dl_src={mac},nw_src={ip},tp_src=68,tp_dst=67,"
            f"actions=resubmit(,{T_ACCEPT_OR_INGRESS})",
            f"{egress},priority=65,{reg},ip,dl_src={mac},nw_src={ip},actions={track}",
        ]
    for mac, ip in port.allowed(6):
        flows += [f"{egress},priority=95,{reg},icmp6,dl_src={mac},ipv6_src={ip},icmp_type={t},actions=NORMAL"
                  for t in EGRESS_ICMPV6]
        flows += [
            f"{egress},priority=95,{reg},icmp6,dl_src={mac},icmp_type={ICMPV6_NA},nd_target={ip},actions=NORMAL",
            f"{egress},priority=80,{reg},udp6,dl_src={mac},ipv6_src={ip},tp_src=546,tp_dst=547,"
            f"actions=resubmit(,{T_ACCEPT_OR_INGRESS})",
            f"{egress},priority=65,{reg},ipv6,dl_src={mac},ipv6_src={ip},actions={track}",
        ]
    for mac in port.macs:
        flows += [
            f"{egress},priority=95,{reg},rarp,dl_src={mac},actions=NORMAL",
            f"{egress},priority=80,{reg},udp,dl_src={mac},nw_src=0.0.0.0,tp_src=68,tp_dst=67,"
            f"actions=resubmit(,{T_ACCEPT_OR_INGRESS})",
        ]
        flows += [f"{egress},priority=95,{reg},icmp6,dl_src={mac},ipv6_src=::,icmp_type={t},actions=NORMAL"
                  for t in UNSPECIFIED_V6_TYPES]
        for vlan, strip in (("vlan_tci=0x1000/0x1000", "pop_vlan,"), ("vlan_tci=0x0000/0x1000", "")):
            flows.append(f"table={T_ACCEPT_OR_INGRESS},priority=100,reg6={z},{vlan},dl_dst={mac},"
                         f"actions=load:{o}->{REG_PORT},{strip}resubmit(,{T_BASE_INGRESS})")
    # an instance is no DHCP server and no router
    flows += [
        f"{egress},priority=70,{reg},udp,tp_src=67,tp_dst=68,actions=drop",
        f"{egress},priority=70,{reg},udp6,tp_src=547,tp_dst=546,actions=drop",
        f"{egress},priority=70,{reg},icmp6,icmp_type={ICMPV6_RA},actions=drop",
    ]
    flows += [
        f"{ingress},priority=100,{reg},arp,actions=output:{o}",
        f"{ingress},priority=95,{reg},udp,tp_src=67,tp_dst=68,actions=output:{o}",
        f"{ingress},priority=95,{reg},udp6,tp_src=547,tp_dst=546,actions=output:{o}",
    ]
    flows += [f"{ingress},priority=100,{reg},icmp6,icmp_type={t},actions=output:{o}" for t in INGRESS_ICMPV6]
    for dl in ("ip", "ipv6"):
        if stateful:
            flows.append(f"{ingress},priority=90,{reg},{dl},ct_state=-trk,"
                         f"actions=ct(table={T_RULES_INGRESS},{ZONE})")
            flows.append(f"{ingress},priority=80,{reg},{dl},ct_state=+trk,actions=resubmit(,{T_RULES_INGRESS})")
        else:
            flows.append(f"{ingress},priority=90,{reg},{dl},actions=resubmit(,{T_RULES_INGRESS})")
    for table, groups_table, verdict in ((T_RULES_EGRESS, T_GROUP_EGRESS, T_VERDICT_EGRESS),
                                         (T_RULES_INGRESS, T_GROUP_INGRESS, T_VERDICT_INGRESS)):
        chain = [f"load:0->{REG_ALLOW}"]
        for _gid, num in numbers:
            chain += [f"load:{num}->{REG_GROUP}", f"resubmit(,{groups_table})"]
        chain.append(f"resubmit(,{verdict})")
        flows.append(f"table={table},priority=45,{reg},actions={','.join(chain)}")
    return tuple(flows)


def unfiltered_flows(port: FilterPort) -> list[str]:
    """A port with port security disabled (or a patch to elsewhere): its frames may still be for a
    filtered port here, so they go through the ingress dispatch (table 73) before NORMAL."""
    return [f"table={T_CLASSIFY},priority={CLASSIFY_PRIORITY},in_port={port.ofport},"
            f"actions=load:{port.zone}->{REG_NET},resubmit(,{T_ACCEPT_OR_INGRESS})"]


def tagged_flows(in_port: str, zones: Iterable[int]) -> list[str]:
    """A port carrying local VLANs tagged (patch-tun): its frames' network is their VLAN."""
    return [f"table={T_CLASSIFY},priority={CLASSIFY_PRIORITY},in_port={in_port},dl_vlan={z},"
            f"actions=load:{z}->{REG_NET},resubmit(,{T_ACCEPT_OR_INGRESS})" for z in sorted(set(zones))]


def group_numbers(group_ids: Iterable[str]) -> dict[str, int]:
    taken: set[int] = set()
    return {gid: number("sg:" + gid, taken) for gid in sorted(set(group_ids))}


def build(ports: Iterable[FilterPort], groups: Mapping[str, Group],
          members: Mapping[str, Sequence[str]]) -> Firewall:
    """Every flow of the firewall for these ports, given their groups and the remote groups' members'
    addresses (fixed IPs and allowed address pairs of every port in each group)."""
    ports = list(ports)
    secured = [p for p in ports if p.secured]
    numbers = group_numbers(g for p in secured for g in p.groups if g in groups)
    out = Firewall(common=common_flows(), groups=group_flows(groups, numbers, members), numbers=numbers)
    for port in ports:
        if not port.secured:
            out.ports[port.port_id] = unfiltered_flows(port)
            continue
        known = [groups[g] for g in port.groups if g in groups]
        stateful = not known or any(g.stateful for g in known)
        out.ports[port.port_id] = port_flows(port, numbers, stateful)
    return out


def is_group_flow(flow: str) -> bool:
    return flow.startswith((f"table={T_GROUP_EGRESS},", f"table={T_GROUP_INGRESS},"))


def remote_groups(groups: Iterable[Group]) -> set[str]:
    """Groups whose members' addresses the rules need."""
    return {str(r["remote_group_id"]) for g in groups for r in g.rules if r.get("remote_group_id")}

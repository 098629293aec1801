"""What the Northbound DB should hold for trunkd's networks, subnets, ports and trunks, as ML2/OVN writes it.

Pure: resources in (Neutron wire format, as the API lists them), rows out. The names, columns and
external_ids keys are those of Neutron 29's ML2/OVN (ovn_client.py: `_gen_network_parameters`,
`create_provnet_port`, `_get_port_options`, `get_external_ids_from_port`, `_get_ovn_dhcp_options`;
the OVN trunk driver's `_set_binding_profile`). Security groups are Port_Groups with their ACLs (acls.py):
`pg_<group id>` per group, holding the LSPs of its ports with port security on, and `neutron_pg_drop` holding
every such port.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from trunkd.ovn import acls

Resource = dict[str, Any]

OWNER_KEY = "trunkd-owner"  # external_ids mark on every NB row ovn-sync owns
OWNER = "ovn-sync"
LS_PREFIX = "neutron-"
PROVNET_PREFIX = "provnet-"
SUBPORT_OWNER = "trunk:subport"
UNKNOWN = "unknown"
DHCP_LEASE_TIME = "43200"  # Neutron's [ovn] dhcp_default_lease_time
BASE_MAC = (0xFA, 0x16, 0x3E)  # Neutron's base_mac
IGNORED_OWNERS = ("network:floatingip",)  # utils.is_lsp_ignored: no LSP for these


@dataclass(frozen=True)
class SwitchRow:
    name: str
    external_ids: dict[str, str]
    other_config: dict[str, str]


@dataclass(frozen=True)
class PortRow:
    name: str
    switch: str
    addresses: tuple[str, ...]
    port_security: tuple[str, ...] = ()
    external_ids: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    type: str = ""
    enabled: bool | None = None
    parent_name: str | None = None
    tag: int | None = None
    tag_request: int | None = None
    dhcpv4: str | None = None  # subnet id of the DHCP_Options row linked
    dhcpv6: str | None = None


@dataclass(frozen=True)
class DhcpRow:
    subnet_id: str
    cidr: str
    options: dict[str, str]
    external_ids: dict[str, str]


@dataclass(frozen=True)
class AclRow:
    direction: str
    priority: int
    match: str
    action: str
    external_ids: tuple[tuple[str, str], ...]  # sorted items (a hashable map)


@dataclass(frozen=True)
class PortGroupRow:
    name: str
    external_ids: dict[str, str]
    ports: frozenset[str]  # LSP names
    acls: frozenset[AclRow]


@dataclass
class NbState:
    switches: dict[str, SwitchRow] = field(default_factory=dict)
    ports: dict[str, PortRow] = field(default_factory=dict)
    dhcp: dict[str, DhcpRow] = field(default_factory=dict)  # by subnet id
    port_groups: dict[str, PortGroupRow] = field(default_factory=dict)


@dataclass
class NbPlan:
    """The difference, applied in one transaction: rows to create or rewrite, rows to delete."""

    put_switches: list[SwitchRow] = field(default_factory=list)
    put_dhcp: list[DhcpRow] = field(default_factory=list)
    put_ports: list[PortRow] = field(default_factory=list)
    del_ports: list[str] = field(default_factory=list)
    del_dhcp: list[str] = field(default_factory=list)
    del_switches: list[str] = field(default_factory=list)
    put_port_groups: list[PortGroupRow] = field(default_factory=list)
    del_port_groups: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(len(x) for x in (self.put_switches, self.put_dhcp, self.put_ports, self.del_ports,
                                    self.del_dhcp, self.del_switches, self.put_port_groups,
                                    self.del_port_groups))


def switch_name(network_id: str) -> str:
    return LS_PREFIX + network_id


def marked(ids: dict[str, str]) -> dict[str, str]:
    return {**ids, OWNER_KEY: OWNER}


def server_mac(subnet_id: str) -> str:
    """A stable MAC under Neutron's base_mac for the subnet's DHCP server (Neutron draws a random one once and
    keeps it in NB; derived from the id, every pass and every restart agree on it)."""
    tail = hashlib.sha256(subnet_id.encode()).digest()[:3]
    return ":".join(f"{b:02x}" for b in (*BASE_MAC, *tail))


def switch_row(net: Resource) -> SwitchRow:
    ext = {
        "neutron:network_name": net.get("name") or "",
        "neutron:mtu": str(net.get("mtu", "")),
        "neutron:revision_number": str(net.get("revision_number", 0)),
        "neutron:availability_zone_hints": ",".join(net.get("availability_zone_hints") or []),
    }
    if net.get("provider:network_type"):
        ext["neutron:provnet-network-type"] = net["provider:network_type"]
    if net.get("provider:physical_network"):
        ext["neutron:provnet-physical-network"] = net["provider:physical_network"]
    other = {"mcast_snoop": "false", "mcast_flood_unregistered": "false", "vlan-passthru": "false"}
    if net.get("provider:physical_network"):
        other["fdb_age_threshold"] = "0"
    return SwitchRow(switch_name(net["id"]), marked(ext), other)


def localnet_row(net: Resource) -> PortRow | None:
    """A flat or VLAN provider network's `localnet` port (VLAN: its segmentation id as tag_request)."""
    physnet = net.get("provider:physical_network")
    if not physnet:
        return None
    tag = net.get("provider:segmentation_id") if net.get("provider:network_type") == "vlan" else None
    return PortRow(
        name=PROVNET_PREFIX + net["id"], switch=switch_name(net["id"]), addresses=(UNKNOWN,), type="localnet",
        external_ids=marked({"neutron:provnet-physical-network": physnet}),
        options={"network_name": physnet, "mcast_flood_reports": "true", "mcast_flood": "false",
                 "localnet_learn_fdb": "false"},
        tag_request=int(tag) if tag is not None else None)


def dhcp_row(subnet: Resource, net: Resource) -> DhcpRow | None:
    """The subnet's DHCP_Options (only for enable_dhcp subnets, as Neutron)."""
    if not subnet.get("enable_dhcp"):
        return None
    ext = marked({"subnet_id": subnet["id"], "neutron:network_id": net["id"],
                  "neutron:revision_number": str(subnet.get("revision_number", 0))})
    options: dict[str, str] = {}
    gateway = subnet.get("gateway_ip")
    dns = subnet.get("dns_nameservers") or []
    if subnet.get("ip_version") == 6:
        options = {"server_id": server_mac(subnet["id"])}
        if dns:
            options["dns_server"] = "{" + ", ".join(dns) + "}"
        if subnet.get("ipv6_address_mode") == "dhcpv6-stateless":
            options["dhcpv6_stateless"] = "true"
    elif gateway:  # Neutron needs a server id: the gateway (or a metadata port, which trunkd has not)
        options = {"server_id": gateway, "lease_time": DHCP_LEASE_TIME, "mtu": str(net.get("mtu", 1500)),
                   "router": gateway, "server_mac": server_mac(subnet["id"])}
        if dns:
            options["dns_server"] = "{" + ", ".join(dns) + "}"
        routes = [f"{r['destination']},{r['nexthop']}" for r in subnet.get("host_routes") or []]
        if routes:
            options["classless_static_route"] = "{" + ", ".join([*routes, f"0.0.0.0/0,{gateway}"]) + "}"
    return DhcpRow(subnet["id"], subnet["cidr"], options, ext)


def _version(ip: str) -> int:
    return ipaddress.ip_address(ip).version


def _security(port: Resource) -> tuple[list[str], list[str]]:
    """(port_security entries, extra MACs for addresses): ML2/OVN's `_get_allowed_addresses_from_port`.
    An allowed address pair with another MAC is its own 'MAC IP' entry (Neutron 29 also writes a VRRPv3 entry,
    which OVN 23.03 does not parse)."""
    if not port.get("port_security_enabled", True):
        return [], []
    mine = " ".join([port["mac_address"], *(ip["ip_address"] for ip in port.get("fixed_ips") or [])])
    entries: set[str] = set()
    macs: set[str] = set()
    for pair in port.get("allowed_address_pairs") or []:
        if pair.get("mac_address", port["mac_address"]) == port["mac_address"]:
            mine += " " + pair["ip_address"]
        else:
            entries.add(f"{pair['mac_address']} {pair['ip_address']}")
            macs.add(pair["mac_address"])
    entries.add(mine)
    return sorted(entries), sorted(macs)


def port_row(port: Resource, subnets: dict[str, Resource], dhcp: dict[str, DhcpRow],
             parent: tuple[str, int] | None) -> PortRow:
    """The port's LSP. `parent` (parent port id, VLAN) when it is a trunk subport: OVN binds it where its
    parent is bound, so it names no requested-chassis of its own."""
    fixed = [ip for ip in port.get("fixed_ips") or [] if ip.get("subnet_id") in subnets]
    address = " ".join([port["mac_address"], *(ip["ip_address"] for ip in fixed)])
    cidrs = " ".join(f"{ip['ip_address']}/{subnets[ip['subnet_id']]['cidr'].split('/')[1]}" for ip in fixed)
    security, macs = _security(port)
    v4 = next((ip["subnet_id"] for ip in fixed if _version(ip["ip_address"]) == 4 and ip["subnet_id"] in dhcp), None)
    v6 = next((ip["subnet_id"] for ip in fixed if _version(ip["ip_address"]) == 6 and ip["subnet_id"] in dhcp), None)
    addresses: list[str] = []
    if security or v4 or v6:
        addresses = [address, *macs]
    if not security:
        addresses.append(UNKNOWN)
    options: dict[str, str] = {}
    host = port.get("binding:host_id") or ""
    if host and parent is None:
        options["requested-chassis"] = host
    # the OVN trunk driver writes device_owner trunk:subport with parent_name and tag, in the same transaction
    owner = SUBPORT_OWNER if parent else port.get("device_owner") or ""
    ext = {
        "neutron:port_name": port.get("name") or "",
        "neutron:device_id": port.get("device_id") or "",
        "neutron:project_id": port.get("project_id") or port.get("tenant_id") or "",
        "neutron:cidrs": cidrs,
        "neutron:device_owner": owner,
        "neutron:subnet_pool_addr_scope4": "",
        "neutron:subnet_pool_addr_scope6": "",
        "neutron:network_name": switch_name(port["network_id"]),
        "neutron:security_group_ids": " ".join(port.get("security_groups") or []),
        "neutron:revision_number": str(port.get("revision_number", 0)),
        "neutron:vnic_type": port.get("binding:vnic_type") or "normal",
        "neutron:port_capabilities": "",
        "neutron:mtu": "",
    }
    return PortRow(
        name=port["id"], switch=switch_name(port["network_id"]), addresses=tuple(addresses),
        port_security=tuple(security), external_ids=marked(ext), options=options,
        enabled=bool(port.get("admin_state_up", True)),
        parent_name=parent[0] if parent else None, tag=parent[1] if parent else None, dhcpv4=v4, dhcpv6=v6)


def acl_row(direction: str, priority: int, match: str, action: str, ids: dict[str, str]) -> AclRow:
    return AclRow(direction, priority, match, action, tuple(sorted(marked(ids).items())))


def port_groups(groups: Iterable[Resource], rules: Iterable[Resource], ports: Iterable[Resource],
                lsps: dict[str, PortRow]) -> dict[str, PortGroupRow]:
    """`neutron_pg_drop` and one `pg_<id>` per group, with their members (ports that have an LSP, port security
    on and are not trusted `network:*` ports) and ACLs (one per rule, the group's `stateful` choosing the
    action)."""
    by_id = {g["id"]: g for g in groups}
    members: dict[str, set[str]] = {g: set() for g in by_id}
    drop: set[str] = set()
    for port in ports:
        if port["id"] not in lsps or not port.get("port_security_enabled", True) or acls.trusted(port):
            continue
        drop.add(port["id"])
        for g in port.get("security_groups") or []:
            if g in members:
                members[g].add(port["id"])
    rule_acls: dict[str, set[AclRow]] = {g: set() for g in by_id}
    for rule in rules:
        group = by_id.get(rule.get("security_group_id", ""))
        if group is None:
            continue
        pg = acls.port_group_name(group["id"])
        rule_acls[group["id"]].add(acl_row(
            acls.rule_direction(rule), acls.PRIORITY_ALLOW, acls.rule_match(rule, pg),
            acls.rule_action(group.get("stateful", True) is not False), {acls.RULE_KEY: rule["id"]}))
    out = {acls.PG_DROP: PortGroupRow(acls.PG_DROP, marked({}), frozenset(drop), frozenset(
        acl_row(d, acls.PRIORITY_DROP, m, acls.DROP, {}) for d, m in acls.drop_matches()))}
    for g in by_id:
        name = acls.port_group_name(g)
        out[name] = PortGroupRow(name, marked({acls.SG_KEY: g}), frozenset(members[g]), frozenset(rule_acls[g]))
    return out


def desired(networks: Iterable[Resource], subnets: Iterable[Resource], ports: Iterable[Resource],
            trunks: Iterable[Resource], groups: Iterable[Resource] = (),
            rules: Iterable[Resource] = ()) -> NbState:
    """The whole Northbound state trunkd's resources call for."""
    ports = list(ports)
    state = NbState()
    nets = {n["id"]: n for n in networks}
    for net in nets.values():
        row = switch_row(net)
        state.switches[row.name] = row
        local = localnet_row(net)
        if local is not None:
            state.ports[local.name] = local
    subs = {s["id"]: s for s in subnets if s["network_id"] in nets}
    for subnet in subs.values():
        d = dhcp_row(subnet, nets[subnet["network_id"]])
        if d is not None:
            state.dhcp[d.subnet_id] = d
    parents = {s["port_id"]: (t["port_id"], int(s["segmentation_id"]))
               for t in trunks for s in t.get("sub_ports") or []}
    for port in ports:
        if port["network_id"] not in nets or (port.get("device_owner") or "") in IGNORED_OWNERS:
            continue
        state.ports[port["id"]] = port_row(port, subs, state.dhcp, parents.get(port["id"]))
    state.port_groups = port_groups(groups, rules, ports, state.ports)
    return state


Row = SwitchRow | PortRow | DhcpRow | PortGroupRow


def same(want: Row, seen: Row | None) -> bool:
    """Equal but maybe for `neutron:revision_number`: as in Neutron, the number is the resource's revision at
    the last write to OVN; a change that alters nothing here (a status report bumps the port's revision) is
    not written."""
    if seen is None or type(seen) is not type(want):
        return False
    if seen == want:
        return True
    rev = "neutron:revision_number"
    return replace(seen, external_ids={**seen.external_ids, rev: want.external_ids.get(rev, "")}) == want


def diff(want: NbState, seen: NbState) -> NbPlan:
    """What to write so that the rows ovn-sync owns are exactly `want`; equal rows are left alone."""
    plan = NbPlan()
    plan.put_switches = [r for n, r in want.switches.items() if not same(r, seen.switches.get(n))]
    plan.put_dhcp = [r for s, r in want.dhcp.items() if not same(r, seen.dhcp.get(s))]
    plan.put_ports = [r for n, r in want.ports.items() if not same(r, seen.ports.get(n))]
    plan.del_ports = sorted(set(seen.ports) - set(want.ports))
    plan.del_dhcp = sorted(set(seen.dhcp) - set(want.dhcp))
    plan.del_switches = sorted(set(seen.switches) - set(want.switches))
    plan.put_port_groups = [r for n, r in want.port_groups.items() if r != seen.port_groups.get(n)]
    plan.del_port_groups = sorted(set(seen.port_groups) - set(want.port_groups))
    return plan

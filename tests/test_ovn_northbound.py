"""The Northbound rows ovn-sync computes (pure: no OVN needed), against what Neutron 29's ML2/OVN writes
(ovn_client.py `_get_port_options`, `_get_allowed_addresses_from_port`, `_get_ovn_dhcpv4_opts`/`dhcpv6_opts`,
`create_provnet_port`; the OVN trunk driver's `_set_binding_profile`), and the difference a pass applies."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from trunkd.ovn import northbound as nb

NET = {"id": "n1", "name": "blue", "mtu": 1442, "revision_number": 3}
SUBNET4 = {"id": "s4", "network_id": "n1", "cidr": "10.0.0.0/24", "ip_version": 4, "enable_dhcp": True,
           "gateway_ip": "10.0.0.1", "dns_nameservers": [], "revision_number": 2,
           "host_routes": [{"destination": "192.168.0.0/24", "nexthop": "10.0.0.254"}]}
SUBNET6 = {"id": "s6", "network_id": "n1", "cidr": "fd00::/64", "ip_version": 6, "enable_dhcp": True,
           "gateway_ip": "fd00::1", "ipv6_address_mode": "dhcpv6-stateless", "dns_nameservers": ["fd00::53"],
           "revision_number": 1}


def port(pid: str, **kw: Any) -> dict[str, Any]:
    return {"id": pid, "network_id": "n1", "mac_address": "fa:16:3e:00:00:0a", "name": pid, "revision_number": 5,
            "fixed_ips": [{"subnet_id": "s4", "ip_address": "10.0.0.5"}, {"subnet_id": "s6", "ip_address": "fd00::5"}],
            "admin_state_up": True, "port_security_enabled": True, "project_id": "p", **kw}


def test_dhcp_options_as_ml2_ovn() -> None:
    state = nb.desired([NET], [SUBNET4, SUBNET6], [], [])
    v4, v6 = state.dhcp["s4"], state.dhcp["s6"]
    assert v4.options == {"server_id": "10.0.0.1", "lease_time": "43200", "mtu": "1442", "router": "10.0.0.1",
                          "server_mac": nb.server_mac("s4"),
                          "classless_static_route": "{192.168.0.0/24,10.0.0.254, 0.0.0.0/0,10.0.0.1}"}
    assert v6.options == {"server_id": nb.server_mac("s6"), "dns_server": "{fd00::53}", "dhcpv6_stateless": "true"}
    assert v4.external_ids == {"subnet_id": "s4", "neutron:network_id": "n1", "neutron:revision_number": "2",
                               nb.OWNER_KEY: nb.OWNER}
    assert nb.server_mac("s4") == nb.server_mac("s4") != nb.server_mac("s6")  # stable per subnet
    off = nb.desired([NET], [{**SUBNET4, "enable_dhcp": False}], [], [])
    assert off.dhcp == {}


def test_port_and_subport_rows() -> None:
    parent = port("p1", **{"binding:host_id": "hv1", "allowed_address_pairs": [
        {"ip_address": "10.0.0.99", "mac_address": "fa:16:3e:00:00:0a"}]})
    sub = port("s1", fixed_ips=[], mac_address="fa:16:3e:00:00:0b",
               **{"binding:host_id": "hv1", "device_owner": "trunk:subport"})
    trunk = {"id": "t1", "port_id": "p1", "sub_ports": [{"port_id": "s1", "segmentation_id": 100}]}
    state = nb.desired([NET], [SUBNET4, SUBNET6], [parent, sub], [trunk])
    p, s = state.ports["p1"], state.ports["s1"]
    assert p.addresses == ("fa:16:3e:00:00:0a 10.0.0.5 fd00::5",)
    assert p.port_security == ("fa:16:3e:00:00:0a 10.0.0.5 fd00::5 10.0.0.99",)
    assert (p.dhcpv4, p.dhcpv6) == ("s4", "s6")
    assert p.options == {"requested-chassis": "hv1"} and (p.parent_name, p.tag) == (None, None)
    assert p.external_ids["neutron:cidrs"] == "10.0.0.5/24 fd00::5/64"
    assert (s.parent_name, s.tag, s.options) == ("p1", 100, {})  # bound where the parent is
    assert s.external_ids["neutron:device_owner"] == "trunk:subport"
    # without port security: no port_security, addresses end in "unknown"
    free = nb.desired([NET], [SUBNET4], [port("f", port_security_enabled=False)], []).ports["f"]
    assert free.port_security == () and free.addresses[-1] == "unknown"
    # floating IP ports get no LSP (utils.is_lsp_ignored)
    assert nb.desired([NET], [], [port("fip", device_owner="network:floatingip")], []).ports == {}


def test_flat_provider_network_localnet_has_no_tag() -> None:
    flat = {**NET, "provider:network_type": "flat", "provider:physical_network": "physnet1"}
    row = nb.desired([flat], [], [], []).ports["provnet-n1"]
    assert (row.type, row.tag_request, row.options["network_name"]) == ("localnet", None, "physnet1")


def test_diff_leaves_equal_rows_and_revision_only_changes_alone() -> None:
    want = nb.desired([NET], [SUBNET4], [port("a"), port("b")], [])
    assert not nb.diff(want, want)
    bumped = nb.desired([NET], [SUBNET4], [port("a", revision_number=6), port("b")], [])
    assert not nb.diff(bumped, want)  # a status report bumps the revision, nothing else: not written
    renamed = nb.desired([NET], [SUBNET4], [port("a", name="x", revision_number=6), port("b")], [])
    plan = nb.diff(renamed, want)
    assert [r.name for r in plan.put_ports] == ["a"] and plan.put_ports[0].external_ids[
        "neutron:revision_number"] == "6"
    seen = nb.NbState(switches=dict(want.switches), dhcp=dict(want.dhcp),
                      ports={**want.ports, "stale": replace(want.ports["a"], name="stale")})
    del seen.ports["b"]
    plan = nb.diff(want, seen)
    assert plan.del_ports == ["stale"] and [r.name for r in plan.put_ports] == ["b"]


def test_security_group_port_groups_and_acls_as_ml2_ovn() -> None:
    sg, sg_id = "pg_1234_ab", "1234-ab"
    rules = [
        {"id": "r1", "security_group_id": sg_id, "direction": "ingress", "ethertype": "IPv6", "protocol": "58",
         "port_range_min": 128, "port_range_max": None, "remote_ip_prefix": "fd00::/64",
         "normalized_cidr": "fd00::/64", "remote_group_id": None},
        {"id": "r2", "security_group_id": sg_id, "direction": "egress", "ethertype": "IPv4", "protocol": "tcp",
         "port_range_min": 80, "port_range_max": None, "remote_ip_prefix": None, "remote_group_id": sg_id},
        {"id": "r3", "security_group_id": "gone", "direction": "egress", "ethertype": "IPv4"},
    ]
    ports = [port("a", security_groups=[sg_id]), port("dhcp", device_owner="network:dhcp", security_groups=[]),
             port("open", port_security_enabled=False, security_groups=[])]
    state = nb.desired([NET], [SUBNET4, SUBNET6], ports, [], [{"id": sg_id, "stateful": True}], rules)
    assert set(state.port_groups) == {"neutron_pg_drop", sg}
    drop, group = state.port_groups["neutron_pg_drop"], state.port_groups[sg]
    assert drop.ports == {"a"} and group.ports == {"a"}  # trusted and port-security-off ports in neither
    assert group.external_ids == {"neutron:security_group_id": sg_id, nb.OWNER_KEY: nb.OWNER}
    assert {(a.direction, a.priority, a.action, a.match) for a in group.acls} == {
        ("to-lport", 1002, "allow-related", f"outport == @{sg} && ip6 && ip6.src == fd00::/64 && icmp6"
                                            " && icmp6.type == 128"),
        ("from-lport", 1002, "allow-related", f"inport == @{sg} && ip4 && ip4.dst == ${sg}_ip4 && tcp"
                                              " && tcp.dst >= 80")}
    assert {(a.direction, a.priority, a.action) for a in drop.acls} == {("from-lport", 1000, "drop"),
                                                                       ("to-lport", 1000, "drop")}
    assert nb.diff(state, state).put_port_groups == []  # idempotent
    seen = nb.NbState(port_groups={**state.port_groups, "pg_stale": replace(group, name="pg_stale")})
    plan = nb.diff(state, seen)
    assert plan.del_port_groups == ["pg_stale"] and not plan.put_port_groups

"""The firewall compiler (trunkd.agent.firewall) and its place in the layout: flows from ports, groups,
rules and remote-group members, checked without a switch (tests/dataplane/test_security_groups.py sends
the traffic)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.test_agent_layout import as_observed, view
from trunkd.agent import firewall as fw
from trunkd.agent import layout
from trunkd.agent.ovs import flow_changes, flow_key
from trunkd.agent.switch import ForeignPort

MAC = "fa:16:3e:00:00:01"


def ingress(**attrs: Any) -> dict[str, Any]:
    return {"direction": "ingress", "ethertype": "IPv4", **attrs}


def filtered(pid: str = "p1", ofport: int = 7, groups: tuple[str, ...] = ("web",), **kw: Any) -> fw.FilterPort:
    return fw.FilterPort(pid, ofport, 3, MAC, kw.pop("addresses", ("10.0.0.5",)), groups=groups, **kw)


def covered(masks: list[str]) -> set[int]:
    ports: set[int] = set()
    for m in masks:
        value, _, mask = m.partition("/")
        v, k = int(value, 0), int(mask, 0) if mask else 0xFFFF
        ports |= {p for p in range(65536) if p & k == v}
    return ports


@pytest.mark.parametrize("low,high", [(22, 22), (1000, 2000), (1, 1023), (0, 7), (65000, 65535), (80, 81)])
def test_a_port_range_becomes_masks_covering_exactly_that_range(low: int, high: int) -> None:
    masks = fw.port_masks(low, high)
    assert covered(masks) == set(range(low, high + 1))
    assert len(masks) <= 32


def test_the_whole_port_range_is_no_match_at_all() -> None:
    assert fw.port_masks(1, 65535) == []
    assert fw.rule_matches(ingress(protocol="tcp", port_range_min=1, port_range_max=65535)) == ["ip,nw_proto=6"]


def test_rule_matches_follow_neutrons_protocols_prefixes_and_icmp() -> None:
    assert fw.rule_matches(ingress()) == ["ip"]
    assert fw.rule_matches(ingress(protocol="udp", port_range_min=53, port_range_max=53)) == \
        ["ip,nw_proto=17,tp_dst=53"]
    assert fw.rule_matches(ingress(protocol="132")) == ["ip,nw_proto=132"]
    assert fw.rule_matches(ingress(protocol="icmp", port_range_min=8, port_range_max=0)) == \
        ["ip,nw_proto=1,icmp_type=8,icmp_code=0"]
    v6 = {"ethertype": "IPv6", "direction": "egress"}
    assert fw.rule_matches({**v6, "protocol": "icmp", "port_range_min": 128}) == ["ipv6,nw_proto=58,icmp_type=128"]
    assert fw.rule_matches({**v6, "remote_ip_prefix": "2001:db8::/64"}) == ["ipv6,ipv6_dst=2001:db8::/64"]
    assert fw.rule_matches(ingress(remote_ip_prefix="10.1.0.0/16")) == ["ip,nw_src=10.1.0.0/16"]
    assert fw.rule_matches(ingress(remote_ip_prefix="10.1.2.3/32")) == ["ip,nw_src=10.1.2.3"]
    assert fw.rule_matches(ingress(remote_ip_prefix="0.0.0.0/0")) == ["ip"], "any prefix matches everything"


def test_an_unknown_protocol_allows_nothing_and_ip_means_any() -> None:
    rules = (ingress(protocol="warp"), ingress(protocol="ip"))
    flows = fw.build([filtered()], {"web": fw.Group("web", rules)}, {}).groups
    assert [f.split(",", 3)[3] for f in flows] == ["ip,actions=load:1->NXM_NX_REG9[]"]


def test_anti_spoofing_allows_only_the_ports_macs_and_addresses() -> None:
    port = filtered(addresses=("10.0.0.5", "2001:db8::5"), pairs=(("fa:16:3e:00:00:09", "10.0.1.0/24"),))
    flows = fw.build([port], {}, {}).ports["p1"]
    ip_ok = {f.split("dl_src=")[1].split(",actions")[0] for f in flows if ",ip,dl_src=" in f}
    assert ip_ok == {f"{MAC},nw_src=10.0.0.5", "fa:16:3e:00:00:09,nw_src=10.0.1.0/24"}
    v6_ok = {f.split("ipv6_src=")[1].split(",")[0] for f in flows if ",ipv6,dl_src=" in f}
    assert v6_ok == {"2001:db8::5", fw.link_local(MAC)} and fw.link_local(MAC) == "fe80::f816:3eff:fe00:1"
    arp = [f for f in flows if ",arp," in f and "table=71" in f]
    assert all(f"arp_sha={f.split('dl_src=')[1].split(',')[0]}" in f for f in arp) and len(arp) == 2
    assert any("udp,tp_src=67,tp_dst=68,actions=drop" in f for f in flows), "DHCP server replies dropped"
    assert any("icmp_type=134,actions=drop" in f for f in flows), "router advertisements dropped"
    assert "table=0,priority=10,in_port=7,actions=load:7->NXM_NX_REG5[],load:3->NXM_NX_REG6[]," \
           "resubmit(,71)" in flows


def test_a_port_without_port_security_is_only_classified_for_the_ingress_dispatch() -> None:
    flows = fw.build([filtered(secured=False)], {}, {}).ports["p1"]
    assert flows == ["table=0,priority=10,in_port=7,actions=load:3->NXM_NX_REG6[],resubmit(,73)"]


def test_a_port_in_no_group_evaluates_no_rule_so_everything_new_is_dropped() -> None:
    flows = fw.build([filtered(groups=())], {}, {}).ports["p1"]
    chains = [f for f in flows if "priority=45" in f]
    assert chains == ["table=72,priority=45,reg5=7,actions=load:0->NXM_NX_REG9[],resubmit(,75)",
                      "table=82,priority=45,reg5=7,actions=load:0->NXM_NX_REG9[],resubmit(,85)"]


def test_rules_sit_once_per_group_not_once_per_port() -> None:
    web = fw.Group("web", (ingress(protocol="tcp", port_range_min=22, port_range_max=22),))
    ports = [filtered(f"p{i}", 10 + i) for i in range(50)]
    built = fw.build(ports, {"web": web}, {})
    assert len([f for f in built.groups if "tp_dst=22" in f]) == 1
    more = fw.Group("web", (*web.rules, ingress(protocol="udp", port_range_min=53, port_range_max=53)))
    again = fw.build(ports, {"web": more}, {})
    assert again.ports == built.ports, "a rule change leaves every port's flows alone"
    assert flow_changes(built.flows(), again.flows()) == [
        f"add table=84,priority=60,reg8={fw.group_numbers(['web'])['web']},ip,nw_proto=17,tp_dst=53,"
        "actions=load:1->NXM_NX_REG9[]"]


def test_remote_group_rules_are_conjunctions_fed_by_one_flow_per_member_address() -> None:
    web = fw.Group("web", (ingress(protocol="tcp", port_range_min=8080, port_range_max=8080, remote_group_id="cl"),
                           ingress(protocol="tcp", port_range_min=22, port_range_max=22, remote_group_id="cl"),
                           {"direction": "egress", "ethertype": "IPv4", "remote_group_id": "web"}))
    members = {"cl": ("10.0.0.7", "10.0.0.8", "2001:db8::7"), "web": ("10.0.0.5",)}
    ports = [filtered(f"p{i}", 10 + i) for i in range(20)]
    flows = fw.build(ports, {"web": web}, members).groups
    cl = [f for f in flows if "table=84" in f and "nw_src=10.0.0." in f]
    assert len(cl) == 2, "one flow per member address, whatever the number of ports and rules"
    assert all(f.count("conjunction(") == 1 and f.endswith(",1/2)") for f in cl), "both rules share one conjunction"
    dims = [f for f in flows if "2/2" in f]
    assert len(dims) == 3 and not any("2001:db8::7" in f for f in flows), "an IPv6 member feeds no IPv4 rule"
    conj_ids = {f.split("conj_id=")[1].split(",")[0] for f in flows if "conj_id=" in f}
    assert len(conj_ids) == 2, "one conjunction per (group, remote group, direction, ethertype)"
    joined = fw.build(ports, {"web": web}, {**members, "cl": (*members["cl"], "10.0.0.9")})
    assert flow_changes(fw.build(ports, {"web": web}, members).flows(), joined.flows()) == [
        "add " + cl[0].replace("10.0.0.7", "10.0.0.9")], "a member joining adds its address's flow only"


def test_a_stateless_group_skips_conntrack() -> None:
    rules = (ingress(protocol="tcp", port_range_min=22, port_range_max=22),)
    stateful = fw.build([filtered()], {"web": fw.Group("web", rules)}, {}).ports["p1"]
    stateless = fw.build([filtered()], {"web": fw.Group("web", rules, stateful=False)}, {}).ports["p1"]
    assert any("ct(table=72" in f for f in stateful) and any("ct(table=82" in f for f in stateful)
    assert not any("ct(" in f for f in stateless)
    assert any(f.endswith("ipv6_src=fe80::f816:3eff:fe00:1,actions=resubmit(,72)") for f in stateless)


def test_removed_rules_cut_established_connections_by_ct_mark() -> None:
    common = fw.common_flows()
    for table in (75, 85):
        assert f"table={table},priority=10,ip,ct_state=+est+trk,actions=ct(commit,zone=NXM_NX_REG6[0..15]," \
               "exec(set_field:0x1->ct_mark))" in common
    assert "table=72,priority=50,ct_mark=0x1,ct_state=+trk,actions=drop" in common
    assert "table=82,priority=50,ct_state=+est-rel+rpl+trk,ct_mark=0x0,actions=output:NXM_NX_REG5[0..15]" in common


def test_group_numbers_are_stable_and_distinct() -> None:
    ids = [f"g{i}" for i in range(200)]
    numbers = fw.group_numbers(ids)
    assert len(set(numbers.values())) == 200 and numbers == fw.group_numbers(reversed(ids))
    taken = {fw.number("x", set())}
    assert fw.number("x", taken) != min(taken), "a collision probes on"


def test_flow_changes_add_replace_and_delete_by_match() -> None:
    old = ["table=71,priority=65,reg5=1,ip,actions=drop", "priority=0,actions=NORMAL",
           "table=73,priority=0,actions=NORMAL"]
    new = ["table=71,priority=65,reg5=1,ip,actions=resubmit(,72)", "table=73,priority=0,actions=NORMAL"]
    assert flow_changes(old, new) == ["add table=71,priority=65,reg5=1,ip,actions=resubmit(,72)",
                                      "delete_strict table=0,priority=0"]
    assert flow_key("priority=2,in_port=x,actions=drop") == "table=0,priority=2,in_port=x"


def secured_view(firewall: bool = True) -> layout.HostView:
    v = view(local_ip="10.0.0.1")
    ports = {pid: {**p, "fixed_ips": [{"ip_address": "10.0.0.5"}], "port_security_enabled": True,
                   "security_groups": ["web"]} for pid, p in v.ports.items()}
    groups = {"web": fw.Group("web", (ingress(protocol="tcp", port_range_min=22, port_range_max=22),))}
    return dataclasses.replace(v, ports=ports, firewall=firewall, groups=groups)


def test_the_layout_filters_the_parent_at_tpi_and_each_subport_at_its_spi() -> None:
    v = secured_view()
    first = layout.build(v, layout.Observed())
    seen = as_observed(first, {"tap-e": ForeignPort("tap-e", "br-int", "e" * 36, None, "")})
    seen.ofports = {name: i for i, name in enumerate(sorted(seen.ports), start=1)} | {"tap-e": 99}
    want = layout.build(v, seen)
    assert want.filtered == {"p" * 36, "a" * 36, "b" * 36, "e" * 36} and not want.unnumbered
    for name in ("tpi-" + "p" * 11, "spi-" + "a" * 11, "spi-" + "b" * 11, "tap-e"):
        assert f"table=0,priority=10,in_port={seen.ofports[name]},actions=load:{seen.ofports[name]}->" \
               "NXM_NX_REG5[]" in " ".join(want.int_flows), name
    assert any(f.startswith("table=0,priority=10,in_port=patch-tun,dl_vlan=") for f in want.int_flows)
    assert not any("in_port=" + str(seen.ofports["tpt-" + "p" * 11]) + "," in f for f in want.int_flows), \
        "the trunk bridge's side is not br-int's business"


def test_a_port_without_an_ofport_yet_is_named_for_another_pass_and_no_firewall_means_no_flows() -> None:
    want = layout.build(secured_view(), layout.Observed())
    assert "tpi-" + "p" * 11 in want.unnumbered and not want.filtered
    off = layout.build(secured_view(firewall=False), layout.Observed())
    assert not any("table=7" in f or "table=8" in f for f in off.int_flows) and not off.filtered


def test_new_ports_to_filter_start_on_the_dead_vlan_until_their_filters_are_in() -> None:
    v = secured_view()
    ports = dict(v.ports)
    ports["b" * 36] = {**ports["b" * 36], "port_security_enabled": False, "security_groups": []}
    v = dataclasses.replace(v, ports=ports)
    seen = layout.Observed(foreign={"tap-e": ForeignPort("tap-e", "br-int", "e" * 36, None, "")})
    want = layout.build(v, seen)
    plan = layout.diff(want, seen)
    first = layout.quarantine(plan, want, seen)
    tags = {p.name: p.tag for p in first.add_ports}
    assert tags["tpi-" + "p" * 11] == tags["spi-" + "a" * 11] == layout.DEAD_VLAN
    assert tags["spi-" + "b" * 11] == want.local_vlans["net-b"], "an unfiltered port is not held"
    assert first.tags["tap-e"].tag == layout.DEAD_VLAN and plan.tags["tap-e"].tag == want.local_vlans["net-a"]
    settled = as_observed(want, {"tap-e": ForeignPort("tap-e", "br-int", "e" * 36, want.local_vlans["net-a"],
                                                       "net-a", "access")})
    assert layout.quarantine(layout.diff(want, settled), want, settled) == layout.diff(want, settled)

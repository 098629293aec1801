"""The agent's desired layout and its difference with what OVS holds (pure, no switch needed)."""

from __future__ import annotations

from typing import Any

from trunkd.agent import layout
from trunkd.agent.switch import ForeignPort, Observed, PortSpec, VlanSetting

HOST = "h1"


def port(pid: str, net: str, host: str = HOST, **extra: Any) -> dict[str, Any]:
    return {"id": pid, "network_id": net, "binding:host_id": host, "binding:vif_type": "ovs",
            "mac_address": "fa:16:3e:00:00:01", **extra}


def view(sub_host: str = HOST, local_ip: str | None = None, peers: tuple[str, ...] = ()) -> layout.HostView:
    trunk = {"id": "t" * 36, "port_id": "p" * 36, "status": "BUILD", "revision_number": 3,
             "sub_ports": [{"port_id": "a" * 36, "segmentation_type": "vlan", "segmentation_id": 100},
                           {"port_id": "b" * 36, "segmentation_type": "vlan", "segmentation_id": 200}]}
    ports = {"p" * 36: port("p" * 36, "net-p", trunk_details={"trunk_id": "t" * 36}),
             "a" * 36: port("a" * 36, "net-a"), "b" * 36: port("b" * 36, "net-b", host=sub_host),
             "e" * 36: port("e" * 36, "net-a")}
    nets = {n: {"id": n, "provider:network_type": "vxlan", "provider:segmentation_id": i}
            for i, n in enumerate(("net-p", "net-a", "net-b"), start=1001)}
    return layout.HostView(HOST, ports, {trunk["id"]: trunk}, nets, local_ip, peers)


def as_observed(want: layout.Layout, foreign: dict[str, ForeignPort] | None = None) -> Observed:
    return Observed(bridges=dict(want.bridges), ports=dict(want.ports),
                    foreign=dict(foreign or {}))


def test_trunk_layout_is_neutrons_with_an_access_untagged_tpt() -> None:
    want = layout.build(view(), Observed())
    tbr = "tbr-" + "t" * 10
    assert set(want.bridges) == {"br-int", tbr}
    tpt = want.ports["tpt-" + "p" * 11]
    assert (tpt.bridge, tpt.tag, tpt.vlan_mode, tpt.options) == (tbr, 0, "access", {"peer": "tpi-" + "p" * 11})
    assert want.ports["spt-" + "a" * 11].tag == 100 and want.ports["spt-" + "b" * 11].tag == 200
    lv = want.local_vlans
    assert want.ports["spi-" + "a" * 11].tag == lv["net-a"] and want.ports["tpi-" + "p" * 11].tag == lv["net-p"]
    assert len(set(lv.values())) == 3


def test_a_subport_not_bound_here_is_not_wired() -> None:
    want = layout.build(view(sub_host="elsewhere"), Observed())
    assert "spt-" + "b" * 11 not in want.ports and "spt-" + "a" * 11 in want.ports
    assert want.wired_subports["t" * 36] == {"a" * 36}


def test_applying_the_same_state_twice_changes_nothing() -> None:
    v = view(local_ip="10.0.0.1", peers=("10.0.0.2",))
    want = layout.build(v, Observed())
    assert not layout.diff(want, as_observed(want))


def test_restart_keeps_local_vlans_and_removes_only_stale_owned_ports() -> None:
    v = view()
    first = layout.build(v, Observed())
    seen = as_observed(first)
    seen.ports["spt-stale"] = PortSpec("spt-stale", "tbr-" + "t" * 10, "patch", {"peer": "x"}, 5, "access")
    del seen.ports["spt-" + "a" * 11]
    again = layout.build(v, seen)
    assert again.local_vlans == first.local_vlans
    plan = layout.diff(again, seen)
    assert [p.name for p in plan.add_ports] == ["spt-" + "a" * 11]
    assert plan.del_ports == ["spt-stale"] and not plan.change_ports and not plan.add_bridges


def test_a_changed_vlan_is_updated_in_place_and_a_gone_trunk_bridge_deleted_with_its_peers() -> None:
    v = view()
    want = layout.build(v, Observed())
    seen = as_observed(want)
    seen.ports["spt-" + "a" * 11] = PortSpec("spt-" + "a" * 11, "tbr-" + "t" * 10, "patch",
                                             {"peer": "spi-" + "a" * 11}, 999, "access", "a" * 36)
    plan = layout.diff(want, seen)
    assert [p.name for p in plan.change_ports] == ["spt-" + "a" * 11] and not plan.add_ports
    empty = layout.HostView(HOST, {}, {}, {})
    plan = layout.diff(layout.build(empty, seen), seen)
    assert plan.del_bridges == ["tbr-" + "t" * 10]
    assert sorted(plan.del_ports) == sorted(n for n in want.ports if n.startswith(("tpi-", "spi-")))


def test_hypervisor_ports_get_their_networks_local_vlan_and_unknown_ones_the_dead_vlan() -> None:
    v = view()
    foreign = {"tap-e": ForeignPort("tap-e", "br-int", "e" * 36, None, ""),
               "tap-x": ForeignPort("tap-x", "br-int", "unknown", None, "")}
    seen = Observed(foreign=foreign)
    want = layout.build(v, seen)
    plan = layout.diff(want, seen)
    assert plan.tags == {"tap-e": VlanSetting(want.local_vlans["net-a"], "net-a", "access"),
                         "tap-x": VlanSetting(layout.DEAD_VLAN, "", "access")}
    assert "table=0,priority=2,in_port=tap-x,actions=drop" in want.int_flows, "the dead VLAN really dead"
    assert not [f for f in want.int_flows if "in_port=tap-e" in f]


def test_the_agent_owns_tag_vlan_mode_and_trunks_so_isolate_vif_does_not_leave_ports_dead() -> None:
    v = view()
    isolated = {"tag": layout.DEAD_VLAN, "net": "", "vlan_mode": "trunk", "trunks": (layout.DEAD_VLAN,)}
    foreign = {"tap-e": ForeignPort("tap-e", "br-int", "e" * 36, **isolated),  # type: ignore[arg-type]
               "tap-vm": ForeignPort("tap-vm", "tbr-" + "t" * 10, "p" * 36, **isolated)}  # type: ignore[arg-type]
    seen = Observed(foreign=foreign)
    want = layout.build(v, seen)
    plan = layout.diff(want, seen)
    assert plan.tags == {"tap-e": VlanSetting(want.local_vlans["net-a"], "net-a", "access"),
                         "tap-vm": VlanSetting(None)}, "the trunk parent's interface carries every VLAN"
    assert want.plugged == {"t" * 36}


def test_port_status_follows_the_parents_interface() -> None:
    v = view()
    bare = layout.build(v, Observed())
    assert set(layout.port_statuses(v, bare).values()) == {"DOWN"}
    seen = Observed(foreign={"tap-vm": ForeignPort("tap-vm", "tbr-" + "t" * 10, "p" * 36, None, ""),
                             "tap-e": ForeignPort("tap-e", "br-int", "e" * 36, None, "")})
    statuses = layout.port_statuses(v, layout.build(v, seen))
    assert statuses == {"p" * 36: "ACTIVE", "a" * 36: "ACTIVE", "b" * 36: "ACTIVE", "e" * 36: "ACTIVE"}
    off = layout.port_statuses(view(sub_host="elsewhere"), layout.build(view(sub_host="elsewhere"), seen))
    assert "b" * 36 not in off, "a subport bound elsewhere is not this host's to report"


def test_tunnel_flows_map_each_local_vlan_to_its_vni_and_flood_to_every_peer() -> None:
    v = view(local_ip="10.0.0.1", peers=("10.0.0.2", "10.0.0.3"))
    want = layout.build(v, Observed())
    lv = want.local_vlans["net-a"]
    assert f"table=4,priority=1,tun_id=0x3ea,actions=mod_vlan_vid:{lv},resubmit(,10)" in want.tun_flows
    assert (f"table=22,priority=1,dl_vlan={lv},actions=strip_vlan,set_tunnel:0x3ea,"
            "output:vxlan-0a000002,output:vxlan-0a000003") in want.tun_flows
    assert want.ports["vxlan-0a000002"].options == {"remote_ip": "10.0.0.2", "local_ip": "10.0.0.1", "key": "flow"}

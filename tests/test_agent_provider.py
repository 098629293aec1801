"""Provider networks in the agent's layout: bridge mappings, patch pairs, VLAN translation flows (pure)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from trunkd.agent import layout, provider
from trunkd.agent.daemon import AgentConfig
from trunkd.agent.switch import BridgeSpec, Observed

HOST = "h1"


def port(pid: str, net: str, **extra: Any) -> dict[str, Any]:
    return {"id": pid, "network_id": net, "binding:host_id": HOST, "binding:vif_type": "ovs",
            "mac_address": "fa:16:3e:00:00:01", **extra}


def mixed_view(mappings: dict[str, str]) -> layout.HostView:
    """A parent on VXLAN with a subport on physnet1 VLAN 1234 and one on flat physnet2."""
    trunk = {"id": "t" * 36, "port_id": "p" * 36, "status": "BUILD", "revision_number": 1,
             "sub_ports": [{"port_id": "v" * 36, "segmentation_type": "vlan", "segmentation_id": 100},
                           {"port_id": "f" * 36, "segmentation_type": "vlan", "segmentation_id": 200}]}
    ports = {"p" * 36: port("p" * 36, "net-p", trunk_details={"trunk_id": "t" * 36}),
             "v" * 36: port("v" * 36, "net-v"), "f" * 36: port("f" * 36, "net-f")}
    nets = {"net-p": {"id": "net-p", "provider:network_type": "vxlan", "provider:segmentation_id": 1001},
            "net-v": {"id": "net-v", "provider:network_type": "vlan", "provider:physical_network": "physnet1",
                      "provider:segmentation_id": 1234},
            "net-f": {"id": "net-f", "provider:network_type": "flat", "provider:physical_network": "physnet2",
                      "provider:segmentation_id": None}}
    return layout.HostView(HOST, ports, {trunk["id"]: trunk}, nets, "10.0.0.1", ("10.0.0.2",), mappings)


def test_mappings_parse_as_neutron_writes_them() -> None:
    assert provider.parse_mappings("physnet1:br-ex, physnet2:br-ex2,") == {"physnet1": "br-ex", "physnet2": "br-ex2"}
    assert provider.parse_mappings("") == {}
    assert provider.parse_mappings(None) == {}


@pytest.mark.parametrize("bad", ["physnet1", "physnet1:", ":br-ex", "a:br-ex,a:br-ex2", "a:br-ex,b:br-ex",
                                 "a:b:c", "a:br-with-a-very-long-name"])
def test_bad_mappings_are_refused(bad: str) -> None:
    with pytest.raises(provider.MappingError):
        provider.parse_mappings(bad)


def test_patch_names_are_neutrons_and_fit_ifnamsiz() -> None:
    assert provider.peer_name("int-", "br-ex") == "int-br-ex"
    assert provider.peer_name("phy-", "br-ex") == "phy-br-ex"
    long = provider.peer_name("int-", "br-provider-01")
    assert len(long) == 15 and long.startswith("int-br-pr")
    assert long != provider.peer_name("int-", "br-provider-02")


def test_heartbeat_reports_the_mappings() -> None:
    config = AgentConfig(host=HOST, server="http://x", ovsdb="unix:x", state_dir=__import__("pathlib").Path("."),
                         bridge_mappings=(("physnet1", "br-ex"),))
    assert config.configurations()["bridge_mappings"] == {"physnet1": "br-ex"}


def test_mixed_trunk_gets_bridges_patches_and_translation_both_ways() -> None:
    want = layout.build(mixed_view({"physnet1": "br-ex", "physnet2": "br-ex2"}), Observed())
    lv = want.local_vlans
    assert {"br-ex", "br-ex2", "br-int", "br-tun"} <= set(want.bridges)
    assert want.bridges["br-ex"] == BridgeSpec("br-ex", "physnet1", "secure")
    int_peer, phy_peer = want.ports["int-br-ex"], want.ports["phy-br-ex"]
    assert (int_peer.bridge, int_peer.options, int_peer.tag) == ("br-int", {"peer": "phy-br-ex"}, None)
    assert (phy_peer.bridge, phy_peer.options, phy_peer.tag) == ("br-ex", {"peer": "int-br-ex"}, None)
    v, f = lv["net-v"], lv["net-f"]
    assert "table=0,priority=0,actions=NORMAL" in want.int_flows
    assert [f for f in want.int_flows if "int-br-ex" in f] == [
        "priority=2,in_port=int-br-ex,actions=drop",
        f"priority=3,in_port=int-br-ex,dl_vlan=1234,actions=mod_vlan_vid:{v},NORMAL",
        "priority=2,in_port=int-br-ex2,actions=drop",
        f"priority=3,in_port=int-br-ex2,vlan_tci=0x0000/0x1fff,actions=push_vlan:0x8100,mod_vlan_vid:{f},NORMAL",
    ]
    assert want.phys_flows["br-ex"] == [
        "priority=0,actions=NORMAL", "priority=2,in_port=phy-br-ex,actions=drop",
        f"priority=4,in_port=phy-br-ex,dl_vlan={v},actions=mod_vlan_vid:1234,NORMAL"]
    assert want.phys_flows["br-ex2"] == [
        "priority=0,actions=NORMAL", "priority=2,in_port=phy-br-ex2,actions=drop",
        f"priority=4,in_port=phy-br-ex2,dl_vlan={f},actions=strip_vlan,NORMAL"]
    # the VXLAN parent still rides br-tun; provider networks never get a VNI
    assert any(f"mod_vlan_vid:{lv['net-p']}" in flow for flow in want.tun_flows)
    assert not any(f"dl_vlan={v}," in flow for flow in want.tun_flows)


def test_an_operators_bridge_is_used_as_it_is_and_never_deleted() -> None:
    view = mixed_view({"physnet1": "br-ex"})
    seen = Observed(all_bridges={"br-ex"})
    want = layout.build(view, seen)
    assert "br-ex" not in want.bridges and "phy-br-ex" in want.ports and "br-ex" in want.phys_flows
    assert "br-ex" not in layout.diff(want, seen).del_bridges


def test_no_mappings_no_provider_flows() -> None:
    want = layout.build(mixed_view({}), Observed())
    assert not any("int-br" in f for f in want.int_flows) and want.phys_flows == {}
    assert "int-br-ex" not in want.ports


def test_applied_layout_is_a_fixed_point() -> None:
    view = mixed_view({"physnet1": "br-ex", "physnet2": "br-ex2"})
    want = layout.build(view, Observed())
    seen = Observed(bridges=dict(want.bridges), all_bridges=set(want.bridges), ports=dict(want.ports))
    again = layout.build(view, seen)
    assert not layout.diff(again, seen)
    assert again.int_flows == want.int_flows and again.phys_flows == want.phys_flows


def test_the_underlay_nic_goes_into_a_bridge_of_its_own() -> None:
    view = mixed_view({"physnet1": "br-ex"})
    view = layout.HostView(view.host, view.ports, view.trunks, view.networks, view.local_ip, view.peers,
                           view.bridge_mappings, ("br-phy", "eth1"))
    want = layout.build(view, Observed())
    assert want.bridges["br-phy"] == BridgeSpec("br-phy", "underlay")
    nic = want.ports["eth1"]
    assert (nic.bridge, nic.type, nic.options, nic.tag) == ("br-phy", "", {}, None)


@pytest.mark.parametrize(("value", "says"), [("physnet1", "is not physnet:bridge"),
                                             ("physnet1:br-int", "br-int is the agent's own bridge")])
def test_the_agent_refuses_bad_mappings_before_it_starts(value: str, says: str) -> None:
    out = subprocess.run([sys.executable, "-m", "trunkd.cli", "agent", "--bridge-mappings", value,
                          "--server", "http://127.0.0.1:1", "--ovsdb", "unix:/nonexistent"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and says in out.stderr, out.stderr

"""The pure ML2 rules: option formats, MTU per segment type, provider segment checks (no server)."""

from __future__ import annotations

import pytest

from trunkd.domain import errors
from trunkd.domain.ml2 import ConfigError, Ml2Settings, Segment


def settings(**raw: str) -> Ml2Settings:
    return Ml2Settings.parse(raw)


def test_defaults_parse_to_neutrons_values_and_a_physnet1_range() -> None:
    ml2 = settings()
    assert ml2 == Ml2Settings()
    assert (ml2.global_physnet_mtu, ml2.path_mtu, ml2.overlay_ip_version) == (1500, 0, 4)
    assert ml2.network_vlan_ranges == {"physnet1": ((1000, 2999),)}
    assert ml2.flat_networks is None and ml2.tenant_network_types == ("vxlan",)


@pytest.mark.parametrize(("raw", "mtus"), [
    ({}, {"vxlan": 1450, "gre": 1458, "geneve": 1450, "vlan": 1500, "flat": 1500}),
    ({"path_mtu": "9000"}, {"vxlan": 1450, "gre": 1458, "vlan": 1500}),          # min(global, path)
    ({"global_physnet_mtu": "9000", "path_mtu": "1600"}, {"vxlan": 1550, "vlan": 9000}),
    ({"global_physnet_mtu": "0", "path_mtu": "1600"}, {"vxlan": 1550, "vlan": 0}),
    ({"overlay_ip_version": "6"}, {"vxlan": 1430, "gre": 1438, "geneve": 1430}),
    ({"max_header_size": "38"}, {"geneve": 1442}),                                  # OVN's minimum
    ({"physical_network_mtus": "physnet1:9000,physnet2:1400"}, {"vlan": 1500}),     # never above global
])
def test_max_mtu_per_type(raw: dict[str, str], mtus: dict[str, int]) -> None:
    ml2 = settings(**raw)
    for network_type, mtu in mtus.items():
        physnet = "physnet1" if network_type in ("vlan", "flat") else None
        assert ml2.max_mtu(Segment(network_type, physnet, None)) == mtu, network_type


def test_physical_network_mtus_lower_a_physnet_below_the_global_value() -> None:
    ml2 = settings(physical_network_mtus="physnet2:1400")
    assert ml2.max_mtu(Segment("vlan", "physnet2", 5)) == 1400
    assert ml2.max_mtu(Segment("flat", "physnet2", None)) == 1400
    assert ml2.max_mtu(Segment("vlan", "physnet1", 5)) == 1500


def test_requested_mtu_is_kept_up_to_the_maximum() -> None:
    ml2 = Ml2Settings()
    vxlan = Segment("vxlan", None, 7)
    assert ml2.network_mtu(vxlan, None) == ml2.network_mtu(vxlan, 0) == 1450
    assert ml2.network_mtu(vxlan, 1400) == 1400
    with pytest.raises(errors.InvalidInput, match="Requested MTU is too big, maximum is 1450"):
        ml2.network_mtu(vxlan, 1451)


def test_vlan_ranges_format() -> None:
    ml2 = settings(network_vlan_ranges="physnet1:10:20, physnet1:30:40,physnet2")
    assert ml2.network_vlan_ranges == {"physnet1": ((10, 20), (30, 40)), "physnet2": ()}


@pytest.mark.parametrize(("raw", "option"), [
    ({"network_vlan_ranges": "physnet1:10"}, "network_vlan_ranges"),
    ({"network_vlan_ranges": "physnet1:0:10"}, "network_vlan_ranges"),
    ({"network_vlan_ranges": ":1:10"}, "network_vlan_ranges"),
    ({"vni_ranges": "5:1"}, "vni_ranges"),
    ({"vni_ranges": "1:16777216"}, "vni_ranges"),
    ({"physical_network_mtus": "physnet1"}, "physical_network_mtus"),
    ({"path_mtu": "-1"}, "path_mtu"),
    ({"overlay_ip_version": "5"}, "overlay_ip_version"),
    ({"type_drivers": "vlan,local"}, "type_drivers"),
    ({"type_drivers": "vlan", "tenant_network_types": "vxlan"}, "tenant_network_types"),
    ({"tenant_network_types": "flat"}, "tenant_network_types"),
])
def test_bad_options_name_themselves(raw: dict[str, str], option: str) -> None:
    with pytest.raises(ConfigError, match=f"^{option}"):
        settings(**raw)


def test_tenant_requests_follow_tenant_network_types_in_order() -> None:
    ml2 = settings(tenant_network_types="vlan,vxlan", network_vlan_ranges="physnet1:5:6,physnet2,physnet3:9:9",
                   vni_ranges="100:200")
    vlan, vxlan = ml2.tenant_requests()
    assert (vlan.network_type, vlan.ranges) == ("vlan", (("physnet1", (5, 6)), ("physnet3", (9, 9))))
    assert (vxlan.network_type, vxlan.ranges) == ("vxlan", ((None, (100, 200)),))
    assert vlan.partial and vxlan.partial


@pytest.mark.parametrize(("args", "message"), [
    (("vlan", "physnet9", None), "physical_network 'physnet9' unknown for VLAN provider network"),
    (("vlan", None, 5), "segmentation_id requires physical_network for VLAN provider network"),
    (("vlan", "physnet1", 4095), "segmentation_id out of range (1 through 4094)"),
    (("vxlan", "physnet1", None), "provider:physical_network specified for vxlan network"),
    (("vxlan", None, 2**24), "segmentation_id out of range (1 through 16777215)"),
    (("flat", None, None), "physical_network required for flat provider network"),
    (("flat", "physnet1", 3), "segmentation_id prohibited for flat provider network"),
    (("local", None, None), "network_type value 'local' not supported"),
    ((None, "physnet1", None), "network_type required"),
])
def test_provider_checks_as_ml2_type_drivers(args: tuple[str | None, str | None, int | None], message: str) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        Ml2Settings().provider_request(*args)
    assert caught.value.message == f"Invalid input for operation: {message}."


def test_provider_requests() -> None:
    ml2 = settings(network_vlan_ranges="physnet1:10:20,physnet2", flat_networks="ext")
    assert ml2.provider_request("vlan", "physnet1", None).ranges == (("physnet1", (10, 20)),)
    explicit = ml2.provider_request("vlan", "physnet2", 5)
    assert (explicit.segmentation_id, explicit.partial) == (5, False)
    assert not ml2.provider_request("flat", "ext", None).partial
    with pytest.raises(errors.InvalidInput, match="unknown for flat provider network"):
        ml2.provider_request("flat", "physnet1", None)
    with pytest.raises(errors.InvalidInput, match="Flat provider networks are disabled"):
        settings(flat_networks="").provider_request("flat", "ext", None)

"""Addresses on ports (IPAM) over HTTP on both engines: defaults, fixed_ips, updates, errors, filters."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tests.support import Api, error_type


def addresses(port: dict[str, Any]) -> list[str]:
    return [f["ip_address"] for f in port["fixed_ips"]]


def post_port(api: Api, network_id: str, **attrs: Any) -> Any:
    return api.post("/v2.0/ports", {"port": {"network_id": network_id, **attrs}})


def test_port_without_subnets_has_no_address(member: Api) -> None:
    assert member.port()["fixed_ips"] == []


def test_ports_get_the_lowest_free_pool_addresses_in_order(member: Api) -> None:
    subnet = member.subnet(cidr="10.20.0.0/24", allocation_pools=[{"start": "10.20.0.10", "end": "10.20.0.20"}])
    first = member.port(subnet["network_id"])
    assert first["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.20.0.10"}]
    r = member.post("/v2.0/ports", {"ports": [{"network_id": subnet["network_id"]} for _ in range(3)]})
    assert r.status_code == 201, r.text
    assert [addresses(p) for p in r.json()["ports"]] == [["10.20.0.11"], ["10.20.0.12"], ["10.20.0.13"]]
    assert member.get(f"/v2.0/ports/{first['id']}").json()["port"]["fixed_ips"] == first["fixed_ips"]


def test_a_released_address_is_reused_from_the_gap(member: Api) -> None:
    subnet = member.subnet(cidr="10.21.0.0/29")  # pool .2 - .6
    ports = [member.port(subnet["network_id"]) for _ in range(3)]
    assert [addresses(p) for p in ports] == [["10.21.0.2"], ["10.21.0.3"], ["10.21.0.4"]]
    assert member.delete(f"/v2.0/ports/{ports[1]['id']}").status_code == 204
    assert addresses(member.port(subnet["network_id"])) == ["10.21.0.3"]
    assert addresses(member.port(subnet["network_id"])) == ["10.21.0.5"]


def test_full_subnet_is_409_ip_address_generation_failure_and_the_batch_leaves_nothing(member: Api) -> None:
    subnet = member.subnet(cidr="10.22.0.0/29")  # five addresses
    net = subnet["network_id"]
    r = member.post("/v2.0/ports", {"ports": [{"network_id": net} for _ in range(6)]})
    assert r.status_code == 409, r.text
    assert error_type(r) == "IpAddressGenerationFailure"
    assert member.get("/v2.0/ports", params={"network_id": net}).json()["ports"] == []
    r = member.post("/v2.0/ports", {"ports": [{"network_id": net} for _ in range(5)]})
    assert r.status_code == 201, r.text
    r = post_port(member, net)
    assert r.status_code == 409
    assert error_type(r) == "IpAddressGenerationFailure"


def test_another_ipv4_subnet_is_used_when_one_is_full(member: Api) -> None:
    one = member.subnet(cidr="10.23.0.0/30")  # one address each: .2 (the gateway is .1)
    two = member.subnet(one["network_id"], "10.23.1.0/30")
    got = [member.port(one["network_id"])["fixed_ips"] for _ in range(2)]
    assert sorted(f[0]["ip_address"] for f in got) == ["10.23.0.2", "10.23.1.2"]
    assert {f[0]["subnet_id"] for f in got} == {one["id"], two["id"]}
    r = post_port(member, one["network_id"])
    assert r.status_code == 409
    assert error_type(r) == "IpAddressGenerationFailure"


def test_fixed_ips_forms(member: Api) -> None:
    net = member.network()["id"]
    a = member.subnet(net, "10.24.0.0/24")
    b = member.subnet(net, "10.25.0.0/24")
    assert member.port(net, fixed_ips=[])["fixed_ips"] == []
    assert member.port(net, fixed_ips=[{"subnet_id": b["id"]}])["fixed_ips"] == [
        {"subnet_id": b["id"], "ip_address": "10.25.0.2"}]
    assert member.port(net, fixed_ips=[{"ip_address": "10.24.0.77"}])["fixed_ips"] == [
        {"subnet_id": a["id"], "ip_address": "10.24.0.77"}]
    both = member.port(net, fixed_ips=[{"subnet_id": a["id"], "ip_address": "10.24.0.250"},
                                       {"subnet_id": b["id"]}, {"subnet_id": b["id"]}])
    assert both["fixed_ips"] == [{"subnet_id": a["id"], "ip_address": "10.24.0.250"},
                                 {"subnet_id": b["id"], "ip_address": "10.25.0.3"},
                                 {"subnet_id": b["id"], "ip_address": "10.25.0.4"}]


def test_address_outside_the_pools_but_inside_the_subnet_may_be_asked_for(member: Api) -> None:
    subnet = member.subnet(cidr="10.26.0.0/24", allocation_pools=[{"start": "10.26.0.10", "end": "10.26.0.20"}])
    port = member.port(subnet["network_id"], fixed_ips=[{"ip_address": "10.26.0.200"}])
    assert addresses(port) == ["10.26.0.200"]
    assert addresses(member.port(subnet["network_id"])) == ["10.26.0.10"]


@pytest.mark.parametrize(("fixed", "code", "kind"), [
    ([{"ip_address": "10.27.0.5"}], 409, "IpAddressAlreadyAllocated"),
    ([{"ip_address": "10.99.0.5"}], 400, "InvalidIpForNetwork"),
    ([{"subnet_id": "SUBNET", "ip_address": "10.99.0.5"}], 400, "InvalidIpForSubnet"),
    ([{"subnet_id": "SUBNET", "ip_address": "10.27.0.0"}], 400, "InvalidIpForSubnet"),
    ([{"subnet_id": "SUBNET", "ip_address": "10.27.0.255"}], 400, "InvalidIpForSubnet"),
    ([{"subnet_id": "7b0c1c3e-0000-4000-8000-000000000000"}], 404, "SubnetNotFound"),
    ([{"subnet_id": "OTHER"}], 400, "InvalidInput"),
    ([{}], 400, "InvalidInput"),
    ([{"ip_address": "10.27.0.300"}], 400, "HTTPBadRequest"),
    ([{"ip_address": "10.27.0.8"}, {"ip_address": "10.27.0.8"}], 400, "HTTPBadRequest"),
    ([{"subnet_id": "not-a-uuid"}], 400, "HTTPBadRequest"),
    ([{"bogus": 1}], 400, "HTTPBadRequest"),
    ("10.27.0.9", 400, "HTTPBadRequest"),
])
def test_bad_fixed_ips_are_rejected_with_neutrons_error(
    member: Api, fixed: Any, code: int, kind: str
) -> None:
    subnet = member.subnet(cidr="10.27.0.0/24")
    other = member.subnet(cidr="10.28.0.0/24")
    net = subnet["network_id"]
    member.port(net, fixed_ips=[{"ip_address": "10.27.0.5"}])
    if isinstance(fixed, list):
        fixed = [{k: {"SUBNET": subnet["id"], "OTHER": other["id"]}.get(v, v) for k, v in f.items()} for f in fixed]
    before = member.get("/v2.0/ports", params={"network_id": net}).json()["ports"]
    r = post_port(member, net, fixed_ips=fixed)
    assert r.status_code == code, r.text
    assert error_type(r) == kind
    assert member.get("/v2.0/ports", params={"network_id": net}).json()["ports"] == before


def test_fixed_ips_on_a_network_without_subnets_is_400(member: Api) -> None:
    r = post_port(member, member.network()["id"], fixed_ips=[{"ip_address": "10.0.0.5"}])
    assert r.status_code == 400
    assert error_type(r) == "InvalidInput"


def test_two_ports_in_one_bulk_asking_for_one_address_is_409(member: Api) -> None:
    subnet = member.subnet(cidr="10.29.0.0/24")
    same = {"network_id": subnet["network_id"], "fixed_ips": [{"ip_address": "10.29.0.9"}]}
    r = member.post("/v2.0/ports", {"ports": [same, same]})
    assert r.status_code == 409
    assert error_type(r) == "IpAddressAlreadyAllocated"


def test_update_fixed_ips_releases_and_allocates_in_one_step(member: Api) -> None:
    net = member.network()["id"]
    a = member.subnet(net, "10.30.0.0/24")
    b = member.subnet(net, "10.31.0.0/24")
    port = member.port(net)
    assert port["fixed_ips"] == [{"subnet_id": a["id"], "ip_address": "10.30.0.2"}]
    path = f"/v2.0/ports/{port['id']}"
    r = member.put(path, {"port": {"fixed_ips": [{"subnet_id": a["id"]}, {"ip_address": "10.31.0.50"}]}})
    assert r.status_code == 200, r.text
    updated = r.json()["port"]
    assert updated["fixed_ips"] == [{"subnet_id": a["id"], "ip_address": "10.30.0.2"},
                                    {"subnet_id": b["id"], "ip_address": "10.31.0.50"}]
    assert updated["revision_number"] == port["revision_number"] + 1
    r = member.put(path, {"port": {"fixed_ips": [{"ip_address": "10.30.0.9"}]}})
    assert r.status_code == 200, r.text
    assert addresses(r.json()["port"]) == ["10.30.0.9"]
    # the released addresses are free again: another port may take them
    assert addresses(member.port(net, fixed_ips=[{"ip_address": "10.31.0.50"}])) == ["10.31.0.50"]
    assert addresses(member.port(net)) == ["10.30.0.2"]
    r = member.put(path, {"port": {"fixed_ips": []}})
    assert r.json()["port"]["fixed_ips"] == []
    assert member.get(path).json()["port"] == r.json()["port"]


def test_same_fixed_ips_again_changes_nothing(member: Api) -> None:
    subnet = member.subnet(cidr="10.32.0.0/24")
    port = member.port(subnet["network_id"])
    r = member.put(f"/v2.0/ports/{port['id']}", {"port": {"fixed_ips": port["fixed_ips"]}})
    assert r.status_code == 200
    assert r.json()["port"]["revision_number"] == port["revision_number"]


def test_failed_fixed_ips_update_keeps_the_old_addresses(member: Api) -> None:
    subnet = member.subnet(cidr="10.33.0.0/24")
    taken = member.port(subnet["network_id"])
    port = member.port(subnet["network_id"])
    path = f"/v2.0/ports/{port['id']}"
    r = member.put(path, {"port": {"fixed_ips": [{"ip_address": addresses(taken)[0]}]}})
    assert r.status_code == 409
    assert error_type(r) == "IpAddressAlreadyAllocated"
    assert member.get(path).json()["port"] == port
    # swapping to an address the port itself holds is fine
    r = member.put(path, {"port": {"fixed_ips": [{"ip_address": addresses(port)[0]}]}})
    assert r.status_code == 200


def test_slaac_subnet_gives_the_eui64_address(member: Api) -> None:
    net = member.network()["id"]
    v4 = member.subnet(net, "10.34.0.0/24")
    v6 = member.subnet(net, "2001:db8:34::/64", ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    port = member.port(net, mac_address="fa:16:3e:12:34:56")
    assert port["fixed_ips"] == [{"subnet_id": v4["id"], "ip_address": "10.34.0.2"},
                                 {"subnet_id": v6["id"], "ip_address": "2001:db8:34:0:f816:3eff:fe12:3456"}]
    r = post_port(member, net, fixed_ips=[{"subnet_id": v6["id"], "ip_address": "2001:db8:34::5"}])
    assert r.status_code == 400
    assert error_type(r) == "AllocationOnAutoAddressSubnet"


def test_stateful_ipv6_subnet_allocates_from_its_pool(member: Api) -> None:
    net = member.network()["id"]
    v6 = member.subnet(net, "2001:db8:35::/64", ipv6_address_mode="dhcpv6-stateful",
                       ipv6_ra_mode="dhcpv6-stateful")
    assert addresses(member.port(net)) == ["2001:db8:35::2"]
    assert addresses(member.port(net, fixed_ips=[{"ip_address": "2001:db8:35:0:ffff:ffff:ffff:fffe"}])) == [
        "2001:db8:35:0:ffff:ffff:ffff:fffe"]
    assert addresses(member.port(net)) == ["2001:db8:35::3"]
    wide = member.subnet(cidr="2001:db8:36::/48", gateway_ip=None)
    port = member.port(wide["network_id"], fixed_ips=[{"ip_address": "2001:db8:36:ffff:ffff:ffff:ffff:fffe"}])
    assert addresses(port) == ["2001:db8:36:ffff:ffff:ffff:ffff:fffe"]
    assert addresses(member.port(wide["network_id"])) == ["2001:db8:36::1"]
    assert v6["allocation_pools"][0]["start"] == "2001:db8:35::2"


def test_port_list_filters_on_fixed_ips(member: Api) -> None:
    net = member.network()["id"]
    a = member.subnet(net, "10.37.0.0/24")
    b = member.subnet(net, "10.38.0.0/24")
    p1 = member.port(net, fixed_ips=[{"ip_address": "10.37.0.7"}])
    p2 = member.port(net, fixed_ips=[{"ip_address": "10.38.0.7"}])
    p3 = member.port(net, fixed_ips=[{"ip_address": "10.37.0.8"}, {"ip_address": "10.38.0.8"}])

    def found(*filters: str) -> set[str]:
        r = member.get("/v2.0/ports", params=[("fixed_ips", f) for f in filters])
        assert r.status_code == 200, r.text
        return {p["id"] for p in r.json()["ports"]}

    assert found("ip_address=10.37.0.7") == {p1["id"]}
    assert found("ip_address=10.37.0.7", "ip_address=10.38.0.7") == {p1["id"], p2["id"]}
    assert found(f"subnet_id={a['id']}") == {p1["id"], p3["id"]}
    assert found(f"subnet_id={b['id']}", "ip_address=10.38.0.8") == {p3["id"]}
    assert found(f"subnet_id={a['id']}", "ip_address=10.38.0.8") == set()
    r = member.get("/v2.0/ports", params={"fixed_ips": "mac=1"})
    assert r.status_code == 400
    assert error_type(r) == "HTTPBadRequest"


def test_subports_get_addresses_and_trunk_views_keep_working(member: Api) -> None:
    parent_subnet = member.subnet(cidr="10.39.0.0/24")
    child_subnet = member.subnet(cidr="10.40.0.0/24")
    parent = member.port(parent_subnet["network_id"])
    child = member.port(child_subnet["network_id"], fixed_ips=[{"ip_address": "10.40.0.40"}])
    trunk = member.trunk(parent["id"], sub_ports=[
        {"port_id": child["id"], "segmentation_type": "vlan", "segmentation_id": 40}])
    shown = member.get(f"/v2.0/ports/{parent['id']}").json()["port"]
    assert shown["fixed_ips"] == parent["fixed_ips"]
    assert shown["trunk_details"]["sub_ports"] == [{"port_id": child["id"], "segmentation_type": "vlan",
                                                   "segmentation_id": 40, "mac_address": child["mac_address"]}]
    subs = member.get(f"/v2.0/trunks/{trunk['id']}/get_subports").json()["sub_ports"]
    assert [s["port_id"] for s in subs] == [child["id"]]
    assert addresses(member.get(f"/v2.0/ports/{child['id']}").json()["port"]) == ["10.40.0.40"]
    assert ipaddress.ip_address(addresses(shown)[0]) in ipaddress.ip_network("10.39.0.0/24")


def test_one_port_may_ask_for_several_addresses_of_one_subnet(member: Api) -> None:
    subnet = member.subnet(cidr="10.41.0.0/24")
    port = member.port(subnet["network_id"], fixed_ips=[{"subnet_id": subnet["id"]}] * 5)
    assert addresses(port) == [f"10.41.0.{i}" for i in range(2, 7)]


def test_a_new_slaac_subnet_addresses_existing_ports_and_leaves_with_them(member: Api) -> None:
    v4 = member.subnet(cidr="10.42.0.0/24")
    net = v4["network_id"]
    ports = [member.port(net, mac_address=f"fa:16:3e:00:42:0{i}") for i in range(2)]
    v6 = member.subnet(net, "2001:db8:42::/64", ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    for i, port in enumerate(ports):
        shown = member.get(f"/v2.0/ports/{port['id']}").json()["port"]
        assert shown["fixed_ips"] == [*port["fixed_ips"],
                                      {"subnet_id": v6["id"], "ip_address": f"2001:db8:42:0:f816:3eff:fe00:420{i}"}]
        assert shown["revision_number"] == port["revision_number"] + 1
    assert member.delete(f"/v2.0/subnets/{v6['id']}").status_code == 204
    for port in ports:
        shown = member.get(f"/v2.0/ports/{port['id']}").json()["port"]
        assert shown["fixed_ips"] == port["fixed_ips"]
        assert shown["revision_number"] == port["revision_number"] + 2


def test_another_projects_subnet_in_fixed_ips_is_not_found(member: Api, admin: Api) -> None:
    foreign = admin.as_("someone-else").subnet(cidr="10.43.0.0/24")
    mine = member.subnet(cidr="10.43.0.0/24")
    r = post_port(member, mine["network_id"], fixed_ips=[{"subnet_id": foreign["id"]}])
    assert r.status_code == 404
    assert error_type(r) == "SubnetNotFound"
    r = post_port(admin, mine["network_id"], fixed_ips=[{"subnet_id": foreign["id"]}])
    assert r.status_code == 400
    assert error_type(r) == "InvalidInput"

"""/v2.0/subnets over HTTP on both engines: Neutron's wire format, defaults, validation and errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, error_type


def create(api: Api, network_id: str, **attrs: Any) -> Any:
    body = {"network_id": network_id, "ip_version": 4, "cidr": "10.1.0.0/24", **attrs}
    return api.post("/v2.0/subnets", {"subnet": body})


def test_create_ipv4_subnet_has_neutrons_defaults_and_shows_on_its_network(member: Api) -> None:
    net = member.network()
    r = create(member, net["id"], name="s1")
    assert r.status_code == 201, r.text
    subnet = r.json()["subnet"]
    assert subnet["cidr"] == "10.1.0.0/24"
    assert subnet["gateway_ip"] == "10.1.0.1"
    assert subnet["allocation_pools"] == [{"start": "10.1.0.2", "end": "10.1.0.254"}]
    assert subnet["enable_dhcp"] is True
    assert (subnet["dns_nameservers"], subnet["host_routes"], subnet["tags"]) == ([], [], [])
    assert (subnet["ipv6_ra_mode"], subnet["ipv6_address_mode"], subnet["subnetpool_id"]) == (None, None, None)
    assert subnet["project_id"] == subnet["tenant_id"] == member.project
    assert subnet["revision_number"] == 0
    assert member.get(f"/v2.0/subnets/{subnet['id']}").json()["subnet"] == subnet
    assert member.get(f"/v2.0/networks/{net['id']}").json()["network"]["subnets"] == [subnet["id"]]


def test_cidr_with_host_bits_is_stored_as_its_network(member: Api) -> None:
    r = create(member, member.network()["id"], cidr="10.1.0.77/24")
    assert r.status_code == 201, r.text
    assert r.json()["subnet"]["cidr"] == "10.1.0.0/24"


def test_gateway_null_gives_no_gateway_and_pools_cover_the_whole_range(member: Api) -> None:
    r = create(member, member.network()["id"], cidr="10.1.0.0/29", gateway_ip=None)
    assert r.status_code == 201, r.text
    subnet = r.json()["subnet"]
    assert subnet["gateway_ip"] is None
    assert subnet["allocation_pools"] == [{"start": "10.1.0.1", "end": "10.1.0.6"}]


def test_gateway_in_the_middle_splits_the_default_pool(member: Api) -> None:
    r = create(member, member.network()["id"], cidr="10.1.0.0/28", gateway_ip="10.1.0.5")
    assert r.status_code == 201, r.text
    assert r.json()["subnet"]["allocation_pools"] == [
        {"start": "10.1.0.1", "end": "10.1.0.4"}, {"start": "10.1.0.6", "end": "10.1.0.14"}]


def test_ipv6_subnet_with_every_attribute(member: Api) -> None:
    r = create(member, member.network()["id"], ip_version=6, cidr="2001:DB8:0:1::/64",
               ipv6_ra_mode="slaac", ipv6_address_mode="slaac", dns_nameservers=["2001:db8::53"],
               host_routes=[{"destination": "2001:db8:99::/48", "nexthop": "2001:db8:0:1::fe"}],
               description="v6", name="six")
    assert r.status_code == 201, r.text
    subnet = r.json()["subnet"]
    assert subnet["cidr"] == "2001:db8:0:1::/64"
    assert subnet["gateway_ip"] == "2001:db8:0:1::1"
    assert subnet["allocation_pools"] == [{"start": "2001:db8:0:1::2", "end": "2001:db8:0:1:ffff:ffff:ffff:ffff"}]
    assert subnet["dns_nameservers"] == ["2001:db8::53"]
    assert subnet["host_routes"] == [{"destination": "2001:db8:99::/48", "nexthop": "2001:db8:0:1::fe"}]
    assert (subnet["ipv6_ra_mode"], subnet["ipv6_address_mode"]) == ("slaac", "slaac")


def test_explicit_pools_are_kept(member: Api) -> None:
    pools = [{"start": "10.1.0.10", "end": "10.1.0.20"}, {"start": "10.1.0.100", "end": "10.1.0.100"}]
    r = create(member, member.network()["id"], allocation_pools=pools)
    assert r.status_code == 201, r.text
    assert r.json()["subnet"]["allocation_pools"] == pools


@pytest.mark.parametrize(("attrs", "code", "kind"), [
    ({"cidr": "10.1.0.0"}, 400, "HTTPBadRequest"),
    ({"cidr": "10.1.0/24"}, 400, "HTTPBadRequest"),
    ({"cidr": "nonsense"}, 400, "HTTPBadRequest"),
    ({"ip_version": 5}, 400, "HTTPBadRequest"),
    ({"ip_version": 6}, 400, "InvalidInput"),                        # cidr does not match ip_version
    ({"cidr": "0.0.0.0/0", "enable_dhcp": False}, 400, "InvalidInput"),  # prefix 0
    ({"cidr": "10.1.0.0/31"}, 400, "InvalidInput"),                  # prefix too long for DHCP
    ({"ip_version": 6, "cidr": "2001:db8::/127"}, 400, "InvalidInput"),
    ({"ip_version": 6, "cidr": "::/64"}, 400, "InvalidInput"),
    ({"gateway_ip": "10.1.0.0"}, 400, "InvalidInput"),               # network address
    ({"gateway_ip": "10.1.0.255"}, 400, "InvalidInput"),             # broadcast
    ({"gateway_ip": "2001:db8::1"}, 400, "InvalidInput"),            # wrong version
    ({"gateway_ip": "10.1.0.300"}, 400, "HTTPBadRequest"),
    ({"allocation_pools": [{"start": "10.1.0.10"}]}, 400, "HTTPBadRequest"),
    ({"allocation_pools": [{"start": "10.1.0.20", "end": "10.1.0.10"}]}, 400, "InvalidAllocationPool"),
    ({"allocation_pools": [{"start": "10.1.0.10", "end": "10.1.1.10"}]}, 400, "OutOfBoundsAllocationPool"),
    ({"allocation_pools": [{"start": "10.1.0.0", "end": "10.1.0.10"}]}, 400, "OutOfBoundsAllocationPool"),
    ({"allocation_pools": [{"start": "10.1.0.10", "end": "10.1.0.20"},
                           {"start": "10.1.0.20", "end": "10.1.0.30"}]}, 409, "OverlappingAllocationPools"),
    ({"allocation_pools": [{"start": "10.1.0.1", "end": "10.1.0.20"}]}, 409, "GatewayConflictWithAllocationPools"),
    ({"dns_nameservers": ["10.0.0.1", "10.0.0.1"]}, 400, "HTTPBadRequest"),
    ({"dns_nameservers": ["2001:db8::1"]}, 400, "InvalidInput"),
    ({"dns_nameservers": [f"10.0.0.{i}" for i in range(1, 7)]}, 400, "DNSNameServersExhausted"),
    ({"host_routes": [{"destination": "10.9.0.0/16"}]}, 400, "HTTPBadRequest"),
    ({"host_routes": [{"destination": "10.9.0.0/16", "nexthop": "2001:db8::1"}]}, 400, "InvalidInput"),
    ({"ipv6_ra_mode": "slaac"}, 400, "InvalidInput"),                # v6 mode on v4
    ({"ipv6_address_mode": "bogus"}, 400, "HTTPBadRequest"),
    ({"ip_version": 6, "cidr": "2001:db8::/64", "ipv6_ra_mode": "slaac",
      "ipv6_address_mode": "dhcpv6-stateful"}, 400, "InvalidInput"),
    ({"ip_version": 6, "cidr": "2001:db8::/80", "ipv6_address_mode": "slaac"}, 400, "InvalidInput"),
    ({"ip_version": 6, "cidr": "2001:db8::/64", "ipv6_address_mode": "slaac", "enable_dhcp": False},
     400, "InvalidInput"),
    ({"subnetpool_id": "5b2a1b2c-1b2c-4b2c-8b2c-1b2c1b2c1b2c"}, 404, "SubnetPoolNotFound"),
    ({"subnetpool_id": "not-a-pool"}, 400, "HTTPBadRequest"),
    ({"bogus": 1}, 400, "HTTPBadRequest"),
])
def test_invalid_subnet_is_rejected_with_neutrons_error_type(
    member: Api, attrs: dict[str, Any], code: int, kind: str
) -> None:
    net = member.network()
    r = create(member, net["id"], **attrs)
    assert r.status_code == code, r.text
    assert error_type(r) == kind
    assert member.get("/v2.0/subnets", params={"network_id": net["id"]}).json()["subnets"] == []


def test_missing_cidr_is_400_naming_the_subnetpool(member: Api) -> None:
    r = member.post("/v2.0/subnets", {"subnet": {"network_id": member.network()["id"], "ip_version": 4}})
    assert r.status_code == 400
    assert error_type(r) == "BadRequest"
    assert "subnetpool" in r.json()["NeutronError"]["message"]


def test_overlapping_cidr_on_one_network_is_400_but_fine_on_another(member: Api) -> None:
    net = member.network()
    member.subnet(net["id"], "10.2.0.0/16")
    r = create(member, net["id"], cidr="10.2.3.0/24")
    assert r.status_code == 400
    assert error_type(r) == "InvalidInput"
    assert "overlaps with another subnet" in r.json()["NeutronError"]["message"]
    assert create(member, member.network()["id"], cidr="10.2.3.0/24").status_code == 201


def test_subnet_on_unknown_or_foreign_network_is_404(member: Api, admin: Api) -> None:
    assert error_type(create(member, "7b0c1c3e-0000-4000-8000-000000000000")) == "NetworkNotFound"
    foreign = admin.as_("someone-else").network()
    r = create(member, foreign["id"])
    assert r.status_code == 404
    assert error_type(r) == "NetworkNotFound"


def test_member_cannot_add_a_subnet_to_a_shared_network_it_does_not_own(member: Api, admin: Api) -> None:
    shared = admin.network(shared=True)
    r = create(member, shared["id"])
    assert r.status_code == 403
    assert error_type(r) == "PolicyNotAuthorized"


def test_subnet_of_a_shared_network_is_visible_to_other_projects(member: Api, admin: Api) -> None:
    shared = admin.network(shared=True)
    subnet = admin.subnet(shared["id"], "10.3.0.0/24")
    assert member.get(f"/v2.0/subnets/{subnet['id']}").status_code == 200
    assert subnet["id"] in [s["id"] for s in member.get("/v2.0/subnets").json()["subnets"]]
    private = admin.as_("someone-else").subnet(cidr="10.3.0.0/24")
    r = member.get(f"/v2.0/subnets/{private['id']}")
    assert r.status_code == 404
    assert error_type(r) == "SubnetNotFound"


def test_update_subnet_fields_bumps_revision_and_honours_if_match(member: Api) -> None:
    subnet = member.subnet(cidr="10.4.0.0/24")
    path = f"/v2.0/subnets/{subnet['id']}"
    r = member.put(path, {"subnet": {"name": "renamed"}}, headers={"If-Match": "revision_number=5"})
    assert r.status_code == 412
    body = {"subnet": {"name": "renamed", "dns_nameservers": ["10.4.0.53"], "enable_dhcp": False,
                       "host_routes": [{"destination": "10.9.0.0/16", "nexthop": "10.4.0.254"}],
                       "allocation_pools": [{"start": "10.4.0.100", "end": "10.4.0.200"}]}}
    r = member.put(path, body, headers={"If-Match": "revision_number=0"})
    assert r.status_code == 200, r.text
    updated = r.json()["subnet"]
    assert updated["revision_number"] == 1
    assert updated["allocation_pools"] == [{"start": "10.4.0.100", "end": "10.4.0.200"}]
    assert (updated["name"], updated["enable_dhcp"], updated["dns_nameservers"]) == ("renamed", False, ["10.4.0.53"])
    assert member.get(path).json()["subnet"] == updated
    assert member.put(path, {"subnet": {"name": "renamed"}}).json()["subnet"]["revision_number"] == 1


@pytest.mark.parametrize(("attrs", "code", "kind"), [
    ({"cidr": "10.5.0.0/16"}, 400, "HTTPBadRequest"),
    ({"ip_version": 6}, 400, "HTTPBadRequest"),
    ({"network_id": "7b0c1c3e-0000-4000-8000-000000000000"}, 400, "HTTPBadRequest"),
    ({"gateway_ip": "10.5.0.50"}, 409, "GatewayConflictWithAllocationPools"),
    ({"allocation_pools": [{"start": "10.5.0.1", "end": "10.5.0.9"}]}, 409, "GatewayConflictWithAllocationPools"),
    ({"allocation_pools": [{"start": "10.5.1.1", "end": "10.5.1.9"}]}, 400, "OutOfBoundsAllocationPool"),
])
def test_invalid_subnet_update_changes_nothing(member: Api, attrs: dict[str, Any], code: int, kind: str) -> None:
    subnet = member.subnet(cidr="10.5.0.0/24")
    path = f"/v2.0/subnets/{subnet['id']}"
    r = member.put(path, {"subnet": attrs})
    assert r.status_code == code, r.text
    assert error_type(r) == kind
    assert member.get(path).json()["subnet"] == subnet


def test_new_gateway_outside_the_pools_is_accepted(member: Api) -> None:
    subnet = member.subnet(cidr="10.6.0.0/24", allocation_pools=[{"start": "10.6.0.10", "end": "10.6.0.20"}])
    r = member.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": {"gateway_ip": "10.6.0.254"}})
    assert r.status_code == 200, r.text
    assert r.json()["subnet"]["gateway_ip"] == "10.6.0.254"


def test_delete_subnet_in_use_is_409_then_204_once_the_port_is_gone(member: Api) -> None:
    subnet = member.subnet(cidr="10.7.0.0/24")
    port = member.port(subnet["network_id"])
    r = member.delete(f"/v2.0/subnets/{subnet['id']}")
    assert r.status_code == 409
    assert error_type(r) == "SubnetInUse"
    assert member.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    assert member.delete(f"/v2.0/subnets/{subnet['id']}").status_code == 204
    assert error_type(member.get(f"/v2.0/subnets/{subnet['id']}")) == "SubnetNotFound"
    assert member.get(f"/v2.0/networks/{subnet['network_id']}").json()["network"]["subnets"] == []


def test_deleting_a_network_deletes_its_subnets_with_their_events(member: Api, admin: Api) -> None:
    latest = admin.get("/v2.0/events", params={"after": 0, "limit": 1}).json()["latest"]
    subnet = member.subnet(cidr="10.8.0.0/24", tags=["t"])
    assert member.delete(f"/v2.0/networks/{subnet['network_id']}").status_code == 204
    assert member.get(f"/v2.0/subnets/{subnet['id']}").status_code == 404
    feed = admin.get("/v2.0/events", params={"after": latest, "resource_type": "subnet"}).json()["events"]
    assert [e["kind"] for e in feed if e["resource_id"] == subnet["id"]] == ["subnet.created", "subnet.deleted"]


def test_subnet_list_filters_sorts_pages_and_selects_fields(member: Api) -> None:
    net = member.network()
    made = [member.subnet(net["id"], f"10.9.{i}.0/24", name=f"s{i}", enable_dhcp=i % 2 == 0) for i in range(4)]
    v6 = member.subnet(net["id"], "2001:db8:9::/64", name="s6")

    def listed(**params: Any) -> list[dict[str, Any]]:
        r = member.get("/v2.0/subnets", params={"network_id": net["id"], **params})
        assert r.status_code == 200, r.text
        return list(r.json()["subnets"])

    assert [s["id"] for s in listed(ip_version=6)] == [v6["id"]]
    assert [s["name"] for s in listed(enable_dhcp="false", sort_key="name", sort_dir="asc")] == ["s1", "s3"]
    assert [s["id"] for s in listed(cidr="10.9.2.0/24")] == [made[2]["id"]]
    assert [s["id"] for s in listed(gateway_ip="10.9.3.1")] == [made[3]["id"]]
    assert [s["name"] for s in listed(sort_key="cidr", sort_dir="desc", ip_version=4)] == ["s3", "s2", "s1", "s0"]
    assert listed(fields=["id", "cidr"], name="s0") == [{"id": made[0]["id"], "cidr": "10.9.0.0/24"}]
    r = member.get("/v2.0/subnets", params={"network_id": net["id"], "limit": 2, "sort_key": "name",
                                            "sort_dir": "asc"})
    assert [s["name"] for s in r.json()["subnets"]] == ["s0", "s1"]
    assert {link["rel"] for link in r.json()["subnets_links"]} == {"next", "previous"}
    r = member.get("/v2.0/subnets", params={"bogus": "x"})
    assert r.status_code == 400
    assert error_type(r) == "HTTPBadRequest"


def test_subnet_tags_work_as_on_other_resources(member: Api) -> None:
    subnet = member.subnet(cidr="10.10.0.0/24", tags=["red"])
    assert subnet["tags"] == ["red"]
    path = f"/v2.0/subnets/{subnet['id']}"
    assert member.put(f"{path}/tags/blue").status_code == 201
    shown = member.get(path).json()["subnet"]
    assert (shown["tags"], shown["revision_number"]) == (["blue", "red"], 1)
    found = member.get("/v2.0/subnets", params={"tags": "blue", "network_id": subnet["network_id"]}).json()
    assert [s["id"] for s in found["subnets"]] == [subnet["id"]]
    assert member.delete(f"{path}/tags").status_code == 204
    assert member.get(f"{path}/tags").json() == {"tags": []}


def test_bulk_subnet_create_is_all_or_nothing(member: Api) -> None:
    net = member.network()
    bad = {"subnets": [{"network_id": net["id"], "ip_version": 4, "cidr": "10.11.0.0/24"},
                       {"network_id": net["id"], "ip_version": 4, "cidr": "10.11.0.0/25"}]}
    r = member.post("/v2.0/subnets", bad)
    assert r.status_code == 400
    assert member.get("/v2.0/subnets", params={"network_id": net["id"]}).json()["subnets"] == []
    good = {"subnets": [{"network_id": net["id"], "ip_version": 4, "cidr": "10.11.0.0/24"},
                        {"network_id": net["id"], "ip_version": 6, "cidr": "2001:db8:11::/64"}]}
    r = member.post("/v2.0/subnets", good)
    assert r.status_code == 201, r.text
    assert len(r.json()["subnets"]) == 2


def test_subnet_events_are_in_the_feed(admin: Api) -> None:
    latest = admin.get("/v2.0/events", params={"after": 0, "limit": 1}).json()["latest"]
    subnet = admin.subnet(cidr="10.12.0.0/24")
    admin.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": {"name": "x"}})
    admin.delete(f"/v2.0/subnets/{subnet['id']}")
    feed = admin.get("/v2.0/events", params={"after": latest, "resource_type": "subnet"}).json()["events"]
    kinds = [e["kind"] for e in feed if e["resource_id"] == subnet["id"]]
    assert kinds == ["subnet.created", "subnet.updated", "subnet.deleted"]

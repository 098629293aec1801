"""/v2.0/subnetpools and subnets allocated from them, over HTTP on every engine: Neutron 29's wire format,
defaults, validation, error types, policies, allocation, filters, and the events each change writes."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import Api, error_type
from tests.test_events import events_since, latest


def pool(api: Api, prefixes: list[str] | None = None, **attrs: Any) -> dict[str, Any]:
    r = api.post("/v2.0/subnetpools", {"subnetpool": {
        "name": attrs.pop("name", "pool"), "prefixes": prefixes or ["10.11.12.0/24"], **attrs}})
    assert r.status_code == 201, r.text
    return dict(r.json()["subnetpool"])


def from_pool(api: Api, pool_id: str | None, network_id: str | None = None, ip_version: int = 4,
              **attrs: Any) -> httpx.Response:
    body = {"network_id": network_id or api.network()["id"], "ip_version": ip_version, **attrs}
    if pool_id is not None:
        body["subnetpool_id"] = pool_id
    return api.post("/v2.0/subnets", {"subnet": body})


def allocated(api: Api, pool_id: str, **attrs: Any) -> dict[str, Any]:
    r = from_pool(api, pool_id, **attrs)
    assert r.status_code == 201, r.text
    return dict(r.json()["subnet"])


def assert_error(r: httpx.Response, status: int, kind: str, message: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert error_type(r) == kind, r.text
    if message is not None:
        assert r.json()["NeutronError"]["message"] == message


# -- the resource ------------------------------------------------------------------------------
def test_create_fills_neutrons_defaults_and_shows_prefix_lengths_as_strings(member: Api) -> None:
    made = pool(member, ["10.11.12.0/24", "10.11.13.0/24", "10.11.12.128/25"], min_prefixlen="29",
                description="d1", tags=["red"])
    assert made["prefixes"] == ["10.11.12.0/23"]  # compacted: overlapping and adjacent prefixes merge
    assert (made["ip_version"], made["min_prefixlen"], made["default_prefixlen"], made["max_prefixlen"]) == (
        4, "29", "29", "32")
    assert (made["shared"], made["is_default"], made["default_quota"], made["address_scope_id"]) == (
        False, False, None, None)
    assert (made["description"], made["tags"], made["revision_number"]) == ("d1", ["red"], 0)
    assert made["project_id"] == made["tenant_id"] == member.project
    assert made["created_at"].endswith("Z") and made["updated_at"].endswith("Z")
    assert member.get(f"/v2.0/subnetpools/{made['id']}").json()["subnetpool"] == made
    assert made in member.get("/v2.0/subnetpools").json()["subnetpools"]
    v6 = pool(member, ["2001:db8:3::/48"])
    assert (v6["ip_version"], v6["min_prefixlen"], v6["default_prefixlen"], v6["max_prefixlen"]) == (
        6, "64", "64", "128")
    shown = member.get(f"/v2.0/subnetpools/{v6['id']}", params={"fields": ["id", "prefixes"]}).json()
    assert shown == {"subnetpool": {"id": v6["id"], "prefixes": ["2001:db8:3::/48"]}}


@pytest.mark.parametrize(("body", "status", "kind", "message"), [
    ({"prefixes": []}, 400, "EmptySubnetPoolPrefixList", "Empty subnet pool prefix list."),
    ({"prefixes": ["10.0.0.0/8", "2001:db8::/32"]}, 400, "PrefixVersionMismatch",
     "Cannot mix IPv4 and IPv6 prefixes in a subnet pool."),
    ({"min_prefixlen": 24, "max_prefixlen": 20}, 400, "IllegalSubnetPoolPrefixBounds",
     "Illegal prefix bounds: min_prefixlen=24, max_prefixlen=20."),
    ({"max_prefixlen": 33}, 400, "IllegalSubnetPoolPrefixBounds",
     "Illegal prefix bounds: max_prefixlen=33, ip_version_max=32."),
    ({"min_prefixlen": 20, "default_prefixlen": 16}, 400, "IllegalSubnetPoolPrefixBounds",
     "Illegal prefix bounds: default_prefixlen=16, min_prefixlen=20."),
    ({"max_prefixlen": 24, "default_prefixlen": 26}, 400, "IllegalSubnetPoolPrefixBounds",
     "Illegal prefix bounds: default_prefixlen=26, max_prefixlen=24."),
    ({"min_prefixlen": -1}, 400, "HTTPBadRequest",
     "Invalid input for min_prefixlen. Reason: '-1' should be non-negative."),
    ({"default_quota": "many"}, 400, "InvalidInput", "Invalid input for operation: 'many' is not an integer."),
    ({"prefixes": ["10.0.0.0/8", "10.0.0.0/8"]}, 400, "HTTPBadRequest",
     "Invalid input for prefixes. Reason: Duplicate items in the list: '10.0.0.0/8'."),
    ({"prefixes": ["10.0.0.300/8"]}, 400, "HTTPBadRequest",
     "Invalid input for prefixes. Reason: '10.0.0.300/8' is not a valid IP subnet."),
    ({"prefixes": "10.0.0.0/8"}, 400, "HTTPBadRequest",
     "Invalid input for prefixes. Reason: '10.0.0.0/8' is not a list."),
    ({"name": " "}, 400, "HTTPBadRequest", "Invalid input for name. Reason: ' ' Blank strings are not permitted."),
    ({"ip_version": 4}, 400, "HTTPBadRequest", "Attribute 'ip_version' not allowed in POST"),
    ({"address_scope_id": "9b6c8a35-8a2b-4f5b-bd86-5d4b1c0d3c4e"}, 400, "HTTPBadRequest", None),
])
def test_create_refuses_bad_pools_with_neutrons_errors(
        member: Api, body: dict[str, Any], status: int, kind: str, message: str | None) -> None:
    r = member.post("/v2.0/subnetpools", {"subnetpool": {"name": "p", "prefixes": ["10.0.0.0/8"], **body}})
    assert_error(r, status, kind, message)


def test_name_and_prefixes_are_required(member: Api) -> None:
    for body, missing in (({"prefixes": ["10.0.0.0/8"]}, "name"), ({"name": "p"}, "prefixes")):
        r = member.post("/v2.0/subnetpools", {"subnetpool": body})
        assert_error(r, 400, "HTTPBadRequest", f"Failed to parse request. Required attribute '{missing}' not specified")


def test_policies_are_neutrons(admin: Api, member: Api) -> None:
    for attr in ("shared", "is_default"):
        r = member.post("/v2.0/subnetpools", {"subnetpool": {"name": "p", "prefixes": ["10.0.0.0/8"], attr: True}})
        assert_error(r, 403, "PolicyNotAuthorized", f"rule:create_subnetpool:{attr} is disallowed by policy")
    assert member.post("/v2.0/subnetpools", {"subnetpool": {
        "name": "p", "prefixes": ["10.0.0.0/8"], "shared": False, "is_default": False}}).status_code == 201
    reader = member.as_(member.project, "reader")
    assert_error(reader.post("/v2.0/subnetpools", {"subnetpool": {"name": "p", "prefixes": ["10.0.0.0/8"]}}),
                 403, "PolicyNotAuthorized", "rule:create_subnetpool is disallowed by policy")
    mine = pool(member)
    assert reader.get(f"/v2.0/subnetpools/{mine['id']}").status_code == 200
    assert_error(reader.put(f"/v2.0/subnetpools/{mine['id']}", {"subnetpool": {"name": "x"}}), 403,
                 "PolicyNotAuthorized", "rule:update_subnetpool is disallowed by policy")
    assert_error(member.put(f"/v2.0/subnetpools/{mine['id']}", {"subnetpool": {"is_default": True}}), 403,
                 "PolicyNotAuthorized", "rule:update_subnetpool:is_default is disallowed by policy")
    shared, private = pool(admin, shared=True), pool(admin)
    seen = {p["id"] for p in member.get("/v2.0/subnetpools").json()["subnetpools"]}
    assert shared["id"] in seen and private["id"] not in seen
    assert member.get(f"/v2.0/subnetpools/{shared['id']}").json()["subnetpool"]["shared"] is True
    for r in (member.get(f"/v2.0/subnetpools/{private['id']}"),
              member.put(f"/v2.0/subnetpools/{private['id']}", {"subnetpool": {"name": "x"}}),
              member.delete(f"/v2.0/subnetpools/{private['id']}")):
        assert_error(r, 404, "SubnetPoolNotFound", f"Subnet pool {private['id']} could not be found.")
    assert_error(member.put(f"/v2.0/subnetpools/{shared['id']}", {"subnetpool": {"name": "x"}}), 403,
                 "PolicyNotAuthorized", "rule:update_subnetpool is disallowed by policy")
    assert_error(member.delete(f"/v2.0/subnetpools/{shared['id']}"), 403, "PolicyNotAuthorized",
                 "rule:delete_subnetpool is disallowed by policy")
    assert admin.get(f"/v2.0/subnetpools/{mine['id']}").status_code == 200


def test_update_reads_the_whole_pool_again_and_prefixes_only_grow(member: Api) -> None:
    made = pool(member, min_prefixlen=29)
    url = f"/v2.0/subnetpools/{made['id']}"
    r = member.put(url, {"subnetpool": {"name": "renamed", "min_prefixlen": "28", "max_prefixlen": 30,
                                        "description": "d2", "default_quota": 8}})
    assert r.status_code == 200, r.text
    updated = r.json()["subnetpool"]
    assert (updated["name"], updated["min_prefixlen"], updated["max_prefixlen"], updated["default_prefixlen"]) == (
        "renamed", "28", "30", "29")
    assert (updated["description"], updated["default_quota"], updated["revision_number"]) == ("d2", 8, 1)
    assert member.get(url).json()["subnetpool"] == updated
    appended = member.put(url, {"subnetpool": {"prefixes": ["10.11.12.0/24", "10.11.15.0/24"]}}).json()
    assert appended["subnetpool"]["prefixes"] == ["10.11.12.0/24", "10.11.15.0/24"]
    extended = member.put(url, {"subnetpool": {"prefixes": ["10.11.0.0/16"]}}).json()
    assert extended["subnetpool"]["prefixes"] == ["10.11.0.0/16"]
    assert_error(member.put(url, {"subnetpool": {"prefixes": ["10.11.0.0/17"]}}), 400,
                 "IllegalSubnetPoolPrefixUpdate",
                 "Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.")
    assert_error(member.put(url, {"subnetpool": {"prefixes": ["2001:db8::/32"]}}), 400,
                 "IllegalSubnetPoolPrefixUpdate")
    assert_error(member.put(url, {"subnetpool": {"min_prefixlen": 31}}), 400, "IllegalSubnetPoolPrefixBounds",
                 "Illegal prefix bounds: min_prefixlen=31, max_prefixlen=30.")
    assert_error(member.put(url, {"subnetpool": {"shared": True}}), 400, "HTTPBadRequest",
                 "Cannot update read-only attribute shared")
    assert_error(member.put(url, {"subnetpool": {"ip_version": 6}}), 400, "HTTPBadRequest")
    assert member.put(url, {"subnetpool": {"address_scope_id": None}}).json()["subnetpool"]["revision_number"] == 3
    assert_error(member.put(url, {"subnetpool": {"address_scope_id": made["id"]}}), 400, "HTTPBadRequest")
    current = member.get(url).json()["subnetpool"]
    assert current["prefixes"] == ["10.11.0.0/16"] and current["revision_number"] == 3
    stale = member.put(url, {"subnetpool": {"name": "x"}}, headers={"If-Match": "revision_number=1"})
    assert_error(stale, 412, "RevisionNumberConstraintFailed")
    same = member.put(url, {"subnetpool": {"name": current["name"]}}).json()["subnetpool"]
    assert same["revision_number"] == 3  # no real change, no new revision


def test_tags_on_subnetpools(member: Api) -> None:
    made = pool(member)
    url = f"/v2.0/subnetpools/{made['id']}/tags"
    assert member.put(url, {"tags": ["b", "a"]}).json() == {"tags": ["b", "a"]}
    assert member.get(url).json() == {"tags": ["a", "b"]}
    assert member.put(f"{url}/c").status_code == 201
    assert member.get(f"/v2.0/subnetpools/{made['id']}").json()["subnetpool"]["tags"] == ["a", "b", "c"]
    found = member.get("/v2.0/subnetpools", params={"tags": "a,c"}).json()["subnetpools"]
    assert [p["id"] for p in found] == [made["id"]]
    assert member.delete(f"{url}/a").status_code == 204
    assert member.get("/v2.0/subnetpools", params={"tags": "a"}).json()["subnetpools"] == []


def test_filters_sorting_and_pagination(member: Api) -> None:
    made = [pool(member, [f"10.{i}.0.0/16"], name=f"p{i}", min_prefixlen=20 + i) for i in (3, 1, 2)]
    v6 = pool(member, ["2001:db8:9::/48"], name="p0")

    def names(**params: Any) -> list[str]:  # the member's own pools (others' shared pools are visible too)
        r = member.get("/v2.0/subnetpools", params={"project_id": member.project, **params})
        assert r.status_code == 200, r.text
        return [p["name"] for p in r.json()["subnetpools"]]

    assert names(sort_key="name", sort_dir="asc") == ["p0", "p1", "p2", "p3"]
    assert names(ip_version=4, sort_key="min_prefixlen", sort_dir="desc") == ["p3", "p2", "p1"]
    assert names(ip_version=6) == ["p0"]
    assert names(min_prefixlen=22) == ["p2"]
    assert len(names(shared=False, is_default=False)) == 4
    assert names(shared=True) == []
    assert names(sort_key="name", sort_dir="asc", limit=2) == ["p0", "p1"]
    first = member.get("/v2.0/subnetpools", params={"project_id": member.project, "sort_key": "name",
                                                    "sort_dir": "asc", "limit": 2})
    nxt = next(link["href"] for link in first.json()["subnetpools_links"] if link["rel"] == "next")
    assert [p["name"] for p in member.get(nxt.split(member.url, 1)[1]).json()["subnetpools"]] == ["p2", "p3"]
    assert names(sort_key="name", sort_dir="asc", limit=2, marker=made[1]["id"], page_reverse=True) == ["p0"]
    assert_error(member.get("/v2.0/subnetpools", params={"prefixes": "10.1.0.0/16"}), 400, "HTTPBadRequest",
                 "['prefixes'] is invalid attribute for filtering")
    assert {p["id"] for p in made} | {v6["id"]} == {
        p["id"] for p in member.get("/v2.0/subnetpools", params={"tenant_id": member.project}).json()["subnetpools"]}


# -- allocation --------------------------------------------------------------------------------
def test_subnets_from_a_pool_take_its_prefixes_best_fit_first(member: Api) -> None:
    made = pool(member, ["10.20.0.0/24"], min_prefixlen=26, max_prefixlen=30)
    first = allocated(member, made["id"])
    assert (first["cidr"], first["subnetpool_id"], first["gateway_ip"]) == ("10.20.0.0/26", made["id"], "10.20.0.1")
    assert first["allocation_pools"] == [{"start": "10.20.0.2", "end": "10.20.0.62"}]
    small = allocated(member, made["id"], prefixlen=30)
    assert small["cidr"] == "10.20.0.64/30"
    assert allocated(member, made["id"], prefixlen="30")["cidr"] == "10.20.0.68/30"  # smallest free block first
    explicit = allocated(member, made["id"], cidr="10.20.0.192/27")
    assert explicit["cidr"] == "10.20.0.192/27"
    no_gateway = allocated(member, made["id"], prefixlen=28, gateway_ip=None)
    assert (no_gateway["cidr"], no_gateway["gateway_ip"]) == ("10.20.0.80/28", None)
    by_gateway = allocated(member, made["id"], gateway_ip="10.20.0.130", prefixlen=27)
    assert (by_gateway["cidr"], by_gateway["gateway_ip"]) == ("10.20.0.128/27", "10.20.0.130")
    assert member.get(f"/v2.0/subnets/{first['id']}").json()["subnet"]["subnetpool_id"] == made["id"]
    found = member.get("/v2.0/subnets", params={"subnetpool_id": made["id"], "sort_key": "cidr",
                                                "sort_dir": "asc"}).json()["subnets"]
    assert [s["cidr"] for s in found] == ["10.20.0.0/26", "10.20.0.128/27", "10.20.0.192/27", "10.20.0.64/30",
                                          "10.20.0.68/30", "10.20.0.80/28"]
    cidrs = [ipaddress.ip_network(s["cidr"]) for s in found]
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1:])


def test_allocation_errors_are_neutrons(member: Api, admin: Api) -> None:
    made = pool(member, ["10.30.0.0/24"], min_prefixlen=25, max_prefixlen=28)
    v6 = pool(member, ["2001:db8:30::/48"])
    allocated(member, made["id"], cidr="10.30.0.0/25")
    cases = [
        (dict(prefixlen=29), 400, "MaxPrefixSubnetAllocationError",
         "Unable to allocate subnet with prefix length 29, maximum allowed prefix is 28."),
        (dict(prefixlen=24), 400, "MinPrefixSubnetAllocationError",
         "Unable to allocate subnet with prefix length 24, minimum allowed prefix is 25."),
        (dict(cidr="10.30.0.64/26"), 409, "SubnetAllocationError",
         "Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes."),
        (dict(cidr="10.31.0.0/26"), 409, "SubnetAllocationError", None),
        (dict(cidr="10.30.0.0/24"), 400, "MinPrefixSubnetAllocationError", None),
        (dict(cidr="10.30.0.128/26", prefixlen=26), 400, "BadRequest",
         "Bad subnets request: cidr and prefixlen must not be supplied together."),
        (dict(allocation_pools=[{"start": "10.30.0.130", "end": "10.30.0.140"}]), 400, "BadRequest",
         "Bad subnets request: allocation_pools allowed only for specific subnet requests.."),  # sic, as Neutron
        (dict(ip_version=6), 400, "BadRequest",
         "Bad subnets request: Cannot allocate IPv6 subnet from IPv4 subnet pool."),
        (dict(prefixlen="x"), 400, "InvalidInput", "Invalid input for operation: 'x' is not an integer."),
        (dict(use_default_subnetpool=True), 400, "BadRequest",
         "Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified."),
    ]
    for attrs, status, kind, message in cases:
        assert_error(from_pool(member, made["id"], **attrs), status, kind, message)
    assert_error(from_pool(member, "9b6c8a35-8a2b-4f5b-bd86-5d4b1c0d3c4e"), 404, "SubnetPoolNotFound",
                 "Subnet pool 9b6c8a35-8a2b-4f5b-bd86-5d4b1c0d3c4e could not be found.")
    assert_error(from_pool(member, None, prefixlen=24), 400, "BadRequest",
                 "Bad subnets request: a subnetpool must be specified in the absence of a cidr.")
    assert_error(from_pool(member, "not-a-uuid"), 400, "HTTPBadRequest")
    assert_error(from_pool(member, made["id"], gateway_ip="2001:db8::1"), 400, "InvalidInput",
                 "Invalid input for operation: gateway_ip '2001:db8::1' does not match the ip_version '4'.")
    assert_error(from_pool(member, made["id"], gateway_ip="10.30.0.1", prefixlen=40), 400,
                 "MaxPrefixSubnetAllocationError")
    assert_error(from_pool(member, made["id"], gateway_ip="10.30.0.1", prefixlen=26), 409, "SubnetAllocationError")
    theirs = pool(admin)
    assert_error(from_pool(member, theirs["id"]), 404, "SubnetPoolNotFound")
    allocated(member, made["id"], cidr="10.30.0.128/25")
    assert_error(from_pool(member, made["id"], prefixlen=28), 409, "SubnetAllocationError",
                 "Failed to allocate subnet: Insufficient prefix space to allocate subnet size /28.")
    assert allocated(member, v6["id"], ip_version=6)["cidr"] == "2001:db8:30::/64"
    assert member.get("/v2.0/subnets", params={"subnetpool_id": made["id"]}).json()["subnets"].__len__() == 2


def test_a_subnet_of_a_network_comes_from_the_pool_of_its_siblings(member: Api) -> None:
    first = pool(member, ["10.40.0.0/16"], name="a", min_prefixlen=24)
    second = pool(member, ["10.41.0.0/16"], name="b", min_prefixlen=24)
    v6 = pool(member, ["2001:db8:40::/48"], name="six")
    net = member.network()
    allocated(member, first["id"], network_id=net["id"], prefixlen=24)
    message = "Subnets hosted on the same network must be allocated from the same subnet pool."
    assert_error(from_pool(member, second["id"], network_id=net["id"]), 400, "NetworkSubnetPoolAffinityError",
                 message)
    assert_error(from_pool(member, None, network_id=net["id"], cidr="192.168.7.0/24"), 400,
                 "NetworkSubnetPoolAffinityError", message)
    assert allocated(member, first["id"], network_id=net["id"], prefixlen=24)["cidr"] == "10.40.1.0/24"
    dual = allocated(member, v6["id"], network_id=net["id"], ip_version=6)  # another IP version: its own pool
    assert dual["network_id"] == net["id"]
    plain = member.network()
    member.subnet(plain["id"], cidr="192.168.8.0/24")
    assert_error(from_pool(member, first["id"], network_id=plain["id"]), 400, "NetworkSubnetPoolAffinityError")
    taken = from_pool(member, first["id"], network_id=net["id"], cidr="10.40.0.128/25")  # inside 10.40.0.0/24
    assert_error(taken, 409, "SubnetAllocationError")


def test_quota_counts_the_projects_addresses_in_the_pool(admin: Api, member: Api) -> None:
    shared = pool(admin, ["10.50.0.0/24"], min_prefixlen=28, max_prefixlen=30, default_quota=8, shared=True)
    assert allocated(member, shared["id"], prefixlen=30)["cidr"] == "10.50.0.0/30"
    assert allocated(member, shared["id"], prefixlen=30)["cidr"] == "10.50.0.4/30"
    assert_error(from_pool(member, shared["id"], prefixlen=30), 409, "SubnetPoolQuotaExceeded",
                 "Per-project subnet pool prefix quota exceeded.")
    other = admin.as_(f"other-{member.project}")
    assert allocated(other, shared["id"], prefixlen=30)["cidr"] == "10.50.0.8/30"  # another project's quota
    assert_error(from_pool(other, shared["id"], prefixlen=28), 409, "SubnetPoolQuotaExceeded")


def test_deleting_a_subnet_frees_its_prefix_and_a_pool_in_use_stays(member: Api) -> None:
    made = pool(member, ["10.60.0.0/28"], min_prefixlen=28)
    subnet = allocated(member, made["id"])
    assert_error(from_pool(member, made["id"]), 409, "SubnetAllocationError")
    assert_error(member.delete(f"/v2.0/subnetpools/{made['id']}"), 400, "SubnetPoolDeleteError",
                 "Unable to delete subnet pool: Subnet pool has existing allocations.")
    assert member.delete(f"/v2.0/subnets/{subnet['id']}").status_code == 204
    again = allocated(member, made["id"])
    assert again["cidr"] == subnet["cidr"]
    grown = member.put(f"/v2.0/subnetpools/{made['id']}", {"subnetpool": {"prefixes": ["10.60.0.0/27"]}})
    assert grown.json()["subnetpool"]["prefixes"] == ["10.60.0.0/27"]
    assert allocated(member, made["id"])["cidr"] == "10.60.0.16/28"  # from the added space
    for s in member.get("/v2.0/subnets", params={"subnetpool_id": made["id"]}).json()["subnets"]:
        assert member.delete(f"/v2.0/subnets/{s['id']}").status_code == 204
    assert member.delete(f"/v2.0/subnetpools/{made['id']}").status_code == 204
    assert_error(member.get(f"/v2.0/subnetpools/{made['id']}"), 404, "SubnetPoolNotFound")


@pytest.fixture
def defaults(admin: Api) -> Iterator[list[str]]:
    """Default pools made by a test, deleted after it (defaults are global: one per IP version)."""
    made: list[str] = []
    yield made
    for pool_id in made:
        for s in admin.get("/v2.0/subnets", params={"subnetpool_id": pool_id}).json()["subnets"]:
            admin.delete(f"/v2.0/subnets/{s['id']}")
        admin.delete(f"/v2.0/subnetpools/{pool_id}")


def test_one_default_pool_per_ip_version_and_use_default_subnetpool(
        admin: Api, member: Api, defaults: list[str]) -> None:
    v4 = pool(admin, ["10.70.0.0/16"], min_prefixlen=24, is_default=True, shared=True)
    defaults.append(v4["id"])
    assert v4["is_default"] is True
    again = admin.post("/v2.0/subnetpools", {"subnetpool": {"name": "d", "prefixes": ["10.71.0.0/16"],
                                                            "is_default": True}})
    assert_error(again, 400, "InvalidInput", "Invalid input for operation: A default subnetpool for this IP family "
                                            "has already been set. Only one default may exist per IP family.")
    other = pool(admin, ["10.72.0.0/16"])
    assert_error(admin.put(f"/v2.0/subnetpools/{other['id']}", {"subnetpool": {"is_default": True}}), 400,
                 "InvalidInput")
    hidden_v6 = pool(admin, ["2001:db8:70::/48"], is_default=True)  # a default the member cannot see
    defaults.append(hidden_v6["id"])
    subnet = allocated(member, None, use_default_subnetpool=True)
    assert (subnet["subnetpool_id"], subnet["cidr"]) == (v4["id"], "10.70.0.0/24")
    assert allocated(member, None, use_default_subnetpool=True, cidr="10.70.9.0/24")["cidr"] == "10.70.9.0/24"
    assert_error(from_pool(member, None, ip_version=6, use_default_subnetpool=True), 400, "BadRequest",
                 "Bad subnets request: No default subnetpool found for IPv6.")
    assert allocated(admin, None, ip_version=6, use_default_subnetpool=True)["cidr"] == "2001:db8:70::/64"
    unset = admin.put(f"/v2.0/subnetpools/{v4['id']}", {"subnetpool": {"is_default": False}})
    assert unset.json()["subnetpool"]["is_default"] is False
    assert admin.put(f"/v2.0/subnetpools/{other['id']}", {"subnetpool": {"is_default": True}}).status_code == 200
    defaults.append(other["id"])
    found = admin.get("/v2.0/subnetpools", params={"is_default": True, "ip_version": 4}).json()["subnetpools"]
    assert [p["id"] for p in found] == [other["id"]]


# -- events ------------------------------------------------------------------------------------
def test_every_pool_change_writes_its_event(admin: Api) -> None:
    cursor = latest(admin)
    made = pool(admin, ["10.80.0.0/24"], min_prefixlen=26)
    admin.put(f"/v2.0/subnetpools/{made['id']}", {"subnetpool": {"name": "renamed"}})
    admin.put(f"/v2.0/subnetpools/{made['id']}/tags", {"tags": ["t"]})
    assert admin.put(f"/v2.0/subnetpools/{made['id']}", {"subnetpool": {"prefixes": []}}).status_code == 400
    subnet = allocated(admin, made["id"])
    admin.delete(f"/v2.0/subnets/{subnet['id']}")
    admin.delete(f"/v2.0/subnetpools/{made['id']}")
    mine = [e for e in events_since(admin, cursor) if e["resource_id"] in (made["id"], subnet["id"])]
    assert [(e["kind"], e["resource_type"]) for e in mine] == [
        ("subnetpool.created", "subnetpool"), ("subnetpool.updated", "subnetpool"),
        ("subnetpool.updated", "subnetpool"), ("subnet.created", "subnet"), ("subnet.deleted", "subnet"),
        ("subnetpool.deleted", "subnetpool")]
    assert mine[0]["state"]["prefixes"] == ["10.80.0.0/24"]
    assert mine[1]["state"]["name"] == "renamed"
    assert mine[2]["state"]["tags"] == ["t"]
    assert mine[3]["state"]["subnetpool_id"] == made["id"]
    assert mine[5]["previous"]["id"] == made["id"]

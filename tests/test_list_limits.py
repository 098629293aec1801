"""List attributes bounded by Neutron's options (max_dns_nameservers, max_subnet_host_routes,
max_fixed_ips_per_port), checked in linear time, and explicit addresses looked up set-based, on both engines."""

from __future__ import annotations

import ipaddress

from tests.support import Api, error_type
from trunkd.domain.limits import (
    MAX_ALLOCATION_POOLS,
    MAX_DNS_NAMESERVERS,
    MAX_FIXED_IPS_PER_PORT,
    MAX_SUBNET_HOST_ROUTES,
)


def subnet_body(network_id: str, **attrs: object) -> dict[str, object]:
    return {"subnet": {"network_id": network_id, "cidr": "10.40.0.0/16", "ip_version": 4, **attrs}}


def test_dns_nameservers_beyond_max_dns_nameservers_is_400_even_for_a_huge_list(member: Api) -> None:
    net = member.network()["id"]
    at_limit = [f"10.9.0.{i + 1}" for i in range(MAX_DNS_NAMESERVERS)]
    r = member.post("/v2.0/subnets", subnet_body(net, dns_nameservers=at_limit))
    assert r.status_code == 201, r.text
    assert r.json()["subnet"]["dns_nameservers"] == at_limit
    member.delete(f"/v2.0/subnets/{r.json()['subnet']['id']}")
    for count in (MAX_DNS_NAMESERVERS + 1, 135_000):
        servers = [str(ipaddress.IPv4Address(0x0A000001 + i)) for i in range(count)]
        r = member.post("/v2.0/subnets", subnet_body(net, dns_nameservers=servers))
        assert r.status_code == 400, r.text
        assert error_type(r) == "DNSNameServersExhausted"
    r = member.post("/v2.0/subnets", subnet_body(net, dns_nameservers=["10.9.0.1", "10.9.0.1"]))
    assert r.status_code == 400
    assert member.get("/v2.0/subnets", params={"network_id": net}).json()["subnets"] == []


def test_host_routes_beyond_max_subnet_host_routes_is_400(member: Api) -> None:
    net = member.network()["id"]
    routes = [{"destination": f"192.168.{i}.0/24", "nexthop": "10.40.0.9"} for i in range(MAX_SUBNET_HOST_ROUTES)]
    r = member.post("/v2.0/subnets", subnet_body(net, host_routes=routes))
    assert r.status_code == 201, r.text
    member.delete(f"/v2.0/subnets/{r.json()['subnet']['id']}")
    for count in (MAX_SUBNET_HOST_ROUTES + 1, 20_000):
        many = [{"destination": f"172.{i // 256 % 256}.{i % 256}.0/24", "nexthop": "10.40.0.9"} for i in range(count)]
        r = member.post("/v2.0/subnets", subnet_body(net, host_routes=many))
        assert r.status_code == 400, r.text
        assert error_type(r) == "HostRoutesExhausted"
    r = member.post("/v2.0/subnets", subnet_body(net, host_routes=routes[:1] * 2))
    assert r.status_code == 400


def test_allocation_pools_are_bounded(member: Api) -> None:
    net = member.network()["id"]
    pools = [{"start": str(ipaddress.IPv4Address(0x0A280000 + 2 + i)),
              "end": str(ipaddress.IPv4Address(0x0A280000 + 2 + i))} for i in range(MAX_ALLOCATION_POOLS + 1)]
    r = member.post("/v2.0/subnets", subnet_body(net, allocation_pools=pools))
    assert r.status_code == 400, r.text
    assert error_type(r) == "InvalidInput"
    assert member.get("/v2.0/subnets", params={"network_id": net}).json()["subnets"] == []


def test_fixed_ips_beyond_max_fixed_ips_per_port_is_400(member: Api) -> None:
    subnet = member.subnet(cidr="10.41.0.0/24")
    net = subnet["network_id"]
    wanted = [{"subnet_id": subnet["id"]} for _ in range(MAX_FIXED_IPS_PER_PORT)]
    r = member.post("/v2.0/ports", {"port": {"network_id": net, "fixed_ips": wanted}})
    assert r.status_code == 201, r.text
    assert len(r.json()["port"]["fixed_ips"]) == MAX_FIXED_IPS_PER_PORT
    for count in (MAX_FIXED_IPS_PER_PORT + 1, 40_000):
        many = [{"ip_address": str(ipaddress.IPv4Address(0x0A290000 + 10 + i % 200))} for i in range(count)]
        r = member.post("/v2.0/ports", {"port": {"network_id": net, "fixed_ips": many}})
        assert r.status_code == 400, r.text
        assert error_type(r) == "InvalidInput"
    assert len(member.get("/v2.0/ports", params={"network_id": net}).json()["ports"]) == 1


def test_a_bulk_of_1200_ports_with_explicit_addresses_is_created(member: Api) -> None:
    """One OR per address made SQLite answer 500 (expression tree too large) from 998 addresses."""
    subnet = member.subnet(cidr="10.42.0.0/20")
    net = subnet["network_id"]
    base = int(ipaddress.IPv4Address("10.42.0.10"))
    ports = [{"network_id": net, "fixed_ips": [{"ip_address": str(ipaddress.IPv4Address(base + i))}]}
             for i in range(1200)]
    r = member.post("/v2.0/ports", {"ports": ports})
    assert r.status_code == 201, r.text
    assert [p["fixed_ips"][0]["ip_address"] for p in r.json()["ports"]] == \
        [p["fixed_ips"][0]["ip_address"] for p in ports]
    r = member.post("/v2.0/ports", {"ports": [*ports[-1:], {"network_id": net}]})
    assert r.status_code == 409, r.text
    assert error_type(r) == "IpAddressAlreadyAllocated"

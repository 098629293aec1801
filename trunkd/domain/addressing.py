"""Subnet and address rules as Neutron applies them (pure: `ipaddress`, no I/O).

Addresses inside a subnet are handled as *offsets* from the subnet's network address, so
pools, gaps and allocations are plain integer ranges.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from trunkd.domain import errors

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_OFFSET = 2**63 - 1  # offsets are stored as signed 64-bit integers
IPV6_MODES = ("dhcpv6-stateful", "dhcpv6-stateless", "slaac")
IPV4_MIN_MTU, IPV6_MIN_MTU = 68, 1280


def network(cidr: str) -> IPNetwork:
    return ipaddress.ip_network(cidr, strict=False)


def address(value: str) -> IPAddress:
    return ipaddress.ip_address(value)


@dataclass(frozen=True)
class Range:
    """An inclusive range of offsets."""

    first: int
    last: int


def usable_bounds(net: IPNetwork) -> Range:
    """Offsets a pool may cover: no network address; no broadcast in IPv4 (/31 and /32 use all)."""
    size = net.num_addresses
    if net.version == 4:
        return Range(0, size - 1) if net.prefixlen > 30 else Range(1, size - 2)
    return Range(1, size - 1)


def offset_of(net: IPNetwork, ip: IPAddress) -> int:
    return int(ip) - int(net.network_address)


def at(net: IPNetwork, offset: int) -> str:
    return str(net.network_address + offset)


def default_pools(net: IPNetwork, gateway: str | None) -> list[Range]:
    """The usable range minus the gateway (Neutron's generate_pools)."""
    if net.num_addresses == 1:
        return [Range(0, 0)]
    bounds = usable_bounds(net)
    if gateway is None:
        return [bounds]
    gw = offset_of(net, address(gateway))
    pools = [Range(bounds.first, gw - 1), Range(gw + 1, bounds.last)]
    if not bounds.first <= gw <= bounds.last:
        return [bounds]
    return [p for p in pools if p.first <= p.last]


def pools_wire(net: IPNetwork, pools: Iterable[Range]) -> list[dict[str, str]]:
    return [{"start": at(net, p.first), "end": at(net, p.last)} for p in pools]


def pools_from_wire(net: IPNetwork, pools: Sequence[dict[str, str]]) -> list[Range]:
    return [Range(offset_of(net, address(p["start"])), offset_of(net, address(p["end"]))) for p in pools]


def _pool_text(pool: dict[str, str]) -> str:
    return f"{pool['start']}-{pool['end']}"


def check_pools(net: IPNetwork, pools: Sequence[dict[str, str]], gateway: str | None) -> list[Range]:
    """Neutron's validate_allocation_pools and validate_gw_out_of_pools, in its order."""
    cidr = str(net)
    ranges: list[Range] = []
    bounds = usable_bounds(net)
    for pool in pools:
        start, end = address(pool["start"]), address(pool["end"])
        if start.version != net.version or end.version != net.version or int(start) > int(end):
            raise errors.InvalidAllocationPool(pool=_pool_text(pool))
        first, last = offset_of(net, start), offset_of(net, end)
        if first < bounds.first or last > bounds.last:
            raise errors.OutOfBoundsAllocationPool(pool=_pool_text(pool), subnet_cidr=cidr)
        ranges.append(Range(first, last))
    order = sorted(range(len(ranges)), key=lambda k: (ranges[k].first, k))  # O(n log n), not pairwise
    for before, after in itertools.pairwise(order):
        if ranges[after].first <= ranges[before].last:
            i, j = sorted((before, after))
            raise errors.OverlappingAllocationPools(
                pool_1=_pool_text(pools[i]), pool_2=_pool_text(pools[j]), subnet_cidr=cidr)
    if gateway is not None and address(gateway).version == net.version:
        gw = int(address(gateway)) - int(net.network_address)
        for pool, r in zip(pools, ranges, strict=True):
            if r.first <= gw <= r.last:
                raise errors.GatewayConflictWithAllocationPools(pool=_pool_text(pool), ip_address=gateway)
    return ranges


def _version_check(ip_version: int, value: str, name: str) -> None:
    if ipaddress.ip_network(value, strict=False).version != ip_version:
        raise errors.InvalidInput(
            error_message=f"{name} '{value}' does not match the ip_version '{ip_version}'")


def check_subnet(spec: dict[str, Any], *, creating: bool, dhcp_was_enabled: bool = False) -> None:
    """Neutron's _validate_subnet: cidr, DHCP prefix limits, gateway, DNS, routes, IPv6 modes.

    `spec` holds ip_version, cidr and whichever of the other attributes the request sets.
    """
    ip_version, cidr = spec["ip_version"], spec["cidr"]
    _version_check(ip_version, cidr, "cidr")
    net = network(cidr)
    if ip_version == 6 and net.network_address == ipaddress.IPv6Address("::"):
        raise errors.InvalidInput(error_message="IPv6 subnet '::' is not supported")
    if spec.get("enable_dhcp") and not dhcp_was_enabled:
        if net.prefixlen > (30 if ip_version == 4 else 126):
            raise errors.InvalidInput(
                error_message="Subnet has a prefix length that is incompatible with DHCP service enabled")
        if net.is_multicast:
            raise errors.InvalidInput(error_message="Multicast IP subnet is not supported if enable_dhcp is True")
        if net.is_loopback:
            raise errors.InvalidInput(error_message="Loopback IP subnet is not supported if enable_dhcp is True")
        if ip_version == 4 and int(net.network_address) == 0:
            raise errors.InvalidInput(
                error_message="First IP '0.0.0.0' of network is not supported if enable_dhcp is True.")
    gateway = spec.get("gateway_ip")
    if gateway:
        _version_check(ip_version, gateway, "gateway_ip")
        gw = address(gateway)
        if gw in net and ip_version == 4 and gw in (net.network_address, net.broadcast_address):
            raise errors.InvalidInput(error_message="Gateway is not valid on subnet")
    nameservers = spec.get("dns_nameservers")
    if nameservers:
        for dns in nameservers:
            _version_check(ip_version, dns, "dns_nameserver")
    routes = spec.get("host_routes")
    if routes:
        for route in routes:
            _version_check(ip_version, route["nexthop"], "nexthop")
            _version_check(ip_version, route["destination"], "destination")
    ra_mode, address_mode = spec.get("ipv6_ra_mode"), spec.get("ipv6_address_mode")
    if ip_version == 4:
        if ra_mode is not None:
            raise errors.InvalidInput(error_message="ipv6_ra_mode is not valid when ip_version is 4")
        if address_mode is not None:
            raise errors.InvalidInput(error_message="ipv6_address_mode is not valid when ip_version is 4")
        return
    if not creating:
        if "enable_dhcp" in spec and not spec["enable_dhcp"] and (ra_mode or address_mode):
            raise errors.InvalidInput(error_message="Cannot disable enable_dhcp with ipv6 attributes set")
        return
    if (ra_mode or address_mode) and not spec.get("enable_dhcp", True):
        raise errors.InvalidInput(
            error_message="ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False")
    if ra_mode and address_mode and ra_mode != address_mode:
        raise errors.InvalidInput(error_message=(
            f"ipv6_ra_mode set to '{ra_mode}' with ipv6_address_mode set to '{address_mode}' is not valid. "
            "If both attributes are set, they must be the same value"))
    if {ra_mode, address_mode} & {"slaac", "dhcpv6-stateless"} and net.prefixlen != 64:
        raise errors.InvalidInput(error_message=(
            f"Invalid CIDR {cidr} for IPv6 address mode. OpenStack uses the EUI-64 address format, "
            "which requires the prefix to be /64"))


def check_cidr_free(cidr: str, network_id: str, others: Iterable[str]) -> None:
    """No /0, and no overlap with another subnet of the same network (Neutron's _validate_subnet_cidr)."""
    new = network(cidr)
    if new.prefixlen == 0:
        raise errors.InvalidInput(error_message="0 is not allowed as CIDR prefix length")
    for other in others:
        old = network(other)
        if old.version == new.version and old.overlaps(new):
            raise errors.InvalidInput(error_message=(
                f"Requested subnet with cidr: {cidr} for network: {network_id} overlaps with another subnet"))


def valid_in_subnet(net: IPNetwork, ip: IPAddress) -> bool:
    """Neutron's check_subnet_ip: inside, and not the network (or IPv4 broadcast) address."""
    if ip.version != net.version or ip not in net:
        return False
    if net.version == 4:
        return net.num_addresses <= 2 or ip not in (net.network_address, net.broadcast_address)
    return ip != net.network_address


def eui64(cidr: str, mac: str) -> str:
    """The SLAAC address of `mac` in a /64 (RFC 4291 modified EUI-64)."""
    octets = [int(b, 16) for b in mac.split(":")]
    octets[0] ^= 0x02
    interface = bytes([*octets[:3], 0xFF, 0xFE, *octets[3:]])
    net = network(cidr)
    return str(ipaddress.IPv6Address(int(net.network_address) | int.from_bytes(interface, "big")))


def pool_ranges(net: IPNetwork, pools: Sequence[dict[str, str]]) -> list[Range]:
    """A subnet's pools as offset ranges, sorted, within the storable offsets."""
    ranges = sorted(pools_from_wire(net, pools), key=lambda r: r.first)
    return [Range(r.first, min(r.last, MAX_OFFSET)) for r in ranges if r.first <= MAX_OFFSET]


def split_ranges(ranges: Iterable[Range], taken: Iterable[int]) -> list[Range]:
    """What is left of disjoint `ranges` once the `taken` offsets are removed; linear in both."""
    out: list[Range] = []
    points = sorted(set(taken))
    i = 0
    for r in sorted(ranges, key=lambda r: r.first):
        while i < len(points) and points[i] < r.first:
            i += 1
        first = r.first
        while i < len(points) and points[i] <= r.last:
            if points[i] > first:
                out.append(Range(first, points[i] - 1))
            first = points[i] + 1
            i += 1
        if first <= r.last:
            out.append(Range(first, r.last))
    return out


def in_ranges(ranges: Sequence[Range], offset: int) -> bool:
    """Whether `offset` lies in one of the sorted, disjoint `ranges` (binary search)."""
    lo, hi = 0, len(ranges)
    while lo < hi:
        mid = (lo + hi) // 2
        if ranges[mid].last < offset:
            lo = mid + 1
        else:
            hi = mid
    return lo < len(ranges) and ranges[lo].first <= offset

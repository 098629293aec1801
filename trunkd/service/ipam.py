"""IP address management for ports, set-based: one batch of ports costs a fixed number of queries.

Per batch: the networks' subnets (row-locked, so allocations on a subnet queue rather than
collide), who holds the explicitly requested addresses, the free ranges holding them, the lowest free
ranges of the subnets to pick from (store/free_ranges.py: index seeks, whatever the number of pools and
of addresses already allocated), the free ranges' changes, one insert.
The primary key (subnet_id, ip_address) stays the last word: a race that slips past is retried.
As Neutron: without `fixed_ips` a port gets one IPv4 address (from the first IPv4 subnet with room),
one from the first stateful IPv6 subnet with room, and its EUI-64 address on every SLAAC or
DHCPv6-stateless subnet (those are always implicit).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from trunkd.domain import addressing, errors
from trunkd.domain.model import FixedIp, Port, Subnet
from trunkd.store.uow import UnitOfWork


@dataclass
class Request:
    """The addresses one port asks for. `fixed` None means "not specified" (the defaults)."""

    port: Port
    fixed: list[dict[str, str]] | None
    scope: str | None  # the caller's project (None: sees every subnet), for "not found" answers
    implicit_auto: bool = True
    # filled by _resolve_one(): explicit addresses, and groups of alternative subnets to pick one from
    explicit: list[FixedIp] = field(default_factory=list)
    automatic: list[list[Subnet]] = field(default_factory=list)


def for_device_owner(subnets: list[Subnet], device_owner: str) -> list[Subnet]:
    """Neutron's subnet service types: the subnets that list this device owner, else those that list none."""
    listed = [s for s in subnets if device_owner in s.service_types]
    return listed or [s for s in subnets if not s.service_types]


def _resolve_one(uow: UnitOfWork, req: Request, subnets: list[Subnet]) -> None:
    """Neutron's _test_fixed_ips_for_port and _get_subnet_for_fixed_ip, on one port's request."""
    port = req.port
    by_id = {s.id: s for s in subnets}
    if req.fixed is None:
        serving = for_device_owner(subnets, port.device_owner)
        v4 = [s for s in serving if s.ip_version == 4]
        v6 = [s for s in serving if s.ip_version == 6 and not s.is_auto_address]
        req.automatic = [group for group in (v4, v6) if group]
    for item in req.fixed or []:
        if not subnets:
            raise errors.InvalidInput(error_message="IP allocation requires subnets for network")
        subnet = _subnet_for(uow, port, item, subnets, by_id, req.scope)
        if "ip_address" in item:
            if subnet.is_auto_address and item["ip_address"] != addressing.eui64(subnet.cidr, port.mac_address):
                raise errors.AllocationOnAutoAddressSubnet(ip=item["ip_address"], subnet_id=subnet.id)
            req.explicit.append(FixedIp(subnet.id, item["ip_address"]))
        elif not subnet.is_auto_address:
            req.automatic.append([subnet])
    if req.implicit_auto:
        for subnet in subnets:
            if subnet.is_auto_address:
                slaac = FixedIp(subnet.id, addressing.eui64(subnet.cidr, port.mac_address))
                if slaac not in req.explicit:
                    req.explicit.append(slaac)


def _subnet_for(uow: UnitOfWork, port: Port, item: dict[str, str], subnets: list[Subnet],
                by_id: dict[str, Subnet], req_scope: str | None) -> Subnet:
    if "subnet_id" in item:
        subnet = by_id.get(item["subnet_id"])
        if subnet is None:
            if uow.subnets.get(item["subnet_id"], req_scope) is None:
                raise errors.SubnetNotFound(subnet_id=item["subnet_id"])
            raise errors.InvalidInput(error_message=(
                f"Failed to create port on network {port.network_id}, because fixed_ips included invalid "
                f"subnet {item['subnet_id']}"))
        if "ip_address" in item and not addressing.valid_in_subnet(
                addressing.network(subnet.cidr), addressing.address(item["ip_address"])):
            raise errors.InvalidIpForSubnet(ip_address=item["ip_address"])
        return subnet
    if "ip_address" not in item:
        raise errors.InvalidInput(error_message="IP allocation requires subnet_id or ip_address")
    ip = addressing.address(item["ip_address"])
    for subnet in subnets:
        if addressing.valid_in_subnet(addressing.network(subnet.cidr), ip):
            return subnet
    raise errors.InvalidIpForNetwork(ip_address=item["ip_address"])


def _offset(subnet: Subnet, ip_address: str) -> int | None:
    offset = addressing.offset_of(addressing.network(subnet.cidr), addressing.address(ip_address))
    return offset if offset <= addressing.MAX_OFFSET else None


def allocate(uow: UnitOfWork, requests: list[Request]) -> dict[str, list[FixedIp]]:
    """Resolve, check and store the addresses of a batch of ports; returns each port's new addresses."""
    networks = {r.port.network_id for r in requests}
    subnets_of = uow.subnets.of_networks(networks, lock=True) if networks else {}
    subnet_by_id = {s.id: s for group in subnets_of.values() for s in group}
    for req in requests:
        _resolve_one(uow, req, subnets_of.get(req.port.network_id, []))

    wanted = [(f.subnet_id, f.ip_address) for r in requests for f in r.explicit]
    holders = uow.ports.addresses.holders(set(wanted))
    seen: set[tuple[str, str]] = set()
    for key in wanted:
        if key in holders or key in seen:
            raise errors.IpAddressAlreadyAllocated(ip=key[1], subnet_id=key[0])
        seen.add(key)

    free = uow.ports.addresses.free
    explicit: dict[str, set[int]] = defaultdict(set)  # explicit offsets leave the free ranges first
    for subnet_id, ip_address in seen:
        offset = _offset(subnet_by_id[subnet_id], ip_address)
        if offset is not None and not subnet_by_id[subnet_id].is_auto_address:
            explicit[subnet_id].add(offset)
    holding = free.containing({(s, o) for s, offsets in explicit.items() for o in offsets})
    for subnet_id, ranges in holding.items():
        free.take(subnet_id, ranges, explicit[subnet_id])

    wanted_from: Counter[str] = Counter(s.id for r in requests for group in r.automatic for s in group)
    lowest = free.lowest(dict(wanted_from))  # enough ranges for every group that may pick the subnet
    pick: dict[str, Iterator[int]] = {s: _offsets(ranges) for s, ranges in lowest.items()}
    picked: dict[str, list[int]] = defaultdict(list)

    made: dict[str, list[FixedIp]] = {}
    rows: list[dict[str, Any]] = []
    for req in requests:
        fixed = list(req.explicit)
        for group in req.automatic:
            fixed.append(_take(group, pick, picked, req.port.network_id))
        made[req.port.id] = sorted(fixed, key=lambda f: _order(subnet_by_id[f.subnet_id], f))
        rows += [{"port_id": req.port.id, "subnet_id": f.subnet_id, "ip_address": f.ip_address,
                  "ip_offset": _offset(subnet_by_id[f.subnet_id], f.ip_address)} for f in fixed]
    for subnet_id, offsets in picked.items():
        free.take(subnet_id, lowest[subnet_id], offsets)
    uow.ports.addresses.add(rows)
    return made


def _offsets(ranges: list[addressing.Range]) -> Iterator[int]:
    """The offsets of sorted free ranges, lowest first, each once (ranges may overlap after a race of a
    release with a pool change)."""
    after = -1
    for r in ranges:
        yield from range(max(r.first, after + 1), r.last + 1)
        after = max(after, r.last)


def _order(subnet: Subnet, fixed: FixedIp) -> tuple[Any, ...]:
    """The order ports show their addresses in (as the store reads them back)."""
    offset = _offset(subnet, fixed.ip_address)
    return subnet.ip_version, subnet.created_at, subnet.id, offset is None, offset or 0, fixed.ip_address


def _take(group: list[Subnet], pick: dict[str, Iterator[int]], picked: dict[str, list[int]],
          network_id: str) -> FixedIp:
    for subnet in group:
        offset = next(pick[subnet.id], None)
        if offset is not None:
            picked[subnet.id].append(offset)
            return FixedIp(subnet.id, addressing.at(addressing.network(subnet.cidr), offset))
    raise errors.IpAddressGenerationFailure(net_id=network_id)


def readdress(uow: UnitOfWork, port: Port, new: list[dict[str, str]],
              scope: str | None) -> tuple[list[FixedIp], list[FixedIp]]:
    """Apply a `fixed_ips` update (Neutron's _get_changed_ips_for_port): keep what is asked for again,
    release the rest (automatic SLAAC addresses stay), allocate the new ones. Returns (released, added)."""
    unmatched = list(port.fixed_ips)
    adds: list[dict[str, str]] = []
    for item in new:
        if "ip_address" in item:
            match = next((f for f in unmatched if f.ip_address == item["ip_address"]), None)
        else:
            match = next((f for f in unmatched if f.subnet_id == item.get("subnet_id")), None)
        if match is not None:
            unmatched.remove(match)
        else:
            adds.append(item)
    subnets = {s.id: s for s in uow.subnets.of_networks([port.network_id]).get(port.network_id, [])}
    automatic = [f for f in unmatched if f.subnet_id in subnets and subnets[f.subnet_id].is_auto_address]
    released = [f for f in unmatched if f not in automatic]
    uow.ports.addresses.release(port.id, released)
    added = allocate(uow, [Request(port, adds, scope, implicit_auto=False)])[port.id] if adds else []
    return released, added


def add_auto_addresses(uow: UnitOfWork, subnet: Subnet, macs: dict[str, str]) -> None:
    """A new SLAAC / DHCPv6-stateless subnet gives the ports of its network (id -> MAC) their
    EUI-64 addresses, as Neutron does."""
    slaac = {port_id: addressing.eui64(subnet.cidr, mac) for port_id, mac in macs.items()}
    uow.ports.addresses.add([{"port_id": port_id, "subnet_id": subnet.id, "ip_address": ip,
                              "ip_offset": _offset(subnet, ip)} for port_id, ip in slaac.items()])

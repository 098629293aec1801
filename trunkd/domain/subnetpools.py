"""Subnet pools as Neutron 29 reads them, grows their prefixes and allocates subnets from them
(neutron.ipam.subnet_alloc semantics, written with `ipaddress`; pure, no I/O)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from trunkd.domain import errors
from trunkd.domain.addressing import IPNetwork, network

BITS = {4: 32, 6: 128}
DEFAULT_MIN_PREFIXLEN = {4: 8, 6: 64}
# default_quota counts addresses in these units: /32s in IPv4, /64s in IPv6
QUOTA_UNIT = {4: 32, 6: 64}


@dataclass(frozen=True)
class PoolShape:
    """A pool's prefixes and bounds, checked and with Neutron's defaults filled in."""

    ip_version: int
    prefixes: list[str]
    min_prefixlen: int
    max_prefixlen: int
    default_prefixlen: int
    default_quota: int | None


def compact(prefixes: Iterable[str | IPNetwork]) -> list[IPNetwork]:
    """The fewest non-overlapping networks covering the same addresses, ascending (IPSet.compact)."""
    nets = [network(str(p)) for p in prefixes]
    found: list[IPNetwork] = []
    for version in (4, 6):
        same = [n for n in nets if n.version == version]
        found.extend(ipaddress.collapse_addresses(same))  # type: ignore[arg-type, type-var]
    return found


def read(attrs: Mapping[str, Any]) -> PoolShape:
    """Neutron's SubnetPoolReader: prefixes present and of one IP version, then the prefix length bounds
    (min defaults to 8 or 64, max to the address size, default to min) and their order."""
    prefixes = attrs["prefixes"]
    if not prefixes:
        raise errors.EmptySubnetPoolPrefixList()
    versions = [network(p).version for p in prefixes]
    if any(v != versions[0] for v in versions):
        raise errors.PrefixVersionMismatch()
    version = versions[0]
    min_len = _given(attrs, "min_prefixlen", DEFAULT_MIN_PREFIXLEN[version])
    max_len = _given(attrs, "max_prefixlen", BITS[version])
    default_len = _given(attrs, "default_prefixlen", min_len)
    if min_len < 0:
        raise errors.UnsupportedMinSubnetPoolPrefix(prefix=min_len, version=4)
    if min_len > max_len:
        raise errors.IllegalSubnetPoolPrefixBounds(prefix_type="min_prefixlen", prefixlen=min_len,
                                                   base_prefix_type="max_prefixlen", base_prefixlen=max_len)
    if max_len > BITS[version]:
        raise errors.IllegalSubnetPoolPrefixBounds(prefix_type="max_prefixlen", prefixlen=max_len,
                                                   base_prefix_type="ip_version_max", base_prefixlen=BITS[version])
    for base_type, base in (("min_prefixlen", min_len), ("max_prefixlen", max_len)):
        if (default_len < base) if base_type == "min_prefixlen" else (default_len > base):
            raise errors.IllegalSubnetPoolPrefixBounds(prefix_type="default_prefixlen", prefixlen=default_len,
                                                       base_prefix_type=base_type, base_prefixlen=base)
    return PoolShape(version, [str(n) for n in compact(prefixes)], min_len, max_len, default_len,
                     attrs.get("default_quota"))


def _given(attrs: Mapping[str, Any], key: str, default: int) -> int:
    value = attrs.get(key)
    return default if value is None else int(value)


def grown(current: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """A prefix update: the new prefixes must cover every address of the current ones (a pool only grows)."""
    old, new = compact(current), compact(wanted)
    if not all(any(o.version == n.version and o.subnet_of(n) for n in new) for o in old):  # type: ignore[arg-type]
        raise errors.IllegalSubnetPoolPrefixUpdate(msg="Existing prefixes must be a subset of the new prefixes")
    return [str(n) for n in new]


def free_blocks(prefixes: Sequence[str], taken: Iterable[str]) -> list[IPNetwork]:
    """The pool's unallocated space as CIDR blocks, smallest first (then by address), as Neutron orders
    its candidates. One sorted sweep: O((prefixes + taken) log), whatever the sizes."""
    pool = compact(prefixes)
    used = compact(t for t in taken if network(t).version == pool[0].version) if pool else []
    blocks: list[IPNetwork] = []
    i = 0
    for prefix in pool:
        start, end = int(prefix.network_address), int(prefix.broadcast_address)
        while i < len(used) and int(used[i].broadcast_address) < start:
            i += 1
        j = i
        cursor = start
        while j < len(used) and int(used[j].network_address) <= end:
            low, high = int(used[j].network_address), int(used[j].broadcast_address)
            if low > cursor:
                blocks.extend(_summarize(prefix.version, cursor, low - 1))
            cursor = max(cursor, high + 1)
            j += 1
        if cursor <= end:
            blocks.extend(_summarize(prefix.version, cursor, end))
    return sorted(blocks, key=lambda b: (-b.prefixlen, int(b.network_address)))


def _summarize(version: int, first: int, last: int) -> list[IPNetwork]:
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    return list(ipaddress.summarize_address_range(make(first), make(last)))  # type: ignore[arg-type]


def check_prefixlen(shape: PoolShape, prefixlen: int) -> None:
    if prefixlen > shape.max_prefixlen:
        raise errors.MaxPrefixSubnetAllocationError(prefixlen=prefixlen, max_prefixlen=shape.max_prefixlen)
    if prefixlen < shape.min_prefixlen:
        raise errors.MinPrefixSubnetAllocationError(prefixlen=prefixlen, min_prefixlen=shape.min_prefixlen)


def check_quota(shape: PoolShape, used_by_project: Iterable[str], prefixlen: int) -> None:
    """default_quota bounds what one project holds in the pool, in /32 (IPv4) or /64 (IPv6) units;
    0 or none means no bound (as in Neutron)."""
    if not shape.default_quota:
        return
    unit = QUOTA_UNIT[shape.ip_version]
    used = sum((_units(unit, network(c).prefixlen) for c in used_by_project), Fraction(0))
    if used + _units(unit, prefixlen) > shape.default_quota:
        raise errors.SubnetPoolQuotaExceeded()


def _units(unit: int, prefixlen: int) -> Fraction:
    return Fraction(2) ** (unit - prefixlen)


def allocate_any(shape: PoolShape, taken: Iterable[str], prefixlen: int) -> str:
    """The first /prefixlen of the smallest free block that holds one (Neutron's best fit)."""
    for block in free_blocks(shape.prefixes, taken):
        if prefixlen >= block.prefixlen:
            return str(next(block.subnets(new_prefix=prefixlen)))
    raise errors.SubnetAllocationError(reason=f"Insufficient prefix space to allocate subnet size /{prefixlen}")


def allocate_specific(shape: PoolShape, taken: Iterable[str], cidr: str) -> str:
    """An asked-for CIDR: it must lie wholly in the pool's free space."""
    wanted = network(cidr)
    if wanted.version == shape.ip_version and any(
            wanted.subnet_of(block) for block in free_blocks(shape.prefixes, taken)):  # type: ignore[arg-type]
        return str(wanted)
    raise errors.SubnetAllocationError(reason="Cannot allocate requested subnet from the available set of prefixes")

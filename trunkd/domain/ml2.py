"""ML2's network settings and rules, with Neutron's option names: segment types, ranges and MTU.

Pure: parsing the options, checking a requested provider segment, and computing a network's MTU
as Neutron's type drivers do (neutron/plugins/ml2/drivers/type_*.py, get_mtu).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from trunkd.domain import errors

VLAN, FLAT, VXLAN, GRE, GENEVE = "vlan", "flat", "vxlan", "gre", "geneve"
PHYSNET_TYPES = (FLAT, VLAN)
TUNNEL_TYPES = (VXLAN, GRE, GENEVE)
ALL_TYPES = (FLAT, VLAN, GRE, VXLAN, GENEVE)
# GRE keys are 32-bit; trunkd stores ids in a signed 32-bit column, so GRE stops at 2**31 - 1
ID_LIMITS = {VLAN: (1, 4094), VXLAN: (1, 2**24 - 1), GENEVE: (1, 2**24 - 1), GRE: (1, 2**31 - 1)}
IP_HEADER_LENGTH = {4: 20, 6: 40}
ENCAP_OVERHEAD = {VXLAN: 30, GRE: 22}  # GENEVE: max_header_size

Range = tuple[int, int]

# Option defaults. Neutron's, except where local use needs a value (README, "Networks and MTU").
DEFAULTS = {
    "global_physnet_mtu": "1500",
    "path_mtu": "0",
    "physical_network_mtus": "",
    "overlay_ip_version": "4",
    "type_drivers": ",".join(ALL_TYPES),
    "tenant_network_types": VXLAN,
    "network_vlan_ranges": "physnet1:1000:2999",
    "flat_networks": "*",
    "vni_ranges": "1:16777215",
    "tunnel_id_ranges": "1:2147483647",
    "geneve_vni_ranges": "1:16777215",
    "max_header_size": "30",
}


class ConfigError(ValueError):
    """An option value that does not parse; the message names the option."""


@dataclass(frozen=True)
class Segment:
    """A network's segment: its type, physical network and segmentation id."""

    network_type: str
    physical_network: str | None
    segmentation_id: int | None


@dataclass(frozen=True)
class SegmentRequest:
    """A checked provider (or tenant) segment: fully given, or to allocate from `ranges`."""

    network_type: str
    physical_network: str | None
    segmentation_id: int | None
    ranges: tuple[tuple[str | None, Range], ...] = ()  # (physnet, range) candidates to allocate from

    @property
    def partial(self) -> bool:
        """Whether an id has to be allocated (a flat network has none)."""
        return self.network_type != FLAT and self.segmentation_id is None


@dataclass(frozen=True)
class Ml2Settings:
    """Neutron's [DEFAULT] global_physnet_mtu, [ml2] and [ml2_type_*] options, parsed."""

    global_physnet_mtu: int = 1500
    path_mtu: int = 0
    physical_network_mtus: Mapping[str, int] = field(default_factory=dict)
    overlay_ip_version: int = 4
    type_drivers: tuple[str, ...] = ALL_TYPES
    tenant_network_types: tuple[str, ...] = (VXLAN,)
    # physnet -> ranges a tenant or an id-less provider network may get (a physnet listed
    # without a range accepts provider networks with explicit ids only)
    network_vlan_ranges: Mapping[str, tuple[Range, ...]] = field(
        default_factory=lambda: {"physnet1": ((1000, 2999),)}
    )
    flat_networks: tuple[str, ...] | None = None  # None: '*' (any physical network)
    vni_ranges: tuple[Range, ...] = ((1, 2**24 - 1),)
    tunnel_id_ranges: tuple[Range, ...] = ((1, 2**31 - 1),)
    geneve_vni_ranges: tuple[Range, ...] = ((1, 2**24 - 1),)
    max_header_size: int = 30

    # -- parsing ---------------------------------------------------------------------------
    @classmethod
    def parse(cls, raw: Mapping[str, str]) -> Ml2Settings:
        """From option strings in Neutron's formats (missing keys take DEFAULTS)."""
        opt = {**DEFAULTS, **{k: v for k, v in raw.items() if v is not None}}
        types = _list(opt["type_drivers"])
        for name in types:
            if name not in ALL_TYPES:
                raise ConfigError(f"type_drivers: unknown network type '{name}' (known: {', '.join(ALL_TYPES)})")
        tenant = _list(opt["tenant_network_types"])
        for name in tenant:
            if name not in types or name == FLAT:
                raise ConfigError(f"tenant_network_types: '{name}' is not a loaded tenant type ({', '.join(types)})")
        flat = _list(opt["flat_networks"])
        ip_version = _int("overlay_ip_version", opt["overlay_ip_version"])
        if ip_version not in IP_HEADER_LENGTH:
            raise ConfigError(f"overlay_ip_version: {ip_version} is not 4 or 6")
        return cls(
            global_physnet_mtu=_int("global_physnet_mtu", opt["global_physnet_mtu"]),
            path_mtu=_int("path_mtu", opt["path_mtu"]),
            physical_network_mtus={
                k: _int("physical_network_mtus", v) for k, v in _pairs("physical_network_mtus",
                                                                        opt["physical_network_mtus"])
            },
            overlay_ip_version=ip_version,
            type_drivers=types,
            tenant_network_types=tenant,
            network_vlan_ranges=_vlan_ranges(opt["network_vlan_ranges"]),
            flat_networks=None if "*" in flat else flat,
            vni_ranges=_ranges("vni_ranges", opt["vni_ranges"], VXLAN),
            tunnel_id_ranges=_ranges("tunnel_id_ranges", opt["tunnel_id_ranges"], GRE),
            geneve_vni_ranges=_ranges("geneve_vni_ranges", opt["geneve_vni_ranges"], GENEVE),
            max_header_size=_int("max_header_size", opt["max_header_size"]),
        )

    # -- MTU -------------------------------------------------------------------------------
    def segment_mtu(self, network_type: str | None, physical_network: str | None) -> int:
        """What the type driver allows (0: no opinion), as Neutron's get_mtu()."""
        base = [m for m in (self.global_physnet_mtu,) if m > 0]
        if network_type in PHYSNET_TYPES:
            if physical_network is not None and physical_network in self.physical_network_mtus:
                base.append(self.physical_network_mtus[physical_network])
            return min(base) if base else 0
        if network_type in TUNNEL_TYPES:
            if self.path_mtu > 0:
                base.append(self.path_mtu)
            if not base:
                return 0
            overhead = self.max_header_size if network_type == GENEVE else ENCAP_OVERHEAD[network_type]
            return min(base) - IP_HEADER_LENGTH[self.overlay_ip_version] - overhead
        return 0

    def max_mtu(self, segment: Segment) -> int:
        """The largest MTU a network on this segment may have (ML2's _get_network_mtu)."""
        mtu = self.segment_mtu(segment.network_type, segment.physical_network)
        return mtu if mtu > 0 else self.global_physnet_mtu

    def network_mtu(self, segment: Segment, requested: int | None) -> int:
        """The MTU to store: the requested one (0 or None: the maximum), never above the maximum."""
        highest = self.max_mtu(segment)
        if requested and highest and requested > highest:
            raise errors.InvalidInput(error_message=f"Requested MTU is too big, maximum is {highest}")
        return requested or highest

    # -- segments --------------------------------------------------------------------------
    def tunnel_ranges(self, network_type: str) -> tuple[Range, ...]:
        return {VXLAN: self.vni_ranges, GRE: self.tunnel_id_ranges, GENEVE: self.geneve_vni_ranges}[network_type]

    def tenant_requests(self) -> list[SegmentRequest]:
        """Where a network without provider attributes may get its segment, in preference order."""
        found = []
        for network_type in self.tenant_network_types:
            ranges: tuple[tuple[str | None, Range], ...]
            if network_type == VLAN:
                ranges = tuple((p, r) for p, rs in self.network_vlan_ranges.items() for r in rs)
            else:
                ranges = tuple((None, r) for r in self.tunnel_ranges(network_type))
            found.append(SegmentRequest(network_type, None, None, ranges))
        return found

    def provider_request(self, network_type: str | None, physical_network: str | None,
                         segmentation_id: int | None) -> SegmentRequest:
        """Check an admin's provider attributes as ML2's type drivers do (InvalidInput otherwise)."""
        if network_type is None:
            raise errors.InvalidInput(error_message="network_type required")
        if network_type not in self.type_drivers:
            raise errors.InvalidInput(error_message=f"network_type value '{network_type}' not supported")
        if network_type == FLAT:
            return self._flat(physical_network, segmentation_id)
        if network_type == VLAN:
            return self._vlan(physical_network, segmentation_id)
        if physical_network:
            raise errors.InvalidInput(
                error_message=f"provider:physical_network specified for {network_type} network")
        _check_id(network_type, segmentation_id)
        ranges = () if segmentation_id is not None else tuple((None, r) for r in self.tunnel_ranges(network_type))
        return SegmentRequest(network_type, None, segmentation_id, ranges)

    def _flat(self, physical_network: str | None, segmentation_id: int | None) -> SegmentRequest:
        if not physical_network:
            raise errors.InvalidInput(error_message="physical_network required for flat provider network")
        if self.flat_networks is not None and not self.flat_networks:
            raise errors.InvalidInput(error_message="Flat provider networks are disabled")
        if self.flat_networks and physical_network not in self.flat_networks:
            raise errors.InvalidInput(
                error_message=f"physical_network '{physical_network}' unknown for flat provider network")
        if segmentation_id is not None:
            raise errors.InvalidInput(error_message="segmentation_id prohibited for flat provider network")
        return SegmentRequest(FLAT, physical_network, None)

    def _vlan(self, physical_network: str | None, segmentation_id: int | None) -> SegmentRequest:
        if physical_network:
            if physical_network not in self.network_vlan_ranges:
                raise errors.InvalidInput(
                    error_message=f"physical_network '{physical_network}' unknown for VLAN provider network")
            _check_id(VLAN, segmentation_id)
            ranges = tuple((physical_network, r) for r in self.network_vlan_ranges[physical_network])
        elif segmentation_id is not None:
            raise errors.InvalidInput(
                error_message="segmentation_id requires physical_network for VLAN provider network")
        else:
            ranges = tuple((p, r) for p, rs in self.network_vlan_ranges.items() for r in rs)
        return SegmentRequest(VLAN, physical_network, segmentation_id, () if segmentation_id is not None else ranges)


def _check_id(network_type: str, segmentation_id: int | None) -> None:
    low, high = ID_LIMITS[network_type]
    if segmentation_id is not None and not low <= segmentation_id <= high:
        raise errors.InvalidInput(error_message=f"segmentation_id out of range ({low} through {high})")


def _list(value: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in value.split(",") if x.strip())


def _int(option: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{option}: '{value}' is not an integer") from None
    if number < 0:
        raise ConfigError(f"{option}: '{value}' must not be negative")
    return number


def _pairs(option: str, value: str) -> list[tuple[str, str]]:
    found = []
    for item in _list(value):
        key, sep, rest = item.partition(":")
        if not sep or not key or not rest:
            raise ConfigError(f"{option}: '{item}' is not in the format <key>:<value>")
        found.append((key, rest))
    return found


def _range(option: str, low: str, high: str, network_type: str) -> Range:
    lo, hi = _int(option, low), _int(option, high)
    first, last = ID_LIMITS[network_type]
    if not first <= lo <= hi <= last:
        raise ConfigError(f"{option}: {lo}:{hi} is not a range within {first}:{last}")
    return lo, hi


def _ranges(option: str, value: str, network_type: str) -> tuple[Range, ...]:
    found = []
    for item in _list(value):
        low, sep, high = item.partition(":")
        if not sep:
            raise ConfigError(f"{option}: '{item}' is not in the format <min>:<max>")
        found.append(_range(option, low, high, network_type))
    return tuple(found)


def _vlan_ranges(value: str) -> dict[str, tuple[Range, ...]]:
    """`<physnet>[:<vlan_min>:<vlan_max>]`, comma-separated; a physnet may repeat."""
    found: dict[str, tuple[Range, ...]] = {}
    for item in _list(value):
        parts = item.split(":")
        if len(parts) not in (1, 3) or not parts[0]:
            raise ConfigError(
                f"network_vlan_ranges: '{item}' is not in the format <physnet>[:<vlan_min>:<vlan_max>]")
        ranges = found.setdefault(parts[0], ())
        if len(parts) == 3:
            found[parts[0]] = (*ranges, _range("network_vlan_ranges", parts[1], parts[2], VLAN))
    return found

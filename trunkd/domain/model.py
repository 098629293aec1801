"""Plain data the rules work on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class TrunkRole(StrEnum):
    """What a port is to a trunk; a port holds at most one role (a DB constraint too)."""

    PARENT = "parent"
    SUBPORT = "subport"


SUBPORT_STATUSES = ("ACTIVE", "DOWN", "ERROR")


@dataclass(frozen=True)
class SubPort:
    port_id: str
    segmentation_type: str
    segmentation_id: int
    # per-subport status as the agent reported it (an opt-in extra on the wire)
    status: str = field(default="DOWN", compare=False)
    status_reason: str = field(default="", compare=False)

    @property
    def segment(self) -> tuple[str, int]:
        return self.segmentation_type, self.segmentation_id

    def as_dict(self) -> dict[str, object]:
        return {
            "segmentation_id": self.segmentation_id,
            "segmentation_type": self.segmentation_type,
            "port_id": self.port_id,
        }

    def status_dict(self) -> dict[str, object]:
        return {**self.as_dict(), "status": self.status, "status_reason": self.status_reason}


@dataclass(frozen=True)
class PortFacts:
    """What trunk validation needs to know about one port (fetched in bulk)."""

    id: str
    network_id: str
    project_id: str
    device_id: str
    host_id: str
    vif_type: str
    mtu: int | None
    network_type: str | None
    segmentation_id: int | None
    trunk_role: TrunkRole | None
    trunk_id: str | None
    visible: bool
    mac_address: str = ""
    device_owner: str = ""

    @property
    def is_bound(self) -> bool:
        return bool(self.host_id)


@dataclass
class Network:
    id: str
    project_id: str
    name: str
    description: str
    admin_state_up: bool
    shared: bool
    mtu: int
    status: str
    network_type: str | None
    physical_network: str | None
    segmentation_id: int | None
    revision_number: int
    created_at: datetime
    updated_at: datetime
    tags: list[str] = field(default_factory=list)
    port_security_enabled: bool = True
    subnets: list[str] = field(default_factory=list)
    router_external: bool = False


@dataclass(frozen=True)
class FixedIp:
    subnet_id: str
    ip_address: str


@dataclass
class Subnet:
    id: str
    project_id: str
    network_id: str
    name: str
    description: str
    ip_version: int
    cidr: str
    gateway_ip: str | None
    enable_dhcp: bool
    ipv6_ra_mode: str | None
    ipv6_address_mode: str | None
    allocation_pools: list[dict[str, str]]
    dns_nameservers: list[str]
    host_routes: list[dict[str, str]]
    revision_number: int
    created_at: datetime
    updated_at: datetime
    tags: list[str] = field(default_factory=list)
    shared: bool = False  # the network's, for the read policy
    service_types: list[str] = field(default_factory=list)
    router_external: bool = False  # the network's, for the read policy

    @property
    def is_auto_address(self) -> bool:
        """SLAAC or DHCPv6-stateless: ports get their EUI-64 address, not one from the pools."""
        return bool({self.ipv6_address_mode, self.ipv6_ra_mode} & AUTO_ADDRESS_MODES)


AUTO_ADDRESS_MODES = frozenset({"slaac", "dhcpv6-stateless"})


@dataclass
class Port:
    id: str
    project_id: str
    network_id: str
    name: str
    description: str
    admin_state_up: bool
    mac_address: str
    device_id: str
    device_owner: str
    status: str
    host_id: str
    vif_type: str
    vif_details: dict[str, Any]
    profile: dict[str, Any]
    vnic_type: str
    revision_number: int
    created_at: datetime
    updated_at: datetime
    tags: list[str] = field(default_factory=list)
    port_security_enabled: bool = True
    allowed_address_pairs: list[dict[str, str]] = field(default_factory=list)
    fixed_ips: list[FixedIp] = field(default_factory=list)
    extra_dhcp_opts: list[dict[str, Any]] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)


@dataclass
class SecurityGroupRule:
    id: str
    project_id: str
    security_group_id: str
    direction: str
    ethertype: str
    protocol: str | None
    port_range_min: int | None
    port_range_max: int | None
    remote_ip_prefix: str | None
    remote_group_id: str | None
    remote_address_group_id: str | None
    description: str
    revision_number: int
    created_at: datetime
    updated_at: datetime
    belongs_to_default_sg: bool = False  # read from the group, not stored
    group_project_id: str = ""  # the project of its group (the read rules' owner), not stored


@dataclass
class SecurityGroup:
    id: str
    project_id: str
    name: str
    description: str
    stateful: bool
    revision_number: int
    created_at: datetime
    updated_at: datetime
    tags: list[str] = field(default_factory=list)
    rules: list[SecurityGroupRule] = field(default_factory=list)
    is_default: bool = False  # the project's default group (read, not stored on the row)


@dataclass
class Trunk:
    id: str
    project_id: str
    name: str
    description: str
    admin_state_up: bool
    status: str
    status_reason: str
    port_id: str
    revision_number: int
    created_at: datetime
    updated_at: datetime
    sub_ports: list[SubPort] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TrunkDetails:
    """What a parent port shows as `trunk_details`: subports with their MACs."""

    trunk_id: str
    sub_ports: list[tuple[SubPort, str]]


@dataclass
class Agent:
    id: str
    host: str
    agent_type: str
    binary: str
    topic: str
    admin_state_up: bool
    configurations: dict[str, Any]
    event_cursor: int | None
    created_at: datetime
    started_at: datetime
    heartbeat_at: datetime
    lost_reported: bool

    def reaches(self, network_type: str | None, physical_network: str | None) -> bool:
        """Can this agent wire a port of a network with this segment?"""
        if network_type in ("vlan", "flat"):
            return physical_network in (self.configurations.get("bridge_mappings") or {})
        if network_type in ("vxlan", "gre", "geneve"):
            # an agent that reports its tunnel types reaches only those ([] is none); one that reports none at
            # all is taken as trunkd's agent before it reported them (VXLAN)
            return network_type in self.configurations.get("tunnel_types", ["vxlan"])
        return True

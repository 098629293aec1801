"""Resources as Neutron dicts (the full, admin view). The API trims; events carry these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trunkd.domain.model import Network, Port, SecurityGroup, SecurityGroupRule, Subnet, Trunk, TrunkDetails
from trunkd.domain.security_groups import normalized_cidr


def timestamp(value: datetime) -> str:
    """UTC, whole seconds: `2026-01-31T12:00:00Z` (isoformat is ~3x faster than strftime)."""
    return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _standard(resource: Network | Port | Subnet | Trunk | SecurityGroup) -> dict[str, Any]:
    return {
        "description": resource.description,
        "revision_number": resource.revision_number,
        "created_at": timestamp(resource.created_at),
        "updated_at": timestamp(resource.updated_at),
        "tags": list(resource.tags),
        "project_id": resource.project_id,
        "tenant_id": resource.project_id,
    }


def network_dict(net: Network) -> dict[str, Any]:
    return {
        "id": net.id,
        "name": net.name,
        "admin_state_up": net.admin_state_up,
        "shared": net.shared,
        "mtu": net.mtu,
        "status": net.status,
        "subnets": list(net.subnets),
        "port_security_enabled": net.port_security_enabled,
        "provider:network_type": net.network_type,
        "provider:physical_network": net.physical_network,
        "provider:segmentation_id": net.segmentation_id,
        "router:external": net.router_external,
        **_standard(net),
    }


def subnet_dict(subnet: Subnet) -> dict[str, Any]:
    return {
        "id": subnet.id,
        "name": subnet.name,
        "network_id": subnet.network_id,
        "ip_version": subnet.ip_version,
        "subnetpool_id": None,
        "cidr": subnet.cidr,
        "gateway_ip": subnet.gateway_ip,
        "allocation_pools": [dict(p) for p in subnet.allocation_pools],
        "dns_nameservers": list(subnet.dns_nameservers),
        "host_routes": [dict(r) for r in subnet.host_routes],
        "enable_dhcp": subnet.enable_dhcp,
        "ipv6_ra_mode": subnet.ipv6_ra_mode,
        "ipv6_address_mode": subnet.ipv6_address_mode,
        "service_types": list(subnet.service_types),
        **_standard(subnet),
    }


def trunk_details_dict(details: TrunkDetails) -> dict[str, Any]:
    return {
        "trunk_id": details.trunk_id,
        "sub_ports": [{**sub.as_dict(), "mac_address": mac} for sub, mac in details.sub_ports],
    }


def port_dict(port: Port, details: TrunkDetails | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": port.id,
        "name": port.name,
        "network_id": port.network_id,
        "admin_state_up": port.admin_state_up,
        "mac_address": port.mac_address,
        "fixed_ips": [{"subnet_id": f.subnet_id, "ip_address": f.ip_address} for f in port.fixed_ips],
        "port_security_enabled": port.port_security_enabled,
        "allowed_address_pairs": [
            {"ip_address": p["ip_address"], "mac_address": p.get("mac_address") or port.mac_address}
            for p in port.allowed_address_pairs
        ],
        "security_groups": list(port.security_groups),
        "device_id": port.device_id,
        "device_owner": port.device_owner,
        "status": port.status,
        "binding:host_id": port.host_id,
        "binding:vif_type": port.vif_type,
        "binding:vif_details": dict(port.vif_details),
        "binding:profile": dict(port.profile),
        "binding:vnic_type": port.vnic_type,
        "extra_dhcp_opts": [dict(o) for o in port.extra_dhcp_opts],
        **_standard(port),
    }
    if details is not None:
        view["trunk_details"] = trunk_details_dict(details)
    return view


def trunk_dict(trunk: Trunk) -> dict[str, Any]:
    return {
        "admin_state_up": trunk.admin_state_up,
        "id": trunk.id,
        "project_id": trunk.project_id,
        "name": trunk.name,
        "port_id": trunk.port_id,
        "status": trunk.status,
        "status_reason": trunk.status_reason,
        "sub_ports": [s.as_dict() for s in trunk.sub_ports],
        "revision_number": trunk.revision_number,
        "description": trunk.description,
        "created_at": timestamp(trunk.created_at),
        "updated_at": timestamp(trunk.updated_at),
        "tenant_id": trunk.project_id,
        "tags": list(trunk.tags),
    }


def security_group_rule_dict(rule: SecurityGroupRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "project_id": rule.project_id,
        "tenant_id": rule.project_id,
        "security_group_id": rule.security_group_id,
        "ethertype": rule.ethertype,
        "direction": rule.direction,
        "protocol": rule.protocol,
        "port_range_min": rule.port_range_min,
        "port_range_max": rule.port_range_max,
        "remote_ip_prefix": rule.remote_ip_prefix,
        "remote_address_group_id": rule.remote_address_group_id,
        "normalized_cidr": normalized_cidr(rule.remote_ip_prefix),
        "remote_group_id": rule.remote_group_id,
        "belongs_to_default_sg": rule.belongs_to_default_sg,
        "description": rule.description,
        "revision_number": rule.revision_number,
        "created_at": timestamp(rule.created_at),
        "updated_at": timestamp(rule.updated_at),
    }


def security_group_dict(group: SecurityGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "stateful": group.stateful,
        "shared": False,
        "security_group_rules": [security_group_rule_dict(r) for r in group.rules],
        **_standard(group),
    }

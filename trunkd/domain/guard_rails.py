"""Opt-in guard rails on subports (each a deployment choice with its own error type; pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from trunkd.domain import errors
from trunkd.domain.model import PortFacts, SubPort

SUBPORT_NETWORK = "subport-network"  # a subport may not sit on the parent's own network
PARENT_VLAN = "parent-vlan"  # a subport VLAN may not equal the parent network's VLAN
PARENT_MAC = "parent-mac"  # a subport must reuse the parent's MAC address
INSTANCE_PORT = "instance-port"  # a port owned by an instance (compute:*) is never a subport
RAILS = (SUBPORT_NETWORK, PARENT_VLAN, PARENT_MAC, INSTANCE_PORT)


def parse_rails(value: Iterable[str]) -> frozenset[str]:
    rails = frozenset(r.strip().lower() for r in value if r.strip())
    unknown = sorted(rails - set(RAILS))
    if unknown:
        raise ValueError(f"unknown guard rail(s) {unknown}; known: {', '.join(RAILS)}")
    return rails


def parent_vlan(parent: PortFacts) -> int | None:
    """The VLAN of the parent port's network, if it is a VLAN network."""
    return parent.segmentation_id if parent.network_type == "vlan" else None


def is_instance_owner(device_owner: str) -> bool:
    return device_owner.startswith("compute:")


def check(rails: frozenset[str], parent: PortFacts, facts: Mapping[str, PortFacts],
          subs: Iterable[SubPort]) -> None:
    """Apply the enabled rails to each subport, in request order (after Neutron's own checks)."""
    if not rails:
        return
    for sub in subs:
        port = facts[sub.port_id]
        if SUBPORT_NETWORK in rails and port.network_id == parent.network_id:
            raise errors.SubPortOnParentNetwork(port_id=port.id, net_id=port.network_id)
        if (PARENT_VLAN in rails and sub.segmentation_type == "vlan"
                and sub.segmentation_id == parent_vlan(parent)):
            raise errors.SubPortVlanIsParentVlan(port_id=port.id, segmentation_id=sub.segmentation_id,
                                                 net_id=parent.network_id)
        if PARENT_MAC in rails and port.mac_address.lower() != parent.mac_address.lower():
            raise errors.SubPortMacMismatch(port_id=port.id, mac=port.mac_address, parent_mac=parent.mac_address)
        if INSTANCE_PORT in rails and is_instance_owner(port.device_owner):
            raise errors.SubPortUsedByInstance(port_id=port.id, device_owner=port.device_owner)

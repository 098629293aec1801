"""The built-in drivers."""

from __future__ import annotations

from trunkd.drivers.base import TrunkDriver

OVS_AGENT_TYPE = "Open vSwitch agent"


def noop() -> TrunkDriver:
    """Agentless, no data plane: any vif type, bound ports allowed."""
    return TrunkDriver(
        name="noop",
        interfaces=None,
        segmentation_types=frozenset({"vlan"}),
        agent_type=None,
        can_trunk_bound_port=True,
    )


def ovs(can_trunk_bound_port: bool = True) -> TrunkDriver:
    """Agent-based Open vSwitch driver."""
    return TrunkDriver(
        name="ovs",
        interfaces=frozenset({"ovs", "vhostuser"}),
        segmentation_types=frozenset({"vlan"}),
        agent_type=OVS_AGENT_TYPE,
        can_trunk_bound_port=can_trunk_bound_port,
    )


BUILTIN = {"noop": noop, "ovs": ovs}

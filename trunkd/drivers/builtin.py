"""The built-in drivers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from trunkd.domain import events
from trunkd.domain.status import TrunkStatus
from trunkd.drivers.base import TrunkDriver

OVS_AGENT_TYPE = "Open vSwitch agent"
OVN_AGENT_TYPE = "OVN Controller agent"  # an SB Chassis, as `trunkd ovn-sync` shows it (Neutron's name)


class NoopDriver(TrunkDriver):
    """No data plane: every committed trunk change is at once in sync, so the trunk is ACTIVE."""

    def react(self, kind: str, state: Mapping[str, Any]) -> TrunkStatus | None:
        if kind in (events.TRUNK_CREATED, events.SUBPORTS_ADDED, events.SUBPORTS_REMOVED):
            return TrunkStatus.ACTIVE
        return None


def noop() -> TrunkDriver:
    """Agentless, no data plane: any vif type, bound ports allowed."""
    return NoopDriver(
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


BUILTIN: dict[str, Callable[[], TrunkDriver]] = {"noop": noop, "ovs": ovs}

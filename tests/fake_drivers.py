"""Drivers for tests, loaded by the server as `tests.fake_drivers:<factory>`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trunkd.domain import errors
from trunkd.drivers.base import TrunkDriver
from trunkd.drivers.builtin import ovs


class VetoedByDriver(errors.Conflict):
    template = "Driver %(driver)s refuses to %(operation)s trunk %(trunk_id)s: %(why)s"


class VetoingDriver(TrunkDriver):
    """Refuses any change that involves VLAN 666 or a trunk named 'veto'."""

    def precommit(self, operation: str, state: Mapping[str, Any]) -> None:
        vlans = {s["segmentation_id"] for s in state.get("changed_sub_ports", state["sub_ports"])}
        if 666 in vlans or state["name"] == "veto":
            raise VetoedByDriver(driver=self.name, operation=operation, trunk_id=state["id"], why="forbidden")


def vetoing() -> TrunkDriver:
    return VetoingDriver(name="vetoing", interfaces=frozenset({"other"}), segmentation_types=frozenset({"vlan"}),
                         agent_type="Vetoing agent", can_trunk_bound_port=True)


def unhealthy() -> TrunkDriver:
    return TrunkDriver(name="sick", interfaces=None, segmentation_types=frozenset({"vlan"}), agent_type=None,
                       can_trunk_bound_port=True, health_problem="cannot reach switch controller 127.0.0.1:1")


def vxlan_only() -> TrunkDriver:
    return TrunkDriver(name="vxlan-only", interfaces=frozenset({"other"}), segmentation_types=frozenset({"vxlan"}),
                       agent_type="Other agent", can_trunk_bound_port=True)


def geneve_only() -> TrunkDriver:
    return TrunkDriver(name="geneve-only", interfaces=None, segmentation_types=frozenset({"geneve"}),
                       agent_type=None, can_trunk_bound_port=True)


def ovs_strict() -> TrunkDriver:
    """Open vSwitch as Neutron ships it: bound ports can be neither trunked nor untrunked."""
    return ovs(can_trunk_bound_port=False)


def not_a_driver() -> object:
    return object()

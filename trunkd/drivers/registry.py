"""The enabled drivers, the segmentation types they share, and who handles a bound port."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trunkd.domain import errors
from trunkd.domain.segmentation import SegmentationValidator, validators_for
from trunkd.drivers.base import TrunkDriver


class DriverRegistry:
    def __init__(self, drivers: Sequence[TrunkDriver]) -> None:
        self.drivers = [d for d in drivers if d.loaded]
        types = [d.segmentation_types for d in self.drivers]
        self.segmentation_types: frozenset[str] = frozenset.intersection(*types) if types else frozenset()
        self.validators: dict[str, SegmentationValidator] = validators_for(self.segmentation_types)

    def precommit(self, operation: str, state: Mapping[str, Any]) -> None:
        """Give every driver its chance to veto, inside the transaction."""
        for driver in self.drivers:
            driver.precommit(operation, state)

    def handling(self, vif_type: str, host_agent_types: frozenset[str]) -> list[TrunkDriver]:
        return [
            d for d in self.drivers
            if d.is_interface_compatible(vif_type) and d.is_agent_compatible(host_agent_types)
        ]

    def can_trunk_bound(self, vif_type: str, host_agent_types: frozenset[str]) -> bool:
        """Whether the one driver in charge of a bound port lets it be trunked or untrunked."""
        drivers = self.handling(vif_type, host_agent_types)
        if len(drivers) > 1:
            raise errors.TrunkPluginDriverConflict()
        return bool(drivers) and drivers[0].can_trunk_bound_port

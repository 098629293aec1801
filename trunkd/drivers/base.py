"""The trunk driver contract."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trunkd.domain.status import TrunkStatus


@dataclass(frozen=True)
class TrunkDriver:
    """What a driver supports; `interfaces` None means any vif type."""

    name: str
    interfaces: frozenset[str] | None
    segmentation_types: frozenset[str]
    agent_type: str | None
    can_trunk_bound_port: bool
    loaded: bool = True
    health_problem: str | None = field(default=None, compare=False)

    def is_interface_compatible(self, vif_type: str) -> bool:
        return self.interfaces is None or vif_type in self.interfaces

    def is_agent_compatible(self, host_agent_types: frozenset[str]) -> bool:
        return self.agent_type is None or self.agent_type in host_agent_types

    def check_health(self) -> str | None:
        """None when healthy, else what is wrong."""
        return self.health_problem

    def precommit(self, operation: str, state: Mapping[str, Any]) -> None:
        """Runs inside the request's transaction; raise a TrunkdError to veto the change.

        `operation` is create, add_subports, remove_subports or delete; `state` the trunk as it
        will be (as it was, for delete), with `changed_sub_ports` for membership changes.
        """

    def react(self, kind: str, state: Mapping[str, Any]) -> TrunkStatus | None:
        """An agentless driver's answer to a committed trunk event: the status to move to."""
        return None

"""Trunk requests as the API edge parses them, once: typed specs for the trunk aggregate (domain/trunk.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trunkd.domain import errors
from trunkd.domain.subports import SubportSpec, count_error, shape_error, specs_from


@dataclass(frozen=True)
class SubportList:
    """The `sub_ports` of a member action: a list within the request limits, items not yet checked."""

    items: Any

    @classmethod
    def from_body(cls, body: Any) -> SubportList:
        """The member actions need a JSON object with `sub_ports` (Neutron answers 500; we 400)."""
        if not isinstance(body, dict) or "sub_ports" not in body:
            raise errors.InvalidInput(error_message="Request body must be an object with a 'sub_ports' key")
        too_many = count_error(body["sub_ports"])
        if too_many:
            raise errors.InvalidInput(error_message=too_many)
        return cls(body["sub_ports"])

    @classmethod
    def of(cls, value: SubportList | Mapping[str, Any]) -> SubportList:
        """As given, or parsed from a request body (for callers of the use cases other than the API)."""
        return value if isinstance(value, SubportList) else cls.from_body(value)

    def specs(self, *, allocating: bool) -> list[SubportSpec]:
        """The items as specs, every item's shape checked (the count was checked on parsing)."""
        problem = shape_error(self.items, allocating=allocating, counted=True)
        if problem:
            raise errors.InvalidInput(error_message=problem)
        return specs_from(self.items)

    def removals(self) -> list[str]:
        """The port ids of a removal, shape checked."""
        problem = shape_error(self.items, removal=True, counted=True)
        if problem:
            raise errors.InvalidInput(error_message=problem)
        return [item["port_id"] for item in self.items]


@dataclass(frozen=True)
class TrunkSpec:
    """A trunk to create, as the API edge parsed it."""

    project_id: str
    port_id: str
    name: str
    description: str
    admin_state_up: bool
    sub_ports: list[SubportSpec]
    target: Mapping[str, Any] = field(default_factory=dict, compare=False)  # what the create policy sees

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> TrunkSpec:
        """From create attributes whose sub_ports were shape checked (attributes.check_sub_ports)."""
        return cls(attrs["project_id"], attrs["port_id"], attrs["name"], attrs["description"],
                   attrs["admin_state_up"], specs_from(attrs["sub_ports"]), attrs)

    @classmethod
    def of(cls, value: TrunkSpec | Mapping[str, Any]) -> TrunkSpec:
        return value if isinstance(value, TrunkSpec) else cls.from_attrs(value)

    def port_ids(self) -> list[str]:
        return [self.port_id, *(s.port_id for s in self.sub_ports)]

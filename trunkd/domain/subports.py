"""Subport request rules: shape checks, then per-item checks in Neutron's order."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trunkd.domain import errors
from trunkd.domain.allocation import ALLOCATED_TYPE, AUTO
from trunkd.domain.limits import MAX_SUBPORTS, MAX_SUBPORTS_PER_TYPE
from trunkd.domain.model import PortFacts, SubPort, TrunkRole
from trunkd.domain.segmentation import INHERIT, SegmentationValidator

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MISSING = object()


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and bool(UUID_RE.match(value))


@dataclass(frozen=True)
class SubportSpec:
    """One requested subport, as sent (segmentation values not yet checked)."""

    port_id: str
    segmentation_type: Any
    segmentation_id: Any

    @property
    def inherits(self) -> bool:
        return self.segmentation_type == INHERIT

    def describe(self) -> str:
        item: dict[str, Any] = {"port_id": self.port_id}
        if self.segmentation_type is not _MISSING:
            item["segmentation_type"] = self.segmentation_type
        if self.segmentation_id is not _MISSING:
            item["segmentation_id"] = self.segmentation_id
        return repr(item)


def count_error(value: Any) -> str | None:
    """Why a sub_ports list is too long for one request (checked before any lookup), or None."""
    if not isinstance(value, list):
        return None
    if len(value) > MAX_SUBPORTS:
        return f"A request may name at most {MAX_SUBPORTS} subports, not {len(value)}"
    per_type = Counter(str(i.get("segmentation_type")) for i in value if isinstance(i, dict))
    crowded = sorted(t for t, n in per_type.items() if n > MAX_SUBPORTS_PER_TYPE)
    if crowded:
        return f"A request may name at most {MAX_SUBPORTS_PER_TYPE} subports of segmentation_type {crowded[0]}"
    return None


def wants_allocation(segmentation_type: Any, segmentation_id: Any) -> bool:
    """An item the server picks a VLAN for (when allocation is on): no id, type vlan or none."""
    return segmentation_id in (None, _MISSING) and segmentation_type in (None, _MISSING, ALLOCATED_TYPE)


def shape_error(value: Any, *, removal: bool = False, allocating: bool = False, counted: bool = False) -> str | None:
    """Why `value` is not a valid sub_ports list, or None. Every item is checked.

    With `allocating`, an item without segmentation_id (type vlan or none) is complete; `counted`:
    count_error was asked already (the member actions ask it on parsing, before any lookup).
    """
    if not isinstance(value, list):
        return f"Invalid data format for subports: '{value}' is not a list"
    too_many = None if counted else count_error(value)
    if too_many:
        return too_many
    seen_ports: set[str] = set()
    seen_segments: set[tuple[Any, Any]] = set()
    for item in value:
        if not isinstance(item, dict):
            return f"Invalid data format for subport: '{item}' is not a dict"
        if "port_id" not in item:
            return "A valid port UUID must be specified"
        port_id = item["port_id"]
        if not is_uuid(port_id):
            return f"Invalid UUID for subport: '{port_id}'"
        if port_id in seen_ports:
            return f"Non unique UUID for subport: '{port_id}'"
        seen_ports.add(port_id)
        if removal or item.get("segmentation_type") == INHERIT:
            continue
        seg_type, seg_id = item.get("segmentation_type"), item.get("segmentation_id")
        if allocating and wants_allocation(seg_type, seg_id):
            continue
        if (not seg_type or seg_id is None) and len(item) > 1:
            return (
                f"Invalid subport details '{item}': missing segmentation information. "
                "Must specify both segmentation_id and segmentation_type"
            )
        if seg_id is not None:
            key = (seg_type if isinstance(seg_type, str) else repr(seg_type), _as_int_or_raw(seg_id))
            if key in seen_segments:
                return f"Segmentation ID '{seg_id}' for '{port_id}' is not unique"
            seen_segments.add(key)
    return None


def specs_from(value: list[dict[str, Any]]) -> list[SubportSpec]:
    """Specs from an already shape-checked list."""
    return [
        SubportSpec(
            port_id=item["port_id"],
            segmentation_type=item.get("segmentation_type", _MISSING),
            segmentation_id=item.get("segmentation_id", _MISSING),
        )
        for item in value
    ]


def _as_int_or_raw(value: Any) -> Any:
    try:
        return to_segmentation_id(value)
    except ValueError:
        return repr(value)


def to_segmentation_id(value: Any) -> int:
    """An int, or a string of digits; bools, floats and the rest are refused."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
        return int(value)
    raise ValueError(value)


def check_parent(port_id: str, facts: PortFacts | None, can_trunk_bound: bool) -> PortFacts:
    """The parent checks: visible first (another project's port is not found, whatever its use),
    then in use as a subport, in use as a parent, trunkable when bound."""
    if facts is None or not facts.visible:
        raise errors.PortNotFound(port_id=port_id)
    if facts.trunk_role is TrunkRole.SUBPORT:
        raise errors.TrunkPortInUse(port_id=port_id)
    if facts.trunk_role is TrunkRole.PARENT:
        raise errors.ParentPortInUse(port_id=port_id)
    if facts.is_bound and not can_trunk_bound:
        raise errors.ParentPortInUse(port_id=port_id)
    return facts


def resolve_subports(
    specs: list[SubportSpec],
    *,
    trunk_id: str,
    parent: PortFacts,
    facts: Mapping[str, PortFacts],
    validators: Mapping[str, SegmentationValidator],
    allocating: bool = False,
) -> list[SubPort]:
    """Check each requested subport in request order and return what will be stored.

    Order per item (Neutron's): is the parent, MTU, segmentation present, segmentation valid,
    visible, in use by a trunk, has a device. Visibility comes before every in-use rule, so a
    port the caller cannot see gets the same answer as one that does not exist. With `allocating`,
    an item without an id gets segmentation_id AUTO (allocation.assign picks it afterwards).
    """
    resolved: list[SubPort] = []
    for spec in specs:
        found = facts.get(spec.port_id)
        port = found if found is not None and found.visible else None
        seg_type, seg_id = spec.segmentation_type, spec.segmentation_id
        if spec.inherits and port is not None:
            seg_type = port.network_type if port.network_type is not None else _MISSING
            seg_id = port.segmentation_id if port.segmentation_id is not None else _MISSING
        if spec.port_id == parent.id:
            raise errors.ParentPortInUse(port_id=spec.port_id)
        if port is not None and parent.mtu and port.mtu and port.mtu > parent.mtu:
            raise errors.SubPortMtuGreaterThanTrunkPortMtu(
                port_id=spec.port_id, port_mtu=port.mtu, trunk_id=trunk_id,
                trunk_mtu=parent.mtu,
            )
        auto = allocating and not spec.inherits and wants_allocation(seg_type, seg_id)
        if auto:
            seg_type, seg_id = ALLOCATED_TYPE, AUTO
        if seg_type is _MISSING or seg_id is _MISSING:
            raise errors.InvalidInput(
                error_message=(
                    f"Invalid subport details '{spec.describe()}': missing segmentation "
                    "information. Must specify both segmentation_id and segmentation_type"
                )
            )
        try:
            number = to_segmentation_id(seg_id)
        except ValueError:
            raise errors.InvalidInput(
                error_message=f"Invalid subport details: segmentation_id '{seg_id}' is not an integer"
            ) from None
        if not isinstance(seg_type, str) or seg_type not in validators:
            raise errors.InvalidInput(error_message=f"Unknown segmentation_type '{seg_type}'")
        if not auto and not validators[seg_type](number):
            raise errors.InvalidInput(error_message=f"Segmentation ID '{number}' is not in range")
        if port is None:
            raise errors.PortNotFound(port_id=spec.port_id)
        if port.trunk_role is TrunkRole.SUBPORT:
            raise errors.TrunkPortInUse(port_id=spec.port_id)
        if port.trunk_role is TrunkRole.PARENT:
            raise errors.ParentPortInUse(port_id=spec.port_id)
        if port.device_id:
            raise errors.PortInUse(
                port_id=port.id, net_id=port.network_id, device_id=port.device_id
            )
        resolved.append(SubPort(spec.port_id, str(seg_type), number))
    return resolved


def check_no_duplicate_segments(
    trunk_id: str, new: list[SubPort], existing: set[tuple[str, int]]
) -> None:
    """A (type, id) pair may appear once per trunk: among the new items and against the old."""
    taken = set(existing)
    for sub in new:
        key = (sub.segmentation_type, sub.segmentation_id)
        if key in taken:
            raise errors.DuplicateSubPort(
                segmentation_type=sub.segmentation_type,
                segmentation_id=sub.segmentation_id,
                trunk_id=trunk_id,
            )
        taken.add(key)

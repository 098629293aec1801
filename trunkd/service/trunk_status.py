"""Moving a trunk's status (and its subports' statuses) through the state machine, with its event."""

from __future__ import annotations

from collections.abc import Mapping

from trunkd.domain import events
from trunkd.domain.model import Trunk
from trunkd.domain.status import TrunkStatus, transition
from trunkd.domain.views import trunk_dict
from trunkd.store.uow import UnitOfWork

# port id -> (status, reason) of subports
SubportStatuses = Mapping[str, tuple[str, str]]


def host_of(uow: UnitOfWork, trunk: Trunk) -> str | None:
    parent = uow.ports.get(trunk.port_id)
    return (parent.host_id or None) if parent else None


def set_status(uow: UnitOfWork, trunk: Trunk, target: TrunkStatus, reason: str = "",
               subports: SubportStatuses | None = None) -> Trunk:
    """Apply an allowed transition (raises InvalidStatusTransition otherwise) and the subports'
    new statuses; a no-op (no revision bump, no event) when nothing changes."""
    current = TrunkStatus(trunk.status)
    transition(trunk.id, current, target)
    members = {s.port_id: (s.status, s.status_reason) for s in trunk.sub_ports}
    changed = {p: v for p, v in (subports or {}).items() if p in members and members[p] != v}
    if current == target and trunk.status_reason == reason and not changed:
        return trunk
    uow.trunks.set_subport_statuses(trunk.id, changed)
    uow.trunks.update(trunk.id, {"status": target.value, "status_reason": reason})
    updated = uow.trunks.get(trunk.id)
    assert updated is not None
    state = {**trunk_dict(updated), "sub_port_statuses": [s.status_dict() for s in updated.sub_ports]}
    uow.record(
        events.Event(
            events.TRUNK_STATUS_CHANGED, "trunk", trunk.id, trunk.project_id, state,
            trunk_dict(trunk), host=host_of(uow, trunk),
        )
    )
    return updated


def all_subports(trunk: Trunk, status: str, reason: str) -> dict[str, tuple[str, str]]:
    return {s.port_id: (status, reason) for s in trunk.sub_ports}

"""Moving a trunk's status through the state machine, with its event."""

from __future__ import annotations

from trunkd.domain import events
from trunkd.domain.model import Trunk
from trunkd.domain.status import TrunkStatus, transition
from trunkd.domain.views import trunk_dict
from trunkd.store.uow import UnitOfWork


def host_of(uow: UnitOfWork, trunk: Trunk) -> str | None:
    parent = uow.ports.get(trunk.port_id)
    return (parent.host_id or None) if parent else None


def set_status(uow: UnitOfWork, trunk: Trunk, target: TrunkStatus, reason: str = "") -> Trunk:
    """Apply an allowed transition (raises InvalidStatusTransition otherwise); no-op if unchanged."""
    current = TrunkStatus(trunk.status)
    transition(trunk.id, current, target)
    if current == target and trunk.status_reason == reason:
        return trunk
    uow.trunks.update(trunk.id, {"status": target.value, "status_reason": reason})
    updated = uow.trunks.get(trunk.id)
    assert updated is not None
    uow.record(
        events.Event(
            events.TRUNK_STATUS_CHANGED, "trunk", trunk.id, trunk.project_id, trunk_dict(updated),
            trunk_dict(trunk), host=host_of(uow, trunk),
        )
    )
    return updated

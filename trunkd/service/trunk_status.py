"""Saving a trunk's status moves (the trunk aggregate decides them), with their events."""

from __future__ import annotations

from trunkd.domain.model import Trunk, TrunkRole
from trunkd.domain.status import TrunkStatus
from trunkd.domain.trunk import Rules, StatusChange, SubportStatuses, TrunkAggregate, status_event
from trunkd.store.uow import UnitOfWork

_NO_RULES = Rules(validators={})  # status moves need no membership rules


def host_of(uow: UnitOfWork, trunk: Trunk) -> str | None:
    parent = uow.ports.binding(trunk.port_id)  # one column's worth: not the port with tags and addresses
    return (parent[0] or None) if parent else None


def _save(uow: UnitOfWork, trunk: Trunk, change: StatusChange) -> Trunk:
    uow.trunks.set_subport_statuses(trunk.id, change.subports)
    uow.trunks.update(trunk.id, {"status": change.status.value, "status_reason": change.reason})
    updated = uow.trunks.get(trunk.id)
    assert updated is not None
    uow.record(status_event(updated, trunk, host_of(uow, trunk)))
    return updated


def set_status(uow: UnitOfWork, trunk: Trunk, target: TrunkStatus, reason: str = "",
               subports: SubportStatuses | None = None) -> Trunk:
    """Apply an allowed transition (raises InvalidStatusTransition otherwise) and the subports'
    new statuses; a no-op (no revision bump, no event) when nothing changes."""
    change = TrunkAggregate(trunk, _NO_RULES).set_status(target, reason, subports)
    return trunk if change is None else _save(uow, trunk, change)


def all_subports(trunk: Trunk, status: str, reason: str) -> dict[str, tuple[str, str]]:
    return TrunkAggregate(trunk, _NO_RULES).all_subports(status, reason)


def parent_unbound(uow: UnitOfWork, port_id: str) -> None:
    """A trunk whose parent lost its binding goes DOWN (the VM is gone)."""
    membership = uow.ports.trunk_membership(port_id)
    if membership is None or membership[0] is not TrunkRole.PARENT:
        return
    trunk = uow.trunks.get(membership[1], lock=True)
    if trunk is not None:
        change = TrunkAggregate(trunk, _NO_RULES).parent_unbound()
        if change is not None:
            _save(uow, trunk, change)

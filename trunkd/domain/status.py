"""The trunk status machine: one table of allowed transitions."""

from __future__ import annotations

from enum import StrEnum

from trunkd.domain.errors import InvalidStatusTransition


class TrunkStatus(StrEnum):
    DOWN = "DOWN"
    BUILD = "BUILD"
    ACTIVE = "ACTIVE"
    DEGRADED = "DEGRADED"
    ERROR = "ERROR"


S = TrunkStatus

# from -> the statuses it may move to. Staying put (same status, new reason) is always allowed.
# DOWN is where API changes (membership change, parent unbound) put a trunk; the driver or agent
# moves it on. ERROR is sticky: only DOWN (remove_subports, parent unbound) leaves it.
ALLOWED: dict[TrunkStatus, frozenset[TrunkStatus]] = {
    S.DOWN: frozenset({S.BUILD, S.ACTIVE, S.DEGRADED, S.ERROR}),
    S.BUILD: frozenset({S.DOWN, S.ACTIVE, S.DEGRADED, S.ERROR}),
    S.ACTIVE: frozenset({S.DOWN, S.BUILD, S.DEGRADED, S.ERROR}),
    S.DEGRADED: frozenset({S.DOWN, S.BUILD, S.ACTIVE, S.ERROR}),
    S.ERROR: frozenset({S.DOWN}),
}


def can_transition(current: TrunkStatus, target: TrunkStatus) -> bool:
    return current == target or target in ALLOWED[current]


def transition(trunk_id: str, current: TrunkStatus, target: TrunkStatus) -> TrunkStatus:
    """Return `target` if the move is allowed, else raise InvalidStatusTransition."""
    if not can_transition(current, target):
        raise InvalidStatusTransition(trunk_id=trunk_id, current=current, target=target)
    return target

"""The in-server dispatcher: agentless drivers consume committed events with a durable cursor.

Each batch runs in one transaction with the cursor row locked: the drivers' effects and the new
cursor commit together, so a restart neither skips an event nor repeats an effect.
"""

from __future__ import annotations

import logging
from typing import Any

from trunkd.domain.status import TrunkStatus, can_transition
from trunkd.service.env import Env
from trunkd.service.trunk_status import set_status
from trunkd.store.uow import UnitOfWork

LOG = logging.getLogger(__name__)
CURSOR = "dispatcher"
BATCH = 200


def _apply(env: Env, uow: UnitOfWork, event: dict[str, Any]) -> None:
    state = event["payload"].get("state")
    if event["resource_type"] != "trunk" or not state:
        return
    for driver in env.drivers.drivers:
        if driver.agent_type is not None:
            continue
        target = driver.react(event["kind"], state)
        if target is None:
            continue
        trunk = uow.trunks.get(event["resource_id"], lock=True)
        # gone, or changed since this event: the later event carries the newer state
        if trunk is None or trunk.revision_number != state["revision_number"]:
            continue
        if can_transition(TrunkStatus(trunk.status), target):
            set_status(uow, trunk, target, f"set by driver {driver.name}")


def dispatch_once(env: Env) -> int:
    """Consume one batch; returns how many events were consumed."""

    def work(uow: UnitOfWork) -> int:
        after = uow.cursors.take(CURSOR)
        batch = uow.outbox.read(after, BATCH)
        for event in batch:
            _apply(env, uow, event)
        if batch:
            uow.cursors.advance(CURSOR, batch[-1]["seq"])
        return len(batch)

    return env.db.transact(work)

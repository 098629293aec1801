"""Figures read from the database for monitoring (computed when scraped, the same in every process)."""

from __future__ import annotations

from dataclasses import dataclass, field

from trunkd.service.env import Env
from trunkd.store.clock import now


@dataclass(frozen=True)
class Stats:
    trunks: dict[str, int]  # by status
    subports: dict[str, int]  # by status
    outbox_latest: int
    consumer_lag: dict[str, int]  # consumer (cursor name or agent host/type) -> events behind
    agents: dict[tuple[str, bool], int] = field(default_factory=dict)  # (type, alive) -> count


def snapshot(env: Env) -> Stats:
    with env.db.read() as uow:
        trunks, subports = uow.trunks.count_by_status()
        latest = uow.outbox.latest()
        lag = {f"consumer:{name}": max(latest - seq, 0) for name, seq in uow.cursors.all().items()}
        agents: dict[tuple[str, bool], int] = {}
        stamp = now()
        for agent in uow.agents.all():
            alive = (stamp - agent.heartbeat_at).total_seconds() <= env.settings.agent_down_time
            agents[(agent.agent_type, alive)] = agents.get((agent.agent_type, alive), 0) + 1
            if agent.event_cursor is not None:
                lag[f"agent:{agent.host}"] = max(latest - agent.event_cursor, 0)
    return Stats(trunks, subports, latest, lag, agents)


"""Agent rows: registrations and heartbeats."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from trunkd.domain.model import Agent
from trunkd.store.clock import now
from trunkd.store.resources import locked
from trunkd.store.tables import agents


class AgentRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @staticmethod
    def cutoff(down_time: float) -> datetime:
        return now() - timedelta(seconds=down_time)

    def live(self, host: str, down_time: float) -> list[Agent]:
        """Enabled agents on `host` with a heartbeat within `down_time` seconds."""
        stmt = select(agents).where(
            agents.c.host == host, agents.c.heartbeat_at >= self.cutoff(down_time),
            agents.c.admin_state_up.is_(True),
        )
        return [Agent(**r._mapping) for r in self.conn.execute(stmt)]

    def live_types(self, host: str, down_time: float) -> frozenset[str]:
        return frozenset(a.agent_type for a in self.live(host, down_time))

    def get(self, agent_id: str) -> Agent | None:
        row = self.conn.execute(select(agents).where(agents.c.id == agent_id)).first()
        return Agent(**row._mapping) if row is not None else None

    def find(self, agent_type: str, host: str, *, lock: bool = False) -> Agent | None:
        stmt = select(agents).where(agents.c.agent_type == agent_type, agents.c.host == host)
        row = self.conn.execute(locked(self.conn, stmt, lock)).first()
        return Agent(**row._mapping) if row is not None else None

    def all(self) -> list[Agent]:
        rows = self.conn.execute(select(agents).order_by(agents.c.host, agents.c.agent_type))
        return [Agent(**r._mapping) for r in rows]

    def hosts(self) -> frozenset[str]:
        """Every host an agent has registered from."""
        return frozenset(self.conn.scalars(select(agents.c.host).distinct()))

    def insert(self, agent: Agent) -> None:
        self.conn.execute(insert(agents).values(**vars(agent)))

    def update(self, agent_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(update(agents).where(agents.c.id == agent_id).values(**values))

    def delete(self, agent_id: str) -> None:
        self.conn.execute(delete(agents).where(agents.c.id == agent_id))

    def newly_lost(self, down_time: float) -> list[Agent]:
        """Agents past their down time whose loss has not been announced yet."""
        stmt = select(agents).where(
            agents.c.heartbeat_at < self.cutoff(down_time), agents.c.lost_reported.is_(False)
        )
        return [Agent(**r._mapping) for r in self.conn.execute(stmt)]

    def oldest_cursor(self) -> int | None:
        """The lowest event cursor any registered agent reported (None if none did)."""
        found = self.conn.execute(select(func.min(agents.c.event_cursor))).scalar()
        return int(found) if found is not None else None

    def mark_lost(self, agent_id: str) -> bool:
        """Flag the agent lost; False if another process already did."""
        stmt = update(agents).where(agents.c.id == agent_id, agents.c.lost_reported.is_(False))
        return bool(self.conn.execute(stmt.values(lost_reported=True)).rowcount)

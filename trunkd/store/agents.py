"""Agent rows: registrations and heartbeats."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, func, select

from trunkd.store.clock import now
from trunkd.store.tables import agents


class AgentRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def live_types(self, host: str, down_time: float) -> frozenset[str]:
        """Agent types on `host` with a heartbeat within `down_time` seconds."""
        cutoff = now() - timedelta(seconds=down_time)
        stmt = select(agents.c.agent_type).where(
            agents.c.host == host, agents.c.heartbeat_at >= cutoff, agents.c.admin_state_up.is_(True)
        )
        return frozenset(self.conn.execute(stmt).scalars())

    def oldest_cursor(self) -> int | None:
        """The lowest event cursor any registered agent reported (None if none did)."""
        found = self.conn.execute(select(func.min(agents.c.event_cursor))).scalar()
        return int(found) if found is not None else None

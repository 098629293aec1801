"""Per-project quota limits (only those that differ from the defaults are stored)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import Connection, delete, select

from trunkd.store.tables import quotas


class QuotaRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def of(self, project_id: str) -> dict[str, int]:
        stmt = select(quotas.c.resource, quotas.c.limit).where(quotas.c.project_id == project_id)
        return {r.resource: r.limit for r in self.conn.execute(stmt)}

    def all(self) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = defaultdict(dict)
        for r in self.conn.execute(select(quotas).order_by(quotas.c.project_id, quotas.c.resource)):
            found[r.project_id][r.resource] = r.limit
        return found

    def set(self, project_id: str, limits: Mapping[str, int]) -> None:
        if not limits:
            return
        self.conn.execute(delete(quotas).where(quotas.c.project_id == project_id,
                                               quotas.c.resource.in_(list(limits))))
        self.conn.execute(quotas.insert(), [{"project_id": project_id, "resource": k, "limit": v}
                                            for k, v in limits.items()])

    def reset(self, project_id: str) -> None:
        self.conn.execute(delete(quotas).where(quotas.c.project_id == project_id))

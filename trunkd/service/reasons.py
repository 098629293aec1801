"""The host names a status reason may contain, for hiding them from callers who may not read host ids."""

from __future__ import annotations

from collections.abc import Collection

from trunkd.service.env import Env


def host_names(env: Env, port_ids: Collection[str]) -> frozenset[str]:
    """Every agent's host and the hosts the given ports are bound to (two queries)."""
    with env.db.read() as uow:
        return uow.agents.hosts() | uow.ports.hosts_of(port_ids)

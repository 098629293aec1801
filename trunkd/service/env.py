"""What every use case needs: the database, the policy and the drivers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from trunkd.domain.context import RequestContext
from trunkd.domain.ml2 import Ml2Settings
from trunkd.drivers.registry import DriverRegistry
from trunkd.store.uow import Database


class Authorizer(Protocol):
    """The one place authorisation is decided (noauth rules now, oslo.policy later)."""

    def enforce(self, ctx: RequestContext, rule: str, target: Mapping[str, Any]) -> None:
        """Raise PolicyNotAuthorized unless `ctx` may apply `rule` to `target`."""

    def allowed(self, ctx: RequestContext, rule: str, target: Mapping[str, Any]) -> bool: ...


@dataclass(frozen=True)
class Settings:
    agent_down_time: float = 75.0
    ml2: Ml2Settings = field(default_factory=Ml2Settings)


@dataclass
class Env:
    db: Database
    policy: Authorizer
    drivers: DriverRegistry
    settings: Settings


def scope(ctx: RequestContext) -> str | None:
    """The project a caller's queries are limited to; None for admins (they see all)."""
    return None if ctx.sees_all() else ctx.project_id

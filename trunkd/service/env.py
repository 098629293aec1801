"""What every use case needs: the database, the policy and the drivers."""

from __future__ import annotations

from dataclasses import dataclass, field

from trunkd.config import Config
from trunkd.domain import errors
from trunkd.domain.allocation import Allocator, parse_allocator
from trunkd.domain.context import Authorizer, RequestContext
from trunkd.domain.guard_rails import parse_rails
from trunkd.domain.host_identities import HostIdentities
from trunkd.domain.limits import Limits
from trunkd.domain.ml2 import Ml2Settings
from trunkd.drivers.registry import DriverRegistry
from trunkd.store.uow import Database


@dataclass(frozen=True)
class Settings:
    agent_down_time: float = 75.0
    ml2: Ml2Settings = field(default_factory=Ml2Settings)
    allocator: Allocator | None = None  # segmentation-id allocation, when the deployment opts in
    guard_rails: frozenset[str] = frozenset()
    host_identities: HostIdentities = field(default_factory=HostIdentities)  # opt-in agent -> hosts
    limits: Limits = field(default_factory=Limits)  # request limits ([DEFAULT] max_dns_nameservers, ...)


def settings_from(config: Config) -> Settings:
    """The use cases' settings; a bad value stops start-up with one clear line."""
    try:
        config.limits.check()
        return Settings(
            agent_down_time=config.agent_down_time,
            ml2=config.ml2,
            allocator=parse_allocator(config.segmentation_allocation, config.segmentation_range),
            guard_rails=parse_rails(config.guard_rails),
            host_identities=HostIdentities.parse(config.agent_host_identities),
            limits=config.limits,
        )
    except ValueError as exc:
        raise errors.StartupCheckFailed(msg=str(exc)) from None


@dataclass
class Env:
    db: Database
    policy: Authorizer
    drivers: DriverRegistry
    settings: Settings


def check_host(env: Env, ctx: RequestContext, host: str) -> None:
    """403 HostNotAllowed when the caller is an agent identity bound to other hosts ([agent] host_identities)."""
    env.settings.host_identities.check((ctx.user_id, ctx.user_name), host)


def scope(ctx: RequestContext) -> str | None:
    """The project a caller's queries are limited to; None for admins (they see all)."""
    return None if ctx.sees_all() else ctx.project_id

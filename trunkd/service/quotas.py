"""Quota limits per project (Neutron's quotas extension, for the resources trunkd counts)."""

from __future__ import annotations

from typing import Any

from trunkd.domain import quotas
from trunkd.domain.context import RequestContext
from trunkd.service.env import Env
from trunkd.store.uow import UnitOfWork


def _usage(uow: UnitOfWork, project_id: str, resource: str) -> int:
    if resource == "security_group":
        return uow.security_groups.count(project_id)
    return uow.security_groups.count_rules(project_id)


def _own_target(ctx: RequestContext) -> dict[str, Any]:
    return {"project_id": ctx.project_id}


def show(env: Env, ctx: RequestContext, project_id: str) -> dict[str, int]:
    """A project's limits; another project's need get_quota (Neutron checks it against the caller's own)."""
    if project_id != ctx.project_id:
        env.policy.enforce(ctx, "get_quota", _own_target(ctx))
    with env.db.read() as uow:
        return {**quotas.DEFAULTS, **uow.quotas.of(project_id)}


def defaults(env: Env, ctx: RequestContext, project_id: str) -> dict[str, int]:
    if project_id != ctx.project_id:
        env.policy.enforce(ctx, "get_quota", _own_target(ctx))
    return dict(quotas.DEFAULTS)


def index(env: Env, ctx: RequestContext) -> list[dict[str, Any]]:
    env.policy.enforce(ctx, "get_quota", _own_target(ctx))
    with env.db.read() as uow:
        return [{"project_id": p, "tenant_id": p, **quotas.DEFAULTS, **limits}
                for p, limits in uow.quotas.all().items()]


def update(env: Env, ctx: RequestContext, project_id: str, limits: dict[str, int], force: bool) -> dict[str, int]:
    """Set limits; unless `force`, a limit below what the project already holds is refused (as Neutron)."""
    env.policy.enforce(ctx, "update_quota", _own_target(ctx))

    def work(uow: UnitOfWork) -> dict[str, int]:
        if not force:
            for resource, limit in limits.items():
                used = _usage(uow, project_id, resource)
                if limit != quotas.UNLIMITED and used > limit:
                    raise quotas.BelowUsage(
                        f"Quota limit {limit} for {resource} must be greater than or equal to already used {used}")
        uow.quotas.set(project_id, limits)
        return {**quotas.DEFAULTS, **uow.quotas.of(project_id)}

    return env.db.transact(work, ctx.request_id)


def reset(env: Env, ctx: RequestContext, project_id: str) -> None:
    env.policy.enforce(ctx, "delete_quota", _own_target(ctx))
    env.db.transact(lambda uow: uow.quotas.reset(project_id), ctx.request_id)

"""Subnet pool use cases (Neutron's `subnet_allocation`), one transaction each."""

from __future__ import annotations

import uuid
from typing import Any

from trunkd.domain import errors, events, subnetpools
from trunkd.domain.context import RequestContext
from trunkd.domain.listing import ListQuery
from trunkd.domain.model import SubnetPool
from trunkd.domain.subnetpools import PoolShape
from trunkd.domain.views import subnetpool_dict
from trunkd.service.common import check_revision, readable, real_changes
from trunkd.service.env import Env, scope
from trunkd.store.clock import now
from trunkd.store.uow import UnitOfWork

SHAPE = ("prefixes", "min_prefixlen", "max_prefixlen", "default_prefixlen", "default_quota")


def _event(kind: str, pool: SubnetPool, previous: SubnetPool | None = None) -> events.Event:
    return events.Event(kind, "subnetpool", pool.id, pool.project_id,
                        subnetpool_dict(pool) if kind != events.SUBNETPOOL_DELETED else None,
                        subnetpool_dict(previous) if previous else None)


def read_target(pool: SubnetPool) -> dict[str, Any]:
    return {"project_id": pool.project_id, "shared": pool.shared}


def shape_of(pool: SubnetPool) -> PoolShape:
    return PoolShape(pool.ip_version, list(pool.prefixes), pool.min_prefixlen, pool.max_prefixlen,
                     pool.default_prefixlen, pool.default_quota)


def visible_pool(uow: UnitOfWork, ctx: RequestContext, pool_id: str, *, lock: bool = False) -> SubnetPool:
    pool = uow.subnetpools.get(pool_id, scope(ctx), lock=lock)
    if pool is None:
        raise errors.SubnetPoolNotFound(subnetpool_id=pool_id)
    return pool


def _check_one_default(uow: UnitOfWork, ip_version: int) -> None:
    """One default pool per IP version (the unique index closes the race; a retry lands here)."""
    if uow.subnetpools.default_of(ip_version) is not None:
        raise errors.InvalidInput(error_message=(
            "A default subnetpool for this IP family has already been set. Only one default may exist per "
            "IP family"))


def _authorize_create(env: Env, ctx: RequestContext, attrs: dict[str, Any]) -> None:
    env.policy.enforce(ctx, "create_subnetpool", attrs)
    for key in ("shared", "is_default"):  # checked when set to other than their default (False), as Neutron
        if attrs.get(key):
            env.policy.enforce(ctx, f"create_subnetpool:{key}", attrs)


def _create_one(uow: UnitOfWork, attrs: dict[str, Any]) -> SubnetPool:
    shape = subnetpools.read(attrs)
    if attrs["is_default"]:
        _check_one_default(uow, shape.ip_version)
    stamp = now()
    pool = SubnetPool(
        id=str(uuid.uuid4()), project_id=attrs["project_id"], name=attrs["name"], description=attrs["description"],
        ip_version=shape.ip_version, prefixes=shape.prefixes, default_prefixlen=shape.default_prefixlen,
        min_prefixlen=shape.min_prefixlen, max_prefixlen=shape.max_prefixlen, default_quota=shape.default_quota,
        shared=attrs["shared"], is_default=attrs["is_default"], revision_number=0, created_at=stamp,
        updated_at=stamp, tags=attrs.get("tags", []),
    )
    uow.subnetpools.insert(pool)
    uow.subnetpools.tags.add(pool.id, pool.tags)
    uow.record(_event(events.SUBNETPOOL_CREATED, pool))
    return pool


def create_subnetpools(env: Env, ctx: RequestContext, items: list[dict[str, Any]]) -> list[SubnetPool]:
    """Create one or more pools, all or nothing."""
    for attrs in items:
        _authorize_create(env, ctx, attrs)
    return env.db.transact(lambda uow: [_create_one(uow, a) for a in items], ctx.request_id)


def get_subnetpool(env: Env, ctx: RequestContext, pool_id: str) -> SubnetPool:
    with env.db.read() as uow:
        pool = visible_pool(uow, ctx, pool_id)
    env.policy.enforce(ctx, "get_subnetpool", read_target(pool))
    return pool


def list_subnetpools(env: Env, ctx: RequestContext, query: ListQuery) -> list[SubnetPool]:
    with env.db.read() as uow:
        found = uow.subnetpools.page(query, scope(ctx))
    return readable(env, ctx, "get_subnetpool", found, read_target)


def update_subnetpool(
    env: Env, ctx: RequestContext, pool_id: str, attrs: dict[str, Any], if_match: int | None
) -> SubnetPool:
    """Neutron's update: the request over the current values, read again as a whole (bounds, defaults);
    prefixes may only grow. The pool row stays locked, so no allocation runs against the old prefixes."""
    def work(uow: UnitOfWork) -> SubnetPool:
        pool = visible_pool(uow, ctx, pool_id, lock=True)
        target = {"project_id": pool.project_id}
        env.policy.enforce(ctx, "update_subnetpool", target)
        if "is_default" in attrs:
            env.policy.enforce(ctx, "update_subnetpool:is_default", target)
        check_revision(if_match, pool.revision_number)
        wanted = {k: v for k, v in attrs.items() if k != "address_scope_id"}  # null only: no address scopes
        if "prefixes" in wanted:
            wanted["prefixes"] = subnetpools.grown(pool.prefixes, wanted["prefixes"])
        if any(k in wanted for k in SHAPE):
            merged = {k: getattr(pool, k) for k in SHAPE} | {k: v for k, v in wanted.items() if k in SHAPE}
            shape = subnetpools.read(merged)
            wanted.update(prefixes=shape.prefixes, min_prefixlen=shape.min_prefixlen,
                          max_prefixlen=shape.max_prefixlen, default_prefixlen=shape.default_prefixlen)
        if wanted.get("is_default") and not pool.is_default:
            _check_one_default(uow, pool.ip_version)
        changes = real_changes(pool, wanted)
        if not changes:
            return pool
        uow.subnetpools.update(pool_id, changes)
        updated = visible_pool(uow, ctx, pool_id)
        uow.record(_event(events.SUBNETPOOL_UPDATED, updated, pool))
        return updated

    return env.db.transact(work, ctx.request_id)


def delete_subnetpool(env: Env, ctx: RequestContext, pool_id: str, if_match: int | None) -> None:
    """A pool with subnets allocated from it stays (SubnetPoolDeleteError, 400, as Neutron)."""
    def work(uow: UnitOfWork) -> None:
        pool = visible_pool(uow, ctx, pool_id, lock=True)
        env.policy.enforce(ctx, "delete_subnetpool", {"project_id": pool.project_id})
        check_revision(if_match, pool.revision_number)
        if uow.subnetpools.in_use(pool_id):
            raise errors.SubnetPoolDeleteError(reason="Subnet pool has existing allocations")
        uow.subnetpools.delete(pool_id)
        uow.record(_event(events.SUBNETPOOL_DELETED, pool, pool))

    env.db.transact(work, ctx.request_id)

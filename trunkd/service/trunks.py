"""Trunk use cases: create, update, delete and subport membership."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from trunkd.domain import errors, events
from trunkd.domain.context import RequestContext
from trunkd.domain.listing import ListQuery
from trunkd.domain.model import PortFacts, SubPort, Trunk
from trunkd.domain.status import TrunkStatus
from trunkd.domain.subports import (
    check_no_duplicate_segments,
    check_parent,
    count_error,
    resolve_subports,
    shape_error,
    specs_from,
)
from trunkd.domain.views import trunk_dict
from trunkd.service.common import check_revision, readable, real_changes
from trunkd.service.env import Env, scope
from trunkd.service.subport_binding import unbind_subports
from trunkd.service.trunk_status import host_of
from trunkd.store.clock import now
from trunkd.store.trunks import stored_order
from trunkd.store.uow import UnitOfWork


def visible_trunk(uow: UnitOfWork, ctx: RequestContext, trunk_id: str, *, lock: bool = False) -> Trunk:
    trunk = uow.trunks.get(trunk_id, scope(ctx), lock=lock)
    if trunk is None:
        raise errors.TrunkNotFound(trunk_id=trunk_id)
    return trunk


def _facts(uow: UnitOfWork, ctx: RequestContext, port_ids: Collection[str]) -> dict[str, PortFacts]:
    """Lock the ports, then fetch what validation needs; marks which the caller may see."""
    uow.ports.lock(port_ids)
    own = scope(ctx)
    return {
        pid: f if own is None or f.project_id == own else replace(f, visible=False)
        for pid, f in uow.ports.facts(port_ids).items()
    }


def _event(kind: str, trunk: Trunk, host: str | None, previous: Trunk | None = None,
           view: dict[str, Any] | None = None, **extra: Any) -> events.Event:
    """`view`: trunk_dict(trunk) when the caller has it already."""
    state = (view or trunk_dict(trunk)) if kind != events.TRUNK_DELETED else None
    prev = trunk_dict(previous) if previous is not None else None
    if extra:
        state = {**(state or {}), **extra}
    return events.Event(kind, "trunk", trunk.id, trunk.project_id, state, prev, host=host)


def _can_trunk(env: Env, uow: UnitOfWork, host_id: str, vif_type: str) -> bool:
    """Neutron's rule: an unbound port always; a bound one only if the driver in charge allows it."""
    if not host_id:
        return True
    return env.drivers.can_trunk_bound(vif_type, uow.agents.live_types(host_id, env.settings.agent_down_time))


# -- create ---------------------------------------------------------------------------------
def _create_one(env: Env, uow: UnitOfWork, ctx: RequestContext, attrs: Mapping[str, Any]) -> Trunk:
    trunk_id = str(uuid.uuid4())
    specs = specs_from(attrs["sub_ports"])
    parent_id = attrs["port_id"]
    facts = _facts(uow, ctx, [parent_id, *(s.port_id for s in specs)])
    parent_facts = facts.get(parent_id)
    trunkable = parent_facts is None or not parent_facts.visible or _can_trunk(
        env, uow, parent_facts.host_id, parent_facts.vif_type)
    parent = check_parent(parent_id, parent_facts, trunkable)
    subs = resolve_subports(
        specs, trunk_id=trunk_id, parent=parent, facts=facts, validators=env.drivers.validators
    )
    check_no_duplicate_segments(trunk_id, subs, set())
    stamp = now()
    trunk = Trunk(
        id=trunk_id, project_id=attrs["project_id"], name=attrs["name"],
        description=attrs["description"], admin_state_up=attrs["admin_state_up"],
        status=TrunkStatus.DOWN.value, status_reason="", port_id=parent_id, revision_number=0,
        created_at=stamp, updated_at=stamp, sub_ports=subs,
    )
    uow.trunks.insert(trunk)
    stored = replace(trunk, sub_ports=stored_order(subs))  # as a later GET shows it (not read back)
    view = trunk_dict(stored)
    env.drivers.precommit("create", view)
    uow.record(_event(events.TRUNK_CREATED, stored, parent.host_id or None, view=view))
    return stored


def create_trunks(env: Env, ctx: RequestContext, items: list[dict[str, Any]]) -> list[Trunk]:
    """Create one or more trunks, all or nothing, in one transaction."""
    for attrs in items:
        env.policy.enforce(ctx, "create_trunk", attrs)
    return env.db.transact(
        lambda uow: [_create_one(env, uow, ctx, attrs) for attrs in items], ctx.request_id
    )


# -- read -----------------------------------------------------------------------------------
def get_trunk(env: Env, ctx: RequestContext, trunk_id: str, rule: str = "get_trunk") -> Trunk:
    with env.db.read() as uow:
        trunk = visible_trunk(uow, ctx, trunk_id)
    env.policy.enforce(ctx, rule, {"project_id": trunk.project_id})
    return trunk


def list_trunks(env: Env, ctx: RequestContext, query: ListQuery) -> list[Trunk]:
    with env.db.read() as uow:
        found = uow.trunks.page(query, scope(ctx))
    return readable(env, ctx, "get_trunk", found, lambda t: {"project_id": t.project_id})


# -- update / delete ------------------------------------------------------------------------
def update_trunk(
    env: Env, ctx: RequestContext, trunk_id: str, attrs: dict[str, Any], if_match: int | None
) -> Trunk:
    def work(uow: UnitOfWork) -> Trunk:
        trunk = visible_trunk(uow, ctx, trunk_id, lock=True)
        env.policy.enforce(ctx, "update_trunk", {"project_id": trunk.project_id})
        check_revision(if_match, trunk.revision_number)
        changes = real_changes(trunk, attrs)
        if not changes:
            return trunk
        uow.trunks.update(trunk_id, changes)
        updated = visible_trunk(uow, ctx, trunk_id)
        uow.record(_event(events.TRUNK_UPDATED, updated, host_of(uow, trunk), trunk))
        return updated

    return env.db.transact(work, ctx.request_id)


def delete_trunk(env: Env, ctx: RequestContext, trunk_id: str, if_match: int | None) -> None:
    def work(uow: UnitOfWork) -> None:
        trunk = visible_trunk(uow, ctx, trunk_id, lock=True)
        env.policy.enforce(ctx, "delete_trunk", {"project_id": trunk.project_id})
        check_revision(if_match, trunk.revision_number)
        if not trunk.admin_state_up:
            raise errors.TrunkDisabled(trunk_id=trunk_id)
        parent = uow.ports.get(trunk.port_id)
        if parent is not None and not _can_trunk(env, uow, parent.host_id, parent.vif_type):
            raise errors.TrunkInUse(trunk_id=trunk_id)
        env.drivers.precommit("delete", trunk_dict(trunk))
        uow.trunks.delete(trunk)
        unbind_subports(uow, [s.port_id for s in trunk.sub_ports])
        uow.record(_event(events.TRUNK_DELETED, trunk, parent.host_id or None if parent else None, trunk))

    env.db.transact(work, ctx.request_id)


# -- subports -------------------------------------------------------------------------------
def _sub_ports_of(body: Any) -> Any:
    """The member actions need a JSON object with `sub_ports` (Neutron answers 500; we 400)."""
    if not isinstance(body, dict) or "sub_ports" not in body:
        raise errors.InvalidInput(error_message="Request body must be an object with a 'sub_ports' key")
    too_many = count_error(body["sub_ports"])
    if too_many:
        raise errors.InvalidInput(error_message=too_many)
    return body["sub_ports"]


_OPERATION = {events.SUBPORTS_ADDED: "add_subports", events.SUBPORTS_REMOVED: "remove_subports"}


def _membership_changed(
    env: Env, uow: UnitOfWork, trunk: Trunk, kind: str, changed: list[SubPort], sub_ports: list[SubPort]
) -> Trunk:
    """Status to DOWN, revision bumped, drivers' precommit vetoes, one event naming the change.

    `sub_ports` is the new membership, in stored order (known here: not read back)."""
    uow.trunks.update(trunk.id, {"status": TrunkStatus.DOWN.value, "status_reason": ""})
    updated = uow.trunks.get(trunk.id, sub_ports=sub_ports)
    assert updated is not None
    changed_sub_ports = [s.as_dict() for s in changed]
    view = trunk_dict(updated)
    env.drivers.precommit(_OPERATION[kind], {**view, "changed_sub_ports": changed_sub_ports})
    uow.record(_event(kind, updated, host_of(uow, trunk), trunk, view, changed_sub_ports=changed_sub_ports))
    return updated


def add_subports(env: Env, ctx: RequestContext, trunk_id: str, body: Any) -> Trunk:
    raw = _sub_ports_of(body)

    def work(uow: UnitOfWork) -> Trunk:
        trunk = visible_trunk(uow, ctx, trunk_id, lock=True)
        env.policy.enforce(ctx, "add_subports", {"project_id": trunk.project_id})
        problem = shape_error(raw)
        if problem:
            raise errors.InvalidInput(error_message=problem)
        specs = specs_from(raw)
        facts = _facts(uow, ctx, [trunk.port_id, *(s.port_id for s in specs)])
        parent = replace(facts[trunk.port_id], visible=True)
        subs = resolve_subports(
            specs, trunk_id=trunk_id, parent=parent, facts=facts, validators=env.drivers.validators
        )
        if not trunk.admin_state_up:
            raise errors.TrunkDisabled(trunk_id=trunk_id)
        if trunk.status == TrunkStatus.ERROR:
            raise errors.TrunkInErrorState(trunk_id=trunk_id)
        existing = {(s.segmentation_type, s.segmentation_id) for s in trunk.sub_ports}
        check_no_duplicate_segments(trunk_id, subs, existing)
        if not subs:
            return trunk
        uow.trunks.add_subports(trunk_id, subs)
        return _membership_changed(env, uow, trunk, events.SUBPORTS_ADDED, subs,
                                   stored_order([*trunk.sub_ports, *subs]))

    return env.db.transact(work, ctx.request_id)


def remove_subports(env: Env, ctx: RequestContext, trunk_id: str, body: Any) -> Trunk:
    raw = _sub_ports_of(body)

    def work(uow: UnitOfWork) -> Trunk:
        trunk = visible_trunk(uow, ctx, trunk_id, lock=True)
        env.policy.enforce(ctx, "remove_subports", {"project_id": trunk.project_id})
        if not trunk.admin_state_up:
            raise errors.TrunkDisabled(trunk_id=trunk_id)
        problem = shape_error(raw, removal=True)
        if problem:
            raise errors.InvalidInput(error_message=problem)
        current = {s.port_id: s for s in trunk.sub_ports}
        removed: list[SubPort] = []
        for item in raw:
            sub = current.get(item["port_id"])
            if sub is None:
                raise errors.SubPortNotFound(port_id=item["port_id"], trunk_id=trunk_id)
            removed.append(sub)
        if not removed:
            return trunk
        uow.trunks.remove_subports(trunk_id, [s.port_id for s in removed])
        unbind_subports(uow, [s.port_id for s in removed])
        gone = {s.port_id for s in removed}
        return _membership_changed(env, uow, trunk, events.SUBPORTS_REMOVED, removed,
                                   [s for s in trunk.sub_ports if s.port_id not in gone])

    return env.db.transact(work, ctx.request_id)

"""Trunk use cases: create, update, delete and subport membership."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from trunkd.domain import errors, events, guard_rails
from trunkd.domain.allocation import AUTO, assign
from trunkd.domain.context import RequestContext
from trunkd.domain.listing import ListQuery
from trunkd.domain.model import PortFacts, SubPort, Trunk
from trunkd.domain.status import TrunkStatus
from trunkd.domain.subports import (
    SubportSpec,
    check_no_duplicate_segments,
    check_parent,
    count_error,
    resolve_subports,
    shape_error,
    specs_from,
    to_segmentation_id,
    wants_allocation,
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
def _allocating(env: Env) -> bool:
    return env.settings.allocator is not None


def _resolve(env: Env, trunk_id: str, parent: PortFacts, specs: list[SubportSpec],
             facts: Mapping[str, PortFacts]) -> list[SubPort]:
    return resolve_subports(specs, trunk_id=trunk_id, parent=parent, facts=facts,
                            validators=env.drivers.validators, allocating=_allocating(env))


def _allocated(env: Env, trunk_id: str, parent: PortFacts, subs: list[SubPort],
               kept: Collection[SubPort]) -> list[SubPort]:
    """Pick VLANs for the subports that asked the server to (never the parent's VLAN under that rail)."""
    allocator = env.settings.allocator
    if allocator is None:
        return subs
    reserved = list(kept)
    vlan = guard_rails.parent_vlan(parent)
    if guard_rails.PARENT_VLAN in env.settings.guard_rails and vlan is not None:
        reserved.append(SubPort("", "vlan", vlan))
    return assign(trunk_id, subs, reserved, allocator)


def _create_one(env: Env, uow: UnitOfWork, ctx: RequestContext, attrs: Mapping[str, Any]) -> Trunk:
    trunk_id = str(uuid.uuid4())
    specs = specs_from(attrs["sub_ports"])
    parent_id = attrs["port_id"]
    facts = _facts(uow, ctx, [parent_id, *(s.port_id for s in specs)])
    parent_facts = facts.get(parent_id)
    trunkable = parent_facts is None or not parent_facts.visible or _can_trunk(
        env, uow, parent_facts.host_id, parent_facts.vif_type)
    parent = check_parent(parent_id, parent_facts, trunkable)
    subs = _allocated(env, trunk_id, parent, _resolve(env, trunk_id, parent, specs, facts), [])
    check_no_duplicate_segments(trunk_id, subs, set())
    guard_rails.check(env.settings.guard_rails, parent, facts, subs)
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


def create_trunks(env: Env, ctx: RequestContext, items: list[dict[str, Any]], dry_run: bool = False) -> list[Trunk]:
    """Create one or more trunks, all or nothing, in one transaction (or only validate: dry run)."""
    for attrs in items:
        env.policy.enforce(ctx, "create_trunk", attrs)
    return env.db.transact(
        lambda uow: [_create_one(env, uow, ctx, attrs) for attrs in items], ctx.request_id, dry_run=dry_run
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


def delete_in(env: Env, uow: UnitOfWork, ctx: RequestContext, trunk: Trunk) -> None:
    """Delete a (locked, visible) trunk inside the caller's unit of work, with its event."""
    env.policy.enforce(ctx, "delete_trunk", {"project_id": trunk.project_id})
    if not trunk.admin_state_up:
        raise errors.TrunkDisabled(trunk_id=trunk.id)
    parent = uow.ports.binding(trunk.port_id)
    host_id = parent[0] if parent is not None else ""
    if parent is not None and not _can_trunk(env, uow, *parent):
        raise errors.TrunkInUse(trunk_id=trunk.id)
    env.drivers.precommit("delete", trunk_dict(trunk))
    uow.trunks.delete(trunk)
    unbind_subports(uow, [s.port_id for s in trunk.sub_ports])
    uow.record(_event(events.TRUNK_DELETED, trunk, host_id or None, trunk))


def delete_trunk(env: Env, ctx: RequestContext, trunk_id: str, if_match: int | None) -> None:
    def work(uow: UnitOfWork) -> None:
        trunk = visible_trunk(uow, ctx, trunk_id, lock=True)
        env.policy.enforce(ctx, "delete_trunk", {"project_id": trunk.project_id})
        check_revision(if_match, trunk.revision_number)
        delete_in(env, uow, ctx, trunk)

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


@dataclass(frozen=True)
class SubportChanges:
    """What a desired-state PUT changed: (old, new) pairs for re-tagged subports."""

    added: list[SubPort]
    removed: list[SubPort]
    retagged: list[tuple[SubPort, SubPort]]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.retagged)


def _membership_changed(
    env: Env, uow: UnitOfWork, trunk: Trunk, added: list[SubPort], removed: list[SubPort],
    sub_ports: list[SubPort],
) -> Trunk:
    """Status to DOWN, revision bumped once, drivers' precommit vetoes, an event per kind of change.

    `sub_ports` is the new membership, in stored order (known here: not read back)."""
    uow.trunks.update(trunk.id, {"status": TrunkStatus.DOWN.value, "status_reason": ""})
    updated = uow.trunks.get(trunk.id, sub_ports=sub_ports)
    assert updated is not None
    view = trunk_dict(updated)
    host = host_of(uow, trunk)
    for kind, changed in ((events.SUBPORTS_REMOVED, removed), (events.SUBPORTS_ADDED, added)):
        if not changed:
            continue
        changed_sub_ports = [s.as_dict() for s in changed]
        env.drivers.precommit(_OPERATION[kind], {**view, "changed_sub_ports": changed_sub_ports})
        uow.record(_event(kind, updated, host, trunk, view, changed_sub_ports=changed_sub_ports))
    return updated


def _already_member(spec: SubportSpec, current: Mapping[str, SubPort], facts: Mapping[str, PortFacts],
                    allocating: bool) -> bool:
    """Is this requested item identical to a subport the trunk already has?"""
    sub = current.get(spec.port_id)
    if sub is None:
        return False
    if spec.inherits:
        port = facts.get(spec.port_id)
        return port is not None and (port.network_type, port.segmentation_id) == sub.segment
    if allocating and wants_allocation(spec.segmentation_type, spec.segmentation_id):
        return True
    try:
        return (spec.segmentation_type, to_segmentation_id(spec.segmentation_id)) == sub.segment
    except ValueError:
        return False


def _checked_specs(env: Env, raw: Any) -> list[SubportSpec]:
    problem = shape_error(raw, allocating=_allocating(env))
    if problem:
        raise errors.InvalidInput(error_message=problem)
    return specs_from(raw)


def add_subports(env: Env, ctx: RequestContext, trunk_id: str, body: Any, *,
                 idempotent: bool = False, dry_run: bool = False) -> Trunk:
    """Neutron's add_subports; `idempotent` skips items identical to existing subports."""
    raw = _sub_ports_of(body)

    def work(uow: UnitOfWork) -> Trunk:
        trunk = visible_trunk(uow, ctx, trunk_id, lock=True)
        env.policy.enforce(ctx, "add_subports", {"project_id": trunk.project_id})
        specs = _checked_specs(env, raw)
        facts = _facts(uow, ctx, [trunk.port_id, *(s.port_id for s in specs)])
        parent = replace(facts[trunk.port_id], visible=True)
        if idempotent:
            current = {s.port_id: s for s in trunk.sub_ports}
            specs = [s for s in specs if not _already_member(s, current, facts, _allocating(env))]
        subs = _resolve(env, trunk_id, parent, specs, facts)
        if not trunk.admin_state_up:
            raise errors.TrunkDisabled(trunk_id=trunk_id)
        if trunk.status == TrunkStatus.ERROR:
            raise errors.TrunkInErrorState(trunk_id=trunk_id)
        subs = _allocated(env, trunk_id, parent, subs, trunk.sub_ports)
        check_no_duplicate_segments(trunk_id, subs, {s.segment for s in trunk.sub_ports})
        guard_rails.check(env.settings.guard_rails, parent, facts, subs)
        if not subs:
            return trunk
        uow.trunks.add_subports(trunk_id, subs)
        return _membership_changed(env, uow, trunk, subs, [], stored_order([*trunk.sub_ports, *subs]))

    return env.db.transact(work, ctx.request_id, dry_run=dry_run)


def remove_in(env: Env, uow: UnitOfWork, trunk: Trunk, removed: list[SubPort]) -> Trunk:
    """Take subports off a (locked) trunk inside the caller's unit of work."""
    if not trunk.admin_state_up:
        raise errors.TrunkDisabled(trunk_id=trunk.id)
    uow.trunks.remove_subports(trunk.id, [s.port_id for s in removed])
    unbind_subports(uow, [s.port_id for s in removed])
    gone = {s.port_id for s in removed}
    return _membership_changed(env, uow, trunk, [], removed, [s for s in trunk.sub_ports if s.port_id not in gone])


def remove_subports(env: Env, ctx: RequestContext, trunk_id: str, body: Any, *,
                    idempotent: bool = False, dry_run: bool = False) -> Trunk:
    """Neutron's remove_subports; `idempotent` skips ports that are not on the trunk."""
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
            if sub is not None:
                removed.append(sub)
            elif not idempotent:
                raise errors.SubPortNotFound(port_id=item["port_id"], trunk_id=trunk_id)
        if not removed:
            return trunk
        return remove_in(env, uow, trunk, removed)

    return env.db.transact(work, ctx.request_id, dry_run=dry_run)


def set_subports(env: Env, ctx: RequestContext, trunk_id: str, body: Any, *,
                 dry_run: bool = False) -> tuple[Trunk, SubportChanges]:
    """Desired state: make the trunk's subports exactly the list given, touching only the difference.

    An item for a port already on the trunk with the same segmentation is left alone (its status
    too); with a new segmentation it is re-tagged; ports not listed are removed. Nothing to do
    means no write, no revision bump and no event.
    """
    raw = _sub_ports_of(body)

    def work(uow: UnitOfWork) -> tuple[Trunk, SubportChanges]:
        trunk = visible_trunk(uow, ctx, trunk_id, lock=True)
        target = {"project_id": trunk.project_id}
        env.policy.enforce(ctx, "add_subports", target)
        env.policy.enforce(ctx, "remove_subports", target)
        specs = _checked_specs(env, raw)
        current = {s.port_id: s for s in trunk.sub_ports}
        facts = {
            # the trunk's own subports were checked when they joined: not "in use" here
            pid: replace(f, trunk_role=None, trunk_id=None, device_id="", visible=True) if pid in current else f
            for pid, f in _facts(uow, ctx, [trunk.port_id, *(s.port_id for s in specs)]).items()
        }
        parent = replace(facts[trunk.port_id], visible=True)
        wanted = [
            current[s.port_id] if s.segmentation_id == AUTO and s.port_id in current else s
            for s in _resolve(env, trunk_id, parent, specs, facts)
        ]
        wanted = _allocated(env, trunk_id, parent, wanted, [])
        check_no_duplicate_segments(trunk_id, wanted, set())
        names = {s.port_id for s in wanted}
        changes = SubportChanges(
            added=[s for s in wanted if s.port_id not in current],
            removed=[s for pid, s in current.items() if pid not in names],
            retagged=[(current[s.port_id], s) for s in wanted
                      if s.port_id in current and s.segment != current[s.port_id].segment],
        )
        if not changes:
            return trunk, changes
        new = [*changes.added, *(n for _, n in changes.retagged)]
        guard_rails.check(env.settings.guard_rails, parent, facts, new)
        if not trunk.admin_state_up:
            raise errors.TrunkDisabled(trunk_id=trunk_id)
        if new and trunk.status == TrunkStatus.ERROR:
            raise errors.TrunkInErrorState(trunk_id=trunk_id)
        uow.trunks.remove_subports(trunk_id, [s.port_id for s in changes.removed])
        unbind_subports(uow, [s.port_id for s in changes.removed])
        uow.trunks.retag_subports(trunk_id, [n for _, n in changes.retagged])
        uow.trunks.add_subports(trunk_id, changes.added)
        old = [*changes.removed, *(o for o, _ in changes.retagged)]
        replaced = {s.port_id for s in old}
        membership = stored_order([*(s for s in trunk.sub_ports if s.port_id not in replaced), *new])
        return _membership_changed(env, uow, trunk, new, old, membership), changes

    return env.db.transact(work, ctx.request_id, dry_run=dry_run)
